//! `POST /v1/bundles` (several resources in one request, see [`crate::domain::bundle`]): the
//! `Idempotency-Key` header and the body's form as for `POST /v1/requests` — 201 for a new
//! bundle, 200 for a retry — and `GET /v1/bundles/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

use super::create::{check_lengths, check_ttl_form, idempotency_key};
use super::extract::{ApiJson, ApiPath, Caller};
use super::text;
use crate::domain::{self, bundle::Created};
use crate::problem::ApiError;
use crate::review_link::stamped;
use crate::state::{AppState, Broker};
use zt_api::{self as api, CreateBundle, CreateRequest};

/// The bundle with each pending request's review link.
fn stamp(b: &Broker, mut bundle: api::Bundle) -> api::Bundle {
    bundle.requests = bundle.requests.into_iter().map(|r| stamped(b, r)).collect();
    bundle
}

pub async fn create(
    State(s): State<AppState>,
    Caller(p): Caller,
    headers: HeaderMap,
    ApiJson(mut body): ApiJson<CreateBundle>,
) -> Result<(StatusCode, Json<api::Bundle>), ApiError> {
    let key = idempotency_key(&headers)?;
    check_ttl_form(body.ttl_secs)?;
    // The context's lengths as for one request (its other fields are not checked there).
    check_lengths(&CreateRequest {
        resource: String::new(),
        role: None,
        ttl_secs: body.ttl_secs,
        reason: None,
        ticket: None,
        break_glass: false,
        context: body.context.clone(),
        start_at: None,
    })?;
    if body.items.len() > api::MAX_BUNDLE_ITEMS {
        return Err(ApiError::invalid(format!(
            "a bundle has at most {} items",
            api::MAX_BUNDLE_ITEMS
        )));
    }
    body.reason = text::free_text("reason", body.reason.take(), text::MAX_REASON)?;
    body.ticket = text::free_text("ticket", body.ticket.take(), text::MAX_TICKET)?;
    match domain::bundle::create(&s.broker, &p, &key, &body).await? {
        Created::New(b) => Ok((StatusCode::CREATED, Json(stamp(&s.broker, b)))),
        Created::Replay(b) => Ok((StatusCode::OK, Json(stamp(&s.broker, b)))),
    }
}

pub async fn get(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<api::Bundle>, ApiError> {
    let bundle = domain::bundle::get(&s.broker, &p, &id).await?;
    Ok(Json(stamp(&s.broker, bundle)))
}
