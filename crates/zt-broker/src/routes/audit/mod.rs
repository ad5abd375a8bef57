//! `GET /v1/audit`: the audit log for principals allowed `read_audit` — by a policy, or, when
//! no policy speaks to `read_audit`, by membership of the broker's admin groups. Filtered by
//! request, actor, action and time; oldest first, a page at a time with a `seq` cursor. The
//! query's form here; who may read and the page in [`crate::domain::audit`].

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use super::extract::{ApiQuery, Caller};
use crate::domain;
use crate::problem::ApiError;
use crate::state::AppState;
use crate::store::{AuditFilter, AuditRow};
use zt_api::{self as api, Timestamp};

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

fn time(name: &str, v: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    v.map(|s| {
        Timestamp::parse_date_time(s).ok_or_else(|| {
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
    let (rows, next) = domain::audit::page(&s.broker, &p, &filter, limit).await?;
    Ok(Json(api::AuditPage {
        rows: rows.into_iter().map(record).collect(),
        next,
    }))
}
