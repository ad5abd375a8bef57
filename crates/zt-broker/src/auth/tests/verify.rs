//! Tokens that verify, and tokens that must not: forged signatures, another issuer's key,
//! and malformed input of every shape (which must never panic).

use serde_json::json;

use super::*;
use crate::auth::Principal;

#[test]
fn verifier_is_send_and_sync_and_verify_is_send() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<Verifier>();
    let v = verifier(&[]);
    let fut = v.verify("x");
    send(&fut);
}

#[tokio::test]
async fn valid_es256_token_gives_the_principal() {
    let k = ec_key(Algorithm::ES256);
    let v = verifier(&[&k]);
    let p = v.verify(&sign(&k, &claims())).await.unwrap();
    assert_eq!(
        p,
        Principal {
            sub: "alice".into(),
            issuer: ISS.into(),
            email: Some("alice@example.com".into()),
            name: Some("Alice".into()),
            groups: vec!["engineering".into(), "sre".into()],
        }
    );
    assert_eq!(p.display(), "alice@example.com");
    let bare = without(without(claims(), "email"), "name");
    let p = v.verify(&sign(&k, &bare)).await.unwrap();
    assert_eq!((p.display(), &p.email, &p.name), ("alice", &None, &None));
}

#[tokio::test]
async fn valid_rs256_token_and_jwk_without_alg() {
    let mut k = rsa_key(Algorithm::RS256);
    let v = verifier(&[&k]);
    assert_eq!(v.verify(&sign(&k, &claims())).await.unwrap().sub, "alice");
    // No `alg` in the JWK: RS256 is derived from the key type.
    k.jwk.common.key_algorithm = None;
    let v = verifier(&[&k]);
    assert_eq!(v.verify(&sign(&k, &claims())).await.unwrap().sub, "alice");
}

#[tokio::test]
async fn forged_signatures_are_refused() {
    let k = ec_key(Algorithm::ES256);
    let v = verifier(&[&k]);
    // Signed by another key claiming the trusted kid.
    let mut attacker = ec_key(Algorithm::ES256);
    attacker.kid = k.kid.clone();
    let msg = refused(&v, &sign(&attacker, &claims())).await;
    assert!(msg.contains("signature"), "{msg}");
    // A genuine token with its payload swapped.
    let good = sign(&k, &claims());
    let parts: Vec<&str> = good.split('.').collect();
    let evil = b64(&with(claims(), "sub", json!("bob")));
    let msg = refused(&v, &format!("{}.{}.{}", parts[0], evil, parts[2])).await;
    assert!(msg.contains("signature"), "{msg}");
    // A signature that is not base64url, or empty.
    refused(&v, &format!("{}.{}.!!!", parts[0], parts[1])).await;
    refused(&v, &format!("{}.{}.", parts[0], parts[1])).await;
    // RSA too.
    let r = rsa_key(Algorithm::RS256);
    let v = verifier(&[&r]);
    let good = sign(&r, &claims());
    let parts: Vec<&str> = good.split('.').collect();
    refused(&v, &format!("{}.{}.{}", parts[0], evil, parts[2])).await;
}

#[tokio::test]
async fn one_issuers_key_does_not_vouch_for_another() {
    let a = ec_key(Algorithm::ES256);
    let b = ec_key(Algorithm::ES256);
    let v = Verifier::new(
        vec![
            TrustedIssuer::new(ISS, AUD, JwksSource::Static(jwks(&[&a]))),
            TrustedIssuer::new("https://other.test", AUD, JwksSource::Static(jwks(&[&b]))),
        ],
        reqwest::Client::new(),
    );
    assert!(v.verify(&sign(&a, &claims())).await.is_ok());
    let other = with(claims(), "iss", json!("https://other.test"));
    assert_eq!(
        v.verify(&sign(&b, &other)).await.unwrap().issuer,
        "https://other.test"
    );
    // Claims issuer A, signed with B's key.
    let msg = refused(&v, &sign(&b, &claims())).await;
    assert!(msg.contains("unknown key"), "{msg}");
}

#[tokio::test]
async fn garbage_never_panics() {
    let k = ec_key(Algorithm::ES256);
    let v = verifier(&[&k]);
    let good = sign(&k, &claims());
    let mut inputs: Vec<String> = [
        "",
        ".",
        "..",
        "...",
        "a.b.c",
        "a.b.c.d",
        "Bearer x.y.z",
        "null",
        "{}",
        "é.ü.ß",
        "eyJhbGciOiJFUzI1NiJ9",
        "eyJhbGciOiJFUzI1NiJ9..",
        "eyJhbGciOiJFUzI1NiJ9.e30.",
        "eyJhbGciOiJFUzI1NiJ9.bnVsbA.AAAA",
        "eyJhbGciOiJFUzI1NiJ9.WzFd.AAAA",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    inputs.extend((0..good.len()).step_by(5).map(|n| good[..n].to_string()));
    inputs.push(format!("{good}."));
    inputs.push(format!("{good}x"));
    inputs.push(format!(" {good}"));
    inputs.push("a".repeat(1 << 20));
    inputs.push(format!("{good}{}", "A".repeat(1 << 20)));
    for input in &inputs {
        assert!(
            v.verify(input).await.is_err(),
            "accepted {:?}",
            &input[..input.len().min(40)]
        );
    }
    let big = with(claims(), "pad", json!("x".repeat(17 * 1024)));
    let msg = refused(&v, &sign(&k, &big)).await;
    assert!(msg.contains("too large"), "{msg}");
}

#[tokio::test]
async fn a_cached_verification_still_ends_at_the_tokens_expiry() {
    // The verified-token cache must never make a token live longer than its `exp` (+ leeway
    // is the validator's business, not the cache's).
    let idp = crate::dev::idp::DevIdp::new(crate::dev::idp::DevIdpConfig {
        access_ttl: std::time::Duration::from_secs(2),
        ..Default::default()
    })
    .unwrap();
    let token = idp.mint_access_token("alice").unwrap();
    let mut ti = crate::auth::TrustedIssuer::new(
        crate::dev::idp::DevIdpConfig::default().issuer,
        crate::dev::idp::DevIdpConfig::default().audience,
        crate::auth::JwksSource::Static(idp.jwks()),
    );
    ti.leeway_secs = 0;
    let v = crate::auth::Verifier::new(vec![ti], reqwest::Client::new());
    assert!(v.verify(&token).await.is_ok());
    assert!(v.verify(&token).await.is_ok(), "cached");
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    assert!(v.verify(&token).await.is_err(), "expired, cache or not");
}
