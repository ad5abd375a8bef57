//! Approvals confirmed with a passkey on a whole broker whose policy says
//! `@approval_assurance("passkey")`: the API refuses a plain approval (403 passkey-required,
//! naming the review page) and the request stays pending; an assertion whose challenge binds
//! the request and the approver's current nonce approves it, and the audit row says which
//! passkey and that it verified the person; an assertion made for another request, one made
//! under a replaced nonce and a used one replayed are refused, audited, and change nothing.
//! The passkey is zt-testkit's software one (the browser test uses Chromium's).

use zt_api::State;
use zt_broker::auth::Principal;
use zt_broker::domain::{self, DomainError};
use zt_broker::review::passkey::ceremony::RelyingParty;
use zt_broker::store::{AuditEntry, PasskeyProof, StoredPasskey};
use zt_testkit::broker::TestBroker;
use zt_testkit::passkey::SoftPasskey;

/// The demo policies, the approval one asking for a passkey.
fn passkey_policies() -> tempfile::TempDir {
    let demo = include_str!("../../../src/dev/demo/demo.cedar");
    let marked = demo.replace(
        "@approvers(\"sre-leads\")",
        "@approvers(\"sre-leads\")\n@approval_assurance(\"passkey\")",
    );
    assert_ne!(demo, marked, "the demo policy has an approval permit");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("demo.cedar"), marked).unwrap();
    dir
}

async fn bob(t: &TestBroker) -> Principal {
    t.broker.verifier.verify(&t.token("bob")).await.unwrap()
}

/// bob's passkey, enrolled.
async fn enrol(t: &TestBroker, rp: &RelyingParty, bob: &Principal, origin: &str) -> SoftPasskey {
    let mut soft = SoftPasskey::new(origin);
    let (options, state) = rp
        .start_registration(&bob.issuer, &bob.sub, bob.display(), &[])
        .unwrap();
    let answer = soft.register(&serde_json::to_value(&options).unwrap());
    let key = rp.finish_registration(&answer.to_string(), &state).unwrap();
    let stored = StoredPasskey {
        credential_id: soft.credential_id(),
        owner: bob.display().into(),
        passkey: serde_json::to_string(&key).unwrap(),
        created_at: zt_api::Timestamp::now(),
        last_used_at: None,
    };
    let audit = AuditEntry::new(bob.display(), "passkey.register", None);
    assert!(
        t.broker
            .store
            .add_passkey(&bob.issuer, &bob.sub, &stored, audit)
            .await
            .unwrap()
    );
    soft
}

async fn keys(t: &TestBroker, bob: &Principal) -> Vec<webauthn_rs::prelude::Passkey> {
    t.broker
        .store
        .passkeys_of(&bob.issuer, &bob.sub)
        .await
        .unwrap()
        .iter()
        .map(|k| serde_json::from_str(&k.passkey).unwrap())
        .collect()
}

/// Start bob's approval of `id`: the options (with the challenge) his passkey signs.
async fn start(t: &TestBroker, rp: &RelyingParty, bob: &Principal, id: &str) -> serde_json::Value {
    let (_, nonce) = domain::passkey::start(&t.broker, bob, id).await.unwrap();
    serde_json::to_value(
        rp.approval_options(&keys(t, bob).await, id, &nonce)
            .unwrap(),
    )
    .unwrap()
}

/// bob sends `assertion` as his approval of `id`, as the review page's route does.
async fn send(
    t: &TestBroker,
    rp: &RelyingParty,
    bob: &Principal,
    id: &str,
    assertion: &serde_json::Value,
) -> Result<State, DomainError> {
    let b = &t.broker;
    let nonce = domain::passkey::current_nonce(b, bob, id).await?;
    let v = match rp.verify_approval(&keys(t, bob).await, id, &nonce, &assertion.to_string()) {
        Ok(v) => v,
        Err(why) => return Err(domain::passkey::refuse(b, bob, id, why.0).await),
    };
    let proof = PasskeyProof {
        credential_id: v.credential_id,
        user_verified: v.user_verified,
        counter: v.counter,
        nonce,
        passkey: serde_json::to_string(&v.passkey).unwrap(),
    };
    let (rec, _) = domain::passkey::approve(b, bob, id, Some("ok".into()), proof).await?;
    Ok(rec.state())
}

async fn refusals(t: &TestBroker, id: &str) -> Vec<String> {
    t.broker
        .store
        .audit_rows(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.entry.action == domain::passkey::REFUSED && r.entry.request_id.as_deref() == Some(id)
        })
        .map(|r| r.entry.detail)
        .collect()
}

