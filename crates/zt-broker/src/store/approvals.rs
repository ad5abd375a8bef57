//! Approvals of requests that need several approvers (`@approvals("N")`): each approver's yes
//! is kept with the request (`requests.approvals`, oldest first) and audited in one
//! transaction; the one that brings the count to the decision's `approvals_required` also
//! moves the request from `pending` to `approved` and opens the grant window. An approver
//! counts once, however often they ask.

use super::audit::chain::append_in;
use super::error::{Result, StoreError};
use super::facade::Store;
use super::passkeys::PasskeyProof;
use super::rows::{AuditEntry, Given, Record, to_json};
use super::schedule;
use super::sql::{Change, get_in, transition_in};
use super::tx::WriteTx;
use crate::auth::Principal;
use zt_api::{PasskeyUse, State, Timestamp};

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
        audit: AuditEntry,
    ) -> Result<Approval> {
        self.approve_with_passkey(id, p, comment, audit, None).await
    }

    /// [`Store::approve`], confirmed by a passkey's assertion when `proof` is given: in the
    /// same transaction its nonce is consumed — [`StoreError::Stale`] when it is no longer
    /// `p`'s current one for `id` (used already, or replaced), and nothing changes — and the
    /// passkey's counter stored back; the approval records which passkey confirmed it.
    pub async fn approve_with_passkey(
        &self,
        id: &str,
        p: &Principal,
        comment: Option<String>,
        audit: AuditEntry,
        proof: Option<&PasskeyProof>,
    ) -> Result<Approval> {
        let now = Timestamp::now();
        let mut tx = self.write().await?;
        let done = approve_in(&mut tx, id, p, comment, audit, proof, now).await?;
        // An approver who had approved changed nothing: roll back (a passkey's nonce stays).
        if !matches!(done, Approval::Already(_)) {
            tx.commit().await?;
        }
        Ok(done)
    }
}

/// [`Store::approve_with_passkey`]'s work inside the open write transaction `tx`, which the
/// caller commits (unless [`Approval::Already`]) — also once for all the items of a bundle
/// (see [`super::bundles`]).
pub(super) async fn approve_in(
    tx: &mut WriteTx,
    id: &str,
    p: &Principal,
    comment: Option<String>,
    mut audit: AuditEntry,
    proof: Option<&PasskeyProof>,
    now: Timestamp,
) -> Result<Approval> {
    let rec = get_in(tx, id).await?;
    if rec.state() != State::Pending {
        return Err(StoreError::Refused {
            id: id.into(),
            actual: Some(rec.state()),
            to: State::Approved,
        });
    }
    if let Some(proof) = proof {
        let used = sqlx::query(
                "DELETE FROM approval_nonces WHERE request_id = $1 AND issuer = $2 AND sub = $3 AND nonce = $4",
            )
            .bind(id)
            .bind(&p.issuer)
            .bind(&p.sub)
            .bind(&proof.nonce)
            .execute(&mut **tx)
            .await?;
        if used.rows_affected() != 1 {
            return Err(StoreError::Stale(format!(
                "the passkey challenge of request {id} was already used or replaced"
            )));
        }
        sqlx::query(
            "UPDATE passkeys SET passkey = $1, last_used_at = $2 \
                 WHERE credential_id = $3 AND issuer = $4 AND sub = $5",
        )
        .bind(&proof.passkey)
        .bind(now.0)
        .bind(&proof.credential_id)
        .bind(&p.issuer)
        .bind(&p.sub)
        .execute(&mut **tx)
        .await?;
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
        passkey: proof.map(|proof| PasskeyUse {
            credential_id: proof.credential_id.clone(),
            user_verified: proof.user_verified,
        }),
    });
    let (count, needed) = (given.len() as u32, rec.request.decision.approvals_needed());
    sqlx::query("UPDATE requests SET approvals = $1, updated_at = $2 WHERE id = $3")
        .bind(to_json(&given)?)
        .bind(now.0)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let done = count >= needed;
    if done {
        // At approval, or at the request's start (a first-use grant: its claim window).
        let (nb, end, claim_by) = schedule::window(&rec, now);
        let change = Change {
            decided_by: Some(p.display().to_owned()),
            comment,
            window: Some((nb, end)),
        };
        transition_in(tx, id, State::Pending, State::Approved, &change, now).await?;
        schedule::set_claim_by_in(tx, id, claim_by).await?;
        // Nothing is left to approve: the other approvers' open challenges go too.
        sqlx::query("DELETE FROM approval_nonces WHERE request_id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    if needed > 1 {
        audit
            .detail
            .push_str(&format!("; approval {count} of {needed}"));
    }
    append_in(tx, &audit, now).await?;
    let rec = get_in(tx, id).await?;
    Ok(if done {
        Approval::Approved(rec)
    } else {
        Approval::Counted(rec)
    })
}
