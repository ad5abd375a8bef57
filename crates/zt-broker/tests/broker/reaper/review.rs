//! The review window: pending requests nobody decided expire — by the reaper, which wakes any
//! long-poll on them, or at the latest when someone tries to decide them too late.

use std::time::Duration;

use zt_api::State;
use zt_broker::reaper::ACTOR;
use zt_testkit::broker::TestBroker;

#[tokio::test]
async fn the_reaper_expires_an_undecided_request_and_wakes_its_long_poll() {
    let t = TestBroker::start().await;
    // Set before the request exists: creating it wakes the reaper with this window.
    t.broker.set_review_window(Duration::from_secs(2));
    let id = t.create("alice", "prod-k8s", "admin", 600).await.id();
    let path = format!("/v1/requests/{id}?wait=30s");
    let r = t.get("alice", &path).await;
    assert_eq!((r.status, r.body["state"].as_str()), (200, Some("expired")));
    assert!(
        r.body.get("expires_at").is_none(),
        "never a grant: {:?}",
        r.body
    );
    let rows = t.broker.store.audit_rows(0, 100).await.unwrap();
    let expire = rows
        .iter()
        .find(|r| r.entry.action == "request.expire")
        .expect("a request.expire row");
    assert_eq!(expire.entry.actor, ACTOR);
    assert_eq!(expire.entry.request_id.as_deref(), Some(id.as_str()));
    // Too late to approve it now: over (410, exit 6), not a conflict.
    let a = t
        .post("bob", &format!("/v1/requests/{id}/approve"), None)
        .await;
    assert_eq!((a.status, a.slug()), (410, "grant-not-live"));
}

/// A broker with no reaper running, so only the handlers can expire anything.
async fn quiet_broker(dir: &std::path::Path) -> std::sync::Arc<zt_broker::state::Broker> {
    use zt_broker::auth::Verifier;
    use zt_broker::dev::demo::DemoPolicy;
    use zt_broker::issuers::Issuers;
    use zt_broker::store::Store;
    let discovery = zt_api::Discovery {
        issuer: "http://idp".into(),
        client_id: "c".into(),
        scopes: vec![],
        audience: "a".into(),
        broker_version: "0".into(),
    };
    zt_broker::state::Broker::new(
        Store::open(&dir.join("db")).await.unwrap(),
        zt_broker::dev::demo::catalog().unwrap(),
        Box::new(DemoPolicy),
        Issuers::default(),
        Verifier::new(vec![], reqwest::Client::new()),
        discovery,
    )
}

/// alice's pending prod-k8s/admin request, made `age_secs` ago.
async fn pending(b: &zt_broker::state::Broker, id: &str, age_secs: i64) {
    use zt_api::{self as api, ClientContext, Decision, Outcome, ResourceKind, Timestamp};
    let created = Timestamp::now().add_secs(-age_secs);
    let rec = zt_broker::store::Record {
        request: api::Request {
            id: id.into(),
            requester: "alice@example.com".into(),
            resource: "prod-k8s".into(),
            kind: ResourceKind::Kubernetes,
            role: "admin".into(),
            ttl_secs: 600,
            reason: None,
            ticket: None,
            break_glass: false,
            state: State::Pending,
            decision: Decision {
                outcome: Outcome::RequireApproval,
                policy_ids: vec!["demo/approval-required".into()],
                reason: String::new(),
                approver_groups: vec!["sre-leads".into()],
                approvals_required: 1,
                approval_assurance: None,
            },
            decided_by: None,
            decision_comment: None,
            approvals: vec![],
            created_at: created,
            not_before: None,
            expires_at: None,
            review_url: None,
            bundle_id: None,
            start_at: None,
            activation: None,
            claim_by: None,
        },
        requester_issuer: "http://idp".into(),
        requester_sub: "alice".into(),
        idempotency_key: id.into(),
        body_sha256: String::new(),
        context: ClientContext::default(),
        comment: None,
        approvals: vec![],
        claim_secs: None,
    };
    let audit = zt_broker::store::AuditEntry::new("t", "request.create", Some(id));
    b.store.insert_request(&rec, audit).await.unwrap();
}

#[tokio::test]
async fn deciding_after_the_window_is_refused_even_before_the_reaper_runs() {
    use axum::extract::State as AxState;

    use zt_api::Comment;
    use zt_broker::auth::Principal;
    use zt_broker::routes::decide;
    use zt_broker::routes::extract::{ApiPath, Caller, OptionalJson};
    use zt_broker::state::AppState;

    let dir = tempfile::tempdir().unwrap();
    let b = quiet_broker(dir.path()).await;
    b.set_review_window(Duration::from_secs(60));
    pending(&b, "late0000000000000", 61).await;
    pending(&b, "late1111111111111", 61).await;
    pending(&b, "ontime00000000000", 10).await;
    let bob = || {
        Caller(Principal {
            auth: Default::default(),
            sub: "bob".into(),
            issuer: "http://idp".into(),
            email: Some("bob@example.com".into()),
            name: None,
            groups: vec!["engineering".into(), "sre-leads".into()],
        })
    };
    let app = || AxState(AppState::new(b.clone()));
    let none = || OptionalJson(Comment::default());

    let e = decide::approve(app(), bob(), ApiPath("late0000000000000".into()), none())
        .await
        .unwrap_err();
    // Over, like an ended grant (410, the client's exit 6), not a conflict to retry.
    assert_eq!((e.status.as_u16(), e.slug), (410, "grant-not-live"));
    assert!(e.detail.unwrap().contains("review window"));
    let e = decide::deny(app(), bob(), ApiPath("late1111111111111".into()), none())
        .await
        .unwrap_err();
    assert_eq!(e.status.as_u16(), 410);
    for id in ["late0000000000000", "late1111111111111"] {
        assert_eq!(b.store.get(id).await.unwrap().state(), State::Expired);
    }
    let rows = b.store.audit_rows(0, 100).await.unwrap();
    let expired: Vec<(&str, Option<&str>)> = rows
        .iter()
        .filter(|r| r.entry.action == "request.expire")
        .map(|r| (r.entry.actor.as_str(), r.entry.request_id.as_deref()))
        .collect();
    assert_eq!(
        expired,
        [
            ("zt-broker", Some("late0000000000000")),
            ("zt-broker", Some("late1111111111111"))
        ]
    );
    // Within the window an approval goes through as ever.
    let ok = decide::approve(app(), bob(), ApiPath("ontime00000000000".into()), none())
        .await
        .unwrap();
    assert_eq!(ok.0.0.state, State::Approved);
    // And the reaper's pass expires only what is due.
    pending(&b, "late2222222222222", 61).await;
    pending(&b, "fresh000000000000", 0).await;
    zt_broker::reaper::pass(&b).await;
    assert_eq!(
        b.store.get("late2222222222222").await.unwrap().state(),
        State::Expired
    );
    assert_eq!(
        b.store.get("fresh000000000000").await.unwrap().state(),
        State::Pending
    );
}
