//! A software passkey for tests: what a browser with a platform authenticator posts back to
//! the review page, built by hand — a P-256 key (aws-lc-rs), "none" attestation, the
//! authenticator data and client data of WebAuthn Level 2 — so the broker's ceremonies can be
//! tested without a browser, including assertions no honest browser would make (for another
//! request, without user verification, replayed). It speaks the JSON of the page's script
//! (`review/passkey/passkey.js`): options in, `PublicKeyCredential` JSON out.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

/// One passkey on one authenticator.
pub struct SoftPasskey {
    key: EcdsaKeyPair,
    cred_id: Vec<u8>,
    counter: u32,
    /// The origin the "browser" is on (`http://localhost:PORT`).
    pub origin: String,
    /// Whether the authenticator says it verified the person (the UV flag).
    pub user_verified: bool,
}

impl SoftPasskey {
    pub fn new(origin: &str) -> Self {
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).expect("P-256 key");
        let mut cred_id = vec![0u8; 16];
        aws_lc_rs::rand::fill(&mut cred_id).expect("random");
        Self {
            key,
            cred_id,
            counter: 0,
            origin: origin.to_owned(),
            user_verified: true,
        }
    }

    /// The credential id, base64url.
    pub fn credential_id(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.cred_id)
    }

    fn flags(&self) -> u8 {
        if self.user_verified { UP | UV } else { UP }
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        json!({
            "type": kind,
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }

    /// The answer to `navigator.credentials.create(options)` (the broker's creation options).
    pub fn register(&mut self, options: &Value) -> Value {
        let pk = &options["publicKey"];
        let challenge = pk["challenge"].as_str().expect("a challenge");
        let rp_id = pk["rp"]["id"].as_str().expect("an RP id");
        let client_data = self.client_data("webauthn.create", challenge);
        let point = self.key.public_key().as_ref();
        let (x, y) = (&point[1..33], &point[33..65]);
        let mut cose = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
        cose.extend_from_slice(x);
        cose.extend_from_slice(&[0x22, 0x58, 0x20]);
        cose.extend_from_slice(y);
        let mut auth = digest(&SHA256, rp_id.as_bytes()).as_ref().to_vec();
        auth.push(self.flags() | AT);
        auth.extend_from_slice(&self.counter.to_be_bytes());
        auth.extend_from_slice(&[0u8; 16]);
        auth.extend_from_slice(&(self.cred_id.len() as u16).to_be_bytes());
        auth.extend_from_slice(&self.cred_id);
        auth.extend_from_slice(&cose);
        let mut att = vec![0xa3];
        cbor_text(&mut att, "fmt");
        cbor_text(&mut att, "none");
        cbor_text(&mut att, "attStmt");
        att.push(0xa0);
        cbor_text(&mut att, "authData");
        cbor_bytes(&mut att, &auth);
        json!({
            "id": self.credential_id(),
            "rawId": self.credential_id(),
            "type": "public-key",
            "response": {
                "attestationObject": URL_SAFE_NO_PAD.encode(&att),
                "clientDataJSON": URL_SAFE_NO_PAD.encode(&client_data),
            },
            "extensions": {},
        })
    }

    /// The answer to `navigator.credentials.get(options)` (the broker's request options).
    pub fn assert(&mut self, options: &Value) -> Value {
        let pk = &options["publicKey"];
        let challenge = pk["challenge"].as_str().expect("a challenge");
        let rp_id = pk["rpId"].as_str().expect("an RP id");
        self.assert_challenge(rp_id, challenge)
    }

    /// An assertion over any `challenge` (base64url), as a tampered client would make one.
    pub fn assert_challenge(&mut self, rp_id: &str, challenge: &str) -> Value {
        self.counter += 1;
        let client_data = self.client_data("webauthn.get", challenge);
        let mut auth = digest(&SHA256, rp_id.as_bytes()).as_ref().to_vec();
        auth.push(self.flags());
        auth.extend_from_slice(&self.counter.to_be_bytes());
        let mut signed = auth.clone();
        signed.extend_from_slice(digest(&SHA256, &client_data).as_ref());
        let sig = self
            .key
            .sign(&SystemRandom::new(), &signed)
            .expect("signature");
        json!({
            "id": self.credential_id(),
            "rawId": self.credential_id(),
            "type": "public-key",
            "response": {
                "authenticatorData": URL_SAFE_NO_PAD.encode(&auth),
                "clientDataJSON": URL_SAFE_NO_PAD.encode(&client_data),
                "signature": URL_SAFE_NO_PAD.encode(sig.as_ref()),
                "userHandle": null,
            },
            "extensions": {},
        })
    }
}

fn cbor_head(out: &mut Vec<u8>, major: u8, len: usize) {
    match len {
        0..=23 => out.push(major << 5 | len as u8),
        24..=255 => out.extend_from_slice(&[major << 5 | 24, len as u8]),
        _ => {
            out.push(major << 5 | 25);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
    }
}

fn cbor_text(out: &mut Vec<u8>, s: &str) {
    cbor_head(out, 3, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn cbor_bytes(out: &mut Vec<u8>, b: &[u8]) {
    cbor_head(out, 2, b.len());
    out.extend_from_slice(b);
}
