use super::line::*;
use super::offer::*;
use super::*;
use crate::cache::CachedCatalog;
use crate::segment::{self, Live};
use zt_api::Timestamp;
use zt_api::{Catalog, CatalogEntry, ResourceKind, RoleInfo};

const NOW: Timestamp = Timestamp(1_800_000_000);

fn role(name: &str, auto: bool) -> RoleInfo {
    RoleInfo {
        name: name.into(),
        auto_approve: auto,
        approver_groups: vec![],
    }
}

fn resource(name: &str, kind: ResourceKind, roles: Vec<RoleInfo>) -> CatalogEntry {
    CatalogEntry {
        name: name.into(),
        kind,
        description: String::new(),
        default_role: roles[0].name.clone(),
        roles,
        max_ttl_secs: 3600,
    }
}

fn live(grant: &str, resource: &str, role: &str, left: i64) -> Live {
    Live {
        grant: grant.into(),
        profile: "default".into(),
        resource: resource.into(),
        role: role.into(),
        kind: segment::Kind::Kubernetes,
        expires_at: Timestamp(NOW.0 + left),
        seconds_left: left,
        ending_soon: left < segment::WARN_SECS,
    }
}

fn known(fetched_at: i64) -> Known {
    Known {
        catalog: Some(CachedCatalog {
            profile: "default".into(),
            fetched_at,
            catalog: Catalog {
                bundles: vec![],
                resources: vec![
                    resource(
                        "prod-k8s",
                        ResourceKind::Kubernetes,
                        vec![role("view", true), role("admin", false)],
                    ),
                    resource("prod-aws", ResourceKind::Aws, vec![role("read", true)]),
                    // Not a name zt could request: never offered.
                    resource("bad\u{1b}[2J", ResourceKind::Aws, vec![role("x\ny", true)]),
                ],
            },
        }),
        live: vec![
            live("g0123", "prod-k8s", "admin", 42 * 60),
            live("g0456", "staging", "view", 90),
        ],
        now: NOW,
    }
}

fn shown(offer: Offer) -> Vec<(String, String)> {
    offer
        .candidates()
        .into_iter()
        .map(|c| {
            let help = c.get_help().map(|h| h.to_string()).unwrap_or_default();
            (c.get_value().to_string_lossy().into_owned(), help)
        })
        .collect()
}

fn values(offer: Offer) -> Vec<String> {
    shown(offer).into_iter().map(|(v, _)| v).collect()
}

#[test]
fn resources_come_from_the_cache_and_the_ledger() {
    let k = known(NOW.0 - 60);
    let got = shown(resource_offer(&k));
    let names: Vec<&str> = got.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(names, ["prod-aws", "prod-k8s", "staging"]);
    assert_eq!(got[1].1, "kubernetes: view* admin");
    assert!(got[2].1.starts_with("live grant g0456"), "{:?}", got[2]);
}

#[test]
fn a_stale_cache_is_used_and_says_so() {
    let k = known(NOW.0 - 3 * 86_400);
    let got = shown(resource_offer(&k));
    assert_eq!(got[0].1, "aws: read* (cached 3d ago)");
}

#[test]
fn targets_and_grants() {
    let k = known(NOW.0);
    assert_eq!(
        values(target_offer(&k, false)),
        ["g0123", "g0456", "prod-k8s", "staging"]
    );
    assert_eq!(
        values(target_offer(&k, true)),
        ["g0123", "g0456", "prod-aws", "prod-k8s", "staging"]
    );
    let grants = shown(grant_offer(&k));
    assert_eq!(
        grants[0],
        ("g0123".into(), "prod-k8s/admin · 42m left".into())
    );
}

#[test]
fn roles_follow_the_resource_on_the_line() {
    let k = known(NOW.0);
    assert_eq!(values(role_offer(&k, Some("prod-k8s"))), ["admin", "view"]);
    // A grant id stands for its resource.
    assert_eq!(values(role_offer(&k, Some("g0123"))), ["admin", "view"]);
    assert_eq!(values(role_offer(&k, Some("prod-aws"))), ["read"]);
    // Unknown or absent: every role the cache and the ledger know.
    assert_eq!(
        values(role_offer(&k, Some("nope"))),
        ["admin", "read", "view"]
    );
    assert_eq!(values(role_offer(&k, None)), ["admin", "read", "view"]);
    let help = shown(role_offer(&k, Some("prod-k8s")));
    assert_eq!(help[1].1, "granted at once, default");
    assert_eq!(help[0].1, "needs an approval");
}

#[test]
fn nothing_known_offers_nothing() {
    let k = Known {
        catalog: None,
        live: vec![],
        now: NOW,
    };
    assert!(values(resource_offer(&k)).is_empty());
    assert!(values(role_offer(&k, Some("prod-k8s"))).is_empty());
}

#[test]
fn descriptions_are_inert() {
    let mut offer = Offer::default();
    offer.add("ok", "evil\u{1b}]0;title\u{7}\ttab\nline".into());
    let (_, help) = &shown(offer)[0];
    assert!(!help.chars().any(crate::output::is_hostile), "{help:?}");
}

fn words(line: &str) -> Vec<OsString> {
    let mut w: Vec<OsString> = ["zt", "--"].iter().map(Into::into).collect();
    w.extend(line.split(' ').map(OsString::from));
    w
}

#[test]
fn the_line_names_the_profile_and_the_resource() {
    let l = line_of(&words("zt request prod-k8s --role ad"));
    assert_eq!(l.target.as_deref(), Some("prod-k8s"));
    assert_eq!(l.profile, "default");
    let l = line_of(&words("zt --profile staging exec g0123 --role "));
    assert_eq!(l.profile, "staging");
    assert_eq!(l.target.as_deref(), Some("g0123"));
    let l = line_of(&words("zt request --role "));
    assert_eq!(l.target, None);
    let l = line_of(&words("zt request prod --profile=other -r"));
    assert_eq!(
        (l.profile.as_str(), l.target.as_deref()),
        ("other", Some("prod"))
    );
    let l = line_of(&words("zt revoke --profile=ops g1"));
    assert_eq!((l.profile.as_str(), l.target), ("ops", None));
    // What follows `zt exec … --` is the command's, not zt's.
    let l = line_of(&words("zt exec prod -- kubectl --profile x"));
    assert_eq!(
        (l.profile.as_str(), l.target.as_deref()),
        ("default", Some("prod"))
    );
    // Not a line clap can make sense of: defaults, no panic.
    assert_eq!(line_of(&words("zt --profile")).profile, "default");
    assert_eq!(line_of(&[]).profile, "default");
}

#[test]
fn scripts_register_the_dynamic_completer() {
    let bash = String::from_utf8(script(Shell::Bash)).unwrap();
    assert!(bash.contains("ZT_COMPLETE=\"bash\"") && bash.contains("complete -o nospace"));
    let zsh = String::from_utf8(script(Shell::Zsh)).unwrap();
    assert!(zsh.starts_with("#compdef zt"), "{zsh}");
    assert!(zsh.contains("$funcstack[1]"), "autoloadable: {zsh}");
    let fish = String::from_utf8(script(Shell::Fish)).unwrap();
    assert!(fish.contains("ZT_COMPLETE=fish zt --"), "{fish}");
    // Static where the protocol is not used.
    let ps = String::from_utf8(script(Shell::Powershell)).unwrap();
    assert!(ps.contains("Register-ArgumentCompleter"));
}
