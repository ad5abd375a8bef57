//! Tests of bearer-token verification. The shared helpers live here: test keys (EC keys are
//! generated per test, the RSA key is fixed), claim builders, signing, and `refused`, which
//! also checks that an error message never echoes the token.
//!
//! - `verify`: good tokens, forged signatures, cross-issuer keys, garbage input.
//! - `claims`: the registered claims (`aud`, `iss`, `exp`, `nbf`) and the claim mapping.
//! - `algorithms`: `alg` handling, HMAC confusion, header extensions, key selection by `kid`.
//! - `fetching`: key sets fetched over HTTP: rotation, the refetch rate limit, discovery.

mod algorithms;
mod claims;
mod fetching;
mod verify;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use super::{AuthError, JwksSource, TrustedIssuer, Verifier};

const ISS: &str = "https://idp.test/realms/zt";
const AUD: &str = "zt-broker";

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

struct TestKey {
    enc: EncodingKey,
    jwk: Jwk,
    alg: Algorithm,
    kid: String,
}

fn keyed(enc: EncodingKey, alg: Algorithm) -> TestKey {
    let mut jwk = Jwk::from_encoding_key(&enc, alg).unwrap();
    let kid = jwk.thumbprint(ThumbprintHash::SHA256).unwrap();
    jwk.common.key_id = Some(kid.clone());
    TestKey { enc, jwk, alg, kid }
}

fn ec_key(alg: Algorithm) -> TestKey {
    let signing = match alg {
        Algorithm::ES256 => &ECDSA_P256_SHA256_FIXED_SIGNING,
        Algorithm::ES384 => &ECDSA_P384_SHA384_FIXED_SIGNING,
        other => panic!("not an EC alg: {other:?}"),
    };
    let doc = EcdsaKeyPair::generate_pkcs8(signing, &SystemRandom::new()).unwrap();
    keyed(EncodingKey::from_ec_der(doc.as_ref()), alg)
}

fn rsa_key(alg: Algorithm) -> TestKey {
    keyed(EncodingKey::from_rsa_pem(RSA_PEM.as_bytes()).unwrap(), alg)
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn claims() -> Value {
    json!({
        "iss": ISS, "aud": AUD, "sub": "alice", "exp": now() + 300, "iat": now(),
        "email": "alice@example.com", "name": "Alice", "groups": ["engineering", "sre"],
    })
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

fn sign(key: &TestKey, claims: &Value) -> String {
    let mut h = Header::new(key.alg);
    h.kid = Some(key.kid.clone());
    encode(&h, claims, &key.enc).unwrap()
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

fn jwks(keys: &[&TestKey]) -> JwkSet {
    JwkSet {
        keys: keys.iter().map(|k| k.jwk.clone()).collect(),
    }
}

fn verifier(keys: &[&TestKey]) -> Verifier {
    Verifier::new(
        vec![TrustedIssuer::new(ISS, AUD, JwksSource::Static(jwks(keys)))],
        reqwest::Client::new(),
    )
}

async fn refused(v: &Verifier, token: &str) -> String {
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
