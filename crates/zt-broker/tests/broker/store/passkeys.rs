//! Passkeys and passkey-confirmed approvals in the store, on both databases: passkeys kept per
//! person (a credential id enrolled once), a registration taken once, and an approval's nonce
//! used once — a second approval with the same nonce (a replayed assertion), or with a nonce
//! the approver replaced, is refused and changes nothing — and the approval records the
//! passkey, with the audit chain intact.

use super::{Db, audit, postgres, record, sqlite, sqlite_url};
use zt_api::{State, Timestamp};
use zt_broker::auth::Principal;
use zt_broker::store::{Approval, PasskeyProof, Store, StoreError, StoredPasskey};

fn bob() -> Principal {
    Principal {
        auth: Default::default(),
        sub: "bob".into(),
        issuer: "http://idp".into(),
        email: Some("bob@example.com".into()),
        name: None,
        groups: vec!["sre-leads".into()],
    }
}

fn key(id: &str) -> StoredPasskey {
    StoredPasskey {
        credential_id: id.into(),
        owner: "bob@example.com".into(),
        passkey: format!("{{\"cred\":\"{id}\",\"counter\":0}}"),
        created_at: Timestamp(1000),
        last_used_at: None,
    }
}

fn proof(nonce: &str) -> PasskeyProof {
    PasskeyProof {
        credential_id: "cred-1".into(),
        user_verified: true,
        counter: 7,
        nonce: nonce.into(),
        passkey: "{\"cred\":\"cred-1\",\"counter\":7}".into(),
    }
}

on_both_stores!(passkeys_are_kept_per_person_and_registrations_taken_once);

async fn passkeys_are_kept_per_person_and_registrations_taken_once(s: &Store) {
    let b = bob();
    assert!(s.passkeys_of(&b.issuer, &b.sub).await.unwrap().is_empty());
    assert!(
        s.add_passkey(&b.issuer, &b.sub, &key("cred-1"), audit("passkey.register"))
            .await
            .unwrap()
    );
    // The same credential id again (by anyone): refused, nothing audited.
    let rows = s.audit_rows(0, 100).await.unwrap().len();
    assert!(
        !s.add_passkey(
            "http://idp",
            "eve",
            &key("cred-1"),
            audit("passkey.register")
        )
        .await
        .unwrap()
    );
    assert_eq!(s.audit_rows(0, 100).await.unwrap().len(), rows);
    assert!(
        s.add_passkey(&b.issuer, &b.sub, &key("cred-2"), audit("passkey.register"))
            .await
            .unwrap()
    );
    let mine = s.passkeys_of(&b.issuer, &b.sub).await.unwrap();
    assert_eq!(
        mine.iter()
            .map(|k| k.credential_id.as_str())
            .collect::<Vec<_>>(),
        ["cred-1", "cred-2"]
    );
    assert!(s.passkeys_of("http://idp", "eve").await.unwrap().is_empty());

    s.put_passkey_registration(&b.issuer, &b.sub, "state-1", Timestamp(5))
        .await
        .unwrap();
    s.put_passkey_registration(&b.issuer, &b.sub, "state-2", Timestamp(6))
        .await
        .unwrap();
    assert_eq!(
        s.take_passkey_registration(&b.issuer, &b.sub)
            .await
            .unwrap(),
        Some(("state-2".into(), Timestamp(6)))
    );
    assert_eq!(
        s.take_passkey_registration(&b.issuer, &b.sub)
            .await
            .unwrap(),
        None
    );
    assert_eq!(s.verify_audit_chain().await, Ok(2));
}

on_both_stores!(an_approval_nonce_counts_once);

async fn an_approval_nonce_counts_once(s: &Store) {
    let b = bob();
    let mut rec = record("r1", "k1", State::Pending);
    rec.request.decision.approvals_required = 2;
    rec.request.decision.approval_assurance = Some(zt_api::ApprovalAssurance::Passkey);
    s.insert_request(&rec, audit("create")).await.unwrap();
    s.add_passkey(&b.issuer, &b.sub, &key("cred-1"), audit("passkey.register"))
        .await
        .unwrap();

    // A nonce replaced by a newer one no longer counts: refused, nothing changed.
    s.put_approval_nonce("r1", &b.issuer, &b.sub, "n1", Timestamp::now())
        .await
        .unwrap();
    s.put_approval_nonce("r1", &b.issuer, &b.sub, "n2", Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        s.approval_nonce("r1", &b.issuer, &b.sub)
            .await
            .unwrap()
            .map(|(n, _)| n),
        Some("n2".into())
    );
    let rows = s.audit_rows(0, 100).await.unwrap().len();
    let stale = s
        .approve_with_passkey("r1", &b, None, audit("approve"), Some(&proof("n1")))
        .await;
    assert!(matches!(stale, Err(StoreError::Stale(_))), "{stale:?}");
    assert!(s.get("r1").await.unwrap().approvals.is_empty());
    assert_eq!(s.audit_rows(0, 100).await.unwrap().len(), rows);

    // The current one counts, records the passkey, and is used up.
    let done = s
        .approve_with_passkey("r1", &b, None, audit("approve"), Some(&proof("n2")))
        .await
        .unwrap();
    let Approval::Counted(r) = done else {
        panic!("{done:?}")
    };
    let given = r.request.approvals[0]
        .passkey
        .as_ref()
        .expect("the passkey is recorded");
    assert_eq!(given.credential_id, "cred-1");
    assert!(given.user_verified);
    assert_eq!(
        s.approval_nonce("r1", &b.issuer, &b.sub).await.unwrap(),
        None
    );
    // The counter moved on with it.
    let k = s.passkeys_of(&b.issuer, &b.sub).await.unwrap();
    assert!(k[0].passkey.contains("\"counter\":7"), "{}", k[0].passkey);
    assert!(k[0].last_used_at.is_some());

    // The same nonce again (a replay): refused, the request as it was. Another nonce of the
    // same approver for another request does not help either.
    s.put_approval_nonce("r9", &b.issuer, &b.sub, "n2", Timestamp::now())
        .await
        .unwrap();
    let before = s.get("r1").await.unwrap();
    let again = s
        .approve_with_passkey("r1", &b, None, audit("approve"), Some(&proof("n2")))
        .await;
    assert!(matches!(again, Err(StoreError::Stale(_))), "{again:?}");
    assert_eq!(s.get("r1").await.unwrap(), before);

    // The last approval needed takes every open challenge of the request with it.
    let dave = Principal {
        sub: "dave".into(),
        ..bob()
    };
    s.put_approval_nonce("r1", &b.issuer, &b.sub, "n3", Timestamp::now())
        .await
        .unwrap();
    s.put_approval_nonce("r1", &dave.issuer, &dave.sub, "d1", Timestamp::now())
        .await
        .unwrap();
    let last = s
        .approve("r1", &dave, None, audit("approve"))
        .await
        .unwrap();
    assert!(matches!(last, Approval::Approved(_)), "{last:?}");
    assert_eq!(
        s.approval_nonce("r1", &b.issuer, &b.sub).await.unwrap(),
        None
    );
    assert_eq!(
        s.approval_nonce("r9", &b.issuer, &b.sub)
            .await
            .unwrap()
            .map(|(n, _)| n),
        Some("n2".into())
    );
    assert!(s.verify_audit_chain().await.is_ok());
}
