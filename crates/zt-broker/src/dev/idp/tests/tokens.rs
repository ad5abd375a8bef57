//! The token endpoint's client and grant errors, refresh-token rotation, RFC 7009 revocation,
//! and access tokens minted directly.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;

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
