//! Grants: `POST /v1/grants/{id}/revoke` (the requester or an admin ends it early, and its
//! credential is taken back at the target) and `POST /v1/grants/{id}/credentials` (the
//! requester gets the grant's credential, minted on first use, while the grant is live).

use axum::Json;
use axum::extract::State;

use super::extract::{ApiPath, Caller, OptionalJson};
use crate::api::{self, Comment, Credential};
use crate::broker::lifecycle;
use crate::broker::problem::ApiError;
use crate::broker::state::AppState;

pub async fn revoke(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<String>,
    OptionalJson(c): OptionalJson<Comment>,
) -> Result<Json<api::Request>, ApiError> {
    let b = &s.broker;
    let rec = b.store.get(&id).await?;
    if !rec.is_requester(&p) && !b.is_admin(&p) {
        return Err(ApiError::forbidden(format!(
            "only its requester or a member of {} may revoke grant {id}",
            crate::broker::state::ADMIN_GROUP
        )));
    }
    if !rec.state().is_live() {
        return Err(ApiError::conflict(format!("grant {id} is {}; there is nothing to revoke", rec.state())));
    }
    let detail = match &c.comment {
        Some(comment) => format!("revoked by {}: {comment}", p.display()),
        None => format!("revoked by {}", p.display()),
    };
    let rec = lifecycle::end_grant(b, &rec, api::State::Revoked, p.display(), detail).await?;
    Ok(Json(rec.request))
}

pub async fn credentials(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Credential>, ApiError> {
    let b = &s.broker;
    let rec = b.store.get(&id).await?;
    if !rec.is_requester(&p) {
        return Err(ApiError::forbidden(format!("only its requester may use grant {id}")));
    }
    Ok(Json(lifecycle::credential(b, &id, p.display()).await?))
}
