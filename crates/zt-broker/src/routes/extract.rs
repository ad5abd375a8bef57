//! Request extractors whose rejections are problem+json, not axum's plain text: the
//! authenticated [`Caller`], a JSON body ([`ApiJson`]), an optional JSON body
//! ([`OptionalJson`]) and a query string ([`ApiQuery`]).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::body::{Wellformed, check_object};
use crate::auth::Principal;
use crate::problem::ApiError;
use crate::state::AppState;

/// The verified principal behind `Authorization: Bearer <jwt>` (RFC 6750 §2.1).
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(AUTHORIZATION) else {
            return Err(ApiError::unauthenticated(
                "send an access token: Authorization: Bearer <token>",
            ));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthenticated("the Authorization header is not a Bearer token")
            })?;
        state
            .broker
            .verifier
            .verify(token)
            .await
            .map(|mut p| {
                crate::oncall::enrich(&state.broker, &mut p);
                Caller(p)
            })
            .map_err(|e| ApiError::invalid_token(format!("the access token was refused: {}", e.0)))
    }
}

/// A JSON object body that is [`Wellformed`]; anything else is a 400 invalid-request.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Wellformed> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|r| ApiError::invalid(r.body_text()))?;
        check_object(&bytes)?;
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => v.check().map(|()| ApiJson(v)),
            Err(rejection) => Err(ApiError::invalid(rejection.body_text())),
        }
    }
}

/// A JSON object body that may be left out entirely (then `T::default()`), and is
/// [`Wellformed`] when given.
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default + Wellformed> FromRequest<S>
    for OptionalJson<T>
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|r| ApiError::invalid(r.body_text()))?;
        // No body at all; whitespace alone is not JSON (a 400 like any other non-JSON).
        if body.is_empty() {
            return Ok(OptionalJson(T::default()));
        }
        check_object(&body)?;
        let v: T = serde_json::from_slice(&body)
            .map_err(|e| ApiError::invalid(format!("the body is not the expected JSON: {e}")))?;
        v.check().map(|()| OptionalJson(v))
    }
}

/// [`OptionalJson`] that also takes a JSON `null` as no body: what `POST
/// /v1/grants/{id}/credentials` was sent before it had a body (zt posts `null` there).
pub struct NullableJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default + Wellformed> FromRequest<S>
    for NullableJson<T>
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|r| ApiError::invalid(r.body_text()))?;
        if body.trim_ascii() == b"null" {
            return Ok(NullableJson(T::default()));
        }
        let req = Request::new(axum::body::Body::from(body));
        OptionalJson::<T>::from_request(req, state)
            .await
            .map(|OptionalJson(v)| NullableJson(v))
    }
}

/// Query parameters; a malformed query string is a 400 invalid-request.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(rejection) => Err(ApiError::invalid(rejection.body_text())),
        }
    }
}

/// A path parameter; one that does not decode is a 400 invalid-request.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(rejection) => Err(ApiError::invalid(rejection.body_text())),
        }
    }
}