#[tokio::test]
async fn a_passkey_only_request_is_approved_with_its_own_fresh_assertion_and_nothing_else() {
    let policies = passkey_policies();
    let t = TestBroker::start_with_policies(policies.path()).await;
    let base = t
        .broker
        .public_base()
        .expect("the dev broker's base")
        .to_owned();
    assert!(base.starts_with("http://localhost:"), "{base}");
    let rp = RelyingParty::from_base(&base).unwrap();
    let bob = bob(&t).await;

    let r1 = t.create("alice", "prod-k8s", "admin", 600).await.id();
    let r2 = t.create("alice", "prod-k8s", "edit", 600).await.id();
    let created = t.get("alice", &format!("/v1/requests/{r1}")).await;
    assert_eq!(created.body["decision"]["approval_assurance"], "passkey");

    // Through the API, without a passkey: refused, naming the review page; nothing changes.
    let plain = t
        .post("bob", &format!("/v1/requests/{r1}/approve"), None)
        .await;
    assert_eq!(
        (plain.status, plain.slug()),
        (403, "passkey-required"),
        "{plain:?}"
    );
    let detail = plain.body["detail"].as_str().unwrap();
    assert!(detail.contains(&format!("{base}/review/{r1}")), "{detail}");
    let still = t.get("alice", &format!("/v1/requests/{r1}")).await;
    assert_eq!(still.body["state"], "pending");
    assert_eq!(
        still.body["approvals"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0),
        0
    );

    let mut soft = enrol(&t, &rp, &bob, &base).await;

    // An assertion made for r2, sent as the approval of r1 (whose own challenge is open).
    let for_r2 = soft.assert(&start(&t, &rp, &bob, &r2).await);
    start(&t, &rp, &bob, &r1).await;
    let e = send(&t, &rp, &bob, &r1, &for_r2).await.unwrap_err();
    assert!(matches!(e, DomainError::PasskeyRefused(_)), "{e:?}");
    // A challenge of r1 replaced by a newer one (an old assertion replayed).
    let old = soft.assert(&start(&t, &rp, &bob, &r1).await);
    let fresh_options = start(&t, &rp, &bob, &r1).await;
    let e = send(&t, &rp, &bob, &r1, &old).await.unwrap_err();
    assert!(matches!(e, DomainError::PasskeyRefused(_)), "{e:?}");
    assert_eq!(
        refusals(&t, &r1).await.len(),
        2,
        "both refusals are audited"
    );
    let r1_now = t.get("alice", &format!("/v1/requests/{r1}")).await;
    assert_eq!(r1_now.body["state"], "pending");

    // Its own, fresh: approved, and the audit row says how.
    let good = soft.assert(&fresh_options);
    assert_eq!(
        send(&t, &rp, &bob, &r1, &good).await.unwrap(),
        State::Approved
    );
    let rows = t.broker.store.audit_rows(0, 10_000).await.unwrap();
    let approve = rows
        .iter()
        .rev()
        .find(|r| {
            r.entry.action == "request.approve"
                && r.entry.request_id.as_deref() == Some(r1.as_str())
        })
        .expect("the approval's audit row");
    assert!(
        approve
            .entry
            .detail
            .contains(&format!("confirmed with passkey {}", soft.credential_id()))
            && approve.entry.detail.contains("user verified: yes"),
        "{}",
        approve.entry.detail
    );
    let shown = t.get("alice", &format!("/v1/requests/{r1}")).await;
    assert_eq!(
        shown.body["approvals"][0]["passkey"]["credential_id"],
        soft.credential_id().as_str()
    );
    assert_eq!(shown.body["approvals"][0]["passkey"]["user_verified"], true);

    // r1's assertion sent for r2 (whose challenge is still open): another request's, refused;
    // r2 stays pending.
    let e = send(&t, &rp, &bob, &r2, &good).await.unwrap_err();
    assert!(matches!(e, DomainError::PasskeyRefused(_)), "{e:?}");
    assert_eq!(
        t.get("alice", &format!("/v1/requests/{r2}")).await.body["state"],
        "pending"
    );
    // r1's good assertion again: r1 is over, and its nonce was used.
    assert!(send(&t, &rp, &bob, &r1, &good).await.is_err());
    assert!(t.broker.store.verify_audit_chain().await.is_ok());
}
