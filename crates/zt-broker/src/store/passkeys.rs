//! Passkey-confirmed approvals, the store's side (schema version 5): approvers' passkeys (the
//! WebAuthn public key and signature counter webauthn-rs keeps, as its JSON — nothing secret),
//! one registration in progress per person, and the nonce of each approver's passkey approval
//! of a pending request. The nonce is what makes an assertion count once and for one request:
//! the challenge is derived from the request id and it, and the approval that uses it deletes
//! it in the approval's own transaction ([`Store::approve_with_passkey`]); a second use finds
//! it gone. Shared SQL for both databases.

use super::audit::chain::append_in;
use super::error::Result;
use super::facade::Store;
use super::rows::{AuditEntry, col};
use zt_api::Timestamp;

/// A passkey as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPasskey {
    /// The WebAuthn credential id, base64url without padding.
    pub credential_id: String,
    /// Its owner, as people see them.
    pub owner: String,
    /// webauthn-rs's `Passkey`, as JSON.
    pub passkey: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

/// What a verified assertion brings to the approval it confirms (see
/// [`Store::approve_with_passkey`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PasskeyProof {
    pub credential_id: String,
    /// The assertion's UV flag.
    pub user_verified: bool,
    /// The authenticator's signature counter in the assertion (0: it keeps none).
    pub counter: u32,
    /// The nonce the challenge was derived from: consumed by the approval.
    pub nonce: String,
    /// The passkey with its counter and backup state moved on, stored back.
    pub passkey: String,
}

impl Store {
    /// The passkeys of the person `issuer`/`sub`, oldest first.
    pub async fn passkeys_of(&self, issuer: &str, sub: &str) -> Result<Vec<StoredPasskey>> {
        let rows = sqlx::query(
            "SELECT credential_id, owner, passkey, created_at, last_used_at FROM passkeys \
             WHERE issuer = $1 AND sub = $2 ORDER BY created_at, credential_id",
        )
        .bind(issuer)
        .bind(sub)
        .fetch_all(&mut *self.read().await?)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredPasskey {
                    credential_id: col(r, "credential_id")?,
                    owner: col(r, "owner")?,
                    passkey: col(r, "passkey")?,
                    created_at: Timestamp(col(r, "created_at")?),
                    last_used_at: col::<Option<i64>>(r, "last_used_at")?.map(Timestamp),
                })
            })
            .collect()
    }

    /// Keep a newly registered passkey, audited as `audit`. `false` (nothing stored or
    /// audited) when a passkey with that credential id is already enrolled, by anyone.
    pub async fn add_passkey(
        &self,
        issuer: &str,
        sub: &str,
        key: &StoredPasskey,
        audit: AuditEntry,
    ) -> Result<bool> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "INSERT INTO passkeys (credential_id, issuer, sub, owner, passkey, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (credential_id) DO NOTHING",
        )
        .bind(&key.credential_id)
        .bind(issuer)
        .bind(sub)
        .bind(&key.owner)
        .bind(&key.passkey)
        .bind(key.created_at.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        append_in(&mut tx, &audit, key.created_at).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Start (or restart) `issuer`/`sub`'s registration: its webauthn-rs state, kept here
    /// rather than in memory so that any replica can finish it.
    pub async fn put_passkey_registration(
        &self,
        issuer: &str,
        sub: &str,
        state: &str,
        now: Timestamp,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO passkey_registrations (issuer, sub, state, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (issuer, sub) DO UPDATE SET state = $3, created_at = $4",
        )
        .bind(issuer)
        .bind(sub)
        .bind(state)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Take (read and delete) `issuer`/`sub`'s registration in progress: each is finished at
    /// most once. With when it was started.
    pub async fn take_passkey_registration(
        &self,
        issuer: &str,
        sub: &str,
    ) -> Result<Option<(String, Timestamp)>> {
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "SELECT state, created_at FROM passkey_registrations WHERE issuer = $1 AND sub = $2",
        )
        .bind(issuer)
        .bind(sub)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        sqlx::query("DELETE FROM passkey_registrations WHERE issuer = $1 AND sub = $2")
            .bind(issuer)
            .bind(sub)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some((
            col(&row, "state")?,
            Timestamp(col(&row, "created_at")?),
        )))
    }

    /// A fresh nonce for `issuer`/`sub`'s passkey approval of request `id`, replacing any
    /// earlier one of theirs for it (whose assertion then no longer counts).
    pub async fn put_approval_nonce(
        &self,
        id: &str,
        issuer: &str,
        sub: &str,
        nonce: &str,
        now: Timestamp,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO approval_nonces (request_id, issuer, sub, nonce, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (request_id, issuer, sub) DO UPDATE SET nonce = $4, created_at = $5",
        )
        .bind(id)
        .bind(issuer)
        .bind(sub)
        .bind(nonce)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The current nonce of `issuer`/`sub`'s passkey approval of request `id`, and when it
    /// was made; `None` when there is none (never started, or used).
    pub async fn approval_nonce(
        &self,
        id: &str,
        issuer: &str,
        sub: &str,
    ) -> Result<Option<(String, Timestamp)>> {
        let row = sqlx::query(
            "SELECT nonce, created_at FROM approval_nonces WHERE request_id = $1 AND issuer = $2 AND sub = $3",
        )
        .bind(id)
        .bind(issuer)
        .bind(sub)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        row.map(|r| Ok((col(&r, "nonce")?, Timestamp(col(&r, "created_at")?))))
            .transpose()
    }
}
