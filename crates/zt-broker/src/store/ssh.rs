//! The SSH user certificates the broker's CA signed: a serial for each, allocated here (one
//! more than the largest so far, under the store's write lock, so serials are unique across
//! replicas and consecutive, which keeps the KRL's ranges short), marked revoked when their
//! grant ends early, and listed for the KRL while they would otherwise still be valid.

use sqlx::Row;

use super::error::{Result, StoreError};
use super::facade::Store;
use zt_api::Timestamp;

/// What the KRL names: revoked certificates not yet past their end.
#[derive(Debug, Clone, PartialEq)]
pub struct RevokedSerials {
    pub serials: Vec<u64>,
    /// The latest revocation ever recorded (Unix seconds; 0: none): the KRL's version.
    pub version: u64,
}

fn serial_of(v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("ssh certificate serial {v}")))
}

impl Store {
    /// A new serial for a certificate of grant `grant_id` (of the key with SHA-256
    /// `key_sha256`, valid until `valid_before`), recorded before it is signed.
    pub async fn record_ssh_certificate(
        &self,
        grant_id: &str,
        key_sha256: &str,
        valid_before: Timestamp,
        now: Timestamp,
    ) -> Result<u64> {
        let mut tx = self.write().await?;
        let row = sqlx::query("SELECT COALESCE(MAX(serial), 0) AS last FROM ssh_certificates")
            .fetch_one(&mut *tx)
            .await?;
        let serial = row
            .try_get::<i64, _>("last")?
            .checked_add(1)
            .ok_or_else(|| StoreError::Corrupt("ssh certificate serials are exhausted".into()))?;
        sqlx::query(
            "INSERT INTO ssh_certificates (serial, grant_id, key_sha256, valid_before, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, NULL)",
        )
        .bind(serial)
        .bind(grant_id)
        .bind(key_sha256)
        .bind(valid_before.0)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        serial_of(serial)
    }

    /// Mark the certificates of grant `grant_id` that are still valid at `now` revoked; how
    /// many were.
    pub async fn revoke_ssh_certificates(&self, grant_id: &str, now: Timestamp) -> Result<u64> {
        let done = self
            .write_one(
                sqlx::query(
                    "UPDATE ssh_certificates SET revoked_at = $1 \
                     WHERE grant_id = $2 AND revoked_at IS NULL AND valid_before > $3",
                )
                .bind(now.0)
                .bind(grant_id)
                .bind(now.0),
            )
            .await?;
        Ok(done.rows_affected())
    }

    /// The revoked certificates that are still within their validity at `now`.
    pub async fn revoked_ssh_serials(&self, now: Timestamp) -> Result<RevokedSerials> {
        let mut conn = self.read().await?;
        let rows = sqlx::query(
            "SELECT serial FROM ssh_certificates \
             WHERE revoked_at IS NOT NULL AND valid_before > $1 ORDER BY serial",
        )
        .bind(now.0)
        .fetch_all(&mut *conn)
        .await?;
        let serials = rows
            .iter()
            .map(|r| serial_of(r.try_get::<i64, _>("serial")?))
            .collect::<Result<Vec<u64>>>()?;
        let row =
            sqlx::query("SELECT COALESCE(MAX(revoked_at), 0) AS version FROM ssh_certificates")
                .fetch_one(&mut *conn)
                .await?;
        let version = u64::try_from(row.try_get::<i64, _>("version")?).unwrap_or(0);
        Ok(RevokedSerials { serials, version })
    }

    /// The serials of grant `grant_id`'s certificates, oldest first, with whether each is
    /// revoked (for tests and the audit).
    pub async fn ssh_certificates_of(&self, grant_id: &str) -> Result<Vec<(u64, bool)>> {
        let rows = sqlx::query(
            "SELECT serial, revoked_at FROM ssh_certificates WHERE grant_id = $1 ORDER BY serial",
        )
        .bind(grant_id)
        .fetch_all(&mut *self.read().await?)
        .await?;
        rows.iter()
            .map(|r| {
                let revoked: Option<i64> = r.try_get("revoked_at")?;
                Ok((
                    serial_of(r.try_get::<i64, _>("serial")?)?,
                    revoked.is_some(),
                ))
            })
            .collect()
    }
}
