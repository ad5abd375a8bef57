//! Tests of device authorization and the token endpoint, over HTTP with the shared harness
//! (`idp::tests`): the RFC 8628 device flow end to end (tokens the broker accepts),
//! `slow_down`, expiry and forgetting of device codes, auto-login; the token endpoint's client
//! and grant errors and refresh-token rotation.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::auth::{JwksSource, TrustedIssuer, Verifier};
use crate::dev::idp::tests::{DEVICE_GRANT, claims_of, start, start_auto_login, start_short_lived};
use crate::dev::idp::{DevIdp, DevIdpConfig, normalize_user_code};

// ---- The device flow ----

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
    assert_eq!(r.poll_error_of(&other).await, "authorization_pending");
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(r.poll_error_of(&other).await, "authorization_pending");
}

#[tokio::test]
async fn expired_device_code() {
    let r = start_short_lived(Duration::from_millis(300)).await;
    let auth = r.device_auth().await;
    assert_eq!(auth["expires_in"], json!(1));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(r.poll_error_of(&auth).await, "expired_token");
    r.approval_refused(&auth, "unknown or has expired").await;
}

#[tokio::test]
async fn old_device_codes_are_forgotten() {
    let r = start_short_lived(Duration::from_millis(100)).await;
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
    let r = start_auto_login("bob").await;
    let auth = r.device_auth().await;
    let (status, tokens) = r.poll(auth["device_code"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(r.principal(&tokens).await.sub, "bob");

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
    let r = start_auto_login("alice").await;
    for (hint, who) in [(None, "alice"), (Some("bob"), "bob")] {
        let mut form = vec![("client_id", "zt-cli"), ("scope", "openid offline_access")];
        form.extend(hint.map(|h| ("login_hint", h)));
        let (status, auth) = r.post_json("/device/auth", &form).await;
        assert_eq!(status, StatusCode::OK, "{auth}");
        assert_eq!(auth["auto_approved"], json!(true));
        let (status, tokens) = r.poll(auth["device_code"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        assert_eq!(r.principal(&tokens).await.sub, who);
    }
    let (status, err) = r.device_auth_hinted("mallory").await;
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
    let (_, auth) = r.device_auth_hinted("bob").await;
    assert_eq!(auth["auto_approved"], json!(false));
    assert_eq!(r.poll_error_of(&auth).await, "authorization_pending");
}

// ---- Tokens ----
// The token endpoint's client and grant errors and refresh-token rotation. (Revocation:
// `routes`.)

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
    let p = r.principal(&second).await;
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
