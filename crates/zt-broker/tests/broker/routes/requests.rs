//! Reading and withdrawing requests (`src/routes/requests.rs`): the long-poll, who reads a
//! request, the approver inbox, withdraw.

use std::time::{Duration, Instant};

use reqwest::Method;

use zt_testkit::broker::TestBroker;

#[tokio::test]
async fn a_long_poll_returns_soon_after_the_approval() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-k8s", "admin", 600).await.id();
    let path = format!("/v1/requests/{id}?wait=30s");
    let started = Instant::now();
    let (polled, approved_at) = tokio::join!(t.get("alice", &path), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let a = t
            .post("bob", &format!("/v1/requests/{id}/approve"), None)
            .await;
        assert_eq!(a.status, 200);
        Instant::now()
    });
    let returned_at = Instant::now();
    assert_eq!(
        (polled.status, polled.body["state"].as_str()),
        (200, Some("approved"))
    );
    let lag = returned_at.saturating_duration_since(approved_at);
    eprintln!("long-poll returned {lag:?} after the approval");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(t.broker.notifier.is_empty(), "subscriptions are cleaned up");
}

#[tokio::test]
async fn a_long_poll_returns_after_the_wait_when_nothing_happens() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-k8s", "admin", 600).await.id();
    let started = Instant::now();
    let r = t.get("alice", &format!("/v1/requests/{id}?wait=1s")).await;
    let took = started.elapsed();
    assert_eq!((r.status, r.body["state"].as_str()), (200, Some("pending")));
    assert!(
        took >= Duration::from_millis(950) && took < Duration::from_secs(5),
        "{took:?}"
    );
    // Not waiting when the state is already another one; a bad wait is a 400.
    let started = Instant::now();
    let r = t
        .get(
            "alice",
            &format!("/v1/requests/{id}?wait=30s&state=approved"),
        )
        .await;
    assert_eq!(r.body["state"], "pending");
    assert!(started.elapsed() < Duration::from_secs(5));
    let r = t
        .get("alice", &format!("/v1/requests/{id}?wait=soon"))
        .await;
    assert_eq!((r.status, r.slug()), (400, "invalid-request"));
}

#[tokio::test]
async fn only_requester_approvers_and_admins_read_a_request() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-k8s", "admin", 600).await.id();
    for (user, status) in [
        ("alice", 200),
        ("bob", 200),
        ("root", 200),
        ("mallory", 403),
        ("outsider", 403),
    ] {
        assert_eq!(
            t.get(user, &format!("/v1/requests/{id}")).await.status,
            status,
            "{user}"
        );
    }
    assert_eq!(
        t.get("alice", "/v1/requests/ffffffffffffffff").await.status,
        404
    );
}

#[tokio::test]
async fn the_inbox_lists_what_the_caller_may_approve_never_their_own() {
    let t = TestBroker::start().await;
    let a = t.create("alice", "prod-k8s", "admin", 600).await.id();
    let d = t.create("dave", "prod-db", "readwrite", 600).await.id();
    let _auto = t.create("alice", "prod-k8s", "view", 600).await.id();
    let ids = |r: &zt_testkit::broker::Resp| -> Vec<String> {
        r.body["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let inbox = t.get("dave", "/v1/requests?approver=me").await;
    assert_eq!(ids(&inbox), std::slice::from_ref(&a));
    let inbox = t.get("bob", "/v1/requests?approver=me&state=pending").await;
    assert_eq!(ids(&inbox).len(), 2);
    assert!(ids(&inbox).contains(&d));
    assert!(ids(&t.get("mallory", "/v1/requests?approver=me").await).is_empty());
    let mine = t
        .get("alice", "/v1/requests?requester=me&state=pending,approved")
        .await;
    assert_eq!(ids(&mine).len(), 2);
    let bad = t.get("alice", "/v1/requests?state=sleeping").await;
    assert_eq!((bad.status, bad.slug()), (400, "invalid-request"));
    let bad = t.get("alice", "/v1/requests?approver=bob").await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn the_requester_withdraws_a_pending_request() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-k8s", "admin", 600).await.id();
    let r = t
        .send(
            Some("bob"),
            Method::DELETE,
            &format!("/v1/requests/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!((r.status, r.slug()), (403, "forbidden"));
    let r = t
        .send(
            Some("alice"),
            Method::DELETE,
            &format!("/v1/requests/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.body["state"].as_str()),
        (200, Some("cancelled"))
    );
    let r = t
        .send(
            Some("alice"),
            Method::DELETE,
            &format!("/v1/requests/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!((r.status, r.slug()), (409, "conflict"));
    let r = t
        .post("bob", &format!("/v1/requests/{id}/approve"), None)
        .await;
    assert_eq!((r.status, r.slug()), (409, "conflict"));
}
