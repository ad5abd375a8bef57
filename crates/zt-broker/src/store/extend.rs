//! Extending a grant: its end moves later, only while it is live (approved or active and not
//! yet past its end) and never earlier than it was — a conditional UPDATE in one write
//! transaction with its audit row, so an extend racing the reaper or a revoke either lands
//! whole or not at all.

use super::audit::chain::append_in;
use super::error::Result;
use super::facade::Store;
use super::rows::{AuditEntry, Record};
use super::sql::get_in;
use zt_api::Timestamp;

/// What [`Store::extend_grant`] did.
#[derive(Debug)]
pub enum Extended {
    /// The grant now ends at the new time.
    Done(Record),
    /// Not extended: the grant is no longer live (or its end already passed), as it now is.
    NotLive(Record),
}

impl Store {
    /// Move the end of grant `id` to `expires_at` if it is still live at `now` and `expires_at`
    /// is not earlier than its current end.
    pub async fn extend_grant(
        &self,
        id: &str,
        expires_at: Timestamp,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<Extended> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE requests SET expires_at = $1, updated_at = $2 \
             WHERE id = $3 AND state IN ('approved', 'active') AND expires_at > $4 AND expires_at <= $5",
        )
        .bind(expires_at.0)
        .bind(now.0)
        .bind(id)
        .bind(now.0)
        .bind(expires_at.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            let rec = get_in(&mut tx, id).await?;
            tx.rollback().await?;
            return Ok(Extended::NotLive(rec));
        }
        append_in(&mut tx, &audit, now).await?;
        let rec = get_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Extended::Done(rec))
    }
}
