//! Key sets fetched over real HTTP: key rotation, the refetch rate limit under a flood of
//! unknown `kid`s, OpenID discovery (and an impostor discovery document), an unreachable JWKS.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use super::*;

/// A JWKS (and discovery document) served over real HTTP, whose keys a test can swap.
struct JwksServer {
    base: String,
    keys: Arc<Mutex<JwkSet>>,
    jwks_hits: Arc<AtomicUsize>,
    discovery_hits: Arc<AtomicUsize>,
}

impl JwksServer {
    async fn start(keys: JwkSet, advertised_issuer: Option<&str>) -> Self {
        use axum::routing::get;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let issuer = advertised_issuer.unwrap_or(&base).to_string();
        let keys = Arc::new(Mutex::new(keys));
        let jwks_hits = Arc::new(AtomicUsize::new(0));
        let discovery_hits = Arc::new(AtomicUsize::new(0));
        let (k, jh, dh) = (keys.clone(), jwks_hits.clone(), discovery_hits.clone());
        let doc = json!({ "issuer": issuer, "jwks_uri": format!("{base}/jwks") });
        let app = axum::Router::new()
            .route(
                "/jwks",
                get(move || async move {
                    jh.fetch_add(1, Ordering::SeqCst);
                    let set = k.lock().unwrap().clone();
                    axum::Json(set)
                }),
            )
            .route(
                "/.well-known/openid-configuration",
                get(move || async move {
                    dh.fetch_add(1, Ordering::SeqCst);
                    axum::Json(doc)
                }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            base,
            keys,
            jwks_hits,
            discovery_hits,
        }
    }

    fn hits(&self) -> usize {
        self.jwks_hits.load(Ordering::SeqCst)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_refetches_once_and_the_rate_limit_holds() {
    let interval = Duration::from_millis(1000);
    let a = ec_key(Algorithm::ES256);
    let b = ec_key(Algorithm::ES256);
    let srv = JwksServer::start(jwks(&[&a]), None).await;
    let mut cfg = TrustedIssuer::new(ISS, AUD, JwksSource::Url(format!("{}/jwks", srv.base)));
    cfg.min_refetch_interval = interval;
    let v = Arc::new(Verifier::new(vec![cfg], reqwest::Client::new()));

    // First use fetches; later uses hit the cache.
    assert!(v.verify(&sign(&a, &claims())).await.is_ok());
    assert!(v.verify(&sign(&a, &claims())).await.is_ok());
    assert_eq!(srv.hits(), 1);

    // The IdP rotates to B. Too soon after the last fetch: no refetch, refused.
    *srv.keys.lock().unwrap() = jwks(&[&b]);
    refused(&v, &sign(&b, &claims())).await;
    assert_eq!(srv.hits(), 1);
    // Once the interval has passed, B's kid triggers exactly one refetch.
    tokio::time::sleep(interval + Duration::from_millis(100)).await;
    assert!(v.verify(&sign(&b, &claims())).await.is_ok());
    assert_eq!(srv.hits(), 2);
    // A is gone from the new set (no refetch: rate-limited).
    refused(&v, &sign(&a, &claims())).await;

    // A flood of random kids does not reach the IdP.
    for i in 0..50 {
        let mut x = ec_key(Algorithm::ES256);
        x.kid = format!("random-{i}");
        refused(&v, &sign(&x, &claims())).await;
    }
    assert!(v.verify(&sign(&b, &claims())).await.is_ok());
    assert_eq!(srv.hits(), 2);

    // After the interval, many concurrent unknown kids cause a single fetch.
    tokio::time::sleep(interval + Duration::from_millis(100)).await;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let v = v.clone();
            let mut x = ec_key(Algorithm::ES256);
            x.kid = format!("burst-{i}");
            let token = sign(&x, &claims());
            tokio::spawn(async move { v.verify(&token).await })
        })
        .collect();
    for t in tasks {
        assert!(t.await.unwrap().is_err());
    }
    assert_eq!(srv.hits(), 3);
    assert!(v.verify(&sign(&b, &claims())).await.is_ok());
}

#[tokio::test]
async fn discovery_finds_the_jwks() {
    let a = ec_key(Algorithm::ES256);
    let srv = JwksServer::start(jwks(&[&a]), None).await;
    let v = Verifier::new(
        vec![TrustedIssuer::new(
            srv.base.clone(),
            AUD,
            JwksSource::Discover,
        )],
        reqwest::Client::new(),
    );
    let c = with(claims(), "iss", json!(srv.base));
    assert_eq!(v.verify(&sign(&a, &c)).await.unwrap().issuer, srv.base);
    assert!(v.verify(&sign(&a, &c)).await.is_ok());
    assert_eq!(srv.discovery_hits.load(Ordering::SeqCst), 1);
    assert_eq!(srv.hits(), 1);
}

#[tokio::test]
async fn discovery_naming_another_issuer_is_refused() {
    let a = ec_key(Algorithm::ES256);
    let srv = JwksServer::start(jwks(&[&a]), Some("https://impostor.test")).await;
    let v = Verifier::new(
        vec![TrustedIssuer::new(
            srv.base.clone(),
            AUD,
            JwksSource::Discover,
        )],
        reqwest::Client::new(),
    );
    let c = with(claims(), "iss", json!(srv.base));
    let msg = refused(&v, &sign(&a, &c)).await;
    assert!(msg.contains("different issuer"), "{msg}");
    assert_eq!(srv.hits(), 0);
}

#[tokio::test]
async fn unreachable_jwks_is_an_auth_error_and_rate_limited() {
    // A port that was just free: nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let a = ec_key(Algorithm::ES256);
    let cfg = TrustedIssuer::new(
        ISS,
        AUD,
        JwksSource::Url(format!("http://127.0.0.1:{port}/jwks")),
    );
    let v = Verifier::new(vec![cfg], reqwest::Client::new());
    let msg = refused(&v, &sign(&a, &claims())).await;
    assert!(msg.contains("could not be fetched"), "{msg}");
    let started = Instant::now();
    let msg = refused(&v, &sign(&a, &claims())).await;
    assert!(msg.contains("could not be fetched"), "{msg}");
    assert!(started.elapsed() < Duration::from_millis(500));
}
