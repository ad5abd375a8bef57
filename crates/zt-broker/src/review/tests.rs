//! The review page's pieces that need no server: where the page is served (its origin, and
//! whether its cookies are `Secure`), durations as people read them, plausible ids.

use super::origin_of;
use super::view::{human_secs, plausible_id};

#[test]
fn the_origin_and_secure_flag_come_from_the_redirect_uri() {
    assert_eq!(
        origin_of("https://zt.example.com/review/callback").unwrap(),
        ("https://zt.example.com".to_string(), true)
    );
    assert_eq!(
        origin_of("http://localhost:8421/review/callback").unwrap(),
        ("http://localhost:8421".to_string(), false)
    );
    assert_eq!(
        origin_of("http://127.0.0.1:9/review/callback").unwrap(),
        ("http://127.0.0.1:9".to_string(), false)
    );
    assert_eq!(
        origin_of("http://[::1]:9/review/callback").unwrap(),
        ("http://[::1]:9".to_string(), false)
    );
    for (bad, why) in [
        ("http://zt.example.com/review/callback", "plain HTTP"),
        (
            "https://zt.example.com/callback",
            "must end in /review/callback",
        ),
        ("https://zt.example.com/review/callback?x=1", "no query"),
        (
            "https://u:p@zt.example.com/review/callback",
            "user or password",
        ),
        ("ftp://zt.example.com/review/callback", "not http(s)"),
        ("zt.example.com/review/callback", "not a URL"),
    ] {
        let e = origin_of(bad).unwrap_err();
        assert!(e.contains(why), "{bad}: {e}");
    }
}

#[test]
fn durations_and_ids() {
    assert_eq!(human_secs(3600), "1h");
    assert_eq!(human_secs(5400), "1h 30m");
    assert_eq!(human_secs(45), "45s");
    assert_eq!(human_secs(0), "0s");
    assert_eq!(human_secs(90_061), "1d 1h 1m");
    assert!(plausible_id("0123456789abcdef"));
    assert!(!plausible_id(""));
    assert!(!plausible_id("../v1"));
    assert!(!plausible_id(&"a".repeat(65)));
}

// ---- Sessions: a real store's key seals them -------------------------------------------------

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, header};

use super::session::{Session, session_cookie_name};
use super::{DEFAULT_SESSION_TTL, Review, ReviewSettings};
use crate::auth::{Principal, Verifier};
use crate::catalog::Catalog;
use crate::issuers::Issuers;
use crate::state::Broker;
use crate::store::Store;

const CATALOG: &str = r#"
[[resource]]
name = "db"
kind = "postgres"
default_role = "ro"
max_ttl = "1h"
requester_groups = ["eng"]

[[resource.role]]
name = "ro"
auto_approve_groups = ["eng"]
"#;

/// A review page on a broker with a real (SQLite) store in `dir`, served at `redirect_uri`.
async fn review_at(dir: &std::path::Path, redirect_uri: &str) -> Arc<Review> {
    let store = Store::open(&dir.join("broker.sqlite")).await.unwrap();
    review_on(store, redirect_uri)
}

/// A review page on a broker with `store`.
fn review_on(store: Store, redirect_uri: &str) -> Arc<Review> {
    let catalog = Catalog::parse(CATALOG).unwrap();
    let policy = crate::policy::catalog::policy(&catalog).unwrap();
    let discovery = zt_api::Discovery {
        issuer: "https://id.example.com".into(),
        client_id: "zt-cli".into(),
        scopes: vec!["openid".into()],
        audience: "zt-broker".into(),
        broker_version: "test".into(),
    };
    let broker = Broker::new(
        store,
        catalog,
        Box::new(policy),
        Issuers::default(),
        Verifier::new(vec![], reqwest::Client::new()),
        discovery,
    );
    Review::new(
        broker,
        ReviewSettings {
            issuer: "https://id.example.com".into(),
            client_id: "zt-review".into(),
            client_secret: None,
            redirect_uri: redirect_uri.into(),
            scopes: vec!["openid".into()],
            session_ttl: DEFAULT_SESSION_TTL,
        },
    )
    .unwrap()
}

fn bob(groups: usize) -> Principal {
    Principal {
        auth: Default::default(),
        sub: "bob".into(),
        issuer: "https://id.example.com".into(),
        email: Some("bob@example.com".into()),
        name: Some("Bob".into()),
        groups: (0..groups).map(|i| format!("group-{i}")).collect(),
    }
}

