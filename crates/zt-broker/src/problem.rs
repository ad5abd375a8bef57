//! The broker's HTTP error: every failure a handler can return, classified once into an
//! RFC 9457 problem (`application/problem+json`) whose `type` slug comes from
//! [`zt_api::problem`], so the client can map it to an exit code without reading prose.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use zt_api::{Problem, problem};

/// Every problem slug the broker can send ([`zt_api::problem::ALL`]: the client maps the
/// same list). [`ApiError`] refuses to be built with any other.
pub use zt_api::problem::ALL;

/// An error answer. `detail` is for people and never carries a secret.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub slug: &'static str,
    pub title: &'static str,
    pub detail: Option<String>,
    /// For 401: the `WWW-Authenticate` challenge (RFC 6750 §3).
    challenge: Option<std::borrow::Cow<'static, str>>,
}

impl ApiError {
    fn new(
        status: StatusCode,
        slug: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        // Every constructor passes a constant; the unit test below builds each one.
        debug_assert!(ALL.contains(&slug), "problem slug {slug:?} is not in ALL");
        Self {
            status,
            slug,
            title,
            detail: Some(detail.into()),
            challenge: None,
        }
    }

    /// No bearer token (RFC 6750: a bare challenge, no error code).
    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::UNAUTHORIZED,
            problem::UNAUTHENTICATED,
            "Authentication required",
            detail,
        );
        e.challenge = Some("Bearer".into());
        e
    }

    /// A bearer token that did not verify.
    pub fn invalid_token(detail: impl Into<String>) -> Self {
        let mut e = Self::unauthenticated(detail);
        e.challenge = Some("Bearer error=\"invalid_token\"".into());
        e
    }

    /// The token's authentication is too weak or too old for the act (RFC 9470): the
    /// challenge names what to sign in with (`challenge::step_up`).
    pub fn step_up_required(
        missing: &crate::policy::step_up::Missing,
        detail: impl Into<String>,
    ) -> Self {
        let mut e = Self::new(
            StatusCode::UNAUTHORIZED,
            problem::STEP_UP_REQUIRED,
            "Stronger or more recent authentication required",
            detail,
        );
        e.challenge = Some(crate::routes::challenge::step_up(missing).into());
        e
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            problem::FORBIDDEN,
            "Forbidden",
            detail,
        )
    }

    /// Policy said no (or not without an approval); `title` says which.
    pub fn denied(title: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, problem::DENIED, title, detail)
    }

    pub fn self_approval(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            problem::SELF_APPROVAL,
            "You cannot decide your own request",
            detail,
        )
    }

    /// An approval through the API of a request that needs a passkey's.
    pub fn passkey_required(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            problem::PASSKEY_REQUIRED,
            "This approval needs a passkey",
            detail,
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            problem::NOT_FOUND,
            "Not found",
            detail,
        )
    }

    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            problem::INVALID_REQUEST,
            "Invalid request",
            detail,
        )
    }

    pub fn method_not_allowed(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            problem::INVALID_REQUEST,
            "Method not allowed",
            detail,
        )
    }

    pub fn ttl_exceeded(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            problem::TTL_EXCEEDED,
            "TTL longer than policy allows",
            detail,
        )
    }

    pub fn unknown_role(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            problem::UNKNOWN_ROLE,
            "No such role",
            detail,
        )
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, problem::CONFLICT, "Conflict", detail)
    }

    /// A grant approved ahead of its start: no credential yet (409; a retry after the start
    /// succeeds).
    pub fn grant_not_started(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            problem::GRANT_NOT_STARTED,
            "The grant has not started yet",
            detail,
        )
    }

    /// A `start_at` in the past or beyond the broker's horizon (422: well-formed, refused for
    /// what it means).
    pub fn invalid_start(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            problem::INVALID_START,
            "Cannot start then",
            detail,
        )
    }

    pub fn grant_not_live(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::GONE,
            problem::GRANT_NOT_LIVE,
            "The grant is not live",
            detail,
        )
    }

    /// A pending request nobody decided within the review window: over, like an ended grant
    /// (the client's exit 6), so deciding it now is not a conflict to retry.
    pub fn request_expired(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::GONE,
            problem::GRANT_NOT_LIVE,
            "The request expired undecided",
            detail,
        )
    }

    pub fn issuer_failed(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_GATEWAY,
            problem::ISSUER_FAILED,
            "The credential issuer failed",
            detail,
        )
    }

    /// Something broke inside the broker. The cause goes to the log, not to the caller.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {cause}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            problem::INTERNAL,
            "Internal error",
            "the broker failed; its log has the cause",
        )
    }

    pub fn problem(&self) -> Problem {
        Problem {
            type_: format!("{}{}", problem::BASE, self.slug),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, Json(self.problem())).into_response();
        let headers = resp.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        // Every challenge is built of visible ASCII (`challenge::step_up` makes sure).
        if let Some(c) = self.challenge
            && let Ok(v) = HeaderValue::from_str(&c)
        {
            headers.insert(header::WWW_AUTHENTICATE, v);
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each constructor's slug is in [`ALL`], and each slug of [`ALL`] has a constructor: a
    /// slug added to one but not the other fails here (and the contract test checks both
    /// against `openapi.yaml`).
    #[test]
    fn the_constructors_use_exactly_the_listed_slugs() {
        let made = [
            ApiError::unauthenticated("d"),
            ApiError::invalid_token("d"),
            ApiError::forbidden("d"),
            ApiError::denied("t", "d"),
            ApiError::self_approval("d"),
            ApiError::not_found("d"),
            ApiError::invalid("d"),
            ApiError::method_not_allowed("d"),
            ApiError::ttl_exceeded("d"),
            ApiError::conflict("d"),
            ApiError::grant_not_live("d"),
            ApiError::request_expired("d"),
            ApiError::issuer_failed("d"),
            ApiError::internal("d"),
            ApiError::unknown_role("d"),
            ApiError::passkey_required("d"),
            ApiError::step_up_required(&Default::default(), "d"),
            ApiError::grant_not_started("d"),
            ApiError::invalid_start("d"),
        ];
        let mut slugs: Vec<&str> = made.iter().map(|e| e.slug).collect();
        slugs.sort_unstable();
        slugs.dedup();
        let mut all = ALL.to_vec();
        all.sort_unstable();
        assert_eq!(slugs, all);
        for e in &made {
            let p = e.problem();
            assert_eq!(p.type_, format!("{}{}", problem::BASE, e.slug));
            assert_eq!(p.status, e.status.as_u16());
        }
    }
}
