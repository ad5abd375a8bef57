//! The audit log: append-only rows (who, action, request, decision, policy ids, detail, when),
//! each carrying the SHA-256 of the previous row so that editing or deleting one breaks every
//! hash after it. Rows are appended inside the write transaction of the change they record.

use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{Result, Store, StoreError, WriteTx, col};
use crate::api::Timestamp;
use crate::broker::crypto::sha256_hex;

/// The `prev_sha256` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, as the caller describes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditEntry {
    /// Who did it: a principal's display name, or `zt-broker/<part>` for the broker itself.
    pub actor: String,
    /// `request.create`, `request.approve`, `grant.expire`, `credential.issue`, …
    pub action: String,
    pub request_id: Option<String>,
    /// The policy outcome or the decision made (`grant`, `require_approval`, `deny`, `approve`).
    pub decision: Option<String>,
    pub policy_ids: Vec<String>,
    /// A sentence with the context: ttl, reason, ticket, client, comment, error.
    pub detail: String,
}

impl AuditEntry {
    pub fn new(
        actor: impl Into<String>,
        action: impl Into<String>,
        request_id: Option<&str>,
    ) -> Self {
        Self {
            actor: actor.into(),
            action: action.into(),
            request_id: request_id.map(str::to_owned),
            ..Self::default()
        }
    }

    pub fn decision(mut self, decision: impl Into<String>, policy_ids: &[String]) -> Self {
        self.decision = Some(decision.into());
        self.policy_ids = policy_ids.to_vec();
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    pub seq: i64,
    pub at: Timestamp,
    pub entry: AuditEntry,
    pub prev_sha256: String,
    pub sha256: String,
}

/// The hash of a row: SHA-256 over a JSON array of every column but the hash itself, so the
/// encoding is unambiguous (no field can bleed into the next).
fn row_hash(seq: i64, at: Timestamp, e: &AuditEntry, prev: &str) -> String {
    let doc = serde_json::json!([
        seq,
        at.0,
        e.actor,
        e.action,
        e.request_id,
        e.decision,
        e.policy_ids,
        e.detail,
        prev
    ]);
    sha256_hex(doc.to_string().as_bytes())
}

/// The last row of the chain: what the next row links to.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ChainHead {
    pub seq: i64,
    pub sha256: String,
}

async fn read_head(conn: &mut AnyConnection) -> Result<Option<ChainHead>> {
    let row = sqlx::query("SELECT seq, sha256 FROM audit ORDER BY seq DESC LIMIT 1")
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        Ok(ChainHead {
            seq: col(&r, "seq")?,
            sha256: col(&r, "sha256")?,
        })
    })
    .transpose()
}

/// Append one row inside an open write transaction (which holds the write lock, so the chain
/// head is still the head when the row lands). On SQLite the head comes from the store's
/// memory when it knows it; should another process have appended meanwhile, the row's `seq`
/// (the primary key) is taken, and the row is linked again to the head read from the table.
pub(super) async fn append_in(tx: &mut WriteTx, e: &AuditEntry, at: Timestamp) -> Result<AuditRow> {
    let policy_ids =
        serde_json::to_string(&e.policy_ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let row = match tx.chain_head() {
        Some(head) => match insert(tx, Some(head), e, at, &policy_ids).await {
            Err(StoreError::Db(sqlx::Error::Database(d))) if d.is_unique_violation() => {
                let head = read_head(tx).await?;
                insert(tx, head, e, at, &policy_ids).await?
            }
            other => other?,
        },
        None => {
            let head = read_head(tx).await?;
            insert(tx, head, e, at, &policy_ids).await?
        }
    };
    tx.appended = Some(ChainHead {
        seq: row.seq,
        sha256: row.sha256.clone(),
    });
    if let Some(id) = &e.request_id {
        super::events::notify_in(tx, id).await?;
    }
    Ok(row)
}

/// Insert the row that follows `head` (`None`: the first row).
async fn insert(
    conn: &mut AnyConnection,
    head: Option<ChainHead>,
    e: &AuditEntry,
    at: Timestamp,
    policy_ids: &str,
) -> Result<AuditRow> {
    let (seq, prev) = match head {
        Some(h) => (h.seq + 1, h.sha256),
        None => (1, GENESIS.to_owned()),
    };
    let sha = row_hash(seq, at, e, &prev);
    sqlx::query(
        "INSERT INTO audit (seq, at, actor, action, request_id, decision, policy_ids, detail, prev_sha256, sha256) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(seq)
    .bind(at.0)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.request_id)
    .bind(&e.decision)
    .bind(policy_ids)
    .bind(&e.detail)
    .bind(&prev)
    .bind(&sha)
    .execute(conn)
    .await?;
    Ok(AuditRow {
        seq,
        at,
        entry: e.clone(),
        prev_sha256: prev,
        sha256: sha,
    })
}

pub(super) fn from_row(row: &AnyRow) -> Result<AuditRow> {
    let ids: String = col(row, "policy_ids")?;
    Ok(AuditRow {
        seq: col(row, "seq")?,
        at: Timestamp(col(row, "at")?),
        entry: AuditEntry {
            actor: col(row, "actor")?,
            action: col(row, "action")?,
            request_id: col(row, "request_id")?,
            decision: col(row, "decision")?,
            policy_ids: serde_json::from_str(&ids)
                .map_err(|e| StoreError::Corrupt(format!("policy_ids: {e}")))?,
            detail: col(row, "detail")?,
        },
        prev_sha256: col(row, "prev_sha256")?,
        sha256: col(row, "sha256")?,
    })
}

impl Store {
    /// Append a row that records no state change (an issuer failure, a credential handed out).
    pub async fn append_audit(&self, e: AuditEntry) -> Result<AuditRow> {
        let mut tx = self.write().await?;
        let row = append_in(&mut tx, &e, Timestamp::now()).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Rows after `after_seq`, oldest first, at most `limit`.
    pub async fn audit_rows(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRow>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, request_id, decision, policy_ids, detail, prev_sha256, sha256 \
             FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Recompute the whole chain. `Ok(n)`: all `n` rows link up; `Err`: the first row that
    /// does not (edited, deleted or reordered).
    pub async fn verify_audit_chain(&self) -> Result<usize, String> {
        let mut prev = GENESIS.to_owned();
        let mut expected_seq = 1;
        let mut count = 0;
        loop {
            let rows = self
                .audit_rows(expected_seq - 1, 1000)
                .await
                .map_err(|e| e.to_string())?;
            if rows.is_empty() {
                return Ok(count);
            }
            for r in rows {
                if r.seq != expected_seq || r.prev_sha256 != prev {
                    return Err(format!(
                        "audit row {} does not follow row {}",
                        r.seq,
                        expected_seq - 1
                    ));
                }
                if row_hash(r.seq, r.at, &r.entry, &r.prev_sha256) != r.sha256 {
                    return Err(format!("audit row {} was altered", r.seq));
                }
                prev = r.sha256;
                expected_seq += 1;
                count += 1;
            }
        }
    }
}
