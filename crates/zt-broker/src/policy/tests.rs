//! The shipped example policies (`policies/`) as a table of cases, and the fixtures the
//! policy modules' unit tests share: the examples' catalog, a few instants, and [`run`], which
//! puts one request to a policy. (Where the rest went: Cedar's decisions — forbids, slicing,
//! approvals — in `cedar/tests.rs`; loading errors in `load/tests.rs` and, for annotations,
//! `load/annotations.rs`; reloading in `reload.rs`. Policies put to the broker through its
//! HTTP API are integration tests: `tests/broker/policy/`.)

use std::path::{Path, PathBuf};

use super::*;
use crate::catalog::{Catalog, Resource};
use zt_api::{ClientContext, Outcome, Timestamp};

/// A Kubernetes cluster of the examples' world, in `environment` with `sensitivity`.
fn k8s(name: &str, environment: &str, sensitivity: &str) -> String {
    format!(
        r#"
[[resource]]
name = "{name}"
kind = "kubernetes"
default_role = "view"
max_ttl = "12h"
environment = "{environment}"
sensitivity = "{sensitivity}"
[[resource.role]]
name = "view"
[[resource.role]]
name = "admin"
max_ttl = "4h"
"#
    )
}

/// The examples' world: the same cluster in prod and in staging, and a prod database.
pub(super) fn catalog() -> Catalog {
    let db = r#"
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
"#;
    let toml = [
        k8s("prod-k8s", "prod", "high"),
        db.to_owned(),
        k8s("staging-k8s", "staging", "medium"),
    ]
    .concat();
    Catalog::parse(&toml).unwrap()
}

// 2024-06-03 is a Monday; times UTC.
pub(super) const MON_10: i64 = 1_717_372_800 + 10 * 3600;
pub(super) const MON_07: i64 = 1_717_372_800 + 7 * 3600;
const MON_18: i64 = 1_717_372_800 + 18 * 3600;
pub(super) const SAT_10: i64 = 1_717_372_800 + 5 * 86_400 + 10 * 3600;

pub(super) fn examples_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("policies")
}

fn examples() -> CedarPolicy {
    match CedarPolicy::load_dir(&examples_dir()) {
        Ok(p) => p,
        Err(e) => panic!("the example policies do not load:\n{e}"),
    }
}

pub(super) fn principal(sub: &str, groups: &[&str]) -> Principal {
    Principal {
        auth: Default::default(),
        sub: sub.into(),
        issuer: "http://idp".into(),
        email: Some(format!("{sub}@example.com")),
        name: None,
        groups: groups.iter().map(|g| g.to_string()).collect(),
    }
}

/// One request to decide.
#[derive(Clone, Copy)]
pub(super) struct Ask<'a> {
    pub(super) groups: &'a [&'a str],
    pub(super) action: Action,
    pub(super) resource: &'a str,
    pub(super) role: &'a str,
    pub(super) reason: Option<&'a str>,
    pub(super) ticket: Option<&'a str>,
    pub(super) at: i64,
}

pub(super) const ASK: Ask<'static> = Ask {
    groups: &["engineering"],
    action: Action::Request,
    resource: "prod-k8s",
    role: "view",
    reason: None,
    ticket: None,
    at: MON_10,
};

/// What the broker puts to the policy for `a`, asked by `who` on `res` from `context`.
pub(super) fn input<'a>(
    who: &'a Principal,
    res: &'a Resource,
    context: &'a ClientContext,
    a: Ask<'a>,
) -> PolicyInput<'a> {
    PolicyInput {
        principal: who,
        action: a.action,
        resource: res,
        role: res.role(a.role).unwrap(),
        ttl_secs: 600,
        reason: a.reason,
        ticket: a.ticket,
        break_glass: a.action == Action::BreakGlass,
        context,
        holds_grant: false,
        now: Timestamp(a.at),
        oncall: &[],
        starts_in_secs: 0,
    }
}

