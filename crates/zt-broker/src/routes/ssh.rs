//! What SSH hosts fetch, without authentication and without a secret: `GET /v1/ssh/ca` (the
//! broker's user CA in `TrustedUserCAKeys` form, cacheable) and `GET /v1/ssh/krl` (the OpenSSH
//! KRL of certificates whose grant ended early, for `RevokedKeys`; fetched afresh). Both are
//! 404 on a broker without an SSH CA.

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

use crate::domain::DomainError;
use crate::issuers::ssh;
use crate::problem::ApiError;
use crate::state::AppState;
use zt_api::Timestamp;

fn no_ca() -> ApiError {
    ApiError::not_found("this broker has no SSH CA (no ssh resources are configured)")
}

pub async fn ca(State(s): State<AppState>) -> Result<Response, ApiError> {
    let ca = s.broker.ssh_ca().ok_or_else(no_ca)?;
    Ok((
        [
            (CONTENT_TYPE, "text/plain; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        format!("{}\n", ca.public_line()),
    )
        .into_response())
}

pub async fn krl(State(s): State<AppState>) -> Result<Response, ApiError> {
    let ca = s.broker.ssh_ca().ok_or_else(no_ca)?;
    let bytes = ssh::current_krl(&s.broker.store, ca, Timestamp::now())
        .await
        .map_err(|e| ApiError::from(DomainError::from(e)))?;
    Ok((
        [
            (CONTENT_TYPE, "application/octet-stream"),
            (CACHE_CONTROL, "no-cache"),
        ],
        bytes,
    )
        .into_response())
}
