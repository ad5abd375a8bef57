//! The audit log: append-only rows (who, action, request, decision, policy ids, detail, when),
//! each carrying the SHA-256 of the previous row so that editing or deleting one breaks every
//! hash after it. Rows are appended inside the write transaction of the change they record.
//!
//! The chain alone cannot show that its newest rows were deleted: what is left still links.
//! So every append also moves the chain's head in `audit_head`, signed with the store's key
//! (outside the database, see [`super::keys`]). A writer that finds the head it chains onto
//! unsigned, signed by another key, or not the log's last row writes an `audit.gap` row
//! saying so before its own (the broker keeps working; `zt-broker audit verify` fails on it).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, AssertSqlSafe};

use super::keys::StoreKey;
use super::{Result, Store, StoreError, WriteTx, col};
use crate::crypto::sha256_hex;

mod head;
use zt_api::Timestamp;

/// The action of the row a writer adds when the chain's head was not where it was signed.
pub(super) const GAP: &str = "audit.gap";

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

/// Append one row inside an open write transaction; see [`append_all_in`].
pub(super) async fn append_in(tx: &mut WriteTx, e: &AuditEntry, at: Timestamp) -> Result<AuditRow> {
    let row = append_all_in(tx, &[(e, at)])
        .await?
        .pop()
        .ok_or_else(|| StoreError::Corrupt("no audit row appended".into()))?;
    if let Some(id) = &e.request_id {
        super::notify_in(tx, id).await?;
    }
    Ok(row)
}

/// Append rows, in order, with one statement, inside an open write transaction (which holds
/// the write lock, so the chain head is still the head when the rows land), and move the
/// signed head to the last of them. On SQLite the head comes from the store's memory when it
/// knows it; should another process have appended meanwhile (the first row's `seq`, the
/// primary key, is taken) or the signed head have moved (its conditional UPDATE matches
/// nothing), the rows are linked again to the head read from the table (see
/// [`from_table`]). No `NOTIFY`: [`append_in`] sends it.
pub(super) async fn append_all_in(
    tx: &mut WriteTx,
    entries: &[(&AuditEntry, Timestamp)],
) -> Result<Vec<AuditRow>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let rows = match tx.chain_head() {
        Some(head) => match insert(tx, Some(head.clone()), entries).await {
            Err(StoreError::Db(sqlx::Error::Database(d))) if d.is_unique_violation() => {
                from_table(tx, entries).await?
            }
            Err(e) => return Err(e),
            Ok(rows) => {
                if head::move_head(tx, Some(&head), rows.last()).await? {
                    rows
                } else {
                    let (first, last) = (rows[0].seq, rows[rows.len() - 1].seq);
                    sqlx::query("DELETE FROM audit WHERE seq >= $1 AND seq <= $2")
                        .bind(first)
                        .bind(last)
                        .execute(&mut **tx)
                        .await?;
                    from_table(tx, entries).await?
                }
            }
        },
        None => from_table(tx, entries).await?,
    };
    tx.appended = rows.last().map(|r| ChainHead {
        seq: r.seq,
        sha256: r.sha256.clone(),
    });
    Ok(rows)
}

/// Link the rows to the log's last row as the table has it, after checking that row against
/// the signed head; when they disagree, an [`GAP`] row saying how goes first (and to stderr).
async fn from_table(
    tx: &mut WriteTx,
    entries: &[(&AuditEntry, Timestamp)],
) -> Result<Vec<AuditRow>> {
    let last = read_head(tx).await?;
    let signed = head::read_signed(tx).await?;
    let gap = head::head_problem(&tx.key, signed.as_ref(), last.as_ref()).map(|problem| {
        tracing::error!(
            "AUDIT LOG TAMPERED: {problem}; recorded as an {GAP} row (`zt-broker \
             audit verify` reports it)"
        );
        AuditEntry::new(crate::domain::BROKER_ACTOR, GAP, None).detail(problem)
    });
    let mut all = Vec::with_capacity(entries.len() + 1);
    if let Some(g) = &gap {
        all.push((g, entries[0].1));
    }
    all.extend_from_slice(entries);
    let mut rows = insert(tx, last, &all).await?;
    match signed.filter(|_| gap.is_none()) {
        // The usual case: the head was where it was signed, and moves on.
        Some((head, _)) => {
            if !head::move_head(tx, Some(&head), rows.last()).await? {
                return Err(StoreError::Corrupt(
                    "the audit head moved while the write lock was held".into(),
                ));
            }
        }
        // Replaced whatever it was: the head is now the row just written, and signed.
        None => {
            sqlx::query("DELETE FROM audit_head WHERE id = 1")
                .execute(&mut **tx)
                .await?;
            head::move_head(tx, None, rows.last()).await?;
        }
    }
    if gap.is_some() {
        rows.remove(0);
    }
    Ok(rows)
}

