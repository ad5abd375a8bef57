//! Tests of the development provider. Most are driven over real HTTP: the router is served on
//! 127.0.0.1:0 under `/oidc`, as `zt-broker dev` mounts it, and spoken to with reqwest (the
//! harness: `Running` — start, post, poll, sign in). They need the provider's internals (its
//! device-code table, user codes, key id), so they stay unit tests. By subject:
//!
//! - the RFC 8628 device flow end to end, polling, denial, expiry, auto-login, user codes;
//! - the token endpoint's errors, refresh-token rotation, revocation, minting;
//! - discovery, JWKS and the `/device` sign-in page;
//! - configuration checks, demo users, the signing key persisted across restarts.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

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

// ---- The device flow ----
// The RFC 8628 device flow end to end (sign-in page, polling, tokens the broker accepts),
// `slow_down`, denial, expiry and forgetting of device codes, auto-login, and user codes.

#[tokio::test]
async fn full_device_flow() {
    let r = start().await;
    let auth = r.device_auth().await;
    let device_code = auth["device_code"].as_str().unwrap();
    let user_code = auth["user_code"].as_str().unwrap();
    assert_eq!(URL_SAFE_NO_PAD.decode(device_code).unwrap().len(), 32);
    assert_eq!(normalize_user_code(user_code).as_deref(), Some(user_code));
    assert_eq!(
        auth["verification_uri"],
        json!(format!("{}/device", r.issuer))
    );
    assert_eq!(
        auth["verification_uri_complete"],
        json!(format!("{}/device?user_code={user_code}", r.issuer))
    );
    assert_eq!(auth["expires_in"], json!(600));
    assert_eq!(auth["interval"], json!(1));

    assert_eq!(r.poll_error(device_code).await, "authorization_pending");

    // The person opens verification_uri_complete: the code is prefilled.
    let (status, page) = r.get_text(&format!("/device?user_code={user_code}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("value=\"{user_code}\"")), "{page}");
    // Typed in lower case without the dash: still found.
    let typed = user_code.replace('-', "").to_lowercase();
    let (status, page) = r.submit(&typed, "alice", "approve").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("alice"), "{page}");

    tokio::time::sleep(Duration::from_millis(250)).await;
    let (status, tokens) = r.poll(device_code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], json!(900));
    assert_eq!(tokens["scope"], "openid offline_access");
    assert!(tokens["refresh_token"].as_str().unwrap().len() >= 43);

    let access = tokens["access_token"].as_str().unwrap();
    let p = r.verifier().verify(access).await.unwrap();
    assert_eq!(p.sub, "alice");
    assert_eq!(p.issuer, r.issuer);
    assert_eq!(p.email.as_deref(), Some("alice@example.com"));
    assert_eq!(p.groups, vec!["engineering"]);

    // The production path (discovery over HTTP) accepts it the same way.
    let discovering = Verifier::new(
        vec![TrustedIssuer::new(
            &r.issuer,
            "zt-broker",
            JwksSource::Discover,
        )],
        reqwest::Client::new(),
    );
    assert_eq!(discovering.verify(access).await.unwrap(), p);

    let (header, c) = claims_of(access);
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    assert_eq!(
        header.kid.as_deref(),
        r.idp.jwks().keys[0].common.key_id.as_deref()
    );
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    for claim in [
        "iss", "sub", "aud", "exp", "iat", "nbf", "jti", "email", "name", "groups",
    ] {
        assert!(c.get(claim).is_some(), "missing {claim}: {c}");
    }
    assert_eq!(c["aud"], "zt-broker");
    assert_eq!(c["client_id"], "zt-cli");
    assert_eq!(c["scope"], "openid offline_access");

    // The ID token is for the client, not the broker: it does not pass as an access token.
    let id = tokens["id_token"].as_str().unwrap();
    let (_, idc) = claims_of(id);
    assert_eq!(idc["aud"], "zt-cli");
    assert_eq!(idc["sub"], "alice");
    assert!(r.verifier().verify(id).await.is_err());

    // A device code is good for one exchange.
    assert_eq!(r.poll_error(device_code).await, "invalid_grant");
}

