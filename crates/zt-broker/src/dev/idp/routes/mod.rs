//! The development provider's HTTP endpoints (paths relative to the issuer): discovery, JWKS,
//! the RFC 8628 device authorization and token endpoints, RFC 7009 revocation, and the
//! `/device` sign-in page.
//!
//! This file holds the router, discovery, JWKS, revocation and the OAuth error answers;
//! `grants`: device authorization and the token endpoint (device-code and refresh grants);
//! `signin`: the `/device` page where the person approves or denies; `authorize`: the
//! authorization endpoint of web clients (code flow with PKCE) and its sign-in page.

mod authorize;
mod grants;
mod signin;

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::DevIdp;
pub(super) use authorize::Checked;
use authorize::{authorize_page, authorize_submit};
use grants::{device_auth, token};
use signin::{device_page, device_submit};

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
        .route("/authorize", get(authorize_page).post(authorize_submit))
        .with_state(idp)
}

async fn discovery(State(idp): Idp) -> Response {
    let base = &idp.base;
    Json(json!({
        "issuer": idp.cfg.issuer,
        "device_authorization_endpoint": format!("{base}/device/auth"),
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "revocation_endpoint": format!("{base}/revoke"),
        "grant_types_supported": [DEVICE_GRANT, "refresh_token", "authorization_code"],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": ["openid", "profile", "email", "groups", "offline_access"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "email", "name", "groups", "nonce"],
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

#[cfg(test)]
mod tests {
    //! Discovery, JWKS and revocation over HTTP with the shared harness (`idp::tests`).

    use jsonwebtoken::jwk::JwkSet;
    use reqwest::StatusCode;
    use serde_json::{Value, json};

    use crate::dev::idp::tests::{DEVICE_GRANT, start};

    #[tokio::test]
    async fn discovery_document() {
        let r = start().await;
        let (status, body) = r.get_text("/.well-known/openid-configuration").await;
        assert_eq!(status, StatusCode::OK);
        let doc: Value = serde_json::from_str(&body).unwrap();
        let i = &r.issuer;
        assert_eq!(doc["issuer"], json!(i));
        assert_eq!(
            doc["device_authorization_endpoint"],
            json!(format!("{i}/device/auth"))
        );
        assert_eq!(doc["token_endpoint"], json!(format!("{i}/token")));
        assert_eq!(doc["jwks_uri"], json!(format!("{i}/jwks")));
        assert_eq!(doc["revocation_endpoint"], json!(format!("{i}/revoke")));
        let grants = doc["grant_types_supported"].as_array().unwrap();
        assert!(grants.contains(&json!(DEVICE_GRANT)) && grants.contains(&json!("refresh_token")));
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            json!(["ES256"])
        );
        assert_eq!(
            doc["token_endpoint_auth_methods_supported"],
            json!(["none"])
        );
        assert!(
            doc["scopes_supported"]
                .as_array()
                .unwrap()
                .contains(&json!("openid"))
        );

        let (status, body) = r.get_text("/jwks").await;
        assert_eq!(status, StatusCode::OK);
        let set: JwkSet = serde_json::from_str(&body).unwrap();
        assert_eq!(set, r.idp.jwks());
    }

    #[tokio::test]
    async fn revoked_refresh_token_fails() {
        let r = start().await;
        let tokens = r.login("alice").await;
        let rt = tokens["refresh_token"].as_str().unwrap();
        let (status, _) = r
            .post_form(
                "/revoke",
                &[("token", rt), ("token_type_hint", "refresh_token")],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, body) = r.refresh(rt).await;
        assert_eq!(body["error"], "invalid_grant");
        // Unknown tokens and empty requests: 200 all the same.
        assert_eq!(
            r.post_form("/revoke", &[("token", "whatever")]).await.0,
            StatusCode::OK
        );
        assert_eq!(r.post_form("/revoke", &[]).await.0, StatusCode::OK);
    }
}
