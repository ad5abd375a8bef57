//! The shipped example policies (`policies/`) as a table of cases, and what happens when
//! policy files are wrong: precise errors at load, and a reload that keeps the running set.

use std::path::{Path, PathBuf};

use super::*;
use crate::catalog::Catalog;
use zt_api::{ClientContext, Outcome, Timestamp};

mod approvals;
mod loading;

/// The examples' world: the same cluster in prod and in staging.
const CATALOG: &str = r#"
[[resource]]
name = "prod-k8s"
kind = "kubernetes"
default_role = "view"
max_ttl = "12h"
environment = "prod"
sensitivity = "high"
[[resource.role]]
name = "view"
[[resource.role]]
name = "admin"
max_ttl = "4h"

[[resource]]
name = "prod-db"
kind = "postgres"
default_role = "readonly"
max_ttl = "12h"
environment = "prod"
[[resource.role]]
name = "readonly"
[[resource.role]]
name = "readwrite"

[[resource]]
name = "staging-k8s"
kind = "kubernetes"
default_role = "view"
max_ttl = "12h"
environment = "staging"
sensitivity = "medium"
[[resource.role]]
name = "view"
[[resource.role]]
name = "admin"
max_ttl = "4h"
"#;

// 2024-06-03 is a Monday; times UTC.
const MON_10: i64 = 1_717_372_800 + 10 * 3600;
const MON_07: i64 = 1_717_372_800 + 7 * 3600;
const MON_18: i64 = 1_717_372_800 + 18 * 3600;
const SAT_10: i64 = 1_717_372_800 + 5 * 86_400 + 10 * 3600;

fn examples_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("policies")
}

fn examples() -> CedarPolicy {
    match CedarPolicy::load_dir(&examples_dir()) {
        Ok(p) => p,
        Err(e) => panic!("the example policies do not load:\n{e}"),
    }
}

fn principal(sub: &str, groups: &[&str]) -> Principal {
    Principal {
        sub: sub.into(),
        issuer: "http://idp".into(),
        email: Some(format!("{sub}@example.com")),
        name: None,
        groups: groups.iter().map(|g| g.to_string()).collect(),
    }
}

/// One request to decide.
#[derive(Clone, Copy)]
struct Ask<'a> {
    groups: &'a [&'a str],
    action: Action,
    resource: &'a str,
    role: &'a str,
    reason: Option<&'a str>,
    ticket: Option<&'a str>,
    at: i64,
}

const ASK: Ask<'static> = Ask {
    groups: &["engineering"],
    action: Action::Request,
    resource: "prod-k8s",
    role: "view",
    reason: None,
    ticket: None,
    at: MON_10,
};

fn run(p: &dyn Policy, catalog: &Catalog, a: Ask<'_>, check: Option<&CedarPolicy>) -> Verdict {
    let res = catalog.resource(a.resource).unwrap();
    let who = principal("alice", a.groups);
    let ctx = ClientContext {
        client_version: "0.1.0".into(),
        hostname: "laptop".into(),
        platform: "linux-x86_64".into(),
    };
    let input = PolicyInput {
        principal: &who,
        action: a.action,
        resource: res,
        role: res.role(a.role).unwrap(),
        ttl_secs: 600,
        reason: a.reason,
        ticket: a.ticket,
        break_glass: a.action == Action::BreakGlass,
        context: &ctx,
        holds_grant: false,
        now: Timestamp(a.at),
    };
    if let Some(c) = check {
        // What the broker builds is what the schema describes.
        c.checked_request(&input).unwrap();
    }
    p.decide(&input)
}

