//! The shipped example policies (`policies/`) as a table of cases, approvals (whose, how
//! many), and what happens when policy files are wrong: precise errors at load, and a reload
//! that keeps the running set. (Policies put to the broker through its HTTP API are
//! integration tests: `tests/broker/policy/`.)

use std::path::{Path, PathBuf};

use super::*;
use crate::catalog::Catalog;
use zt_api::{ClientContext, Outcome, Timestamp};

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

/// Decisions that need approvals: whose, and how many.
mod approvals {
    use super::*;

    #[test]
    fn two_approval_policies_offer_either_group() {
        let src = r#"
        @id("a") @outcome("approval") @approvers("sre-leads")
        permit (principal, action, resource is Resource);
        @id("b") @outcome("approval") @approvers("db-owners, sre-leads")
        permit (principal, action, resource is Resource);
    "#;
        let p = CedarPolicy::from_sources(&[("x.cedar", src)]).unwrap();
        let catalog = Catalog::parse(CATALOG).unwrap();
        let v = run(&p, &catalog, ASK, None);
        assert_eq!(v.decision.outcome, Outcome::RequireApproval);
        assert_eq!(v.decision.policy_ids, ["a", "b"]);
        assert_eq!(v.decision.approver_groups, ["sre-leads", "db-owners"]);
        assert_eq!(v.decision.approvals_required, 1);
        assert_eq!(
            v.decision.reason,
            "prod-k8s/view needs one approval from sre-leads or db-owners (never the requester)"
        );
    }

    #[test]
    fn the_largest_approval_count_among_the_matched_permits_stands() {
        let src = r#"
        @id("one") @outcome("approval") @approvers("sre-leads")
        permit (principal, action, resource is Resource);
        @id("three") @outcome("approval") @approvers("sre-leads") @approvals("3")
        permit (principal, action, resource is Resource) when { context.role == "admin" };
    "#;
        let p = CedarPolicy::from_sources(&[("x.cedar", src)]).unwrap();
        let catalog = Catalog::parse(CATALOG).unwrap();
        let v = run(&p, &catalog, ASK, None);
        assert_eq!(v.decision.approvals_required, 1);
        let v = run(
            &p,
            &catalog,
            Ask {
                role: "admin",
                ..ASK
            },
            None,
        );
        assert_eq!(v.decision.policy_ids, ["one", "three"]);
        assert_eq!(v.decision.approvals_required, 3);
        assert_eq!(
            v.decision.reason,
            "prod-k8s/admin needs 3 approvals from sre-leads (never the requester)"
        );
    }
}

/// Policies that must not load: syntax, schema and annotation mistakes named at their file,
/// line and column; directory loading; and reload keeping the old set on error.
mod loading {
    use std::sync::Arc;

    use super::*;

    /// The single problem of a set that must not load.
    fn problem(sources: &[(&str, &str)]) -> Problem {
        match CedarPolicy::from_sources(sources) {
            Ok(_) => panic!("loaded: {sources:?}"),
            Err(e) => {
                // Shown with --nocapture: how an operator sees it.
                eprintln!("{e}");
                assert_eq!(e.problems.len(), 1, "{e}");
                e.problems.into_iter().next().unwrap()
            }
        }
    }

    const GOOD: &str = r#"// fine
@id("ok")
@outcome("grant")
permit (principal, action == Action::"request", resource);
"#;

    #[test]
    fn a_syntax_error_names_file_line_and_column() {
        let bad = "@id(\"ok2\")\n@outcome(\"grant\")\npermit (principal, action, resource)\nwhen { context.role == };\n";
        let p = problem(&[("policies/a.cedar", GOOD), ("policies/b.cedar", bad)]);
        assert_eq!(p.file, "policies/b.cedar");
        assert_eq!((p.line, p.column), (Some(4), Some(24)), "{p}");
        assert!(p.to_string().starts_with("policies/b.cedar:4:24: "), "{p}");
    }

    #[test]
    fn an_unknown_attribute_is_a_schema_error_at_its_line() {
        let bad = "@id(\"typo\")\n@outcome(\"cap\")\n@max_ttl(\"1h\")\npermit (principal, action == Action::\"request\", resource)\nwhen {\n  resource.environmnt == \"prod\"\n};\n";
        let p = problem(&[("a.cedar", GOOD), ("b.cedar", bad)]);
        assert_eq!(p.file, "b.cedar");
        assert_eq!(p.line, Some(6), "{p}");
        assert!(p.message.contains("typo"), "{p}");
        assert!(p.message.contains("environmnt"), "{p}");

        // A wrong type is caught the same way.
        let bad = "@id(\"t\") @outcome(\"grant\")\npermit (principal, action == Action::\"request\", resource)\nwhen { context.hour == \"9\" };\n";
        let p = problem(&[("c.cedar", bad)]);
        assert_eq!((p.file.as_str(), p.line), ("c.cedar", Some(3)), "{p}");
    }

