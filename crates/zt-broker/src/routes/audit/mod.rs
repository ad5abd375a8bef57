//! `GET /v1/audit`: the audit log for principals allowed `read_audit` — by a policy, or, when
//! no policy speaks to `read_audit`, by membership of the broker's admin groups. Filtered by
//! request, actor, action and time; oldest first, a page at a time with a `seq` cursor.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use super::extract::{ApiQuery, Caller};
use crate::auth::Principal;
use crate::problem::ApiError;
use crate::state::{AppState, Broker};
use crate::store::{AuditFilter, AuditRow};
use zt_api::{self as api, Outcome, Timestamp};

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    request_id: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    /// RFC 3339: rows at or after this time.
    since: Option<String>,
    /// RFC 3339: rows before this time.
    until: Option<String>,
    /// Only rows after this `seq` (the `next` of the previous page).
    after: Option<i64>,
    /// Rows per page: 1 to 1000, default 100.
    limit: Option<i64>,
}

/// A policy's word first; without one, the admin groups.
fn authorize(b: &Broker, p: &Principal) -> Result<(), ApiError> {
    match b.policy.read_audit(p) {
        Some(d) if d.outcome == Outcome::Deny => Err(ApiError::forbidden(format!(
            "{} (policy {})",
            d.reason,
            d.policy_ids.join(", ")
        ))),
        Some(_) => Ok(()),
        None if b.is_admin(p) => Ok(()),
        None => Err(ApiError::forbidden(match b.admin_groups.as_slice() {
            [] => "no policy lets you read the audit log".to_string(),
            groups => format!(
                "reading the audit log needs a read_audit policy or membership of {}",
                groups.join(" or ")
            ),
        })),
    }
}

fn time(name: &str, v: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    v.map(|s| {
        rfc3339::parse(s).map(Timestamp).ok_or_else(|| {
            ApiError::invalid(format!(
                "{name}={s:?} is not an RFC 3339 time (write 2026-11-23T18:00:00Z)"
            ))
        })
    })
    .transpose()
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

pub fn record(r: AuditRow) -> api::AuditRecord {
    api::AuditRecord {
        seq: r.seq,
        at: r.at,
        actor: r.entry.actor,
        action: r.entry.action,
        request_id: r.entry.request_id,
        decision: r.entry.decision,
        policy_ids: r.entry.policy_ids,
        detail: r.entry.detail,
        prev_sha256: r.prev_sha256,
        sha256: r.sha256,
    }
}

pub async fn list(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<api::AuditPage>, ApiError> {
    let b = &s.broker;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(format!(
            "limit={limit} is out of range (1 to {MAX_LIMIT})"
        )));
    }
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::invalid("after= is a seq, 0 or more"));
    }
    let filter = AuditFilter {
        request_id: non_empty(q.request_id),
        actor: non_empty(q.actor),
        action: non_empty(q.action),
        since: time("since", q.since.as_deref())?,
        until: time("until", q.until.as_deref())?,
        after,
    };
    // After the parameters: one off the document is a 400 whoever asks.
    authorize(b, &p)?;
    // One row more than asked says whether there is a next page.
    let mut rows = b.store.audit_query(&filter, limit + 1).await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.seq)
    } else {
        None
    };
    Ok(Json(api::AuditPage {
        rows: rows.into_iter().map(record).collect(),
        next,
    }))
}

mod rfc3339;
