//! `POST /v1/requests/{id}/approve` and `/deny`: the comment's form, then
//! [`crate::domain::decide`] (who may decide, N approvals, the review window); an approval's
//! answer says in [`api::APPROVAL_HEADER`] whether it counted.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};

use super::extract::{ApiPath, Caller, OptionalJson};
use crate::auth::Principal;
use crate::domain::decide::{self as domain, Verdict};
use crate::problem::ApiError;
use crate::state::AppState;
use zt_api::{self as api, Comment};

async fn decide(
    s: AppState,
    p: Principal,
    id: String,
    comment: Comment,
    verdict: Verdict,
) -> Result<Decided, ApiError> {
    let comment = super::text::comment(comment)?;
    let (rec, said) = domain::decide(&s.broker, &p, &id, comment.comment, verdict).await?;
    Ok(Decided(
        Json(crate::review_link::stamped(&s.broker, rec.request)),
        said,
    ))
}

/// A decision's answer: the request, and for an approval the [`api::APPROVAL_HEADER`] saying
/// whether it counted, was counted before, or approved the request.
#[derive(Debug)]
pub struct Decided(pub Json<api::Request>, pub Option<&'static str>);

impl IntoResponse for Decided {
    fn into_response(self) -> Response {
        let mut resp = self.0.into_response();
        if let Some(said) = self.1 {
            resp.headers_mut()
                .insert(api::APPROVAL_HEADER, HeaderValue::from_static(said));
        }
        resp
    }
}

pub async fn approve(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<String>,
    OptionalJson(c): OptionalJson<Comment>,
) -> Result<Decided, ApiError> {
    decide(s, p, id, c, Verdict::Approve).await
}

pub async fn deny(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<String>,
    OptionalJson(c): OptionalJson<Comment>,
) -> Result<Decided, ApiError> {
    decide(s, p, id, c, Verdict::Deny).await
}