pub(super) fn run(
    p: &dyn Policy,
    catalog: &Catalog,
    a: Ask<'_>,
    check: Option<&CedarPolicy>,
) -> Verdict {
    let res = catalog.resource(a.resource).unwrap();
    let who = principal("alice", a.groups);
    let ctx = ClientContext {
        client_version: "0.1.0".into(),
        hostname: "laptop".into(),
        platform: "linux-x86_64".into(),
    };
    let input = input(&who, res, &ctx, a);
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
    let catalog = catalog();
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
            Outcome::Grant, &["break-glass-oncall", "break-glass-fresh-sign-in", "ttl-cap-prod"], H / 2, &[]),
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
    let catalog = catalog();
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

/// `policies/oncall.cedar`: what the examples decide for someone on call for `primary`
/// (`context.oncall`), on a Saturday, when the everyday rules would only send them for approval.
#[test]
fn the_oncall_examples_decide_as_documented() {
    let (p, catalog) = (examples(), catalog());
    let on = vec!["primary".to_string()];
    let ctx = ClientContext::default();
    let who = principal("alice", &["engineering"]);
    let ask = |a: Ask<'_>, oncall: &[String]| {
        let res = catalog.resource(a.resource).unwrap();
        let input = PolicyInput {
            oncall,
            ..input(&who, res, &ctx, a)
        };
        p.checked_request(&input).unwrap();
        p.decide(&input)
    };
    let sat = Ask { at: SAT_10, ..ASK };
    let v = ask(sat, &on);
    assert_eq!(v.decision.outcome, Outcome::Grant, "{v:?}");
    assert!(
        v.decision
            .policy_ids
            .contains(&"oncall-primary-view-at-once".to_string())
    );
    assert_eq!(ask(sat, &[]).decision.outcome, Outcome::RequireApproval);
    // Admin (with a ticket): approval, which the on-call lead may give too.
    let admin = Ask {
        role: "admin",
        ticket: Some("OPS-1"),
        ..sat
    };
    let v = ask(admin, &on);
    assert_eq!(v.decision.outcome, Outcome::RequireApproval, "{v:?}");
    assert!(
        v.decision
            .approver_groups
            .contains(&"oncall:sre-lead".to_string()),
        "{v:?}"
    );
    assert!(
        v.decision
            .approver_groups
            .contains(&"sre-leads".to_string()),
        "{v:?}"
    );
    assert_eq!(ask(admin, &[]).decision.approver_groups, ["sre-leads"]);
    // Break-glass by the scheduled on-call engineer (not in the group `oncall`), 30 minutes.
    let glass = Ask {
        action: Action::BreakGlass,
        role: "admin",
        reason: Some("INC-42"),
        ..sat
    };
    let v = ask(glass, &on);
    assert_eq!(v.decision.outcome, Outcome::Grant, "{v:?}");
    assert!(
        v.decision
            .policy_ids
            .contains(&"break-glass-scheduled-oncall".to_string())
    );
    assert_eq!(v.max_ttl.as_secs(), 1800);
    assert_eq!(ask(glass, &[]).decision.outcome, Outcome::Deny);
}

/// `step-up.cedar`: breaking glass needs a sign-in at most 15 minutes old; an unknown sign-in
/// time never meets it, and everyday requests ask for no step-up.
#[test]
fn the_step_up_example_asks_break_glass_for_a_fresh_sign_in() {
    let p = examples();
    let catalog = catalog();
    let glass = Ask {
        groups: &["oncall"],
        action: Action::BreakGlass,
        role: "admin",
        reason: Some("INC-42"),
        ..ASK
    };
    let res = catalog.resource(glass.resource).unwrap();
    let ctx = ClientContext {
        client_version: "0.1.0".into(),
        hostname: "laptop".into(),
        platform: "linux-x86_64".into(),
    };
    let mut who = principal("alice", glass.groups);
    let missing = |who: &Principal, a: Ask<'_>| p.decide(&input(who, res, &ctx, a)).step_up;
    let asked = missing(&who, glass).expect("an unknown sign-in time is not fresh");
    assert_eq!((asked.acr_values.len(), asked.max_age), (0, Some(900)));
    who.auth.auth_time = Some(glass.at - 16 * 60);
    assert!(missing(&who, glass).is_some());
    who.auth.auth_time = Some(glass.at - 14 * 60);
    assert_eq!(missing(&who, glass), None);
    let engineer = principal("alice", &["engineering"]);
    assert_eq!(missing(&engineer, ASK), None);
}
