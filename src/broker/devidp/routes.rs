//! The development provider's HTTP endpoints (paths relative to the issuer): discovery, JWKS,
//! the RFC 8628 device authorization and token endpoints, RFC 7009 revocation, and the
//! `/device` sign-in page.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::pages;
use super::{
    Decision, DevIdp, DeviceGrant, MAX_PENDING_DEVICE_CODES, SLOW_DOWN_PENALTY,
    normalize_user_code, random_token, random_user_code,
};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

type Idp = State<Arc<DevIdp>>;

pub(super) fn router(idp: Arc<DevIdp>) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/device/auth", post(device_auth))
        .route("/token", post(token))
        .route("/revoke", post(revoke))
        .route("/device", get(device_page).post(device_submit))
        .with_state(idp)
}

async fn discovery(State(idp): Idp) -> Response {
    let base = &idp.base;
    Json(json!({
        "issuer": idp.cfg.issuer,
        "device_authorization_endpoint": format!("{base}/device/auth"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "revocation_endpoint": format!("{base}/revoke"),
        "grant_types_supported": [DEVICE_GRANT, "refresh_token"],
        "response_types_supported": [],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": ["openid", "profile", "email", "groups", "offline_access"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "email", "name", "groups"],
    }))
    .into_response()
}

async fn jwks(State(idp): Idp) -> Response {
    Json(idp.jwks()).into_response()
}

/// An RFC 6749 §5.2 error answer.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    no_store(
        (
            status,
            Json(json!({ "error": error, "error_description": description })),
        )
            .into_response(),
    )
}

fn server_error(description: &str) -> Response {
    oauth_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        description,
    )
}

/// RFC 6749 §5.1: token responses must not be cached.
fn no_store(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}

#[derive(Deserialize)]
struct DeviceAuthForm {
    client_id: Option<String>,
    scope: Option<String>,
}

async fn device_auth(
    State(idp): Idp,
    form: Result<Form<DeviceAuthForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "expected a form body",
        );
    };
    if form.client_id.as_deref() != Some(idp.cfg.client_id.as_str()) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "unknown client_id",
        );
    }
    let scope = form
        .scope
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "openid".to_string());
    let device_code = match random_token(32) {
        Ok(c) => c,
        Err(e) => return server_error(&e),
    };
    let now = Instant::now();
    let mut st = idp.state();
    st.sweep(now, idp.device_ttl);
    if st.devices.len() >= MAX_PENDING_DEVICE_CODES {
        return oauth_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "too many outstanding device codes",
        );
    }
    let user_code = loop {
        match random_user_code() {
            Ok(c) if !st.user_codes.contains_key(&c) => break c,
            Ok(_) => continue,
            Err(e) => return server_error(&e),
        }
    };
    let decision = match &idp.cfg.auto_login {
        Some(user) => Decision::Approved(user.clone()),
        None => Decision::Pending,
    };
    st.user_codes.insert(user_code.clone(), device_code.clone());
    st.devices.insert(
        device_code.clone(),
        DeviceGrant {
            user_code: user_code.clone(),
            client_id: idp.cfg.client_id.clone(),
            scope,
            expires_at: now + idp.device_ttl,
            interval: idp.poll_interval,
            last_poll: None,
            decision,
        },
    );
    drop(st);
    let base = &idp.base;
    no_store(
        Json(json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": format!("{base}/device"),
            "verification_uri_complete": format!("{base}/device?user_code={user_code}"),
            "expires_in": idp.device_ttl.as_secs().max(1),
            "interval": idp.cfg.interval_secs,
        }))
        .into_response(),
    )
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    device_code: Option<String>,
    refresh_token: Option<String>,
}

async fn token(State(idp): Idp, form: Result<Form<TokenForm>, FormRejection>) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "expected a form body",
        );
    };
    let Some(client_id) = form.client_id.as_deref() else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "client_id is required",
        );
    };
    if client_id != idp.cfg.client_id {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "unknown client_id",
        );
    }
    match form.grant_type.as_deref() {
        Some(DEVICE_GRANT) => match form.device_code.as_deref() {
            Some(code) => device_code_grant(&idp, client_id, code),
            None => oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "device_code is required",
            ),
        },
        Some("refresh_token") => match form.refresh_token.as_deref() {
            Some(rt) => refresh_grant(&idp, client_id, rt),
            None => oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "refresh_token is required",
            ),
        },
        Some(_) => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only the device_code and refresh_token grants are supported",
        ),
        None => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "grant_type is required",
        ),
    }
}

