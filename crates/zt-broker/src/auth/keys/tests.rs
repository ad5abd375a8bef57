//! Tests of the key cache, through the verifier: keys pinned to one algorithm (symmetric keys
//! never used) and choosing a key with or without a `kid`; then key sets fetched over real
//! HTTP (a JWKS server of the test's own). The test keys, signing and `refused` are the auth
//! tests' helpers (`auth/tests.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;

use super::KeySet;
use crate::auth::tests::{
    AUD, ISS, TestKey, claims, ec_key, jwks, refused, rsa_key, sign, verifier, with,
};
use crate::auth::{JwksSource, TrustedIssuer, Verifier};

#[tokio::test]
async fn symmetric_keys_in_a_jwks_are_never_used() {
    let oct: Jwk = serde_json::from_value(
        json!({ "kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQ", "kid": "hmac", "alg": "HS256" }),
    )
    .unwrap();
    let cfg = TrustedIssuer::new(ISS, AUD, JwksSource::Discover);
    let ks = KeySet::build(
        &JwkSet {
            keys: vec![oct.clone()],
        },
        &cfg,
        0,
    );
    assert!(ks.all.is_empty() && ks.by_kid.is_empty());
    let v = Verifier::new(
        vec![TrustedIssuer::new(
            ISS,
            AUD,
            JwksSource::Static(JwkSet { keys: vec![oct] }),
        )],
        reqwest::Client::new(),
    );
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some("hmac".into());
    let token = encode(
        &h,
        &claims(),
        &EncodingKey::from_secret(b"secret-secret-secret"),
    )
    .unwrap();
    refused(&v, &token).await;
}

#[tokio::test]
async fn header_alg_must_match_the_key() {
    let k256 = ec_key(Algorithm::ES256);
    let k384 = ec_key(Algorithm::ES384);
    let v = verifier(&[&k256]);
    // ES384 header naming the P-256 key, signed with a P-384 key.
    let mut h = Header::new(Algorithm::ES384);
    h.kid = Some(k256.kid.clone());
    let msg = refused(&v, &encode(&h, &claims(), &k384.enc).unwrap()).await;
    assert!(msg.contains("does not match"), "{msg}");

    // An RSA key pinned to RS256 (declared or derived) refuses PS256, and vice versa.
    let mut r = rsa_key(Algorithm::RS256);
    let mut ps = Header::new(Algorithm::PS256);
    ps.kid = Some(r.kid.clone());
    let ps_token = encode(&ps, &claims(), &r.enc).unwrap();
    refused(&verifier(&[&r]), &ps_token).await;
    r.jwk.common.key_algorithm = None;
    refused(&verifier(&[&r]), &ps_token).await;
    r.jwk.common.key_algorithm = Some(KeyAlgorithm::PS256);
    let v = verifier(&[&r]);
    assert!(v.verify(&ps_token).await.is_ok());
    let rs_token = sign(&rsa_key(Algorithm::RS256), &claims());
    refused(&v, &rs_token).await;

    // A JWK whose declared alg contradicts its key type is not used at all.
    let mut bad = ec_key(Algorithm::ES256);
    bad.jwk.common.key_algorithm = Some(KeyAlgorithm::ES384);
    refused(&verifier(&[&bad]), &sign(&bad, &claims())).await;
    bad.jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
    refused(&verifier(&[&bad]), &sign(&bad, &claims())).await;
}

#[tokio::test]
async fn tokens_without_kid() {
    let a = ec_key(Algorithm::ES256);
    let b = ec_key(Algorithm::ES256);
    let r = rsa_key(Algorithm::RS256);
    let no_kid = |k: &TestKey| encode(&Header::new(k.alg), &claims(), &k.enc).unwrap();
    // Exactly one key of the pinned kind: accepted.
    assert!(verifier(&[&a]).verify(&no_kid(&a)).await.is_ok());
    assert!(verifier(&[&a, &r]).verify(&no_kid(&a)).await.is_ok());
    assert!(verifier(&[&a, &r]).verify(&no_kid(&r)).await.is_ok());
    // Two candidates: refused, even for the right one.
    let msg = refused(&verifier(&[&a, &b]), &no_kid(&a)).await;
    assert!(msg.contains("several keys"), "{msg}");
    // None of its kind.
    refused(&verifier(&[&r]), &no_kid(&a)).await;
    refused(&verifier(&[]), &no_kid(&a)).await;
}

#[tokio::test]
async fn unknown_kid_with_a_static_jwks() {
    let a = ec_key(Algorithm::ES256);
    let mut b = ec_key(Algorithm::ES256);
    b.kid = "nope".into();
    let msg = refused(&verifier(&[&a]), &sign(&b, &claims())).await;
    assert!(msg.contains("unknown key"), "{msg}");
}

// ---- Fetching ------------------------------------------------------------------------------
// Key sets fetched over real HTTP: key rotation, the refetch rate limit under a flood of
// unknown `kid`s, OpenID discovery (and an impostor discovery document), an unreachable JWKS.

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
