//! Tests of the development provider, driven over real HTTP: the router is served on
//! 127.0.0.1:0 under `/oidc`, as `zt-broker dev` mounts it, and spoken to with reqwest.
//! This file holds the harness (`Running`: start, post, poll, sign in); the tests are split by
//! subject:
//!
//! - `device_flow`: the RFC 8628 device flow end to end, polling, denial, expiry, auto-login,
//!   user codes.
//! - `tokens`: the token endpoint's errors, refresh-token rotation, revocation, minting.
//! - `pages`: discovery, JWKS and the `/device` sign-in page.
//! - `config`: configuration checks, demo users, the signing key persisted across restarts.

mod config;
mod device_flow;
mod pages;
mod tokens;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use super::*;
use crate::auth::{JwksSource, TrustedIssuer, Verifier};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

struct Running {
    issuer: String,
    idp: Arc<DevIdp>,
    http: reqwest::Client,
}

async fn start_with(
    tweak: impl FnOnce(&mut DevIdpConfig),
    device_ttl: Duration,
    poll_interval: Duration,
) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}/oidc", listener.local_addr().unwrap());
    let mut cfg = DevIdpConfig {
        issuer: issuer.clone(),
        ..DevIdpConfig::default()
    };
    tweak(&mut cfg);
    let idp = DevIdp::build(cfg, device_ttl, poll_interval).unwrap();
    let app = axum::Router::new().nest("/oidc", idp.clone().router());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Running {
        issuer,
        idp,
        http: reqwest::Client::new(),
    }
}

async fn start() -> Running {
    start_with(|_| {}, DEVICE_CODE_TTL, Duration::from_millis(200)).await
}

impl Running {
    async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let resp = self
            .http
            .post(format!("{}{path}", self.issuer))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.text().await.unwrap())
    }

    async fn post_json(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let (status, body) = self.post_form(path, form).await;
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    async fn get_text(&self, path: &str) -> (StatusCode, String) {
        let resp = self
            .http
            .get(format!("{}{path}", self.issuer))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.text().await.unwrap())
    }

    async fn device_auth(&self) -> Value {
        let (status, body) = self
            .post_json(
                "/device/auth",
                &[("client_id", "zt-cli"), ("scope", "openid offline_access")],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn poll(&self, device_code: &str) -> (StatusCode, Value) {
        self.post_json(
            "/token",
            &[
                ("grant_type", DEVICE_GRANT),
                ("client_id", "zt-cli"),
                ("device_code", device_code),
            ],
        )
        .await
    }

    /// Polls and expects an OAuth error.
    async fn poll_error(&self, device_code: &str) -> String {
        let (status, body) = self.poll(device_code).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        body["error"].as_str().unwrap().to_string()
    }

    async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.post_json(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", "zt-cli"),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }

    async fn submit(&self, user_code: &str, user: &str, action: &str) -> (StatusCode, String) {
        self.post_form(
            "/device",
            &[("user_code", user_code), ("user", user), ("action", action)],
        )
        .await
    }

    /// Device flow approved as `user`, until tokens.
    async fn login(&self, user: &str) -> Value {
        let auth = self.device_auth().await;
        let (status, page) = self
            .submit(auth["user_code"].as_str().unwrap(), user, "approve")
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let (status, tokens) = self.poll(auth["device_code"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        tokens
    }

    fn verifier(&self) -> Verifier {
        Verifier::new(
            vec![TrustedIssuer::new(
                &self.issuer,
                "zt-broker",
                JwksSource::Static(self.idp.jwks()),
            )],
            reqwest::Client::new(),
        )
    }
}

fn claims_of(jwt: &str) -> (jsonwebtoken::Header, Value) {
    let data = jsonwebtoken::dangerous::insecure_decode::<Value>(jwt).unwrap();
    (data.header, data.claims)
}
