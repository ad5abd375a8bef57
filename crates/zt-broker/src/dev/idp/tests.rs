//! The development provider's test harness, shared by its submodules' tests, and the tests of
//! this file's own parts: user codes, demo users, configuration checks, minting.
//!
//! Most of the provider's tests are driven over real HTTP: the router is served on
//! 127.0.0.1:0 under `/oidc`, as `zt-broker dev` mounts it, and spoken to with reqwest (the
//! harness: `Running` — start, post, poll, sign in). They need the provider's internals (its
//! device-code table, user codes, key id), so they stay unit tests. By subject:
//!
//! - `routes::grants`: the RFC 8628 device flow end to end, polling, expiry, auto-login, and
//!   the token endpoint's errors and refresh-token rotation;
//! - `routes::signin`: the `/device` sign-in page, approval and denial;
//! - `routes`: discovery, JWKS and revocation;
//! - `keys`: the signing key persisted across restarts;
//! - here: user codes, demo users, configuration checks, access tokens minted directly.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use super::codes::USER_CODE_ALPHABET;
use super::*;
use crate::auth::{JwksSource, Principal, TrustedIssuer, Verifier};

pub(super) const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

pub(super) struct Running {
    pub(super) issuer: String,
    pub(super) idp: Arc<DevIdp>,
    pub(super) http: reqwest::Client,
}

