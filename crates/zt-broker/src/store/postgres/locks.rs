//! Locks that span replicas. On PostgreSQL they are advisory locks taken in a transaction on
//! the store's lock pool and released when it ends — by commit, rollback, or the death of the
//! replica holding it (its connection closes), so a SIGKILLed broker never leaves one behind.
//! On SQLite there is one broker per database file, and the in-process locks of
//! [`crate::sync`] are all there is to it: these are no-ops.

use sqlx::{Any, AnyPool, Transaction};

use crate::crypto::sha256_hex;
use crate::store::error::Result;

/// The key every writer locks (see [`crate::store::Store::write`]): writes are serialised, so the audit
/// chain's head read in a write transaction is still the head when its row lands.
pub(in crate::store) const WRITE_KEY: i64 = 0x7a74_0001;
/// The key of the reaper's lease: one replica reaps at a time.
const REAPER_KEY: i64 = 0x7a74_0002;

/// Take a transaction-scoped advisory lock. (Wrapped in a count: `pg_advisory_xact_lock`
/// returns `void`, a type sqlx's `Any` rows cannot carry.)
pub(in crate::store) const XACT_LOCK: &str =
    "SELECT count(*) AS n FROM (SELECT pg_advisory_xact_lock($1)) AS l";

/// The advisory-lock key of one grant: 63 bits of the SHA-256 of `zt-grant:<id>`, which keeps
/// it clear of the two fixed keys above in all but a 2^-62 chance.
fn grant_key(id: &str) -> i64 {
    let hex = sha256_hex(format!("zt-grant:{id}").as_bytes());
    let n = u64::from_str_radix(&hex[..16], 16).unwrap_or(0);
    (n >> 1) as i64
}

/// Held while a grant's credential is minted or revoked: on PostgreSQL no other replica does
/// either for the same grant until it is dropped.
pub struct GrantLock {
    _tx: Option<Transaction<'static, Any>>,
}

/// This replica's turn to reap (see [`crate::store::Store::reaper_lease`]).
pub struct ReaperLease {
    _tx: Option<Transaction<'static, Any>>,
}

impl GrantLock {
    /// Wait for the grant's cross-replica lock in a transaction on `locks`, the store's lock
    /// pool on PostgreSQL (`None`, on SQLite: nothing to wait for).
    pub(in crate::store) async fn take(locks: Option<&AnyPool>, id: &str) -> Result<Self> {
        let tx = match locks {
            Some(locks) => {
                let mut tx = locks.begin().await?;
                sqlx::query(XACT_LOCK)
                    .bind(grant_key(id))
                    .execute(&mut *tx)
                    .await?;
                Some(tx)
            }
            None => None,
        };
        Ok(GrantLock { _tx: tx })
    }
}

impl ReaperLease {
    /// The lease, if no other replica holds it now, in a transaction on `locks` (as for
    /// [`GrantLock::take`]; on SQLite always).
    pub(in crate::store) async fn take(locks: Option<&AnyPool>) -> Result<Option<Self>> {
        match locks {
            Some(locks) => {
                let mut tx = locks.begin().await?;
                let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
                    .bind(REAPER_KEY)
                    .fetch_one(&mut *tx)
                    .await?;
                Ok(got.then_some(ReaperLease { _tx: Some(tx) }))
            }
            None => Ok(Some(ReaperLease { _tx: None })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_keys_are_stable_positive_and_distinct() {
        let a = grant_key("r-1");
        assert_eq!(a, grant_key("r-1"));
        assert_ne!(a, grant_key("r-2"));
        assert!(a >= 0 && grant_key("r-2") >= 0);
        assert_ne!(a, WRITE_KEY);
    }
}
