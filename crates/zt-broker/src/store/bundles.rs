//! Bundles (issue 16): the requests of one `POST /v1/bundles` share a `bundle_id` (schema v7).
//! They are inserted together, with their audit rows and the bundle's own, in one
//! transaction — all or none; read back by bundle id, in the order the items were given
//! (their idempotency keys end with the item's index); and approved or moved along the state
//! machine together, in one transaction, so a bundle is never half approved.

use sqlx::AssertSqlSafe;

use super::approvals::{Approval, approve_in};
use super::audit::chain::append_in;
use super::error::{Result, StoreError};
use super::facade::Store;
use super::rows::{AuditEntry, COLUMNS, Record, from_row};
use super::sql::{Change, get_in, insert_all_in, transition_in};
use crate::auth::Principal;
use zt_api::{State, Timestamp};

impl Store {
    /// Insert the requests of one bundle with their audit rows, then `audit` (the bundle's
    /// own row), in one transaction: all of them or, on any failure, none.
    /// [`StoreError::Duplicate`] (nothing written) when the requester already used one of
    /// their idempotency keys.
    pub async fn insert_bundle(
        &self,
        items: &[(Record, AuditEntry)],
        audit: AuditEntry,
    ) -> Result<Vec<Record>> {
        let now = Timestamp::now();
        let mut tx = self.write().await?;
        let new: Vec<_> = items.iter().map(|(r, a)| (r, a)).collect();
        let stored = insert_all_in(&mut tx, &new).await?;
        if stored.iter().any(|s| !s) {
            tx.rollback().await?;
            return Err(StoreError::Duplicate);
        }
        append_in(&mut tx, &audit, now).await?;
        tx.commit().await?;
        Ok(items.iter().map(|(r, _)| r.clone()).collect())
    }

    /// The requests of bundle `id`, in the order its items were given (none: no such bundle).
    pub async fn bundle(&self, id: &str) -> Result<Vec<Record>> {
        let sql =
            format!("SELECT {COLUMNS} FROM requests WHERE bundle_id = $1 ORDER BY idempotency_key");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_all(&mut *self.read().await?)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// `p`'s approval of each of the pending requests `items` (each with its audit row), in one
    /// transaction: every one counted, or — when any is no longer pending
    /// ([`StoreError::Refused`]) or anything fails — none.
    pub async fn approve_bundle(
        &self,
        items: Vec<(String, AuditEntry)>,
        p: &Principal,
        comment: Option<String>,
    ) -> Result<Vec<Approval>> {
        let now = Timestamp::now();
        let mut tx = self.write().await?;
        let mut done = Vec::with_capacity(items.len());
        for (id, audit) in items {
            done.push(approve_in(&mut tx, &id, p, comment.clone(), audit, None, now).await?);
        }
        if done.iter().any(|d| !matches!(d, Approval::Already(_))) {
            tx.commit().await?;
        }
        Ok(done)
    }

    /// Move each of `items` (with its audit row) from `from` to `to`, in one transaction: all
    /// of them, or — when any is not in `from` ([`StoreError::Refused`]) — none.
    pub async fn transition_bundle(
        &self,
        items: Vec<(String, AuditEntry)>,
        from: State,
        to: State,
        change: &Change,
    ) -> Result<Vec<Record>> {
        let now = Timestamp::now();
        let mut tx = self.write().await?;
        let mut moved = Vec::with_capacity(items.len());
        for (id, audit) in items {
            transition_in(&mut tx, &id, from, to, change, now).await?;
            append_in(&mut tx, &audit, now).await?;
            moved.push(get_in(&mut tx, &id).await?);
        }
        tx.commit().await?;
        Ok(moved)
    }
}
