//! Grants: `POST /v1/grants/{id}/revoke` ([`crate::domain::revoke`]: who may end it, and its
//! credential taken back at the target) and `POST /v1/grants/{id}/credentials` (the requester
//! gets the grant's credential, minted on first use, while the grant is live; for an `ssh`
//! grant, a certificate of the public key in the body).

use axum::Json;
use axum::extract::State;

use super::extract::{ApiPath, Caller, NullableJson, OptionalJson};
use crate::domain;
use crate::problem::ApiError;
use crate::state::AppState;
use zt_api::{self as api, Comment, Credential, CredentialsRequest};

pub async fn revoke(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<String>,
    OptionalJson(c): OptionalJson<Comment>,
) -> Result<Json<api::Request>, ApiError> {
    let c = super::text::comment(c)?;
    let rec = domain::revoke::revoke(&s.broker, &p, &id, c.comment).await?;
    Ok(Json(rec.request))
}

pub async fn credentials(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<String>,
    NullableJson(req): NullableJson<CredentialsRequest>,
) -> Result<Json<Credential>, ApiError> {
    Ok(Json(domain::credential(&s.broker, &p, &id, &req).await?))
}
