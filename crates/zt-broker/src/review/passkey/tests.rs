//! The ceremonies against a software passkey (zt-testkit's, built by hand like a browser's
//! answer): a passkey enrols and approves; an assertion made for another request, one made
//! under a nonce that is no longer current (a replay), one without user verification and one
//! from a passkey that is not the approver's are all refused; IP addresses are refused as RP.

use serde_json::Value;
use webauthn_rs::prelude::Passkey;
use zt_testkit::passkey::SoftPasskey;

use super::ceremony::{RelyingParty, challenge};

const BASE: &str = "http://localhost:8080";

fn rp() -> RelyingParty {
    RelyingParty::from_base(BASE).unwrap()
}

/// A passkey enrolled with `rp` for alice.
fn enrolled(rp: &RelyingParty) -> (SoftPasskey, Passkey) {
    let mut soft = SoftPasskey::new(BASE);
    let (options, state) = rp.start_registration("iss", "alice", "alice", &[]).unwrap();
    let options: Value = serde_json::to_value(&options).unwrap();
    assert_eq!(options["publicKey"]["rp"]["id"], "localhost");
    let answer = soft.register(&options);
    let key = rp
        .finish_registration(&answer.to_string(), &state)
        .expect("the passkey registers");
    (soft, key)
}

fn options(rp: &RelyingParty, keys: &[Passkey], id: &str, nonce: &str) -> Value {
    serde_json::to_value(rp.approval_options(keys, id, nonce).unwrap()).unwrap()
}

#[test]
fn a_passkey_enrols_and_approves_the_request_its_challenge_names() {
    let rp = rp();
    let (mut soft, key) = enrolled(&rp);
    let keys = vec![key];
    let o = options(&rp, &keys, "req1", "n1");
    // The challenge is the request's and nonce's, not a random one.
    let expected = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        challenge("req1", "n1"),
    );
    assert_eq!(o["publicKey"]["challenge"], expected.as_str());
    assert_eq!(o["publicKey"]["userVerification"], "required");
    let a = soft.assert(&o);
    let v = rp
        .verify_approval(&keys, "req1", "n1", &a.to_string())
        .expect("the assertion verifies");
    assert_eq!(v.credential_id, soft.credential_id());
    assert!(v.user_verified);
    assert_eq!(v.counter, 1);
}

#[test]
fn an_assertion_for_another_request_or_an_old_nonce_is_refused() {
    let rp = rp();
    let (mut soft, key) = enrolled(&rp);
    let keys = vec![key];
    // Made for req2: refused as an approval of req1.
    let for_other = soft.assert(&options(&rp, &keys, "req2", "n2"));
    let e = rp
        .verify_approval(&keys, "req1", "n1", &for_other.to_string())
        .unwrap_err();
    assert!(e.0.contains("another request"), "{e}");
    // Made under req1's earlier nonce (a replay once the nonce moved on): refused.
    let old = soft.assert(&options(&rp, &keys, "req1", "n0"));
    let e = rp
        .verify_approval(&keys, "req1", "n1", &old.to_string())
        .unwrap_err();
    assert!(e.0.contains("replayed"), "{e}");
    // The same assertion under its own challenge still verifies: only the binding failed.
    assert!(
        rp.verify_approval(&keys, "req2", "n2", &for_other.to_string())
            .is_ok()
    );
}

#[test]
fn without_user_verification_or_with_someone_elses_passkey_it_is_refused() {
    let rp = rp();
    let (mut soft, key) = enrolled(&rp);
    let keys = vec![key];
    soft.user_verified = false;
    let a = soft.assert(&options(&rp, &keys, "req1", "n1"));
    let e = rp
        .verify_approval(&keys, "req1", "n1", &a.to_string())
        .unwrap_err();
    assert!(e.0.contains("did not verify you"), "{e}");

    // bob's passkey, not among alice's.
    let (mut bobs, _) = enrolled(&rp);
    let a = bobs.assert(&options(&rp, &keys, "req1", "n1"));
    let e = rp
        .verify_approval(&keys, "req1", "n1", &a.to_string())
        .unwrap_err();
    assert!(e.0.contains("not one of yours"), "{e}");

    // Made on another site: refused too.
    let mut elsewhere = SoftPasskey::new("http://evil.example");
    let (o, state) = rp.start_registration("iss", "eve", "eve", &[]).unwrap();
    let answer = elsewhere.register(&serde_json::to_value(&o).unwrap());
    assert!(rp.finish_registration(&answer.to_string(), &state).is_err());

    // Garbage is refused, not a panic.
    assert!(rp.verify_approval(&keys, "req1", "n1", "{}").is_err());
    assert!(rp.verify_approval(&keys, "req1", "n1", "not json").is_err());
}

#[test]
fn the_challenge_binds_the_request_and_the_nonce() {
    assert_eq!(challenge("a", "n"), challenge("a", "n"));
    assert_ne!(challenge("a", "n"), challenge("b", "n"));
    assert_ne!(challenge("a", "n"), challenge("a", "m"));
    // The separator keeps "a"+"bn" apart from "ab"+"n".
    assert_ne!(challenge("a", "bn"), challenge("ab", "n"));
    assert_eq!(challenge("a", "n").len(), 32);
}

#[test]
fn the_relying_party_is_a_host_name_never_an_ip_address() {
    assert_eq!(rp().rp_id(), "localhost");
    assert_eq!(
        RelyingParty::from_base("https://zt.example.com/")
            .unwrap()
            .rp_id(),
        "zt.example.com"
    );
    for ip in [
        "http://127.0.0.1:8080",
        "https://10.0.0.5",
        "http://[::1]:9000",
    ] {
        let e = RelyingParty::from_base(ip).unwrap_err();
        assert!(
            e.contains("IP address") && e.contains("public_url"),
            "{ip}: {e}"
        );
    }
    assert!(RelyingParty::from_base("ftp://zt.example.com").is_err());
    assert!(RelyingParty::from_base("not a url").is_err());
}
