//! Policy: who gets what, at once, after an approval, or not at all. Handlers see only the
//! [`Policy`] interface; [`DemoPolicy`] decides from the catalog's per-role data. Cedar
//! replaces the inside of this module later without the callers changing.

use crate::api::{ClientContext, Decision, Outcome, Timestamp};
use crate::broker::auth::Principal;
use crate::broker::catalog::{Resource, Role};

/// Everything a policy may look at: principal, resource and role, and the request's context.
#[derive(Debug, Clone, Copy)]
pub struct PolicyInput<'a> {
    pub principal: &'a Principal,
    pub resource: &'a Resource,
    pub role: &'a Role,
    pub ttl_secs: u64,
    pub reason: Option<&'a str>,
    pub ticket: Option<&'a str>,
    pub break_glass: bool,
    pub context: &'a ClientContext,
    pub now: Timestamp,
}

pub trait Policy: Send + Sync {
    /// The decision for one request, with the ids of the policies that matched and why.
    fn decide(&self, input: &PolicyInput<'_>) -> Decision;
}

/// The demo rules, driven by the catalog:
/// - not in the role's `requester_groups` or `auto_approve_groups` → deny (`demo/not-eligible`);
/// - in `auto_approve_groups` → grant at once (`demo/auto-<role>`);
/// - else one approval from `approver_groups` (`demo/approval-required`), never the requester
///   (enforced where approvals are made); no approver groups → deny (`demo/no-approver`).
///
/// TTL limits are checked before policy runs (a TTL over the role's maximum is a 422, not a
/// decision). `break_glass` is recorded and audited but grants nothing extra here.
#[derive(Debug, Default)]
pub struct DemoPolicy;

fn member(p: &Principal, groups: &[String]) -> Option<String> {
    groups.iter().find(|g| p.groups.contains(g)).cloned()
}

impl Policy for DemoPolicy {
    fn decide(&self, input: &PolicyInput<'_>) -> Decision {
        let (p, res, role) = (input.principal, input.resource, input.role);
        let what = format!("{}/{}", res.name, role.name);
        if let Some(g) = member(p, &role.auto_approve_groups) {
            return Decision {
                outcome: Outcome::Grant,
                policy_ids: vec![format!("demo/auto-{}", role.name)],
                reason: format!("members of {g} get {what} at once"),
                approver_groups: vec![],
            };
        }
        if member(p, &role.requester_groups).is_none() {
            return Decision {
                outcome: Outcome::Deny,
                policy_ids: vec!["demo/not-eligible".into()],
                reason: format!(
                    "{} is not in a group that may request {what} ({})",
                    p.display(),
                    role.requester_groups.join(", ")
                ),
                approver_groups: vec![],
            };
        }
        if role.approver_groups.is_empty() {
            return Decision {
                outcome: Outcome::Deny,
                policy_ids: vec!["demo/no-approver".into()],
                reason: format!("nobody may approve {what}"),
                approver_groups: vec![],
            };
        }
        Decision {
            outcome: Outcome::RequireApproval,
            policy_ids: vec!["demo/approval-required".into()],
            reason: format!(
                "{what} needs one approval from {} (never the requester)",
                role.approver_groups.join(" or ")
            ),
            approver_groups: role.approver_groups.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::catalog::Catalog;

    fn principal(groups: &[&str]) -> Principal {
        Principal {
            sub: "u1".into(),
            issuer: "http://idp".into(),
            email: Some("u@example.com".into()),
            name: None,
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    fn decide(groups: &[&str], resource: &str, role: &str) -> Decision {
        let c = Catalog::demo().unwrap();
        let res = c.resource(resource).unwrap();
        let p = principal(groups);
        let ctx = ClientContext::default();
        DemoPolicy.decide(&PolicyInput {
            principal: &p,
            resource: res,
            role: res.role(role).unwrap(),
            ttl_secs: 60,
            reason: None,
            ticket: None,
            break_glass: false,
            context: &ctx,
            now: Timestamp::now(),
        })
    }

    #[test]
    fn engineers_get_view_and_readonly_at_once() {
        for (res, role) in [
            ("prod-k8s", "view"),
            ("prod-aws", "readonly"),
            ("prod-db", "readonly"),
        ] {
            let d = decide(&["engineering"], res, role);
            assert_eq!(d.outcome, Outcome::Grant, "{res}/{role}");
        }
        assert_eq!(
            decide(&["engineering"], "prod-k8s", "view").policy_ids,
            ["demo/auto-view"]
        );
    }

    #[test]
    fn other_roles_need_an_sre_lead() {
        for (res, role) in [
            ("prod-k8s", "edit"),
            ("prod-k8s", "admin"),
            ("prod-aws", "admin"),
            ("prod-db", "readwrite"),
        ] {
            let d = decide(&["engineering", "sre-leads"], res, role);
            assert_eq!(d.outcome, Outcome::RequireApproval, "{res}/{role}");
            assert_eq!(d.policy_ids, ["demo/approval-required"]);
            assert_eq!(d.approver_groups, ["sre-leads"]);
        }
    }

    #[test]
    fn outsiders_are_denied() {
        let d = decide(&["marketing"], "prod-k8s", "view");
        assert_eq!(d.outcome, Outcome::Deny);
        assert_eq!(d.policy_ids, ["demo/not-eligible"]);
        assert!(d.reason.contains("engineering"), "{}", d.reason);
    }
}