#[tokio::test]
async fn polling_too_fast_gets_slow_down() {
    let r = start().await;
    let auth = r.device_auth().await;
    let code = auth["device_code"].as_str().unwrap();
    assert_eq!(r.poll_error(code).await, "authorization_pending");
    assert_eq!(r.poll_error(code).await, "slow_down");
    // Still too fast (and the interval grew by 5 s).
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(r.poll_error(code).await, "slow_down");
    // Another device code has its own clock.
    let other = r.device_auth().await;
    assert_eq!(
        r.poll_error(other["device_code"].as_str().unwrap()).await,
        "authorization_pending"
    );
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        r.poll_error(other["device_code"].as_str().unwrap()).await,
        "authorization_pending"
    );
}

#[tokio::test]
async fn denied_sign_in() {
    let r = start().await;
    let auth = r.device_auth().await;
    let (status, page) = r
        .submit(auth["user_code"].as_str().unwrap(), "alice", "deny")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("denied"), "{page}");
    assert_eq!(
        r.poll_error(auth["device_code"].as_str().unwrap()).await,
        "access_denied"
    );
    // The code cannot be approved afterwards.
    let (status, page) = r
        .submit(auth["user_code"].as_str().unwrap(), "alice", "approve")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("already"), "{page}");
}

#[tokio::test]
async fn expired_device_code() {
    let r = start_with(
        |_| {},
        Duration::from_millis(300),
        Duration::from_millis(50),
    )
    .await;
    let auth = r.device_auth().await;
    assert_eq!(auth["expires_in"], json!(1));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        r.poll_error(auth["device_code"].as_str().unwrap()).await,
        "expired_token"
    );
    let (status, page) = r
        .submit(auth["user_code"].as_str().unwrap(), "alice", "approve")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("unknown or has expired"), "{page}");
}

#[tokio::test]
async fn old_device_codes_are_forgotten() {
    let r = start_with(
        |_| {},
        Duration::from_millis(100),
        Duration::from_millis(50),
    )
    .await;
    r.device_auth().await;
    r.device_auth().await;
    assert_eq!(r.idp.state().devices.len(), 2);
    tokio::time::sleep(Duration::from_millis(250)).await;
    r.device_auth().await;
    let st = r.idp.state();
    assert_eq!(st.devices.len(), 1);
    assert_eq!(st.user_codes.len(), 1);
}

