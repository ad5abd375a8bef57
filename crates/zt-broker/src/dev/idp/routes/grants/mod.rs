//! The RFC 8628 device authorization endpoint and the token endpoint, which redeems an
//! approved device code (RFC 8628 §3.4–3.5), rotates a refresh token (RFC 6749 §6), or redeems
//! a web client's authorization code with its PKCE verifier (RFC 6749 §4.1.3, RFC 7636 §4.6).

#[cfg(test)]
mod tests;

use std::time::Instant;

use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{DEVICE_GRANT, Idp, no_store, oauth_error, server_error};
use crate::dev::idp::{
    Decision, DevIdp, DeviceGrant, MAX_PENDING_DEVICE_CODES, SLOW_DOWN_PENALTY, random_token,
    random_user_code,
};

#[derive(Deserialize)]
pub(super) struct DeviceAuthForm {
    client_id: Option<String>,
    scope: Option<String>,
    /// OIDC `login_hint`: with auto-login, the user to sign in as (one of the provider's).
    login_hint: Option<String>,
}

pub(super) async fn device_auth(
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
    // Auto-login signs in as the person's hint when it names a user of this provider, so
    // a second person (an approver) can log in on the same dev broker; else as the default.
    let hint = form
        .login_hint
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty());
    if let (Some(_), Some(h)) = (&idp.cfg.auto_login, hint)
        && idp.user(h).is_none()
    {
        let known: Vec<&str> = idp.cfg.users.iter().map(|u| u.name.as_str()).collect();
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!(
                "login_hint names no user of the development provider (users: {})",
                known.join(", ")
            ),
        );
    }
    let decision = match &idp.cfg.auto_login {
        Some(user) => Decision::Approved(hint.unwrap_or(user).to_string()),
        None => Decision::Pending,
    };
    let auto_approved = matches!(decision, Decision::Approved(_));
    st.user_codes.insert(user_code.clone(), device_code.clone());
    st.devices.insert(
        device_code.clone(),
        DeviceGrant {
            approved_at: super::super::unix_now(),
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
            // Not RFC 8628: tells zt there is nothing for the person to open.
            "auto_approved": auto_approved,
        }))
        .into_response(),
    )
}

#[derive(Deserialize)]
pub(super) struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    device_code: Option<String>,
    refresh_token: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
}

pub(super) async fn token(
    State(idp): Idp,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
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
    if form.grant_type.as_deref() == Some("authorization_code") {
        return super::authorize::redeem(
            &idp,
            client_id,
            form.code.as_deref(),
            form.redirect_uri.as_deref(),
            form.code_verifier.as_deref(),
        );
    }
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
            "only the device_code, refresh_token and authorization_code grants are supported",
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
            let auth_time = grant.approved_at;
            st.remove_device(device_code);
            let Some(user) = idp.user(&user) else {
                return bad("access_denied", "the approving user no longer exists");
            };
            match idp.issue(&mut st, user, client_id, &scope, auth_time) {
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
    match idp.issue(&mut st, user, client_id, &grant.scope, grant.auth_time) {
        Ok(tokens) => no_store(Json(tokens).into_response()),
        Err(e) => server_error(&e),
    }
}