/// The `Cookie` header a browser sends back for a `Set-Cookie` value.
fn sent_back(set_cookie: &str) -> HeaderMap {
    let pair = set_cookie.split(';').next().unwrap();
    let mut h = HeaderMap::new();
    h.insert(
        header::COOKIE,
        HeaderValue::from_str(&format!("other=1; {pair}")).unwrap(),
    );
    h
}

#[tokio::test]
async fn a_session_cookie_comes_back_as_the_same_session_and_nothing_else_does() {
    let dir = tempfile::tempdir().unwrap();
    let review = review_at(dir.path(), "http://localhost:9/review/callback").await;
    let s = Session::new(&review, bob(2)).unwrap();
    let set = s.cookie(&review).unwrap();
    assert!(set.starts_with("zt-review="), "{set}");
    for flag in ["; Path=/", "; HttpOnly", "; SameSite=Lax", "; Max-Age=18"] {
        assert!(set.contains(flag), "{flag} missing: {set}");
    }
    // Plain HTTP on loopback: no `Secure` (the browser would drop it).
    assert!(!set.contains("Secure"), "{set}");
    // Nothing of the person is readable in the cookie.
    assert!(!set.contains("bob") && !set.contains(&s.csrf), "{set}");
    let back = Session::from_headers(&review, &sent_back(&set)).unwrap();
    assert_eq!(back, s);

    // Another session's token differs.
    assert_ne!(Session::new(&review, bob(0)).unwrap().csrf, s.csrf);

    // Edited: refused.
    let (name, value) = set.split(';').next().unwrap().split_once('=').unwrap();
    let mut edited = value.as_bytes().to_vec();
    edited[10] = if edited[10] == b'A' { b'B' } else { b'A' };
    let forged = format!("{name}={}", String::from_utf8(edited).unwrap());
    assert_eq!(Session::from_headers(&review, &sent_back(&forged)), None);
    // Ended: refused.
    let mut old = Session::new(&review, bob(1)).unwrap();
    old.expires_at = zt_api::Timestamp::now().0 - 1;
    assert_eq!(
        Session::from_headers(&review, &sent_back(&old.cookie(&review).unwrap())),
        None
    );
    // Sealed by another broker's key: refused.
    let other_dir = tempfile::tempdir().unwrap();
    let other = review_at(other_dir.path(), "http://localhost:9/review/callback").await;
    assert_eq!(Session::from_headers(&other, &sent_back(&set)), None);
    // No cookie, or only others: no session.
    assert_eq!(Session::from_headers(&review, &HeaderMap::new()), None);
}

#[tokio::test]
async fn another_replica_given_the_same_store_key_accepts_the_session() {
    // Replicas share the store's key (a PostgreSQL store requires one, the same on each): a
    // session one of them sealed opens on the other, with nothing kept server-side.
    let key = crate::store::StoreKey::random();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let uri = "https://zt.example.com/review/callback";
    let one = review_on(
        Store::open_keyed(&a.path().join("db"), key.clone())
            .await
            .unwrap(),
        uri,
    );
    let two = review_on(
        Store::open_keyed(&b.path().join("db"), key).await.unwrap(),
        uri,
    );
    let s = Session::new(&one, bob(3)).unwrap();
    let back = Session::from_headers(&two, &sent_back(&s.cookie(&one).unwrap()));
    assert_eq!(back, Some(s));
}

#[tokio::test]
async fn off_loopback_the_cookie_is_secure_and_host_only() {
    let dir = tempfile::tempdir().unwrap();
    let review = review_at(dir.path(), "https://zt.example.com/review/callback").await;
    assert_eq!(session_cookie_name(&review), "__Host-zt-review");
    let set = Session::new(&review, bob(1))
        .unwrap()
        .cookie(&review)
        .unwrap();
    assert!(
        set.starts_with("__Host-zt-review=") && set.ends_with("; Secure"),
        "{set}"
    );
    assert!(!set.contains("Domain"), "{set}");
}

#[tokio::test]
async fn a_person_in_too_many_groups_for_a_cookie_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let review = review_at(dir.path(), "http://localhost:9/review/callback").await;
    let e = Session::new(&review, bob(400))
        .unwrap()
        .cookie(&review)
        .unwrap_err();
    assert!(e.contains("400 groups"), "{e}");
}
