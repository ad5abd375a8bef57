//! What a client or a browser fetches: the discovery document, the JWKS, and the `/device`
//! sign-in page (its form, its headers, and escaping of echoed input).

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;

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
