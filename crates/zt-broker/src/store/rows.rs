//! Rows of `requests` to [`Record`]s and back: the column lists and the JSON-in-TEXT columns.

use sqlx::any::AnyRow;

use super::approvals::Given;
use super::requests::Record;
use super::{Result, StoreError, col};
use zt_api::{self as api, Decision, ResourceKind, State, Timestamp};

/// The columns as written.
pub(super) const INSERT_COLUMNS: &str = "id, requester_issuer, requester_sub, requester, idempotency_key, body_sha256, \
     resource, kind, role, ttl_secs, reason, ticket, break_glass, state, decision, context, \
     decided_by, comment, created_at, updated_at, not_before, expires_at, approvals";

/// The columns as read: `break_glass` as 0/1, because sqlx's `Any` rows carry SQLite's
/// BOOLEAN only as an integer (PostgreSQL's casts the same way).
pub(super) const COLUMNS: &str = "id, requester_issuer, requester_sub, requester, idempotency_key, body_sha256, \
     resource, kind, role, ttl_secs, reason, ticket, CAST(break_glass AS INTEGER) AS break_glass, \
     state, decision, context, decided_by, comment, created_at, updated_at, not_before, expires_at, \
     approvals";

pub(super) fn parse_json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

pub(super) fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn parse_kind(s: &str) -> Result<ResourceKind> {
    match s {
        "kubernetes" => Ok(ResourceKind::Kubernetes),
        "aws" => Ok(ResourceKind::Aws),
        "postgres" => Ok(ResourceKind::Postgres),
        other => Err(StoreError::Corrupt(format!("kind {other:?}"))),
    }
}

pub(super) fn from_row(row: &AnyRow) -> Result<Record> {
    let state: String = col(row, "state")?;
    let kind: String = col(row, "kind")?;
    let decision: String = col(row, "decision")?;
    let context: String = col(row, "context")?;
    let approvals: Vec<Given> = parse_json(&col::<String>(row, "approvals")?, "approvals")?;
    let ttl: i64 = col(row, "ttl_secs")?;
    let ts = |name: &str| -> Result<Option<Timestamp>> {
        Ok(col::<Option<i64>>(row, name)?.map(Timestamp))
    };
    Ok(Record {
        request: api::Request {
            id: col(row, "id")?,
            requester: col(row, "requester")?,
            resource: col(row, "resource")?,
            kind: parse_kind(&kind)?,
            role: col(row, "role")?,
            ttl_secs: u64::try_from(ttl).map_err(|_| StoreError::Corrupt("negative ttl".into()))?,
            reason: col(row, "reason")?,
            ticket: col(row, "ticket")?,
            break_glass: col::<i64>(row, "break_glass")? != 0,
            state: State::parse(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("state {state:?}")))?,
            decision: parse_json::<Decision>(&decision, "decision")?,
            decided_by: col(row, "decided_by")?,
            decision_comment: col(row, "comment")?,
            approvals: approvals.iter().map(Given::to_api).collect(),
            created_at: Timestamp(col(row, "created_at")?),
            not_before: ts("not_before")?,
            expires_at: ts("expires_at")?,
        },
        requester_issuer: col(row, "requester_issuer")?,
        requester_sub: col(row, "requester_sub")?,
        idempotency_key: col(row, "idempotency_key")?,
        body_sha256: col(row, "body_sha256")?,
        context: parse_json(&context, "context")?,
        comment: col(row, "comment")?,
        approvals,
    })
}
