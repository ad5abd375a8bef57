//! `read_audit`: may this principal read the audit log? Asked of the whole set (policies on
//! `AuditLog` are never sliced to a catalog resource). A matched `forbid` (or one that failed
//! to evaluate) denies; else any matched `permit` allows; else no policy speaks and the broker
//! decides by its admin groups.

use cedar_policy::AuthorizationError;

use super::CedarPolicy;
use super::load::{Kind, Meta};
use crate::auth::Principal;
use crate::policy::schema;
use zt_api::{Decision, Outcome};

pub(super) fn read_audit(c: &CedarPolicy, p: &Principal) -> Option<Decision> {
    let (request, entities) = match schema::build_read_audit(&c.names, p) {
        Ok(r) => r,
        Err(e) => {
            return Some(Decision {
                outcome: Outcome::Deny,
                policy_ids: vec![super::POLICY_ERROR.into()],
                reason: format!("the request could not be evaluated: {e}"),
                approver_groups: vec![],
                approvals_required: 0,
                approval_assurance: None,
            });
        }
    };
    let response = c.authorizer.is_authorized(&request, &c.set, &entities);
    let d = response.diagnostics();
    let mut matched: Vec<&Meta> = d.reason().filter_map(|id| c.meta.get(id)).collect();
    for e in d.errors() {
        let AuthorizationError::PolicyEvaluationError(e) = e;
        if let Some(m) = c.meta.get(e.policy_id())
            && m.kind == Kind::Forbid
        {
            matched.push(m);
        }
    }
    matched.sort_by_key(|m| m.order);
    matched.dedup_by_key(|m| m.order);
    let forbids: Vec<&Meta> = matched
        .iter()
        .copied()
        .filter(|m| m.kind == Kind::Forbid)
        .collect();
    let (outcome, deciding) = if !forbids.is_empty() {
        (Outcome::Deny, forbids)
    } else if !matched.is_empty() {
        (Outcome::Grant, matched)
    } else {
        return None;
    };
    let reasons: Vec<&str> = deciding
        .iter()
        .filter_map(|m| m.reason.as_deref())
        .collect();
    let reason = if reasons.is_empty() {
        match outcome {
            Outcome::Deny => format!("{} may not read the audit log", p.display()),
            _ => format!("{} may read the audit log", p.display()),
        }
    } else {
        reasons
            .iter()
            .map(|r| r.replace("{principal}", p.display()))
            .collect::<Vec<_>>()
            .join("; ")
    };
    Some(Decision {
        outcome,
        policy_ids: deciding.iter().map(|m| m.id.clone()).collect(),
        reason,
        approver_groups: vec![],
        approvals_required: 0,
        approval_assurance: None,
    })
}

#[cfg(test)]
mod tests;
