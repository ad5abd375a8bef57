//! When a grant's clock starts (issue 16): the window an approval opens — at approval, at the
//! request's `start_at` when that is still ahead, and for a first-use grant only a claim
//! window, its TTL starting at the first credential fetch ([`Store::claim`]) — and the lapse
//! of a first-use grant nobody used in time ([`Store::lapse`]). Both are conditional UPDATEs in
//! one write transaction with their audit rows (on PostgreSQL under the replicas' write lock),
//! so two replicas' concurrent first fetches start the clock once, and a claim and a lapse
//! never both land.

use sqlx::AnyConnection;

use super::audit::chain::append_in;
use super::error::Result;
use super::facade::Store;
use super::rows::{AuditEntry, Record};
use super::sql::get_in;
use zt_api::Timestamp;

/// What an approval at `now` opens for `rec`: the window `(not_before, expires_at)` and, for a
/// first-use grant, the claim deadline (then also the window's end).
pub fn window(rec: &Record, now: Timestamp) -> (Timestamp, Timestamp, Option<Timestamp>) {
    let r = &rec.request;
    // Approved after its start time: it starts now, like any grant approved late.
    let start = r.start_at.filter(|s| *s > now).unwrap_or(now);
    match rec.claim_secs {
        Some(claim) => {
            let by = start.add_secs(claim as i64);
            (start, by, Some(by))
        }
        None => (start, start.add_secs(r.ttl_secs as i64), None),
    }
}

/// Set the claim deadline of `id`, approved in this transaction (`None`: nothing to set).
pub(super) async fn set_claim_by_in(
    conn: &mut AnyConnection,
    id: &str,
    claim_by: Option<Timestamp>,
) -> Result<()> {
    if let Some(by) = claim_by {
        sqlx::query("UPDATE requests SET claim_by = $1 WHERE id = $2")
            .bind(by.0)
            .bind(id)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// What [`Store::claim`] did.
#[derive(Debug)]
pub enum Claimed {
    /// This call started the grant's TTL (audited).
    Now(Record),
    /// Nothing to claim (claimed already, lapsed, ended, or not a first-use grant): as it is.
    Not(Record),
}

impl Store {
    /// Start the TTL of the unclaimed first-use grant `id` at `now`: its window becomes
    /// `(now, now + ttl)`, its claim deadline goes — only if it is approved, unclaimed and its
    /// deadline not yet past, in one transaction with `audit`.
    pub async fn claim(&self, id: &str, now: Timestamp, audit: AuditEntry) -> Result<Claimed> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE requests SET claim_by = NULL, not_before = $1, expires_at = $1 + ttl_secs, \
             updated_at = $1 WHERE id = $2 AND state = 'approved' AND claim_by IS NOT NULL \
             AND claim_by > $1 AND (not_before IS NULL OR not_before <= $1)",
        )
        .bind(now.0)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            let rec = get_in(&mut tx, id).await?;
            tx.rollback().await?;
            return Ok(Claimed::Not(rec));
        }
        append_in(&mut tx, &audit, now).await?;
        let rec = get_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Claimed::Now(rec))
    }

    /// End the first-use grant `id` nobody claimed by its deadline (approved → expired) at
    /// `now`, audited as `audit`; `None` when it was claimed or ended meanwhile.
    pub async fn lapse(
        &self,
        id: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<Option<Record>> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE requests SET state = 'expired', updated_at = $1 WHERE id = $2 \
             AND state = 'approved' AND claim_by IS NOT NULL AND claim_by <= $1",
        )
        .bind(now.0)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        append_in(&mut tx, &audit, now).await?;
        let rec = get_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Some(rec))
    }
}
