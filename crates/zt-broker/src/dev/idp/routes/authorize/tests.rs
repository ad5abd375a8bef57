//! The authorization code flow with PKCE over HTTP with the shared harness (`idp::tests`):
//! the page, the code, the token endpoint's checks, and the ID token the broker's verifier
//! accepts for the review page.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::dev::idp::tests::{Running, start_with};
use crate::dev::idp::{DEVICE_CODE_TTL, WebClient};
use crate::review::oidc::challenge_of;

const CLIENT: &str = "zt-review";
const REDIRECT: &str = "http://localhost:8421/review/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

async fn start(auto_login: Option<&str>) -> Running {
    start_with(
        |c| {
            c.auto_login = auto_login.map(str::to_owned);
            c.web_clients = vec![WebClient {
                client_id: CLIENT.into(),
                redirect_uris: vec![REDIRECT.into()],
            }];
        },
        DEVICE_CODE_TTL,
        Duration::from_millis(200),
    )
    .await
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn params(challenge: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", CLIENT.into()),
        ("redirect_uri", REDIRECT.into()),
        ("scope", "openid email groups".into()),
        ("state", "st-1".into()),
        ("nonce", "n-1".into()),
        ("code_challenge", challenge.into()),
        ("code_challenge_method", "S256".into()),
    ]
}

/// POST the page's form as `user` with `action`: the redirect's query, as pairs.
async fn submit(r: &Running, form: &[(&str, String)]) -> (StatusCode, Vec<(String, String)>) {
    let resp = no_redirects()
        .post(format!("{}/authorize", r.issuer))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let query = resp
        .headers()
        .get("location")
        .map(|l| {
            let url = reqwest::Url::parse(l.to_str().unwrap()).unwrap();
            assert!(url.as_str().starts_with(REDIRECT), "{url}");
            url.query_pairs().into_owned().collect()
        })
        .unwrap_or_default();
    (status, query)
}

fn get<'a>(q: &'a [(String, String)], k: &str) -> Option<&'a str> {
    q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

async fn redeem(r: &Running, code: &str, verifier: &str, redirect: &str) -> (StatusCode, Value) {
    r.post_json(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
        ],
    )
    .await
}

async fn code_for(r: &Running, user: &str) -> String {
    let mut form = params(&challenge_of(VERIFIER));
    form.push(("user", user.into()));
    form.push(("action", "signin".into()));
    let (status, q) = submit(r, &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(get(&q, "state"), Some("st-1"));
    assert_eq!(get(&q, "iss"), Some(r.issuer.as_str()));
    get(&q, "code").unwrap().to_owned()
}

#[tokio::test]
async fn sign_in_on_the_page_then_redeem_the_code_once_with_its_verifier() {
    // Even with --auto-login (for the CLI), a browser sign-in shows the list.
    let r = start(Some("alice")).await;
    let query = params(&challenge_of(VERIFIER));
    let resp = reqwest::Client::new()
        .get(format!("{}/authorize", r.issuer))
        .query(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("form-action 'self' http://localhost:8421"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let page = resp.text().await.unwrap();
    for needle in [
        "<select id=\"user\" name=\"user\">",
        "value=\"alice\"",
        "value=\"bob\"",
        "value=\"signin\">Sign in</button>",
        "name=\"nonce\" value=\"n-1\"",
    ] {
        assert!(page.contains(needle), "missing {needle}: {page}");
    }

    let code = code_for(&r, "bob").await;
    let (status, tokens) = redeem(&r, &code, VERIFIER, REDIRECT).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    // The broker's verifier accepts the ID token for the review page's client.
    let (who, claims) = r
        .verifier()
        .verify_id_token(tokens["id_token"].as_str().unwrap(), &r.issuer, CLIENT)
        .await
        .unwrap();
    assert_eq!(who.sub, "bob");
    assert!(who.groups.contains(&"sre-leads".to_string()), "{who:?}");
    assert_eq!(claims["nonce"], "n-1");
    // …and not for another client, nor an access token as an ID token.
    let e = r
        .verifier()
        .verify_id_token(tokens["id_token"].as_str().unwrap(), &r.issuer, "zt-cli")
        .await
        .unwrap_err();
    assert!(e.0.contains("audience"), "{e}");
    let e = r
        .verifier()
        .verify_id_token(tokens["access_token"].as_str().unwrap(), &r.issuer, CLIENT)
        .await
        .unwrap_err();
    assert!(e.0.contains("not an ID token"), "{e}");

    // Once only.
    let (status, body) = redeem(&r, &code, VERIFIER, REDIRECT).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn a_wrong_verifier_or_redirect_uri_spends_the_code_for_nothing() {
    let r = start(None).await;
    let code = code_for(&r, "bob").await;
    let other = "x".repeat(43);
    let (status, body) = redeem(&r, &code, &other, REDIRECT).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("code_verifier"),
        "{body}"
    );
    // Spent: the right verifier no longer helps.
    let (_, body) = redeem(&r, &code, VERIFIER, REDIRECT).await;
    assert_eq!(body["error"], "invalid_grant");

    let code = code_for(&r, "bob").await;
    let (_, body) = redeem(&r, &code, VERIFIER, "http://localhost:1/review/callback").await;
    assert_eq!(body["error"], "invalid_grant");
    let (_, body) = r
        .post_json(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "zt-cli"),
                ("code", "x"),
            ],
        )
        .await;
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn bad_requests_are_shown_or_sent_back_as_errors() {
    let r = start(None).await;
    let c = no_redirects();
    let url = format!("{}/authorize", r.issuer);
    // No such client, or a redirect URI not registered: a page here, never a redirect.
    for (k, v) in [
        ("client_id", "zt-cli"),
        ("redirect_uri", "https://evil.example/cb"),
    ] {
        let mut q = params(&challenge_of(VERIFIER));
        q.retain(|(n, _)| *n != k);
        q.push((k, v.into()));
        let resp = c.get(&url).query(&q).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert!(resp.headers().get("location").is_none());
    }
    // Without PKCE, or with plain: sent back as invalid_request, with the state.
    for method in ["plain", ""] {
        let mut q = params(&challenge_of(VERIFIER));
        q.retain(|(n, _)| *n != "code_challenge_method");
        q.push(("code_challenge_method", method.into()));
        let resp = c.get(&url).query(&q).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        let loc = resp.headers()["location"].to_str().unwrap();
        assert!(
            loc.contains("error=invalid_request") && loc.contains("state=st-1"),
            "{loc}"
        );
    }
    // Cancel: access_denied. An unknown user: a page, no code.
    let mut form = params(&challenge_of(VERIFIER));
    form.push(("action", "cancel".into()));
    let (status, q) = submit(&r, &form).await;
    assert_eq!(
        (status, get(&q, "error")),
        (StatusCode::SEE_OTHER, Some("access_denied"))
    );
    let mut form = params(&challenge_of(VERIFIER));
    form.push(("user", "<b>eve</b>".into()));
    form.push(("action", "signin".into()));
    let resp = c.post(&url).form(&form).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("&lt;b&gt;eve") && !page.contains("<b>eve"),
        "{page}"
    );
}
