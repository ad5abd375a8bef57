//! The audit chain itself: each row carries the SHA-256 of the previous one, appended inside
//! the write transaction of the change it records, the signed head moved with it (see
//! [`super::head`]); and a row read back. Shared SQL, for both databases, on any
//! [`WriteConn`].

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::head;
use crate::crypto::sha256_hex;
use crate::store::conn::WriteConn;
use crate::store::error::{Result, StoreError};
use crate::store::rows::{AuditEntry, AuditRow, BROKER_ACTOR, ChainHead, GENESIS, col};
use zt_api::Timestamp;

/// The action of the row a writer adds when the chain's head was not where it was signed.
pub(in crate::store) const GAP: &str = "audit.gap";

/// The hash of a row: SHA-256 over a JSON array of every column but the hash itself, so the
/// encoding is unambiguous (no field can bleed into the next).
pub(super) fn row_hash(seq: i64, at: Timestamp, e: &AuditEntry, prev: &str) -> String {
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
pub(in crate::store) async fn append_in(
    tx: &mut impl WriteConn,
    e: &AuditEntry,
    at: Timestamp,
) -> Result<AuditRow> {
    let row = append_all_in(tx, &[(e, at)])
        .await?
        .pop()
        .ok_or_else(|| StoreError::Corrupt("no audit row appended".into()))?;
    if let Some(id) = &e.request_id {
        tx.notify(id).await?;
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
pub(in crate::store) async fn append_all_in(
    tx: &mut impl WriteConn,
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
    tx.set_appended(rows.last().map(|r| ChainHead {
        seq: r.seq,
        sha256: r.sha256.clone(),
    }));
    Ok(rows)
}

/// Link the rows to the log's last row as the table has it, after checking that row against
/// the signed head; when they disagree, an [`GAP`] row saying how goes first (and to stderr).
async fn from_table(
    tx: &mut impl WriteConn,
    entries: &[(&AuditEntry, Timestamp)],
) -> Result<Vec<AuditRow>> {
    let last = read_head(tx).await?;
    let signed = head::read_signed(tx).await?;
    let gap = head::head_problem(tx.key(), signed.as_ref(), last.as_ref()).map(|problem| {
        tracing::error!(
            "AUDIT LOG TAMPERED: {problem}; recorded as an {GAP} row (`zt-broker \
             audit verify` reports it)"
        );
        AuditEntry::new(BROKER_ACTOR, GAP, None).detail(problem)
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
pub(in crate::store) fn placeholders(rows: usize, columns: &str) -> String {
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

pub(in crate::store) fn from_row(row: &AnyRow) -> Result<AuditRow> {
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
