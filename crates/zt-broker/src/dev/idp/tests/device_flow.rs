//! The RFC 8628 device flow end to end (sign-in page, polling, tokens the broker accepts),
//! `slow_down`, denial, expiry and forgetting of device codes, auto-login, and user codes.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::*;

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