/// Name, request, then the expected outcome, policy ids, max TTL (s) and approver groups.
type Case<'a> = (&'a str, Ask<'a>, Outcome, &'a [&'a str], u64, &'a [&'a str]);

#[test]
fn the_examples_decide_as_documented() {
    let p = examples();
    assert!(p.warnings().is_empty(), "{:?}", p.warnings());
    let catalog = Catalog::parse(CATALOG).unwrap();
    const H: u64 = 3600;
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        ("view in business hours", ASK,
            Outcome::Grant, &["auto-view-business-hours", "ttl-cap-prod"], 2 * H, &[]),
        ("view before 08:00 needs approval", Ask { at: MON_07, ..ASK },
            Outcome::RequireApproval, &["approval-by-sre-leads", "ttl-cap-prod"], 2 * H, &["sre-leads"]),
        ("18:00 is out of hours", Ask { at: MON_18, ..ASK },
            Outcome::RequireApproval, &["approval-by-sre-leads", "ttl-cap-prod"], 2 * H, &["sre-leads"]),
        ("view on a Saturday needs approval", Ask { at: SAT_10, ..ASK },
            Outcome::RequireApproval, &["approval-by-sre-leads", "ttl-cap-prod"], 2 * H, &["sre-leads"]),
        ("admin with a ticket waits for an SRE lead", Ask { role: "admin", ticket: Some("OPS-1"), ..ASK },
            Outcome::RequireApproval, &["approval-by-sre-leads", "ttl-cap-prod"], 2 * H, &["sre-leads"]),
        ("prod database readwrite: the two-person rule", Ask { resource: "prod-db", role: "readwrite", ..ASK },
            Outcome::RequireApproval, &["approval-by-sre-leads", "two-person-prod-data", "ttl-cap-prod"], 2 * H, &["sre-leads"]),
        ("prod database readonly: at once", Ask { resource: "prod-db", role: "readonly", ..ASK },
            Outcome::Grant, &["auto-view-business-hours", "ttl-cap-prod"], 2 * H, &[]),
        ("prod admin without a ticket", Ask { role: "admin", ..ASK },
            Outcome::Deny, &["prod-admin-needs-ticket"], 4 * H, &[]),
        ("a blank ticket is no ticket", Ask { role: "admin", ticket: Some("  "), ..ASK },
            Outcome::Deny, &["prod-admin-needs-ticket"], 4 * H, &[]),
        ("staging admin needs no ticket; role max 4h under the 8h cap", Ask { resource: "staging-k8s", role: "admin", ..ASK },
            Outcome::RequireApproval, &["approval-by-sre-leads", "ttl-cap-staging"], 4 * H, &["sre-leads"]),
        ("staging view: capped at 8h", Ask { resource: "staging-k8s", ..ASK },
            Outcome::Grant, &["auto-view-business-hours", "ttl-cap-staging"], 8 * H, &[]),
        ("break-glass by on-call with a reason", Ask { groups: &["oncall"], action: Action::BreakGlass, role: "admin", reason: Some("INC-42 api down"), at: SAT_10, ..ASK },
            Outcome::Grant, &["break-glass-oncall", "ttl-cap-prod"], H / 2, &[]),
        ("break-glass by on-call without a reason", Ask { groups: &["oncall"], action: Action::BreakGlass, role: "admin", ..ASK },
            Outcome::Deny, &["break-glass-needs-reason"], 4 * H, &[]),
        ("a blank reason is no reason", Ask { groups: &["oncall"], action: Action::BreakGlass, role: "admin", reason: Some(" \t"), ..ASK },
            Outcome::Deny, &["break-glass-needs-reason"], 4 * H, &[]),
        ("break-glass by an engineer not on call", Ask { action: Action::BreakGlass, role: "admin", reason: Some("INC-42"), ..ASK },
            Outcome::Deny, &["default-deny"], 4 * H, &[]),
        ("on-call may revoke any grant", Ask { groups: &["oncall"], action: Action::Revoke, ..ASK },
            Outcome::Grant, &["oncall-revokes-any-grant"], 12 * H, &[]),
        ("an engineer revoking someone else's grant: the policies say nothing", Ask { action: Action::Revoke, ..ASK },
            Outcome::Deny, &["default-deny"], 12 * H, &[]),
        ("on-call alone gets no everyday access", Ask { groups: &["oncall"], ..ASK },
            Outcome::Deny, &["default-deny"], 12 * H, &[]),
        ("an unknown group", Ask { groups: &["marketing"], ..ASK },
            Outcome::Deny, &["default-deny"], 12 * H, &[]),
        ("no groups at all", Ask { groups: &[], ..ASK },
            Outcome::Deny, &["default-deny"], 12 * H, &[]),
    ];
    for (name, ask, outcome, ids, max_ttl, approvers) in cases {
        let v = run(&p, &catalog, ask, Some(&p));
        let d = &v.decision;
        assert_eq!(d.outcome, outcome, "{name}: {d:?}");
        assert_eq!(d.policy_ids, ids, "{name}");
        assert_eq!(v.max_ttl.as_secs(), max_ttl, "{name}");
        assert_eq!(d.approver_groups, approvers, "{name}");
        assert!(!d.reason.is_empty(), "{name}");
        // One approver, but two for what the two-person rule covers.
        let approvals = match (outcome, ids.contains(&"two-person-prod-data")) {
            (Outcome::RequireApproval, true) => 2,
            (Outcome::RequireApproval, false) => 1,
            _ => 0,
        };
        assert_eq!(d.approvals_required, approvals, "{name}");
    }
}

#[test]
fn reasons_and_caps_read_well() {
    let p = examples();
    let catalog = Catalog::parse(CATALOG).unwrap();
    let v = run(&p, &catalog, ASK, None);
    assert_eq!(
        v.decision.reason,
        "prod-k8s/view is granted at once to engineering in business hours (Mon–Fri 08–18 UTC); \
         at most 2h (ttl-cap-prod)"
    );
    assert_eq!(v.max_ttl_by.as_deref(), Some("ttl-cap-prod"));
    let bg = Ask {
        groups: &["oncall"],
        action: Action::BreakGlass,
        role: "admin",
        reason: Some("INC-42"),
        ..ASK
    };
    let v = run(&p, &catalog, bg, None);
    assert_eq!(v.max_ttl_by.as_deref(), Some("break-glass-oncall"));
    assert!(v.allows_ttl(1800) && !v.allows_ttl(1801));
    let v = run(
        &p,
        &catalog,
        Ask {
            role: "admin",
            ..ASK
        },
        None,
    );
    assert_eq!(
        v.decision.reason,
        "admin on prod-k8s is production access: give a ticket (--ticket)"
    );
    let v = run(
        &p,
        &catalog,
        Ask {
            groups: &["marketing"],
            ..ASK
        },
        None,
    );
    assert_eq!(
        v.decision.reason,
        "no policy lets alice@example.com request prod-k8s/view"
    );
}

#[test]
fn a_forbid_that_fails_to_evaluate_denies() {
    // Overflow is a run-time error the validator cannot rule out; Cedar skips the policy,
    // which for a forbid would mean letting the request through.
    let src = r#"
        @id("grant") @outcome("grant") permit (principal, action, resource is Resource);
        @id("overflow") @reason("boom")
        forbid (principal, action == Action::"request", resource)
        when { context.ttl_secs * 9223372036854775807 > 0 };
    "#;
    let p = CedarPolicy::from_sources(&[("x.cedar", src)]).unwrap();
    let catalog = Catalog::parse(CATALOG).unwrap();
    let v = run(&p, &catalog, ASK, None);
    assert_eq!(v.decision.outcome, Outcome::Deny);
    assert_eq!(v.decision.policy_ids, ["overflow"]);
}

#[test]
fn slicing_by_resource_decides_as_the_whole_set_does() {
    // Policies pinned to one resource by `==`, `in` and `is … in`, next to the examples.
    let pinned = r#"
        @id("staging-admin-at-once") @outcome("grant")
        permit (principal in Group::"engineering", action == Action::"request", resource == Resource::"staging-k8s")
        when { context.role == "admin" };
        @id("staging-no-weekends") @reason("not on weekends")
        forbid (principal, action, resource in Resource::"staging-k8s")
        when { context.weekday > 5 };
        @id("prod-view-short") @outcome("cap") @max_ttl("15m")
        permit (principal, action, resource is Resource in Resource::"prod-k8s")
        when { context.role == "view" };
        @id("elsewhere") @outcome("grant")
        permit (principal, action, resource == Resource::"nowhere");
    "#;
    let mut sources = load::read_dir(&examples_dir()).unwrap();
    sources.push(("pinned.cedar".into(), pinned.into()));
    let p = CedarPolicy::from_sources(&sources).unwrap();
    let catalog = Catalog::parse(CATALOG).unwrap();
    let mut seen = std::collections::HashSet::new();
    for resource in ["prod-k8s", "staging-k8s"] {
        for role in ["view", "admin"] {
            for groups in [&["engineering"][..], &["oncall"], &["marketing"]] {
                for action in [Action::Request, Action::BreakGlass] {
                    for at in [MON_10, MON_07, SAT_10] {
                        let a = Ask {
                            groups,
                            action,
                            resource,
                            role,
                            reason: Some("r"),
                            ticket: None,
                            at,
                        };
                        let sliced = run(&p, &catalog, a, None);
                        let res = catalog.resource(resource).unwrap();
                        let who = principal("alice", groups);
                        let ctx = ClientContext::default();
                        let whole = p.decide_unsliced(&PolicyInput {
                            principal: &who,
                            action,
                            resource: res,
                            role: res.role(role).unwrap(),
                            ttl_secs: 600,
                            reason: Some("r"),
                            ticket: None,
                            break_glass: action == Action::BreakGlass,
                            context: &ctx,
                            holds_grant: false,
                            now: Timestamp(at),
                        });
                        assert_eq!(
                            sliced, whole,
                            "{resource}/{role} {groups:?} {action:?} {at}"
                        );
                        seen.extend(sliced.decision.policy_ids);
                    }
                }
            }
        }
    }
    // The pinned policies did take part.
    for id in [
        "staging-admin-at-once",
        "staging-no-weekends",
        "prod-view-short",
    ] {
        assert!(seen.contains(id), "{id} never matched: {seen:?}");
    }
}

/// Through the API: a policy's TTL cap is a 422 naming the policy, not a stored request.
#[tokio::test]
async fn a_policy_cap_refuses_a_longer_ttl_through_the_api() {
    let t = crate::testkit::TestBroker::start_with_policies(&examples_dir()).await;
    // prod-k8s/view allows 8h in the catalog; the examples cap prod at 2h. alice is in
    // engineering: granted in business hours, else sent for approval; capped either way.
    let r = t.create("alice", "prod-k8s", "view", 3 * 3600).await;
    assert_eq!((r.status, r.slug()), (422, "ttl-exceeded"), "{:?}", r.body);
    assert_eq!(
        r.body["detail"],
        "the longest prod-k8s/view grant is 2h (policy ttl-cap-prod)"
    );
    let r = t.create("alice", "prod-k8s", "view", 2 * 3600).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let ids = r.body["decision"]["policy_ids"].as_array().unwrap();
    assert_eq!(ids.last().unwrap(), "ttl-cap-prod");
    // A denied request is stored whatever its TTL: the cap only limits what is given.
    let r = t.create("alice", "prod-k8s", "admin", 3600).await;
    assert_eq!(
        r.body["decision"]["policy_ids"],
        serde_json::json!(["prod-admin-needs-ticket"])
    );
    assert_eq!(r.body["state"], "denied");
}

/// Through the API: `holds_grant` is true once the requester has a live grant there.
#[tokio::test]
async fn holds_grant_sees_a_live_grant_on_the_same_resource() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.cedar"),
        r#"
        @id("view") @outcome("grant")
        permit (principal in Group::"engineering", action == Action::"request", resource);
        @id("one-at-a-time") @reason("{principal} already holds a grant on {resource}")
        forbid (principal, action == Action::"request", resource) when { context.holds_grant };
        "#,
    )
    .unwrap();
    let t = crate::testkit::TestBroker::start_with_policies(dir.path()).await;
    let first = t.create("alice", "prod-k8s", "view", 600).await;
    assert_eq!(first.body["state"], "approved", "{:?}", first.body);
    let second = t.create("alice", "prod-k8s", "edit", 600).await;
    assert_eq!(second.body["state"], "denied", "{:?}", second.body);
    assert_eq!(
        second.body["decision"]["reason"],
        "alice@example.com already holds a grant on prod-k8s"
    );
    // Another resource, or another person: no grant held there.
    let other = t.create("alice", "prod-db", "readonly", 600).await;
    assert_eq!(other.body["state"], "approved", "{:?}", other.body);
    let bob = t.create("bob", "prod-k8s", "view", 600).await;
    assert_eq!(bob.body["state"], "approved", "{:?}", bob.body);
}
