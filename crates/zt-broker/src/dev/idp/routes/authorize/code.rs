//! The token endpoint's authorization code grant (RFC 6749 §4.1.3) for web clients: the code
//! [`super`] issued, redeemed once, with its redirect URI and the PKCE verifier (RFC 7636 §4.6).

use std::time::Instant;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::dev::idp::DevIdp;
use crate::dev::idp::routes::{no_store, oauth_error, server_error};

/// RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.6): a web client redeems its code, once, with the
/// same redirect URI and the verifier of the challenge it sent. The answer: an access token for
/// the broker and an ID token for the client carrying the request's `nonce`; no refresh token.
pub(in crate::dev::idp::routes) fn redeem(
    idp: &DevIdp,
    client_id: &str,
    code: Option<&str>,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
) -> Response {
    let bad =
        |error: &str, description: &str| oauth_error(StatusCode::BAD_REQUEST, error, description);
    if idp.web_client(client_id).is_none() {
        return bad("invalid_client", "unknown client_id");
    }
    let (Some(code), Some(redirect_uri), Some(verifier)) = (code, redirect_uri, verifier) else {
        return bad(
            "invalid_request",
            "code, redirect_uri and code_verifier are required",
        );
    };
    let mut st = idp.state();
    st.sweep(Instant::now(), idp.device_ttl);
    // Spent whatever follows: a code is tried once.
    let Some(granted) = st.codes.remove(code) else {
        return bad("invalid_grant", "unknown, expired or already used code");
    };
    if granted.client_id != client_id || granted.redirect_uri != redirect_uri {
        return bad(
            "invalid_grant",
            "the code was issued to another client or redirect_uri",
        );
    }
    let verifier_ok = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !verifier_ok
        || crate::review::oidc::challenge_of(verifier).as_bytes()
            != granted.code_challenge.as_bytes()
    {
        return bad(
            "invalid_grant",
            "the code_verifier does not match the code_challenge",
        );
    }
    let Some(user) = idp.user(&granted.user) else {
        return bad("invalid_grant", "the user no longer exists");
    };
    drop(st);
    // The code was made at the sign-in, moments ago.
    let auth_time = super::super::super::unix_now();
    let access_token = match idp.sign_access(user, client_id, &granted.scope, auth_time) {
        Ok(t) => t,
        Err(e) => return server_error(&e),
    };
    let id_token = match idp.sign_id(user, client_id, granted.nonce.as_deref()) {
        Ok(t) => t,
        Err(e) => return server_error(&e),
    };
    no_store(
        Json(json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": idp.cfg.access_ttl.as_secs(),
            "id_token": id_token,
            "scope": granted.scope,
        }))
        .into_response(),
    )
}
