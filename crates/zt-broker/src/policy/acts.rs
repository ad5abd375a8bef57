//! Policy on acts upon an existing request: deciding it (Cedar action `approve`, asked for
//! approvals and denials alike) and revoking its grant (`revoke`). The actor is the principal;
//! resource, role, TTL, reason, ticket and client context are the request's own.
//!
//! The built-in rules stay the floor — only members of the decision's approver groups decide,
//! never the requester; the requester and the admin groups revoke — and policy can narrow
//! them: a matching `forbid` refuses the act whoever asks. For `revoke` a matching
//! `@outcome("grant")` permit also lets someone the built-in rule would not (say, on-call
//! ending anyone's grant during an incident). No permit widens who approves: separation of
//! duties is not a policy choice. Extending a grant (`extend`) is asked as a new request would
//! be, with `holds_grant = true`: [`ask_extend`]. Reading the audit log (`read_audit`) is a
//! policy's word first and, when none speaks to it, membership of the admin groups:
//! [`read_audit`].
//!
//! Each check takes what it looks at (the policy, the catalog, the request's record, the admin
//! groups), not the whole broker: policy does not depend on the broker's state.

use crate::auth::Principal;
use crate::catalog::{Catalog, Resource, Role};
use crate::policy::cedar::DEFAULT_DENY;
use crate::policy::{Action, Policy, PolicyInput, Verdict};
use crate::store::Record;
use zt_api::{Decision, Outcome, Timestamp};

/// What policy says about an act.
#[derive(Debug)]
pub enum Word {
    /// A `forbid` matched (or the request could not be evaluated): refused.
    Forbids(Decision),
    /// A `grant` permit matched.
    Permits,
    /// A permit matched whose `@step_up` the caller's token does not meet: what is missing,
    /// and the ids of the policies that decided.
    StepUp(crate::policy::step_up::Missing, Vec<String>),
    /// Nothing matched: the built-in rule decides.
    Silent,
}

impl Word {
    /// Why a refused act is refused (the caller's 403).
    pub fn refusal(d: &Decision, verb: &str, id: &str) -> String {
        format!(
            "policy {} forbids you to {verb} {id}: {}",
            d.policy_ids.join(", "),
            d.reason
        )
    }
}

/// Ask policy whether `p` may do `action` to `rec`. A request whose resource or role left the
/// catalog cannot be put to policy: the built-in rule decides alone.
pub fn ask(
    policy: &dyn Policy,
    catalog: &Catalog,
    p: &Principal,
    action: Action,
    rec: &Record,
) -> Word {
    let r = &rec.request;
    let Some((res, role)) = catalog
        .resource(&r.resource)
        .and_then(|res| res.role(&r.role).map(|role| (res, role)))
    else {
        return Word::Silent;
    };
    let verdict = policy.decide(&PolicyInput {
        principal: p,
        action,
        resource: res,
        role,
        ttl_secs: r.ttl_secs,
        reason: r.reason.as_deref(),
        ticket: r.ticket.as_deref(),
        break_glass: r.break_glass,
        context: &rec.context,
        holds_grant: r.state.is_live(),
        now: Timestamp::now(),
        oncall: &crate::oncall::names(p),
        starts_in_secs: crate::domain::schedule::starts_in_secs(r.start_at, Timestamp::now()),
    });
    if let (Outcome::Grant | Outcome::RequireApproval, Some(m)) =
        (verdict.decision.outcome, verdict.step_up)
    {
        return Word::StepUp(m, verdict.decision.policy_ids);
    }
    let d = verdict.decision;
    match d.outcome {
        Outcome::Deny if d.policy_ids == [DEFAULT_DENY] => Word::Silent,
        Outcome::Deny => Word::Forbids(d),
        Outcome::Grant => Word::Permits,
        // An approval outcome on an act asks for nothing: there is no approval of an approval.
        Outcome::RequireApproval => Word::Silent,
    }
}

/// Policy's verdict on `p` extending `rec` (still in the catalog as `res`/`role`) to
/// `ttl_secs` from `now`; `reason` is the extension's, else the request's.
#[allow(clippy::too_many_arguments)]
pub fn ask_extend(
    policy: &dyn Policy,
    p: &Principal,
    rec: &Record,
    res: &Resource,
    role: &Role,
    ttl_secs: u64,
    reason: Option<&str>,
    now: Timestamp,
) -> Verdict {
    let r = &rec.request;
    policy.decide(&PolicyInput {
        principal: p,
        action: Action::Extend,
        resource: res,
        role,
        ttl_secs,
        reason,
        ticket: r.ticket.as_deref(),
        break_glass: r.break_glass,
        context: &rec.context,
        holds_grant: true,
        now,
        oncall: &crate::oncall::names(p),
        starts_in_secs: 0,
    })
}

/// Whether `p` may read the audit log: a policy's word first; without one, membership of
/// `admin_groups`. `Err` is why not (the caller's 403).
pub fn read_audit(
    policy: &dyn Policy,
    p: &Principal,
    admin_groups: &[String],
) -> Result<(), String> {
    match policy.read_audit(p) {
        Some(d) if d.outcome == Outcome::Deny => {
            Err(format!("{} (policy {})", d.reason, d.policy_ids.join(", ")))
        }
        Some(_) => Ok(()),
        None if is_admin(p, admin_groups) => Ok(()),
        None => Err(match admin_groups {
            [] => "no policy lets you read the audit log".to_string(),
            groups => format!(
                "reading the audit log needs a read_audit policy or membership of {}",
                groups.join(" or ")
            ),
        }),
    }
}

/// Whether `p` is in any of `admin_groups` (who may revoke anyone's grant, read any request,
/// and, when no policy speaks to it, read the audit log).
pub fn is_admin(p: &Principal, admin_groups: &[String]) -> bool {
    p.groups.iter().any(|g| admin_groups.contains(g))
}
