//! Approvals of requests that need several approvers (`@approvals("N")`): each approver's yes
//! is kept with the request (`requests.approvals`, oldest first) and audited in one
//! transaction; the one that brings the count to the decision's `approvals_required` also
//! moves the request from `pending` to `approved` and opens the grant window. An approver
//! counts once, however often they ask.

use super::audit::chain::append_in;
use super::error::{Result, StoreError};
use super::facade::Store;
use super::rows::{AuditEntry, Given, Record, to_json};
use super::sql::{Change, get_in, transition_in};
use crate::auth::Principal;
use zt_api::{State, Timestamp};

/// What an approval did.
#[derive(Debug)]
pub enum Approval {
    /// Counted; more approvers are needed. The request is still pending.
    Counted(Record),
    /// That was the last one needed: the request is approved, its window open.
    Approved(Record),
    /// This approver had already approved: nothing changed, nothing audited.
    Already(Record),
}

impl Approval {
    pub fn record(&self) -> &Record {
        match self {
            Self::Counted(r) | Self::Approved(r) | Self::Already(r) => r,
        }
    }
}

impl Store {
    /// Record `p`'s approval of pending request `id`, audited as `audit` (its detail gains
    /// "approval K of N"). Refused ([`StoreError::Refused`]) unless the request is pending.
    /// Who may approve is the caller's to check; this only counts, once per approver.
    pub async fn approve(
        &self,
        id: &str,
        p: &Principal,
        comment: Option<String>,
        mut audit: AuditEntry,
    ) -> Result<Approval> {
        let now = Timestamp::now();
        let mut tx = self.write().await?;
        let rec = get_in(&mut tx, id).await?;
        if rec.state() != State::Pending {
            return Err(StoreError::Refused {
                id: id.into(),
                actual: Some(rec.state()),
                to: State::Approved,
            });
        }
        if rec.approved_by(p) {
            return Ok(Approval::Already(rec));
        }
        let mut given = rec.approvals.clone();
        given.push(Given {
            issuer: p.issuer.clone(),
            sub: p.sub.clone(),
            by: p.display().to_owned(),
            at: now,
            comment: comment.clone(),
        });
        let (count, needed) = (given.len() as u32, rec.request.decision.approvals_needed());
        sqlx::query("UPDATE requests SET approvals = $1, updated_at = $2 WHERE id = $3")
            .bind(to_json(&given)?)
            .bind(now.0)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = count >= needed;
        if done {
            let change = Change {
                decided_by: Some(p.display().to_owned()),
                comment,
                window: Some((now, now.add_secs(rec.request.ttl_secs as i64))),
            };
            transition_in(&mut tx, id, State::Pending, State::Approved, &change, now).await?;
        }
        if needed > 1 {
            audit
                .detail
                .push_str(&format!("; approval {count} of {needed}"));
        }
        append_in(&mut tx, &audit, now).await?;
        let rec = get_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(if done {
            Approval::Approved(rec)
        } else {
            Approval::Counted(rec)
        })
    }
}