pub(super) async fn start_with(
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

pub(super) async fn start() -> Running {
    start_with(|_| {}, DEVICE_CODE_TTL, Duration::from_millis(200)).await
}

/// Device codes that live `device_ttl`, polled every 50 ms.
pub(super) async fn start_short_lived(device_ttl: Duration) -> Running {
    start_with(|_| {}, device_ttl, Duration::from_millis(50)).await
}

/// Every device code approved at once as `user`.
pub(super) async fn start_auto_login(user: &str) -> Running {
    start_with(
        |c| c.auto_login = Some(user.into()),
        DEVICE_CODE_TTL,
        Duration::from_millis(200),
    )
    .await
}

impl Running {
    pub(super) async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String) {
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

    pub(super) async fn post_json(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let (status, body) = self.post_form(path, form).await;
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    pub(super) async fn get_text(&self, path: &str) -> (StatusCode, String) {
        let resp = self
            .http
            .get(format!("{}{path}", self.issuer))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.text().await.unwrap())
    }

    pub(super) async fn device_auth(&self) -> Value {
        let (status, body) = self
            .post_json(
                "/device/auth",
                &[("client_id", "zt-cli"), ("scope", "openid offline_access")],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Device authorization for `zt-cli` with a `login_hint` (and no scope).
    pub(super) async fn device_auth_hinted(&self, hint: &str) -> (StatusCode, Value) {
        self.post_json(
            "/device/auth",
            &[("client_id", "zt-cli"), ("login_hint", hint)],
        )
        .await
    }

    pub(super) async fn poll(&self, device_code: &str) -> (StatusCode, Value) {
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
    pub(super) async fn poll_error(&self, device_code: &str) -> String {
        let (status, body) = self.poll(device_code).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        body["error"].as_str().unwrap().to_string()
    }

    /// [`Running::poll_error`] with the device code of a device authorization answer.
    pub(super) async fn poll_error_of(&self, auth: &Value) -> String {
        self.poll_error(auth["device_code"].as_str().unwrap()).await
    }

    pub(super) async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
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

    pub(super) async fn submit(
        &self,
        user_code: &str,
        user: &str,
        action: &str,
    ) -> (StatusCode, String) {
        self.post_form(
            "/device",
            &[("user_code", user_code), ("user", user), ("action", action)],
        )
        .await
    }

    /// Approving the user code of `auth` as alice is refused with a page saying `why`.
    pub(super) async fn approval_refused(&self, auth: &Value, why: &str) {
        let (status, page) = self
            .submit(auth["user_code"].as_str().unwrap(), "alice", "approve")
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains(why), "{page}");
    }

    /// Device flow approved as `user`, until tokens.
    pub(super) async fn login(&self, user: &str) -> Value {
        let auth = self.device_auth().await;
        let (status, page) = self
            .submit(auth["user_code"].as_str().unwrap(), user, "approve")
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let (status, tokens) = self.poll(auth["device_code"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        tokens
    }

    pub(super) fn verifier(&self) -> Verifier {
        static_verifier(&self.issuer, self.idp.jwks())
    }

    /// Who the access token of a token response says the caller is (it must verify).
    pub(super) async fn principal(&self, tokens: &Value) -> Principal {
        self.verifier()
            .verify(tokens["access_token"].as_str().unwrap())
            .await
            .unwrap()
    }
}

/// The broker's verifier trusting `issuer` with the given keys.
pub(super) fn static_verifier(issuer: &str, jwks: JwkSet) -> Verifier {
    Verifier::new(
        vec![TrustedIssuer::new(
            issuer,
            "zt-broker",
            JwksSource::Static(jwks),
        )],
        reqwest::Client::new(),
    )
}

pub(super) fn claims_of(jwt: &str) -> (jsonwebtoken::Header, Value) {
    let data = jsonwebtoken::dangerous::insecure_decode::<Value>(jwt).unwrap();
    (data.header, data.claims)
}

// ---- User codes ----

#[test]
fn user_codes() {
    for _ in 0..200 {
        let c = random_user_code().unwrap();
        assert_eq!(c.len(), 9);
        assert_eq!(&c[4..5], "-");
        assert!(
            c.bytes()
                .filter(|&b| b != b'-')
                .all(|b| USER_CODE_ALPHABET.contains(&b))
        );
        assert_eq!(normalize_user_code(&c).as_deref(), Some(c.as_str()));
    }
    assert_eq!(
        normalize_user_code(" bcdf-ghjk ").as_deref(),
        Some("BCDF-GHJK")
    );
    assert_eq!(
        normalize_user_code("bcdfghjk").as_deref(),
        Some("BCDF-GHJK")
    );
    for bad in [
        "",
        "BCDF-GHJ",
        "BCDF-GHJKL",
        "ABCD-EFGH",
        "BCDF-GHJ1",
        "ßCDF-GHJK",
    ] {
        assert_eq!(normalize_user_code(bad), None, "{bad}");
    }
}

// ---- Configuration ----
// Building the provider: configuration checks and the demo users; access tokens minted
// directly. (The signing key persisted across restarts: `keys`.)

#[test]
fn demo_users() {
    let users = DevIdp::demo_users();
    let find = |n: &str| users.iter().find(|u| u.name == n).unwrap().groups.clone();
    assert_eq!(find("alice"), vec!["engineering"]);
    assert_eq!(find("bob"), vec!["engineering", "sre-leads", "zt-admins"]);
}

#[test]
fn config_is_checked() {
    let bad = |cfg: DevIdpConfig| DevIdp::new(cfg).err().unwrap();
    bad(DevIdpConfig {
        issuer: "127.0.0.1:8421".into(),
        ..DevIdpConfig::default()
    });
    bad(DevIdpConfig {
        users: vec![],
        ..DevIdpConfig::default()
    });
    bad(DevIdpConfig {
        client_id: String::new(),
        ..DevIdpConfig::default()
    });
}

#[tokio::test]
async fn mint_access_token_directly() {
    let idp = DevIdp::new(DevIdpConfig::default()).unwrap();
    let token = idp.mint_access_token("alice").unwrap();
    let v = static_verifier("http://127.0.0.1:8421/oidc", idp.jwks());
    let p = v.verify(&token).await.unwrap();
    assert_eq!(
        (p.sub.as_str(), p.groups.as_slice()),
        ("alice", &["engineering".to_string()][..])
    );
    assert!(idp.mint_access_token("mallory").is_err());
}
