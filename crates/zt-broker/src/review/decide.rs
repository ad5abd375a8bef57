//! The approve and deny forms (`POST /review/{id}/approve`, `/deny`): the session, its CSRF
//! token and this origin ([`super::csrf::check`]), the comment's form (the API's rule: at most
//! 1,000 characters, newlines allowed, no other control character; CR LF becomes LF), then
//! [`crate::domain::decide`] — the API's own authorization (never the requester, only the
//! approvers the policy names, the policy's `approve` action) and audit rows. Success is a 303
//! back to the request's page (post/redirect/get), which says what happened; a decision that
//! needs a stronger or fresher sign-in offers one ([`super::step_up`]).

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::page::{message, see_other};
use super::view::{error_page, plausible_id};
use super::{ReviewState, Session, csrf};
use crate::domain::decide::{self as domain, Verdict};
use crate::routes::text::{MAX_COMMENT, free_text};

#[derive(Deserialize)]
pub(crate) struct DecisionForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    comment: Option<String>,
}

pub(crate) async fn approve(
    State(review): State<ReviewState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    decide(review, session, headers, id, form, Verdict::Approve).await
}

pub(crate) async fn deny(
    State(review): State<ReviewState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    decide(review, session, headers, id, form, Verdict::Deny).await
}

async fn decide(
    review: ReviewState,
    session: Session,
    headers: HeaderMap,
    id: String,
    form: Result<Form<DecisionForm>, FormRejection>,
    verdict: Verdict,
) -> Response {
    let form = match form {
        Ok(Form(f)) => f,
        Err(_) => DecisionForm {
            csrf: None,
            comment: None,
        },
    };
    if let Err(refused) = csrf::check(&review, &headers, &session, form.csrf.as_deref()) {
        return *refused;
    }
    if !plausible_id(&id) {
        return message(
            StatusCode::NOT_FOUND,
            "No such request",
            "There is no request with this id.",
            Some(&session),
            Some("/review"),
        );
    }
    let back = format!("/review/{id}");
    let comment = form.comment.filter(|c| !c.trim().is_empty());
    let comment = match free_text("comment", comment, MAX_COMMENT) {
        Ok(c) => c,
        Err(e) => {
            return message(
                StatusCode::BAD_REQUEST,
                "Comment refused",
                &format!(
                    "{}. Nothing was changed.",
                    e.detail
                        .as_deref()
                        .unwrap_or("the comment is not acceptable")
                ),
                Some(&session),
                Some(&back),
            );
        }
    };
    match domain::decide(&review.broker, &session.principal, &id, comment, verdict).await {
        Ok((_, said)) => {
            let done = match verdict {
                Verdict::Approve => said.unwrap_or("counted"),
                Verdict::Deny => "denied",
            };
            see_other(&format!("{back}?done={done}"), &[])
        }
        Err(crate::domain::DomainError::StepUp { missing, .. }) => {
            super::step_up::needed(&session, &id, &missing)
        }
        Err(e) => error_page(e, &session, Some(&back)),
    }
}
