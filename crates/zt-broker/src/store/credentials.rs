//! Minted credentials, one per grant: stored so a second call returns the same still-valid
//! credential instead of minting again, with the SHA-256 of bearer tokens so the dev
//! Kubernetes API can recognise them without scanning secrets.
//!
//! A credential is stored sealed under the store's key for its grant (see [`super::keys`]),
//! and only while the grant is live: the transition that ends a grant blanks it (see
//! [`super::sql::forget_in`]), and the row itself is deleted once the credential is revoked at its target.
//! Until then the row (without the secret) is what tells the reaper a revoke is still owed.

use sqlx::Row;

use super::audit::chain::append_in;
use super::error::{Result, StoreError};
use super::facade::Store;
use super::keys::Unseal;
use super::rows::{AuditEntry, Record};
use super::sql::{Change, get_in, transition_in};
use zt_api::{Credential, State, Timestamp};

impl Store {
    /// Store a freshly minted credential for the live grant `id` and, when the grant was
    /// `approved`, make it `active` — in one transaction with its audit row. Refused (nothing
    /// stored) when the grant is no longer in state `seen`: it ended while the issuer worked.
    pub async fn save_credential(
        &self,
        id: &str,
        seen: State,
        cred: &Credential,
        token_sha256: Option<String>,
        audit: AuditEntry,
    ) -> Result<Record> {
        let now = Timestamp::now();
        let sealed = self.seal(id, cred)?;
        let kind = match cred {
            Credential::Kubernetes { .. } => "kubernetes",
            Credential::Aws { .. } => "aws",
            Credential::Postgres { .. } => "postgres",
            Credential::Ssh { .. } => "ssh",
        };
        let mut tx = self.write().await?;
        match seen {
            State::Approved => {
                transition_in(
                    &mut tx,
                    id,
                    State::Approved,
                    State::Active,
                    &Change::default(),
                    now,
                )
                .await?
            }
            _ => {
                // Already active (a re-mint): still make sure nothing ended it meanwhile.
                let still =
                    sqlx::query("UPDATE requests SET updated_at = $1 WHERE id = $2 AND state = $3")
                        .bind(now.0)
                        .bind(id)
                        .bind(seen.as_str())
                        .execute(&mut *tx)
                        .await?;
                if still.rows_affected() != 1 {
                    let actual = get_in(&mut tx, id).await?.state();
                    return Err(StoreError::Refused {
                        id: id.into(),
                        actual: Some(actual),
                        to: State::Active,
                    });
                }
            }
        }
        sqlx::query(
            "INSERT INTO credentials (grant_id, kind, credential, token_sha256, expires_at, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, NULL) ON CONFLICT (grant_id) DO UPDATE SET kind = excluded.kind, \
             credential = excluded.credential, token_sha256 = excluded.token_sha256, \
             expires_at = excluded.expires_at, created_at = excluded.created_at, revoked_at = NULL",
        )
        .bind(id)
        .bind(kind)
        .bind(sealed)
        .bind(token_sha256)
        .bind(cred.expires_at().0)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        append_in(&mut tx, &audit, now).await?;
        let rec = get_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(rec)
    }

    /// Store `cred` as the grant's live credential in place of the one there (same secret, a
    /// new end: its issuer moved it).
    pub async fn replace_credential(&self, id: &str, cred: &Credential) -> Result<()> {
        let sealed = self.seal(id, cred)?;
        self.write_one(
            sqlx::query(
                "UPDATE credentials SET credential = $1, expires_at = $2 \
                 WHERE grant_id = $3 AND revoked_at IS NULL AND credential <> ''",
            )
            .bind(sealed)
            .bind(cred.expires_at().0)
            .bind(id),
        )
        .await?;
        Ok(())
    }

    /// `cred` as stored for the grant `id`.
    fn seal(&self, id: &str, cred: &Credential) -> Result<String> {
        let json = serde_json::to_vec(cred).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.key.seal(id, &json).map_err(StoreError::Corrupt)
    }

    /// The grant's stored credential if it is neither revoked, forgotten nor past `now`.
    /// [`StoreError::Unreadable`] when this store's key does not open it.
    pub async fn live_credential(&self, id: &str, now: Timestamp) -> Result<Option<Credential>> {
        let row = sqlx::query(
            "SELECT credential FROM credentials WHERE grant_id = $1 AND revoked_at IS NULL \
             AND credential <> '' AND expires_at > $2",
        )
        .bind(id)
        .bind(now.0)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        row.map(|r| {
            let s: String = r.try_get("credential")?;
            let plain = self.key.open(id, &s).map_err(|e| {
                StoreError::Unreadable(match e {
                    Unseal::OtherKey(k) => format!(
                        "grant {id}: its stored credential was sealed with key {k}, which this \
                         broker does not have (its key changed); revoke the grant and request \
                         it again"
                    ),
                    Unseal::Forged => format!(
                        "grant {id}: its stored credential does not open with this broker's \
                         key (edited, or moved from another grant); revoke the grant and \
                         request it again"
                    ),
                })
            })?;
            serde_json::from_slice(&plain)
                .map_err(|e| StoreError::Corrupt(format!("credential: {e}")))
        })
        .transpose()
    }

    /// A credential exists that has not been revoked at its target yet.
    pub async fn has_unrevoked_credential(&self, id: &str) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM credentials WHERE grant_id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        Ok(row.is_some())
    }

    /// The grant's credential is dead at its target: its row goes. `true` when this call did
    /// it. (`_now`: when, for the audit row the caller writes.)
    pub async fn mark_credential_revoked(&self, id: &str, _now: Timestamp) -> Result<bool> {
        let done = self
            .write_one(sqlx::query("DELETE FROM credentials WHERE grant_id = $1").bind(id))
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The grant a bearer token (by its SHA-256) belongs to, if that grant is live right now:
    /// state approved/active, window open, credential neither revoked nor expired.
    pub async fn live_grant_by_token(
        &self,
        token_sha256: &str,
        now: Timestamp,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT c.grant_id AS grant_id FROM credentials c JOIN requests r ON r.id = c.grant_id \
             WHERE c.token_sha256 = $1 AND c.revoked_at IS NULL AND c.expires_at > $2 \
             AND r.state IN ('approved', 'active') AND r.expires_at > $3",
        )
        .bind(token_sha256)
        .bind(now.0)
        .bind(now.0)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        row.map(|r| r.try_get::<String, _>("grant_id").map_err(StoreError::from))
            .transpose()
    }

    /// Ended grants (expired, revoked) whose credential is still alive at its target: the
    /// revocations a crash or an issuer failure left undone, for the reaper to retry.
    pub async fn ended_with_live_credentials(&self) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT c.grant_id AS grant_id FROM credentials c JOIN requests r ON r.id = c.grant_id \
             WHERE c.revoked_at IS NULL AND r.state IN ('expired', 'revoked') ORDER BY c.grant_id",
        )
        .fetch_all(&mut *self.read().await?)
        .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("grant_id").map_err(StoreError::from))
            .collect()
    }
}
