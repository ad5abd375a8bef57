//! Tests of bearer-token verification. The shared helpers live here: test keys (EC keys are
//! generated per test, the RSA key is fixed), claim builders, signing, and `refused`, which
//! also checks that an error message never echoes the token.
//!
//! The tests of the verifier (`mod.rs`) by subject below: good tokens, forged signatures,
//! cross-issuer keys and garbage input; `alg` handling, HMAC confusion and header extensions.
//! The registered claims (`aud`, `iss`, `exp`, `nbf`) and the claim mapping are tested in
//! `claims.rs`; the key cache's tests (keys pinned to one algorithm, selection by `kid`, key
//! sets fetched over HTTP) are `keys`' own, in `keys/tests.rs`. Both use the helpers here.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use super::{AuthError, JwksSource, Principal, TrustedIssuer, Verifier};

pub(super) const ISS: &str = "https://idp.test/realms/zt";
pub(super) const AUD: &str = "zt-broker";

/// A fixed RSA-2048 key for tests only (RSA key generation is too slow to do per test).
const RSA_PEM: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAoFWjL5RdFjDfOTLo/iKTDYFN47uN9u0nM0AUIH9SUoeUHWU+
6Z8bkp7Dw07jSOB/n1S8Vq2KCSmWslgpV6OLAyIsdxWykG7pTYc4sLEvEWtAebg3
n58ZfrvUETD9UKR/Z6M8LLd6Lz/EOwrqUVn9lRbaSwQ67BX5in9/nOQrsvcxy2J7
cOtaPIPoCaggXp5Az8eKdjT+8IRD2afnhOQP6JLjovr8eBEUwiHu4skivrAq0Dx5
7j9VwDu38V0dFm3XH4aVXJFWbpC0kjKLyZ1wPp9lKJ7iJXRFE8ze0PQCf2JQk5h5
sGKVtg23c9tuVKxBts37+XwQlQiNln0sRBFiAwIDAQABAoIBAA4OA7yKsmN2f3lD
OhzEIutG2VeSgnE4IvAORW7/cKCoa6m6AG5SErfJfNqhjzEjvaKinThLhRnX6fLF
rkLiJLAh7kKDUrOJ7WygFmGZK2MvaVr7wYoXoPbOXnQiI1dO3C/Vcm073JUvIoBh
Rnh0I+0BfSHUHWaPNJOl9b9NWkey2bp8ERaEA9X2CGfnXuw8N8u8ZIohRU1roOiB
80tvY5WsYsNhpf+Rm1KYdLNSCdHKHSk9UJxRqKfn2vHO7EGV3124dNDNsdOfhhdT
1rfdBK9E4D9CV+CtZI+CXOeO1kmypYHakInKE2t4nyb83LfhNZWHAUqjxUMT0YDw
CIepkxkCgYEA3gvGYNsfK3R709W1+d2ulDHq28nSJySjMXl9WoA68Srwe9h2qVRz
xk4hZYAeYUQkuv6nC1ItNR9k5pRqH+o73nzvZUNAeLhVTDrwb2sLd46mmuGl+Hp8
wioyBzV9gSxV4yj+4I0y5cZmlGy+FS8Exdw3XlaTFPGQNgAvTfqLfxkCgYEAuNoa
Brq7+lxOXMc4z10kjuaatwTJSbDgzZpGpGVMAiks55ggYjfHOcI/iHkUYKecyWSz
CClrpc9jKCXUDl0vQC20lDG2dJq6AowaJEv5IO1BFesdOV6Dr6ExFrx9Z9oExGCw
2cH+OnGeUAnoceBwwVmXxyk4LDZwPwbkGWFM+XsCgYAVclm03TVDgzq6mTe8bJcC
JVgj5nhv43AHxU5AQYZv6M/VhnDfphKQotdC8H7+shBCJ3qG82b+bIvYYZlmf79M
nBCbXUWK43MJq9+xQ0uWPqcE6qqXN215a43teFMo+NlK2ZjUo4649tLNnzs03Je/
bKfEauRF75cYQChRhdOXcQKBgQCT/K/HYWmqhomJx0iY4nWpHb8Q9Hj9UOi4UWFq
rVoLhNFZW7XZS9RoTjW02VJSCv3/UWnvB9IRfZVhh99b3Ig+dhjSZ3Ytpc1yyp0H
H/eDv81ScdcEncEJMx/sltxC7wzP9qS+wIr6WQmoBDaeLFO4xzQ2kq5Q3wg/vRGR
rA8GzwKBgCX3Q/V5ZzhUXEVO+eaWEIMf2UMxB2q3pujaQB+gh6mVC5sr4Bn2xq6Y
r4MaLZ1oDOXkd+F3HOMtjKpkytwXNw/sZR8+W4spR4AUwc+CWS4ywYYHhYlVjzgD
STo9mLC7m4WRa1X2ssunw78iuFkwZKIuJ9g01qzTOeeYOgFr3QLV
-----END RSA PRIVATE KEY-----
";

