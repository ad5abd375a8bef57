//! Ending a request early: the requester withdraws a pending request; the requester, an admin,
//! or whoever a `revoke` policy permits revokes a live grant — unless a `revoke` forbid says
//! no — and its credential is taken back at the target (the reaper retries when that fails).

use super::{DomainError, lifecycle};
use crate::auth::Principal;
use crate::policy::Action;
use crate::policy::acts::{self, Word};
use crate::state::Broker;
use crate::store::{AuditEntry, Change, Record};
use zt_api as api;

/// `p` revokes grant `id`, with an optional `comment` for the audit.
pub async fn revoke(
    b: &Broker,
    p: &Principal,
    id: &str,
    comment: Option<String>,
) -> Result<Record, DomainError> {
    let rec = b.store.get(id).await?;
    let word = acts::ask(&*b.policy, &b.catalog, p, Action::Revoke, &rec);
    if let Word::Forbids(d) = &word {
        return Err(DomainError::Forbidden(Word::refusal(d, "revoke", id)));
    }
    if !rec.is_requester(p) && !b.is_admin(p) && !matches!(word, Word::Permits) {
        let who = match b.admin_groups.as_slice() {
            [] => "its requester".to_string(),
            groups => format!("its requester or a member of {}", groups.join(" or ")),
        };
        return Err(DomainError::Forbidden(format!(
            "only {who} may revoke grant {id}"
        )));
    }
    if !rec.state().is_live() {
        return Err(DomainError::Conflict(format!(
            "grant {id} is {}; there is nothing to revoke",
            rec.state()
        )));
    }
    let detail = match &comment {
        Some(comment) => format!("revoked by {}: {comment}", p.display()),
        None => format!("revoked by {}", p.display()),
    };
    let (rec, revoked_at_target) =
        lifecycle::end_grant(b, &rec, api::State::Revoked, p.display(), detail).await?;
    if !revoked_at_target {
        // The grant is over either way; the reaper retries the revoke at the target.
        b.reaper_wake.notify_one();
    }
    Ok(rec)
}

/// The requester `p` withdraws pending request `id`, with an optional `comment`.
pub async fn withdraw(
    b: &Broker,
    p: &Principal,
    id: &str,
    comment: Option<String>,
) -> Result<Record, DomainError> {
    let rec = super::visible(b, id, p).await?;
    if !rec.is_requester(p) {
        return Err(DomainError::Forbidden(format!(
            "only its requester may withdraw request {id}"
        )));
    }
    let audit = AuditEntry::new(p.display(), "request.withdraw", Some(id))
        .detail(comment.clone().unwrap_or_default());
    let change = Change {
        comment,
        ..Change::default()
    };
    Ok(lifecycle::transition(
        b,
        id,
        api::State::Pending,
        api::State::Cancelled,
        change,
        audit,
    )
    .await?)
}