#[tokio::test]
async fn auto_login_approves_at_once() {
    let r = start_with(
        |c| c.auto_login = Some("bob".into()),
        DEVICE_CODE_TTL,
        Duration::from_millis(200),
    )
    .await;
    let auth = r.device_auth().await;
    let (status, tokens) = r.poll(auth["device_code"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let p = r
        .verifier()
        .verify(tokens["access_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(p.sub, "bob");

    let err = DevIdp::new(DevIdpConfig {
        auto_login: Some("mallory".into()),
        ..DevIdpConfig::default()
    })
    .err()
    .unwrap();
    assert!(err.contains("mallory"), "{err}");
}

/// `login_hint` picks the auto-login user (only one the provider knows), and the answer
/// says there is nothing for the person to open.
#[tokio::test]
async fn auto_login_honours_the_login_hint() {
    let r = start_with(
        |c| c.auto_login = Some("alice".into()),
        DEVICE_CODE_TTL,
        Duration::from_millis(200),
    )
    .await;
    for (hint, who) in [(None, "alice"), (Some("bob"), "bob")] {
        let mut form = vec![("client_id", "zt-cli"), ("scope", "openid offline_access")];
        form.extend(hint.map(|h| ("login_hint", h)));
        let (status, auth) = r.post_json("/device/auth", &form).await;
        assert_eq!(status, StatusCode::OK, "{auth}");
        assert_eq!(auth["auto_approved"], json!(true));
        let (status, tokens) = r.poll(auth["device_code"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        let p = r
            .verifier()
            .verify(tokens["access_token"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(p.sub, who);
    }
    let (status, err) = r
        .post_json(
            "/device/auth",
            &[("client_id", "zt-cli"), ("login_hint", "mallory")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"], "invalid_request");
    assert!(
        err["error_description"]
            .as_str()
            .unwrap()
            .contains("alice, bob")
    );

    // Without auto-login a hint changes nothing: the person still confirms.
    let r = start().await;
    let (_, auth) = r
        .post_json(
            "/device/auth",
            &[("client_id", "zt-cli"), ("login_hint", "bob")],
        )
        .await;
    assert_eq!(auth["auto_approved"], json!(false));
    assert_eq!(
        r.poll_error(auth["device_code"].as_str().unwrap()).await,
        "authorization_pending"
    );
}

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

// ---- Tokens ----
// The token endpoint's client and grant errors, refresh-token rotation, RFC 7009 revocation,
// and access tokens minted directly.

#[tokio::test]
async fn client_and_grant_errors() {
    let r = start().await;
    let (status, body) = r
        .post_json(
            "/device/auth",
            &[("client_id", "evil"), ("scope", "openid")],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_client"))
    );
    let (_, body) = r.post_json("/device/auth", &[("scope", "openid")]).await;
    assert_eq!(body["error"], "invalid_client");

    let auth = r.device_auth().await;
    let code = auth["device_code"].as_str().unwrap();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("grant_type", DEVICE_GRANT),
                ("client_id", "evil"),
                ("device_code", code),
            ],
            "invalid_client",
        ),
        (
            vec![("grant_type", DEVICE_GRANT), ("device_code", code)],
            "invalid_client",
        ),
        (
            vec![
                ("grant_type", DEVICE_GRANT),
                ("client_id", "zt-cli"),
                ("device_code", "nope"),
            ],
            "invalid_grant",
        ),
        (
            vec![("grant_type", DEVICE_GRANT), ("client_id", "zt-cli")],
            "invalid_request",
        ),
        (
            vec![("grant_type", "password"), ("client_id", "zt-cli")],
            "unsupported_grant_type",
        ),
        (vec![("client_id", "zt-cli")], "invalid_request"),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("client_id", "zt-cli"),
                ("refresh_token", "nope"),
            ],
            "invalid_grant",
        ),
    ];
    for (form, want) in cases {
        let (status, body) = r.post_json("/token", &form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form:?}");
        assert_eq!(body["error"], want, "{form:?}: {body}");
        assert!(body["error_description"].is_string());
    }
    // Not a form at all.
    let resp = r
        .http
        .post(format!("{}/token", r.issuer))
        .json(&json!({ "grant_type": "refresh_token" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn refresh_rotates_and_the_old_token_dies() {
    let r = start().await;
    let first = r.login("bob").await;
    let rt1 = first["refresh_token"].as_str().unwrap();
    let (status, second) = r.refresh(rt1).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let rt2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(rt1, rt2);
    assert_ne!(first["access_token"], second["access_token"]);
    assert_eq!(second["scope"], "openid offline_access");
    assert!(second["id_token"].is_string());
    let p = r
        .verifier()
        .verify(second["access_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(p.sub, "bob");
    assert_eq!(p.groups, vec!["engineering", "sre-leads", "zt-admins"]);

    let (status, body) = r.refresh(rt1).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, third) = r.refresh(rt2).await;
    assert_eq!(status, StatusCode::OK, "{third}");
    // A refresh token is bound to its client.
    let rt3 = third["refresh_token"].as_str().unwrap();
    let (_, body) = r
        .post_json(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", "other"),
                ("refresh_token", rt3),
            ],
        )
        .await;
    assert_eq!(body["error"], "invalid_client");
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

#[tokio::test]
async fn mint_access_token_directly() {
    let idp = DevIdp::new(DevIdpConfig::default()).unwrap();
    let token = idp.mint_access_token("alice").unwrap();
    let v = Verifier::new(
        vec![TrustedIssuer::new(
            "http://127.0.0.1:8421/oidc",
            "zt-broker",
            JwksSource::Static(idp.jwks()),
        )],
        reqwest::Client::new(),
    );
    let p = v.verify(&token).await.unwrap();
    assert_eq!(
        (p.sub.as_str(), p.groups.as_slice()),
        ("alice", &["engineering".to_string()][..])
    );
    assert!(idp.mint_access_token("mallory").is_err());
}

// ---- Pages ----
// What a client or a browser fetches: the discovery document, the JWKS, and the `/device`
// sign-in page (its form, its headers, and escaping of echoed input).

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
async fn sign_in_page_has_the_form_and_escapes_input() {
    let r = start().await;
    let (status, page) = r.get_text("/device").await;
    assert_eq!(status, StatusCode::OK);
    for needle in [
        "<form method=\"post\"",
        "name=\"user_code\"",
        "name=\"user\"",
        "value=\"alice\"",
        "value=\"bob\"",
        "value=\"approve\"",
        "value=\"deny\"",
        "zt development sign-in",
        "not for production",
    ] {
        assert!(page.contains(needle), "missing {needle}: {page}");
    }

    let evil = "\"><script>alert(1)</script>";
    let resp = r
        .http
        .get(format!("{}/device", r.issuer))
        .query(&[("user_code", evil)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-frame-options"], "DENY");
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = resp.text().await.unwrap();
    assert!(!page.contains("<script>"), "{page}");
    assert!(
        page.contains("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );

    let (status, page) = r.submit(evil, "alice", "approve").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        !page.contains("<script>") && page.contains("&lt;script&gt;"),
        "{page}"
    );
    assert!(page.contains("unknown or has expired"), "{page}");

    let auth = r.device_auth().await;
    let code = auth["user_code"].as_str().unwrap();
    let (status, page) = r.submit(code, "<b>eve</b>", "approve").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        !page.contains("<b>eve") && page.contains("&lt;b&gt;eve"),
        "{page}"
    );
    let (status, _) = r.submit(code, "alice", "maybe").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Still pending after the bad submissions.
    assert_eq!(
        r.poll_error(auth["device_code"].as_str().unwrap()).await,
        "authorization_pending"
    );
}

// ---- Configuration ----
// Building the provider: configuration checks, the demo users, and the signing key persisted
// (mode 0600) and reloaded across restarts.

#[test]
fn demo_users() {
    let users = DevIdp::demo_users();
    let find = |n: &str| users.iter().find(|u| u.name == n).unwrap().groups.clone();
    assert_eq!(find("alice"), vec!["engineering"]);
    assert_eq!(find("bob"), vec!["engineering", "sre-leads", "zt-admins"]);
}

#[tokio::test]
async fn key_is_persisted_and_reloaded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dev-idp.pem");
    let cfg = DevIdpConfig {
        key_path: Some(path.clone()),
        ..DevIdpConfig::default()
    };
    let first = DevIdp::new(cfg.clone()).unwrap();
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let token = first.mint_access_token("alice").unwrap();
    drop(first);

    let second = DevIdp::new(cfg.clone()).unwrap();
    let kid = |idp: &DevIdp| idp.jwks().keys[0].common.key_id.clone();
    assert_eq!(kid(&second), Some(second.key.kid.clone()));
    let v = Verifier::new(
        vec![TrustedIssuer::new(
            &cfg.issuer,
            "zt-broker",
            JwksSource::Static(second.jwks()),
        )],
        reqwest::Client::new(),
    );
    assert!(
        v.verify(&token).await.is_ok(),
        "a token from before the restart still verifies"
    );
    // In memory: a new key each time.
    let a = DevIdp::new(DevIdpConfig::default()).unwrap();
    let b = DevIdp::new(DevIdpConfig::default()).unwrap();
    assert_ne!(kid(&a), kid(&b));
    assert_ne!(kid(&a), kid(&second));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = DevIdp::new(cfg.clone()).err().unwrap();
        assert!(err.contains("chmod 600"), "{err}");
    }
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a key").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&junk, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let err = DevIdp::new(DevIdpConfig {
        key_path: Some(junk),
        ..DevIdpConfig::default()
    })
    .err()
    .unwrap();
    assert!(err.contains("PKCS#8"), "{err}");
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