/// RFC 8628 §3.4–3.5.
fn device_code_grant(idp: &DevIdp, client_id: &str, device_code: &str) -> Response {
    let bad =
        |error: &str, description: &str| oauth_error(StatusCode::BAD_REQUEST, error, description);
    let now = Instant::now();
    let mut st = idp.state();
    st.sweep(now, idp.device_ttl);
    let Some(grant) = st.devices.get_mut(device_code) else {
        return bad("invalid_grant", "unknown device code");
    };
    if grant.client_id != client_id {
        return bad(
            "invalid_grant",
            "the device code was issued to another client",
        );
    }
    if now >= grant.expires_at {
        return bad("expired_token", "the device code has expired; start again");
    }
    match grant.decision.clone() {
        Decision::Denied => bad("access_denied", "the sign-in was denied"),
        Decision::Pending => {
            let too_soon = grant
                .last_poll
                .is_some_and(|last| now.duration_since(last) < grant.interval);
            grant.last_poll = Some(now);
            if too_soon {
                grant.interval += SLOW_DOWN_PENALTY;
                bad(
                    "slow_down",
                    "polling too often; add 5 seconds to the interval",
                )
            } else {
                bad("authorization_pending", "waiting for the user to approve")
            }
        }
        Decision::Approved(user) => {
            let scope = grant.scope.clone();
            st.remove_device(device_code);
            let Some(user) = idp.user(&user) else {
                return bad("access_denied", "the approving user no longer exists");
            };
            match idp.issue(&mut st, user, client_id, &scope) {
                Ok(tokens) => no_store(Json(tokens).into_response()),
                Err(e) => server_error(&e),
            }
        }
    }
}

/// RFC 6749 §6, with rotation: the old refresh token is spent.
fn refresh_grant(idp: &DevIdp, client_id: &str, refresh_token: &str) -> Response {
    let bad =
        |description: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description);
    let mut st = idp.state();
    st.sweep(Instant::now(), idp.device_ttl);
    let Some(grant) = st.refresh.remove(refresh_token) else {
        return bad("unknown, expired, revoked or already used refresh token");
    };
    if grant.client_id != client_id {
        return bad("the refresh token was issued to another client");
    }
    let Some(user) = idp.user(&grant.user) else {
        return bad("the user no longer exists");
    };
    match idp.issue(&mut st, user, client_id, &grant.scope) {
        Ok(tokens) => no_store(Json(tokens).into_response()),
        Err(e) => server_error(&e),
    }
}

#[derive(Deserialize)]
struct RevokeForm {
    token: Option<String>,
}

/// RFC 7009: always 200, whether or not the token was known. Access tokens are JWTs and
/// cannot be revoked here; they expire.
async fn revoke(State(idp): Idp, form: Result<Form<RevokeForm>, FormRejection>) -> Response {
    if let Ok(Form(RevokeForm { token: Some(t) })) = form {
        idp.state().refresh.remove(&t);
    }
    no_store(StatusCode::OK.into_response())
}

fn html(status: StatusCode, body: String) -> Response {
    let mut resp = (status, Html(body)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    resp
}

async fn device_page(
    State(idp): Idp,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let code = query
        .as_ref()
        .ok()
        .and_then(|Query(q)| q.get("user_code"))
        .map(|c| clip(c))
        .unwrap_or_default();
    html(StatusCode::OK, pages::device_form(&code, &idp.cfg.users))
}

/// Echoed input is escaped, and clipped so a huge parameter is not reflected whole.
fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

#[derive(Deserialize)]
struct DeviceSubmitForm {
    user_code: Option<String>,
    user: Option<String>,
    action: Option<String>,
}

async fn device_submit(
    State(idp): Idp,
    form: Result<Form<DeviceSubmitForm>, FormRejection>,
) -> Response {
    let bad = |title: &str, message: String| {
        html(StatusCode::BAD_REQUEST, pages::result(title, &message))
    };
    let Ok(Form(form)) = form else {
        return bad("Bad request", "The form could not be read.".into());
    };
    let raw = form.user_code.unwrap_or_default();
    let unknown = || {
        bad(
            "Unknown or expired code",
            format!(
                "The code “{}” is unknown or has expired. Run zt login again for a new one.",
                clip(&raw)
            ),
        )
    };
    let Some(code) = normalize_user_code(&raw) else {
        return unknown();
    };
    let now = Instant::now();
    let mut st = idp.state();
    st.sweep(now, idp.device_ttl);
    let Some(device_code) = st.user_codes.get(&code).cloned() else {
        return unknown();
    };
    let Some(grant) = st.devices.get_mut(&device_code) else {
        return unknown();
    };
    if now >= grant.expires_at {
        return unknown();
    }
    if grant.decision != Decision::Pending {
        return bad(
            "Code already used",
            format!("The code {code} has already been approved or denied."),
        );
    }
    match form.action.as_deref() {
        Some("approve") => {
            let name = form.user.unwrap_or_default();
            let Some(user) = idp.user(&name) else {
                return bad(
                    "Unknown user",
                    format!("There is no user “{}”.", clip(&name)),
                );
            };
            grant.decision = Decision::Approved(user.name.clone());
            html(
                StatusCode::OK,
                pages::result(
                    "Signed in",
                    &format!(
                        "You are signed in to zt as {} <{}>. Return to your terminal.",
                        user.name, user.email
                    ),
                ),
            )
        }
        Some("deny") => {
            grant.decision = Decision::Denied;
            html(
                StatusCode::OK,
                pages::result(
                    "Sign-in denied",
                    "The sign-in was denied. Your terminal will say so.",
                ),
            )
        }
        _ => bad("Bad request", "Choose Approve or Deny.".into()),
    }
}
