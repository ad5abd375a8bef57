//! Extending a live grant: only its requester asks, and policy is asked again (Cedar action
//! `extend`, with `holds_grant = true`): a deny is refused with its policy ids and reason; a
//! decision that needs an approval is refused too (an extension never waits for a person — a
//! new request does); a grant moves the end to now + `ttl_secs`, never earlier than it already
//! was, provided the whole grant (from `not_before`) stays within the verdict's `max_ttl`.

use super::{DomainError, lifecycle};
use crate::auth::Principal;
use crate::catalog::human_ttl;
use crate::policy::acts;
use crate::state::Broker;
use crate::store::{AuditEntry, Extended, Record};
use zt_api::{Outcome, Timestamp};

/// `p` extends grant `id` to `ttl_secs` from now; `reason` (already checked as free text) is
/// audited and put to policy in place of the request's own.
pub async fn extend(
    b: &Broker,
    p: &Principal,
    id: &str,
    ttl_secs: u64,
    reason: Option<String>,
) -> Result<Record, DomainError> {
    let rec = b.store.get(id).await?;
    if !rec.is_requester(p) {
        return Err(DomainError::Forbidden(format!(
            "only its requester may extend grant {id}"
        )));
    }
    let now = Timestamp::now();
    super::schedule::extendable(&rec, now)?;
    lifecycle::ensure_live(&rec, now)?;
    let r = &rec.request;
    let (Some(res), Some(nb), Some(end)) =
        (b.catalog.resource(&r.resource), r.not_before, r.expires_at)
    else {
        return Err(DomainError::Conflict(format!(
            "grant {id}: {} is no longer in the catalog",
            r.resource
        )));
    };
    let Some(role) = res.role(&r.role) else {
        return Err(DomainError::Conflict(format!(
            "grant {id}: {}/{} is no longer in the catalog",
            r.resource, r.role
        )));
    };
    let asked = reason.as_deref().or(r.reason.as_deref());
    let verdict = acts::ask_extend(&*b.policy, p, &rec, res, role, ttl_secs, asked, now);
    let what = format!("{}/{} (grant {id})", r.resource, r.role);
    super::step_up::demand(b, p, &verdict, "extend", &what, Some(id)).await?;
    let d = &verdict.decision;
    let ids = d.policy_ids.join(", ");
    match d.outcome {
        Outcome::Deny => {
            return Err(DomainError::PolicyDenied {
                title: "Extension denied by policy",
                detail: format!("{} (policy {ids})", d.reason),
            });
        }
        Outcome::RequireApproval => {
            return Err(DomainError::PolicyDenied {
                title: "Extending needs an approval",
                detail: format!(
                    "extending {}/{} needs an approval from {} (policy {ids}); an extension \
                     never waits for one: request a new grant instead",
                    r.resource,
                    r.role,
                    d.approver_groups.join(" or ")
                ),
            });
        }
        Outcome::Grant => {}
    }
    let new_end = now.add_secs(ttl_secs as i64).max(end);
    let total = (new_end.0 - nb.0).max(0) as u64;
    if total > verdict.max_ttl.as_secs() {
        let room = (nb.0 + verdict.max_ttl.as_secs() as i64 - now.0).max(0);
        return Err(DomainError::TtlExceeded(format!(
            "a {}/{} grant lasts at most {} in all{}; grant {id} started at {nb}, so it can \
             run at most {room}s from now",
            r.resource,
            r.role,
            human_ttl(verdict.max_ttl),
            verdict
                .max_ttl_by
                .as_deref()
                .map(|id| format!(" (policy {id})"))
                .unwrap_or_default(),
        )));
    }
    let mut detail = format!(
        "{}/{} until {new_end} (was {end}), {ttl_secs}s from now, by {}",
        r.resource,
        r.role,
        p.display()
    );
    if let Some(reason) = &reason {
        detail.push_str(&format!("; reason: {reason}"));
    }
    let audit = AuditEntry::new(p.display(), "grant.extend", Some(id))
        .decision("grant", &d.policy_ids)
        .detail(detail);
    match lifecycle::extend(b, id, new_end, audit).await? {
        Extended::Done(rec) => Ok(rec),
        // It ended (or was revoked) while policy was asked.
        Extended::NotLive(rec) => {
            lifecycle::ensure_live(&rec, Timestamp::now())?;
            Err(DomainError::Conflict(format!(
                "grant {id} changed while it was being extended; try again"
            )))
        }
    }
}
