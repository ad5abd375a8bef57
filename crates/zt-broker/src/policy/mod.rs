//! Policy: who gets what, at once, after an approval, or not at all. Handlers see only the
//! [`Policy`] interface; inside, Cedar policies ([`CedarPolicy`]) validated against the schema
//! in `policies/zt.cedarschema` decide, and annotations on them turn Cedar's allow/deny into
//! zt's three outcomes and a TTL cap (see [`cedar`] for the rules).
//!
//! - [`load`]: policy files → a validated set, with `file:line:column` errors.
//! - [`schema`]: the schema, and the Cedar request built from a [`PolicyInput`].
//! - [`reload`]: a holder whose set can be swapped atomically, and [`watch`], which swaps it
//!   on SIGHUP or a change in the policy directory.
//! - [`DemoPolicy`]: the embedded demo policies of `zt-broker dev` (`demo/*.cedar`).

use std::sync::OnceLock;
use std::time::Duration;

use crate::auth::Principal;
use crate::catalog::{Resource, Role};
use zt_api::{ClientContext, Decision, Outcome, Timestamp};

pub mod acts;
pub mod catalog;
pub mod cedar;
pub mod load;
pub mod reload;
pub mod schema;
pub mod watch;

#[cfg(test)]
mod tests;

pub use cedar::CedarPolicy;
pub use load::{PolicyError, Problem};
pub use reload::ReloadablePolicy;

/// What the principal wants to do; the Cedar action of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Request,
    BreakGlass,
    Extend,
    Approve,
    Revoke,
    /// Read the audit log (`GET /v1/audit`); asked of [`Policy::read_audit`], not `decide`.
    ReadAudit,
}

impl Action {
    /// The action's id in the schema (`Action::"break_glass"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::BreakGlass => "break_glass",
            Self::Extend => "extend",
            Self::Approve => "approve",
            Self::Revoke => "revoke",
            Self::ReadAudit => "read_audit",
        }
    }

    /// A new request is `break_glass` when flagged so, else `request`.
    pub fn for_request(break_glass: bool) -> Self {
        if break_glass {
            Self::BreakGlass
        } else {
            Self::Request
        }
    }
}

/// Everything a policy may look at: principal, action, resource and role, and the request's
/// context.
#[derive(Debug, Clone, Copy)]
pub struct PolicyInput<'a> {
    pub principal: &'a Principal,
    pub action: Action,
    pub resource: &'a Resource,
    pub role: &'a Role,
    pub ttl_secs: u64,
    pub reason: Option<&'a str>,
    pub ticket: Option<&'a str>,
    pub break_glass: bool,
    pub context: &'a ClientContext,
    /// The requester already holds a live grant on this resource (false when the caller
    /// cannot know, e.g. the catalog listing).
    pub holds_grant: bool,
    pub now: Timestamp,
}

/// A decision and the longest TTL it allows.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub decision: Decision,
    /// Never longer than the role's catalog maximum; shorter when a policy caps it.
    pub max_ttl: Duration,
    /// The policy that set `max_ttl`, when one did (else it is the catalog's).
    pub max_ttl_by: Option<String>,
}

impl Verdict {
    /// Whether a grant of `ttl_secs` fits this verdict's cap.
    pub fn allows_ttl(&self, ttl_secs: u64) -> bool {
        ttl_secs <= self.max_ttl.as_secs()
    }
}

