//! `POST /v1/grants/{id}/extend`: the body's form (the TTL's bounds, the reason's text), then
//! [`crate::domain::extend`] (the requester, policy's `extend`, the grant's whole length).

use axum::Json;
use axum::extract::State;

use super::extract::{ApiJson, ApiPath, Caller};
use super::text;
use crate::domain;
use crate::problem::ApiError;
use crate::state::AppState;
use zt_api::{self as api, ExtendRequest};

pub async fn extend(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(mut body): ApiJson<ExtendRequest>,
) -> Result<Json<api::Request>, ApiError> {
    // The body's form first (400), before what the grant's state would say; its `reason`
    // was checked on the way in (`ApiJson`, `body::Wellformed`).
    super::create::check_ttl_form(body.ttl_secs)?;
    // Stored with CR LF as LF.
    body.reason = text::free_text("reason", body.reason.take(), text::MAX_REASON)?;
    let rec = domain::extend::extend(&s.broker, &p, &id, body.ttl_secs, body.reason).await?;
    Ok(Json(crate::review_link::stamped(&s.broker, rec.request)))
}
