//! Expiry of a request nobody decided in time: the reaper finds pending requests past their
//! review window (and live grants past their end, which [`super::lifecycle::end_grant`] ends);
//! an approve or deny that comes too late expires the request too.

use super::lifecycle::transition;
use crate::state::Broker;
use crate::store::{AuditEntry, Change, Record, StoreError};
use zt_api::State;

/// Expire a pending request nobody decided within the review window (the reaper, or an
/// approve/deny that came too late). Refused when it is no longer pending.
pub async fn expire_pending(b: &Broker, rec: &Record, actor: &str) -> Result<Record, StoreError> {
    let deadline = b.review_deadline(rec.request.created_at);
    let audit = AuditEntry::new(actor, "request.expire", Some(rec.id())).detail(format!(
        "{}/{} requested by {} was not decided by {deadline}",
        rec.request.resource, rec.request.role, rec.request.requester
    ));
    transition(
        b,
        rec.id(),
        State::Pending,
        State::Expired,
        Change::default(),
        audit,
    )
    .await
}
