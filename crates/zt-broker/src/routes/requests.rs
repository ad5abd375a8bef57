//! Reading requests: `GET /v1/requests/{id}` (optionally a long-poll that returns as soon as
//! the state changes), `GET /v1/requests` (mine, or the approver inbox), and the requester's
//! `DELETE /v1/requests/{id}` (withdraw): the query's form here, what the caller sees in
//! [`crate::domain::requests`].

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use super::extract::{ApiPath, ApiQuery, Caller, OptionalJson};
use crate::domain;
use crate::problem::ApiError;
use crate::review_link;
use crate::state::AppState;
use zt_api::{self as api, Comment};

/// The longest a long-poll waits, whatever `wait` asks for.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Deserialize)]
pub struct GetQuery {
    /// Block up to this long (`30s`, `2m`, or seconds) while the request is in `state`.
    wait: Option<String>,
    /// The state to wait out (default `pending`).
    state: Option<String>,
}

/// `30`, `30s`, `1m` — exactly openapi.yaml's `^[0-9]{1,9}[sm]?$`: at most [`MAX_WAIT`].
pub fn parse_wait(s: &str) -> Result<Duration, ApiError> {
    let (digits, unit) = match s.strip_suffix('m') {
        Some(d) => (d, 60),
        None => (s.strip_suffix('s').unwrap_or(s), 1),
    };
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid(format!(
            "wait={s:?} is not a duration: write whole seconds (30 or 30s) or minutes (1m)"
        )));
    }
    let n: u64 = digits
        .parse()
        .map_err(|e| ApiError::invalid(format!("wait: {e}")))?;
    Ok(Duration::from_secs(n * unit).min(MAX_WAIT))
}

fn parse_state(s: &str) -> Result<api::State, ApiError> {
    api::State::parse(s).ok_or_else(|| ApiError::invalid(format!("{s:?} is not a request state")))
}

pub async fn get(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<GetQuery>,
) -> Result<Json<api::Request>, ApiError> {
    let b = &s.broker;
    // Both checked even when unused: a parameter off the document is a 400 either way.
    let wait = q.wait.as_deref().map(parse_wait).transpose()?;
    let waiting_state = q
        .state
        .as_deref()
        .map(parse_state)
        .transpose()?
        .unwrap_or(api::State::Pending);
    let rec = match wait {
        Some(wait) => domain::requests::wait_out(b, &p, &id, waiting_state, wait).await?,
        None => domain::visible(b, &id, &p).await?,
    };
    Ok(Json(review_link::stamped(b, rec.request)))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Comma-separated states to include.
    state: Option<String>,
    /// `me`: the pending requests the caller may approve (never their own).
    approver: Option<String>,
    /// `me` (the default): the caller's own requests.
    requester: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<api::RequestList>, ApiError> {
    let b = &s.broker;
    let states = match q.state.as_deref() {
        Some(list) => list
            .split(',')
            .map(parse_state)
            .collect::<Result<Vec<_>, _>>()?,
        None => vec![],
    };
    for (name, v) in [("approver", &q.approver), ("requester", &q.requester)] {
        if v.as_deref().is_some_and(|v| v != "me") {
            return Err(ApiError::invalid(format!("{name}= takes only `me`")));
        }
    }
    let records = match (&q.approver, &q.requester) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "give approver=me or requester=me, not both",
            ));
        }
        (Some(_), None) => domain::requests::inbox(b, &p, states).await?,
        (None, _) => domain::requests::mine(b, &p, &states).await?,
    };
    Ok(Json(api::RequestList {
        requests: records
            .into_iter()
            .map(|r| review_link::stamped(b, r.request))
            .collect(),
    }))
}

/// Withdraw: the requester takes back a pending request.
pub async fn withdraw(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<String>,
    OptionalJson(c): OptionalJson<Comment>,
) -> Result<Json<api::Request>, ApiError> {
    let c = super::text::comment(c)?;
    let rec = domain::revoke::withdraw(&s.broker, &p, &id, c.comment).await?;
    Ok(Json(review_link::stamped(&s.broker, rec.request)))
}
