//! The shared SQL that runs inside an open write transaction, on either database, for the
//! store's calls and the grouped inserts: read a request, move it along the state machine —
//! only along its edges, and only from the state the caller saw, enforced by the UPDATE's
//! `WHERE state = ?` — blanking its credential when its grant ends, and insert new requests
//! with their audit rows.

use sqlx::{AnyConnection, AssertSqlSafe};

use super::audit::chain::{append_all_in, placeholders};
use super::conn::WriteConn;
use super::error::{Result, StoreError};
use super::rows::{AuditEntry, COLUMNS, INSERT_COLUMNS, Record, col, from_row, to_json};
use zt_api::{State, Timestamp};

/// What a transition sets besides the state; `None` leaves a column as it is.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub decided_by: Option<String>,
    pub comment: Option<String>,
    /// The grant window `(not_before, expires_at)`.
    pub window: Option<(Timestamp, Timestamp)>,
}

/// The edges of the state machine: pending → approved | denied | cancelled | expired (nobody
/// decided within the review window); approved → active | expired | revoked;
/// active → expired | revoked.
pub fn legal_transition(from: State, to: State) -> bool {
    use State::*;
    matches!(
        (from, to),
        (Pending, Approved | Denied | Cancelled | Expired)
            | (Approved, Active | Expired | Revoked)
            | (Active, Expired | Revoked)
    )
}

pub(super) async fn get_in(conn: &mut AnyConnection, id: &str) -> Result<Record> {
    let sql = format!("SELECT {COLUMNS} FROM requests WHERE id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    match row {
        Some(row) => from_row(&row),
        None => Err(StoreError::NotFound(format!("no request {id}"))),
    }
}

/// Move `id` from `from` to `to` inside an open write transaction, or refuse.
pub(super) async fn transition_in(
    conn: &mut AnyConnection,
    id: &str,
    from: State,
    to: State,
    change: &Change,
    now: Timestamp,
) -> Result<()> {
    if !legal_transition(from, to) {
        return Err(StoreError::Refused {
            id: id.into(),
            actual: None,
            to,
        });
    }
    let (nb, exp) = change
        .window
        .map(|(a, b)| (Some(a.0), Some(b.0)))
        .unwrap_or((None, None));
    let done = sqlx::query(
        "UPDATE requests SET state = $1, updated_at = $2, decided_by = COALESCE($3, decided_by), \
         comment = COALESCE($4, comment), not_before = COALESCE($5, not_before), \
         expires_at = COALESCE($6, expires_at) WHERE id = $7 AND state = $8",
    )
    .bind(to.as_str())
    .bind(now.0)
    .bind(&change.decided_by)
    .bind(&change.comment)
    .bind(nb)
    .bind(exp)
    .bind(id)
    .bind(from.as_str())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        if !to.is_live() {
            // No secret outlives its grant in the store.
            forget_in(conn, id).await?;
        }
        return Ok(());
    }
    let actual = get_in(conn, id).await?.state();
    Err(StoreError::Refused {
        id: id.into(),
        actual: Some(actual),
        to,
    })
}

/// Insert new requests, in order, with their audit rows, inside an open write transaction:
/// one statement for the requests and one for the audit rows, however many. For each,
/// whether it was stored: not (and nothing written for it) when its requester already used
/// its idempotency key, before or earlier in `new`.
pub(super) async fn insert_all_in(
    tx: &mut impl WriteConn,
    new: &[(&Record, &AuditEntry)],
) -> Result<Vec<bool>> {
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "INSERT INTO requests ({INSERT_COLUMNS}) VALUES {} \
         ON CONFLICT (requester_issuer, requester_sub, idempotency_key) DO NOTHING RETURNING id",
        placeholders(new.len(), INSERT_COLUMNS)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for (rec, _) in new {
        let r = &rec.request;
        q = q
            .bind(&r.id)
            .bind(&rec.requester_issuer)
            .bind(&rec.requester_sub)
            .bind(&r.requester)
            .bind(&rec.idempotency_key)
            .bind(&rec.body_sha256)
            .bind(&r.resource)
            .bind(r.kind.to_string())
            .bind(&r.role)
            .bind(
                i64::try_from(r.ttl_secs)
                    .map_err(|_| StoreError::Corrupt("ttl too large".into()))?,
            )
            .bind(&r.reason)
            .bind(&r.ticket)
            .bind(r.break_glass)
            .bind(r.state.as_str())
            .bind(to_json(&r.decision)?)
            .bind(to_json(&rec.context)?)
            .bind(&r.decided_by)
            .bind(&rec.comment)
            .bind(r.created_at.0)
            .bind(r.created_at.0)
            .bind(r.not_before.map(|t| t.0))
            .bind(r.expires_at.map(|t| t.0))
            .bind(to_json(&rec.approvals)?)
            .bind(&r.bundle_id)
            .bind(r.start_at.map(|t| t.0))
            .bind(r.activation.map(|a| a.as_str().to_owned()))
            .bind(rec.claim_secs.map(|s| s as i64))
            .bind(r.claim_by.map(|t| t.0));
    }
    let ids = q.fetch_all(&mut **tx).await?;
    let ids = ids
        .iter()
        .map(|row| col::<String>(row, "id"))
        .collect::<Result<std::collections::HashSet<_>>>()?;
    let stored = |rec: &Record| ids.contains(rec.id());
    let entries: Vec<_> = new
        .iter()
        .filter(|(rec, _)| stored(rec))
        .map(|&(rec, audit)| (audit, rec.request.created_at))
        .collect();
    append_all_in(tx, &entries).await?;
    for (rec, _) in new.iter().filter(|(rec, _)| stored(rec)) {
        tx.notify(rec.id()).await?;
    }
    Ok(new.iter().map(|(rec, _)| stored(rec)).collect())
}

/// Blank the secret of the grant `id`'s credential (its grant just ended), in the transaction
/// that ends it. The row stays until the revoke at the target is done.
pub(super) async fn forget_in(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("UPDATE credentials SET credential = '', token_sha256 = NULL WHERE grant_id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