pub trait Policy: Send + Sync {
    /// The decision for one request, with the ids of the policies that matched and why, and
    /// the longest TTL it allows (callers refuse longer ones).
    fn decide(&self, input: &PolicyInput<'_>) -> Verdict;

    /// Whether `principal` may read the audit log: `Some` decision (outcome `grant` or `deny`,
    /// with the policy ids) when a policy speaks to `read_audit`, `None` when none does (the
    /// broker then falls back to its admin groups).
    fn read_audit(&self, _principal: &Principal) -> Option<Decision> {
        None
    }
}

/// The demo policies of `zt-broker dev`, embedded. They reproduce the demo catalog's rules:
/// `view`/`readonly` at once for `engineering` (`demo/auto-<role>`), every other role after
/// one approval from `sre-leads` (`demo/approval-required`), anyone outside `engineering`
/// denied (`demo/not-eligible`). `break_glass` is treated as an ordinary request.
pub const DEMO_POLICIES: &[(&str, &str)] =
    &[("demo/demo.cedar", include_str!("../dev/demo/demo.cedar"))];

/// The demo policies as a [`Policy`], loaded once. A unit struct so tests and the dev wiring
/// can write `Box::new(DemoPolicy)`.
#[derive(Debug, Default, Clone, Copy)]
pub struct DemoPolicy;

impl DemoPolicy {
    /// The loaded demo set, or why it failed to load (a build with broken demo files; the
    /// tests below catch that).
    pub fn get() -> Result<&'static CedarPolicy, &'static PolicyError> {
        static DEMO: OnceLock<Result<CedarPolicy, PolicyError>> = OnceLock::new();
        DEMO.get_or_init(|| CedarPolicy::from_sources(DEMO_POLICIES))
            .as_ref()
    }
}

impl Policy for DemoPolicy {
    fn read_audit(&self, principal: &Principal) -> Option<Decision> {
        Self::get().ok().and_then(|p| p.read_audit(principal))
    }

    fn decide(&self, input: &PolicyInput<'_>) -> Verdict {
        match Self::get() {
            Ok(p) => p.decide(input),
            // Fail closed: no policies, no access.
            Err(e) => Verdict {
                decision: Decision {
                    outcome: Outcome::Deny,
                    policy_ids: vec!["demo/unloadable".into()],
                    reason: format!("the demo policies do not load: {e}"),
                    approver_groups: vec![],
                    approvals_required: 0,
                },
                max_ttl: input.role.max_ttl,
                max_ttl_by: None,
            },
        }
    }
}

#[cfg(test)]
mod demo_tests {
    use super::*;
    use crate::catalog::Catalog;

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
        DemoPolicy
            .decide(&PolicyInput {
                principal: &p,
                action: Action::Request,
                resource: res,
                role: res.role(role).unwrap(),
                ttl_secs: 60,
                reason: None,
                ticket: None,
                break_glass: false,
                context: &ctx,
                holds_grant: false,
                now: Timestamp::now(),
            })
            .decision
    }

    #[test]
    fn the_demo_policies_load() {
        let p = DemoPolicy::get().unwrap();
        assert!(p.len() >= 4);
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
            assert_eq!(d.policy_ids, [format!("demo/auto-{role}")]);
        }
        let d = decide(&["engineering"], "prod-k8s", "view");
        assert_eq!(d.policy_ids, ["demo/auto-view"]);
        assert_eq!(d.reason, "members of engineering get prod-k8s/view at once");
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
            assert_eq!(
                d.reason,
                format!("{res}/{role} needs one approval from sre-leads (never the requester)")
            );
        }
    }

    #[test]
    fn outsiders_are_denied() {
        for groups in [&["marketing"][..], &[], &["sre-leads"]] {
            let d = decide(groups, "prod-k8s", "view");
            assert_eq!(d.outcome, Outcome::Deny);
            assert_eq!(d.policy_ids, ["demo/not-eligible"]);
            assert!(d.reason.contains("engineering"), "{}", d.reason);
            assert!(d.reason.starts_with("u@example.com "), "{}", d.reason);
        }
    }

    #[test]
    fn break_glass_grants_nothing_extra_in_the_demo() {
        let c = Catalog::demo().unwrap();
        let res = c.resource("prod-k8s").unwrap();
        let ctx = ClientContext::default();
        for (groups, outcome) in [
            (&["engineering"][..], Outcome::RequireApproval),
            (&["oncall"], Outcome::Deny),
        ] {
            let p = principal(groups);
            let v = DemoPolicy.decide(&PolicyInput {
                principal: &p,
                action: Action::BreakGlass,
                resource: res,
                role: res.role("admin").unwrap(),
                ttl_secs: 60,
                reason: Some("INC-1"),
                ticket: None,
                break_glass: true,
                context: &ctx,
                holds_grant: false,
                now: Timestamp::now(),
            });
            assert_eq!(v.decision.outcome, outcome, "{groups:?}");
            // The demo caps nothing: the catalog's role maximum stands.
            assert_eq!((v.max_ttl.as_secs(), v.max_ttl_by), (3600, None));
        }
    }
}