/// The columns of a row.
const AUDIT_COLUMNS: &str =
    "seq, at, actor, action, request_id, decision, policy_ids, detail, prev_sha256, sha256";

/// Insert the rows that follow `head` (`None`: the first rows of the chain).
async fn insert(
    conn: &mut AnyConnection,
    head: Option<ChainHead>,
    entries: &[(&AuditEntry, Timestamp)],
) -> Result<Vec<AuditRow>> {
    let (mut seq, mut prev) = match head {
        Some(h) => (h.seq, h.sha256),
        None => (0, GENESIS.to_owned()),
    };
    let mut rows = Vec::with_capacity(entries.len());
    let mut policy_ids = Vec::with_capacity(entries.len());
    for &(e, at) in entries {
        seq += 1;
        let sha = row_hash(seq, at, e, &prev);
        policy_ids.push(
            serde_json::to_string(&e.policy_ids).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        );
        rows.push(AuditRow {
            seq,
            at,
            entry: e.clone(),
            prev_sha256: std::mem::replace(&mut prev, sha.clone()),
            sha256: sha,
        });
    }
    let sql = format!(
        "INSERT INTO audit ({AUDIT_COLUMNS}) VALUES {}",
        placeholders(rows.len(), AUDIT_COLUMNS)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for (r, ids) in rows.iter().zip(&policy_ids) {
        q = q
            .bind(r.seq)
            .bind(r.at.0)
            .bind(&r.entry.actor)
            .bind(&r.entry.action)
            .bind(&r.entry.request_id)
            .bind(&r.entry.decision)
            .bind(ids)
            .bind(&r.entry.detail)
            .bind(&r.prev_sha256)
            .bind(&r.sha256);
    }
    q.execute(conn).await?;
    Ok(rows)
}

/// `($1, …, $n), ($n+1, …), …` for `rows` rows of the `n` comma-separated `columns`: the
/// VALUES of a multi-row INSERT.
pub(super) fn placeholders(rows: usize, columns: &str) -> String {
    let width = columns.split(',').count();
    let mut s = String::with_capacity(rows * width * 5);
    for r in 0..rows {
        s.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..width {
            if c > 0 {
                s.push_str(", ");
            }
            s.push_str(&format!("${}", r * width + c + 1));
        }
        s.push(')');
    }
    s
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
        .fetch_all(&mut *self.read().await?)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Sign the head a migration recorded (unsigned) in the pool's database: only right after
    /// the migration that made it, so that an unsigned head found later is a forgery.
    pub(super) async fn sign_new_head(pool: &AnyPool, key: &StoreKey) -> Result<()> {
        let mut conn = pool.acquire().await?;
        if let Some((head, mac)) = head::read_signed(&mut conn).await?
            && mac.is_empty()
        {
            sqlx::query("UPDATE audit_head SET mac = $1 WHERE id = 1 AND seq = $2 AND mac = ''")
                .bind(key.sign_head(head.seq, &head.sha256))
                .bind(head.seq)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// Recompute the whole chain and check its end against the signed head. `Ok(n)`: all `n`
    /// rows link up and the last is the head signed with this store's key; `Err`: the first
    /// row that does not (edited, deleted or reordered), newest rows deleted, or a gap a
    /// writer recorded.
    pub async fn verify_audit_chain(&self) -> Result<usize, String> {
        // The head first: rows appended while the walk runs only extend the chain past it.
        let signed = head::read_signed(&mut *self.read().await.map_err(|e| e.to_string())?)
            .await
            .map_err(|e| e.to_string())?;
        let mut at_head: Option<ChainHead> = None;
        let mut gap: Option<String> = None;
        let mut prev = GENESIS.to_owned();
        let mut expected_seq = 1;
        let mut count = 0;
        loop {
            let rows = self
                .audit_rows(expected_seq - 1, 1000)
                .await
                .map_err(|e| e.to_string())?;
            if rows.is_empty() {
                break;
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
                if r.entry.action == GAP && gap.is_none() {
                    gap = Some(format!(
                        "audit row {} records that the log was cut or rewound before it: {}",
                        r.seq, r.entry.detail
                    ));
                }
                if signed.as_ref().is_some_and(|(h, _)| h.seq == r.seq) {
                    at_head = Some(ChainHead {
                        seq: r.seq,
                        sha256: r.sha256.clone(),
                    });
                }
                prev = r.sha256;
                expected_seq += 1;
                count += 1;
            }
        }
        // Compared with the head: the row at the head's seq (rows past it came later), or
        // the last row when the log ends before it.
        let last = (expected_seq > 1).then(|| ChainHead {
            seq: expected_seq - 1,
            sha256: prev,
        });
        if let Some(problem) =
            head::head_problem(&self.key, signed.as_ref(), at_head.or(last).as_ref())
        {
            return Err(problem);
        }
        match gap {
            Some(g) => Err(g),
            None => Ok(count),
        }
    }
}
