//! `read_audit` put to policy: a permit allows, a forbid refuses, silence leaves it to the
//! admin groups (a set with policies only on requests says nothing; the demo set's silence is
//! `dev::demo`'s test).

use crate::auth::Principal;
use crate::policy::{CedarPolicy, Policy};
use zt_api::Outcome;

fn who(groups: &[&str]) -> Principal {
    Principal {
        auth: Default::default(),
        sub: "u1".into(),
        issuer: "http://idp".into(),
        email: Some("u@example.com".into()),
        name: None,
        groups: groups.iter().map(|g| g.to_string()).collect(),
    }
}

const AUDITORS: &str = r#"
@id("auditors-read")
@outcome("grant")
permit (principal in Group::"auditors", action == Action::"read_audit", resource);

@id("no-contractors")
@reason("{principal} is a contractor")
forbid (principal in Group::"contractors", action == Action::"read_audit", resource);
"#;

/// Policies on requests only, like the demo set's: nothing about the audit log.
const REQUESTS_ONLY: &str = r#"
@id("not-eligible")
@reason("{principal} is not in engineering")
forbid (principal, action in [Action::"request", Action::"extend"], resource)
unless { principal in Group::"engineering" };

@id("auto-view")
@outcome("grant")
permit (principal in Group::"engineering", action == Action::"request", resource)
when { context.role == "view" };
"#;

#[test]
fn policies_allow_forbid_or_say_nothing() {
    let p = CedarPolicy::from_sources(&[("audit.cedar", AUDITORS)]).unwrap();
    let d = p.read_audit(&who(&["auditors"])).unwrap();
    assert_eq!(
        (d.outcome, d.policy_ids),
        (Outcome::Grant, vec!["auditors-read".into()])
    );
    let d = p.read_audit(&who(&["auditors", "contractors"])).unwrap();
    assert_eq!(d.outcome, Outcome::Deny);
    assert_eq!(d.policy_ids, ["no-contractors"]);
    assert_eq!(d.reason, "u@example.com is a contractor");
    assert_eq!(p.read_audit(&who(&["zt-admins"])), None);
    // A set with no read_audit policy: the admin fallback decides.
    let requests = CedarPolicy::from_sources(&[("requests.cedar", REQUESTS_ONLY)]).unwrap();
    assert_eq!(requests.read_audit(&who(&["engineering"])), None);
}