pub(super) struct TestKey {
    pub(super) enc: EncodingKey,
    pub(super) jwk: Jwk,
    pub(super) alg: Algorithm,
    pub(super) kid: String,
}

fn keyed(enc: EncodingKey, alg: Algorithm) -> TestKey {
    let mut jwk = Jwk::from_encoding_key(&enc, alg).unwrap();
    let kid = jwk.thumbprint(ThumbprintHash::SHA256).unwrap();
    jwk.common.key_id = Some(kid.clone());
    TestKey { enc, jwk, alg, kid }
}

pub(super) fn ec_key(alg: Algorithm) -> TestKey {
    let signing = match alg {
        Algorithm::ES256 => &ECDSA_P256_SHA256_FIXED_SIGNING,
        Algorithm::ES384 => &ECDSA_P384_SHA384_FIXED_SIGNING,
        other => panic!("not an EC alg: {other:?}"),
    };
    let doc = EcdsaKeyPair::generate_pkcs8(signing, &SystemRandom::new()).unwrap();
    keyed(EncodingKey::from_ec_der(doc.as_ref()), alg)
}

pub(super) fn rsa_key(alg: Algorithm) -> TestKey {
    keyed(EncodingKey::from_rsa_pem(RSA_PEM.as_bytes()).unwrap(), alg)
}

pub(super) fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

pub(super) fn claims() -> Value {
    json!({
        "iss": ISS, "aud": AUD, "sub": "alice", "exp": now() + 300, "iat": now(),
        "email": "alice@example.com", "name": "Alice", "groups": ["engineering", "sre"],
    })
}

pub(super) fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

pub(super) fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

pub(super) fn sign(key: &TestKey, claims: &Value) -> String {
    let mut h = Header::new(key.alg);
    h.kid = Some(key.kid.clone());
    encode(&h, claims, &key.enc).unwrap()
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

pub(super) fn jwks(keys: &[&TestKey]) -> JwkSet {
    JwkSet {
        keys: keys.iter().map(|k| k.jwk.clone()).collect(),
    }
}

pub(super) fn verifier(keys: &[&TestKey]) -> Verifier {
    Verifier::new(
        vec![TrustedIssuer::new(ISS, AUD, JwksSource::Static(jwks(keys)))],
        reqwest::Client::new(),
    )
}

pub(super) async fn refused(v: &Verifier, token: &str) -> String {
    match v.verify(token).await {
        Ok(p) => panic!("token accepted: {p:?}"),
        Err(AuthError(msg)) => {
            // The message never echoes the token or any part of it.
            for part in token.split('.').filter(|p| p.len() > 8) {
                assert!(!msg.contains(part), "{msg}");
            }
            msg
        }
    }
}

// ---- Verifying -----------------------------------------------------------------------------
// Tokens that verify, and tokens that must not: forged signatures, another issuer's key,
// and malformed input of every shape (which must never panic).

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
            auth: Default::default(),
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
    // A token that lives two seconds, as an identity provider with a 2 s access-token TTL
    // would mint it.
    let k = ec_key(Algorithm::ES256);
    let token = sign(&k, &with(claims(), "exp", json!(now() + 2)));
    let mut ti = TrustedIssuer::new(ISS, AUD, JwksSource::Static(jwks(&[&k])));
    ti.leeway_secs = 0;
    let v = Verifier::new(vec![ti], reqwest::Client::new());
    assert!(v.verify(&token).await.is_ok());
    assert!(v.verify(&token).await.is_ok(), "cached");
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    assert!(v.verify(&token).await.is_err(), "expired, cache or not");
}

// ---- Algorithms ----------------------------------------------------------------------------
// Algorithm handling in the verifier: `alg: none`, HMAC signed with a public key, header
// extensions and embedded keys.

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
