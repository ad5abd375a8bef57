//! Algorithm handling: `alg: none`, HMAC signed with a public key, header extensions and
//! embedded keys, keys pinned to one algorithm, and choosing a key with or without a `kid`.

use jsonwebtoken::jwk::{AlgorithmParameters, KeyAlgorithm};
use serde_json::json;

use super::*;
use crate::auth::keys::KeySet;

#[tokio::test]
async fn alg_none_is_refused() {
    let k = ec_key(Algorithm::ES256);
    let v = verifier(&[&k]);
    for alg in ["none", "None", "NONE", ""] {
        let h = json!({ "alg": alg, "typ": "JWT", "kid": k.kid });
        refused(&v, &format!("{}.{}.", b64(&h), b64(&claims()))).await;
        refused(&v, &format!("{}.{}.c2ln", b64(&h), b64(&claims()))).await;
    }
    let h = json!({ "typ": "JWT", "kid": k.kid });
    refused(&v, &format!("{}.{}.", b64(&h), b64(&claims()))).await;
}

#[tokio::test]
async fn hmac_with_the_public_key_is_refused() {
    let k = ec_key(Algorithm::ES256);
    let r = rsa_key(Algorithm::RS256);
    let v = verifier(&[&k, &r]);
    let AlgorithmParameters::RSA(rsa) = &r.jwk.algorithm else {
        panic!()
    };
    let AlgorithmParameters::EllipticCurve(ec) = &k.jwk.algorithm else {
        panic!()
    };
    let mut point = vec![4u8];
    point.extend(URL_SAFE_NO_PAD.decode(&ec.x).unwrap());
    point.extend(URL_SAFE_NO_PAD.decode(&ec.y).unwrap());
    let secrets: Vec<(Vec<u8>, &str)> = vec![
        (point, k.kid.as_str()),
        (serde_json::to_vec(&k.jwk).unwrap(), k.kid.as_str()),
        (URL_SAFE_NO_PAD.decode(&rsa.n).unwrap(), r.kid.as_str()),
        (serde_json::to_vec(&r.jwk).unwrap(), r.kid.as_str()),
    ];
    for (secret, kid) in &secrets {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let mut h = Header::new(alg);
            h.kid = Some(kid.to_string());
            let token = encode(&h, &claims(), &EncodingKey::from_secret(secret)).unwrap();
            let msg = refused(&v, &token).await;
            assert!(msg.contains("HMAC"), "{msg}");
            h.kid = None;
            let token = encode(&h, &claims(), &EncodingKey::from_secret(secret)).unwrap();
            refused(&v, &token).await;
        }
    }
}

#[tokio::test]
async fn header_extensions_and_embedded_keys() {
    let k = ec_key(Algorithm::ES256);
    let v = verifier(&[&k]);
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some(k.kid.clone());
    h.crit = Some(vec!["exp".into()]);
    let msg = refused(&v, &encode(&h, &claims(), &k.enc).unwrap()).await;
    assert!(msg.contains("extensions"), "{msg}");
    // A key carried in the header is ignored: the attacker's own key does not vouch.
    let attacker = ec_key(Algorithm::ES256);
    let mut h = Header::new(Algorithm::ES256);
    h.jwk = Some(attacker.jwk.clone());
    refused(&v, &encode(&h, &claims(), &attacker.enc).unwrap()).await;
    h.kid = Some(k.kid.clone());
    refused(&v, &encode(&h, &claims(), &attacker.enc).unwrap()).await;
}

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