    #[test]
    fn annotation_mistakes_name_their_line() {
        for (src, line, needle) in [
            // No @id.
            (
                "\n@outcome(\"grant\")\npermit (principal, action, resource);\n",
                2,
                "@id",
            ),
            // A permit without an outcome.
            (
                "@id(\"x\")\npermit (principal, action, resource);\n",
                1,
                "@outcome",
            ),
            // An outcome that does not exist.
            (
                "@id(\"x\")\n@outcome(\"allow\")\npermit (principal, action, resource);\n",
                2,
                "\"allow\"",
            ),
            // A misspelt annotation.
            (
                "@id(\"x\")\n@outcome(\"grant\")\n@max_tll(\"1h\")\npermit (principal, action, resource);\n",
                3,
                "@max_tll",
            ),
            // A TTL that is not one.
            (
                "@id(\"x\")\n@outcome(\"grant\")\n\n@max_ttl(\"soon\")\npermit (principal, action, resource);\n",
                4,
                "soon",
            ),
            // Approval with nobody to approve.
            (
                "@id(\"x\")\n@outcome(\"approval\")\npermit (principal, action, resource);\n",
                2,
                "@approvers",
            ),
            // An approval count that is not one.
            (
                "@id(\"x\") @outcome(\"approval\") @approvers(\"g\")\n@approvals(\"two\")\npermit (principal, action, resource);\n",
                2,
                "@approvals(\"two\") is not a whole number from 1 to 10",
            ),
            (
                "@id(\"x\") @outcome(\"approval\") @approvers(\"g\")\n\n@approvals(\"0\")\npermit (principal, action, resource);\n",
                3,
                "@approvals(\"0\")",
            ),
            // A count on a permit that takes no approvals.
            (
                "@id(\"x\") @outcome(\"grant\")\n@approvals(\"2\")\npermit (principal, action, resource);\n",
                2,
                "@approvals only goes with @outcome(\"approval\")",
            ),
            // A forbid that would not say why.
            (
                "@id(\"x\")\nforbid (principal, action, resource);\n",
                1,
                "@reason",
            ),
            // A forbid with a permit's annotation.
            (
                "@id(\"x\") @reason(\"r\")\n@max_ttl(\"1h\")\nforbid (principal, action, resource);\n",
                2,
                "@max_ttl",
            ),
            // Templates are not policies.
            (
                "@id(\"x\") @outcome(\"grant\")\npermit (principal == ?principal, action, resource);\n",
                1,
                "templates",
            ),
        ] {
            let src = format!("{GOOD}\n{src}");
            let p = problem(&[("f.cedar", &src)]);
            assert_eq!(p.file, "f.cedar");
            assert_eq!(p.line, Some(line + 5), "{src}\n{p}");
            assert!(p.message.contains(needle), "{needle}: {p}");
        }
    }

    #[test]
    fn an_id_used_twice_names_both_places() {
        let p = problem(&[("a.cedar", GOOD), ("b.cedar", &format!("\n\n{GOOD}"))]);
        assert_eq!((p.file.as_str(), p.line), ("b.cedar", Some(4)), "{p}");
        assert!(p.message.contains("a.cedar:2"), "{p}");
    }

    #[test]
    fn every_broken_file_is_reported_at_once() {
        let e = CedarPolicy::from_sources(&[
            ("a.cedar", "permit (principal, action, resource"),
            ("b.cedar", GOOD),
            (
                "c.cedar",
                "@id(\"y\")\nforbid (principal, action, resource);",
            ),
        ])
        .unwrap_err();
        let files: Vec<_> = e.problems.iter().map(|p| p.file.as_str()).collect();
        assert_eq!(files, ["a.cedar", "c.cedar"], "{e}");
        assert_eq!(e.to_string().lines().count(), 2, "{e}");
    }

    #[test]
    fn load_dir_reads_only_cedar_files_and_refuses_an_empty_dir() {
        let dir = tempfile::tempdir().unwrap();
        let e = CedarPolicy::load_dir(dir.path()).unwrap_err();
        assert!(e.to_string().contains("no *.cedar"), "{e}");
        std::fs::write(dir.path().join("notes.txt"), "not policy").unwrap();
        std::fs::write(dir.path().join("a.cedar"), GOOD).unwrap();
        assert_eq!(CedarPolicy::load_dir(dir.path()).unwrap().len(), 1);
        let e = CedarPolicy::load_dir(&dir.path().join("missing")).unwrap_err();
        assert!(e.to_string().contains("cannot read"), "{e}");
    }

    #[test]
    fn reload_swaps_a_good_set_and_keeps_the_old_one_on_error() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::parse(CATALOG).unwrap();
        for f in ["access.cedar", "break-glass.cedar", "ttl-caps.cedar"] {
            std::fs::copy(examples_dir().join(f), dir.path().join(f)).unwrap();
        }
        let holder = ReloadablePolicy::new(CedarPolicy::load_dir(dir.path()).unwrap());
        let outcome = |h: &ReloadablePolicy| run(h, &catalog, ASK, None).decision.outcome;
        assert_eq!(outcome(&holder), Outcome::Grant);

        // A broken edit: the error names the file and line, and the running set stays.
        let broken = dir.path().join("zz-new.cedar");
        std::fs::write(
            &broken,
            "@id(\"no-view\")\n@reason(\"r\")\nforbid (principal, action == Action::\"request\", resource)\nwhen { context.rol == \"view\" };\n",
        )
        .unwrap();
        let before = holder.current();
        let e = holder.reload(dir.path()).unwrap_err();
        assert_eq!(e.problems[0].line, Some(4), "{e}");
        assert!(e.problems[0].file.ends_with("zz-new.cedar"), "{e}");
        assert!(Arc::ptr_eq(&before, &holder.current()));
        assert_eq!(outcome(&holder), Outcome::Grant);

        // Fixed: the new set is in force.
        std::fs::write(
            &broken,
            "@id(\"no-view\")\n@reason(\"r\")\nforbid (principal, action == Action::\"request\", resource)\nwhen { context.role == \"view\" };\n",
        )
        .unwrap();
        holder.reload(dir.path()).unwrap();
        assert_eq!(outcome(&holder), Outcome::Deny);
        assert_eq!(holder.current().len(), 10);
    }
}
