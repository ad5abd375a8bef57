//! Approvals counted in the store: each approver once, the last one needed approves and opens
//! the window, nothing after that, on both stores.

use super::{Db, audit, postgres, record, sqlite, sqlite_url};
use zt_api::State;
use zt_broker::auth::Principal;
use zt_broker::store::{Approval, Store, StoreError};

fn approver(sub: &str) -> Principal {
    Principal {
        auth: Default::default(),
        sub: sub.into(),
        issuer: "http://idp".into(),
        email: Some(format!("{sub}@example.com")),
        name: None,
        groups: vec!["sre-leads".into()],
    }
}

on_both_stores!(two_approvals_are_two_approvers_once_each);

async fn two_approvals_are_two_approvers_once_each(s: &Store) {
    let mut rec = record("r2", "k2", State::Pending);
    rec.request.decision.approvals_required = 2;
    rec.request.ttl_secs = 600;
    s.insert_request(&rec, audit("create")).await.unwrap();
    let (bob, dave, erin) = (approver("bob"), approver("dave"), approver("erin"));
    let rows = || async { s.audit_rows(0, 1000).await.unwrap().len() };

    let first = s
        .approve("r2", &bob, Some("looks right".into()), audit("approve"))
        .await
        .unwrap();
    let Approval::Counted(r) = first else {
        panic!("one of two is not enough: {first:?}")
    };
    assert_eq!(r.state(), State::Pending);
    assert_eq!(r.request.expires_at, None);
    assert_eq!(r.request.approvals.len(), 1);
    assert_eq!(r.request.approvals[0].by, "bob@example.com");
    assert_eq!(
        r.request.approvals[0].comment.as_deref(),
        Some("looks right")
    );
    assert!(r.approved_by(&bob) && !r.approved_by(&dave));
    let audited = rows().await;
    let last = s.audit_rows(0, 1000).await.unwrap().pop().unwrap();
    assert!(last.entry.detail.ends_with("approval 1 of 2"), "{last:?}");

    // The same approver again (same issuer and subject): nothing changes, nothing is audited.
    let again = s.approve("r2", &bob, None, audit("approve")).await.unwrap();
    assert!(matches!(again, Approval::Already(_)), "{again:?}");
    assert_eq!(rows().await, audited);
    // Another issuer's "bob" is another person.
    let mut other_bob = approver("bob");
    other_bob.issuer = "http://other-idp".into();

    let second = s
        .approve("r2", &other_bob, None, audit("approve"))
        .await
        .unwrap();
    let Approval::Approved(r) = second else {
        panic!("two approvers approve: {second:?}")
    };
    assert_eq!(r.state(), State::Approved);
    let (nb, exp) = (r.request.not_before.unwrap(), r.request.expires_at.unwrap());
    assert_eq!(exp.0 - nb.0, 600);
    assert_eq!(r.request.approvals.len(), 2);
    assert_eq!(r.request.decided_by.as_deref(), Some("bob@example.com"));

    // Decided: a third approval is refused with the state it is in, and changes nothing.
    let third = s.approve("r2", &erin, None, audit("approve")).await;
    assert!(
        matches!(
            third,
            Err(StoreError::Refused {
                actual: Some(State::Approved),
                ..
            })
        ),
        "{third:?}"
    );
    assert_eq!(s.get("r2").await.unwrap().request.approvals.len(), 2);
    assert!(matches!(
        s.approve("nope", &dave, None, audit("approve")).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        s.verify_audit_chain().await,
        Ok(s.audit_rows(0, 100_000).await.unwrap().len())
    );

    // A one-approval request (no count stored, as before N approvals) approves at once.
    s.insert_request(&record("r1", "k1", State::Pending), audit("create"))
        .await
        .unwrap();
    let one = s
        .approve("r1", &dave, None, audit("approve"))
        .await
        .unwrap();
    assert!(matches!(one, Approval::Approved(_)), "{one:?}");
}
