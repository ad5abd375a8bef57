//! `POST /v1/requests`: the `Idempotency-Key` header and the body's form (lengths, free text,
//! the TTL's bounds), then [`crate::domain::create`] — 201 for a new request, 200 for a retry.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

use super::extract::{ApiJson, Caller};
use super::text;
use crate::domain::{self, create::Created};
use crate::problem::ApiError;
use crate::review_link::stamped;
use crate::state::AppState;
use zt_api::{self as api, CreateRequest};

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

const MAX_SHORT: usize = 256;
/// The longest TTL the API takes at all (openapi.yaml `TtlSecs`): a larger one does not
/// match the document (400); one within it but over the role's maximum is a 422.
pub const MAX_TTL_SECS: u64 = 365 * 24 * 3600;

pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .ok_or_else(|| ApiError::invalid("the Idempotency-Key header is required"))?
        .to_str()
        .map_err(|_| ApiError::invalid("the Idempotency-Key header must be visible ASCII"))?
        .trim();
    // Printable ASCII, as the document's pattern says (to_str also lets a tab through).
    if !key.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return Err(ApiError::invalid(
            "the Idempotency-Key header must be printable ASCII",
        ));
    }
    if key.is_empty() || key.len() > 255 {
        return Err(ApiError::invalid(
            "the Idempotency-Key header must have 1 to 255 characters",
        ));
    }
    Ok(key.to_owned())
}

/// `ttl_secs` as the document bounds it (1 to [`MAX_TTL_SECS`]).
pub fn check_ttl_form(ttl_secs: u64) -> Result<(), ApiError> {
    if ttl_secs == 0 {
        return Err(ApiError::invalid("ttl_secs must be at least 1"));
    }
    if ttl_secs > MAX_TTL_SECS {
        return Err(ApiError::invalid(format!(
            "ttl_secs must be at most {MAX_TTL_SECS} (a year)"
        )));
    }
    Ok(())
}

pub(super) fn check_lengths(body: &CreateRequest) -> Result<(), ApiError> {
    let too_long = |what: &str, v: &str, max: usize| {
        (v.chars().count() > max)
            .then(|| ApiError::invalid(format!("{what} is longer than {max} characters")))
    };
    let c = &body.context;
    [
        too_long("context.hostname", &c.hostname, MAX_SHORT),
        too_long("context.platform", &c.platform, MAX_SHORT),
        too_long("context.client_version", &c.client_version, MAX_SHORT),
    ]
    .into_iter()
    .flatten()
    .next()
    .map_or(Ok(()), Err)
}

pub async fn create(
    State(s): State<AppState>,
    Caller(p): Caller,
    headers: HeaderMap,
    ApiJson(mut body): ApiJson<CreateRequest>,
) -> Result<(StatusCode, Json<api::Request>), ApiError> {
    let key = idempotency_key(&headers)?;
    // The body's form first (400), whatever the key or the catalog would say about it.
    check_ttl_form(body.ttl_secs)?;
    check_lengths(&body)?;
    // Before the domain hashes the body: a retry with CR LF and one with LF are the same
    // request.
    body.reason = text::free_text("reason", body.reason.take(), text::MAX_REASON)?;
    body.ticket = text::free_text("ticket", body.ticket.take(), text::MAX_TICKET)?;
    match domain::create::create(&s.broker, &p, &key, &body).await? {
        Created::New(rec) => Ok((StatusCode::CREATED, Json(stamped(&s.broker, rec.request)))),
        Created::Replay(rec) => Ok((StatusCode::OK, Json(stamped(&s.broker, rec.request)))),
    }
}
