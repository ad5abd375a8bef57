//! `POST /v1/requests/{id}/approve` and `/deny` (`src/routes/decide.rs`): who may decide, N
//! approvals, what is audited.

use serde_json::json;

use zt_api::Timestamp;
use zt_testkit::broker::TestBroker;

fn ts(v: &serde_json::Value) -> Timestamp {
    Timestamp::parse_rfc3339(v.as_str().expect("a time")).unwrap()
}

#[tokio::test]
async fn an_approver_approves_and_the_ttl_starts_then() {
    let t = TestBroker::start().await;
    let r = t.create("alice", "prod-k8s", "admin", 1800).await;
    let id = r.id();
    let a = t
        .post(
            "bob",
            &format!("/v1/requests/{id}/approve"),
            Some(json!({"comment": "ok for INC-1"})),
        )
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.body["state"], "approved");
    assert_eq!(a.body["decided_by"], "bob@example.com");
    let (nb, exp) = (ts(&a.body["not_before"]), ts(&a.body["expires_at"]));
    assert_eq!(exp.0 - nb.0, 1800);
    assert!((nb.0 - Timestamp::now().0).abs() <= 2);
    // Decided once: a second decision is a conflict.
    let again = t
        .post("dave", &format!("/v1/requests/{id}/deny"), None)
        .await;
    assert_eq!((again.status, again.slug()), (409, "conflict"));
}

#[tokio::test]
async fn nobody_approves_their_own_request_even_an_approver() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-k8s", "admin", 600).await.id();
    let r = t
        .post("alice", &format!("/v1/requests/{id}/approve"), None)
        .await;
    assert_eq!((r.status, r.slug()), (403, "self-approval"));
    // dave is in sre-leads, and still may not approve his own request.
    let id = t.create("dave", "prod-k8s", "admin", 600).await.id();
    let r = t
        .post("dave", &format!("/v1/requests/{id}/approve"), None)
        .await;
    assert_eq!((r.status, r.slug()), (403, "self-approval"));
    let r = t
        .post("dave", &format!("/v1/requests/{id}/deny"), None)
        .await;
    assert_eq!((r.status, r.slug()), (403, "self-approval"));
    let r = t.get("dave", &format!("/v1/requests/{id}")).await;
    assert_eq!(r.body["state"], "pending");
}

#[tokio::test]
async fn non_approvers_cannot_decide() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-k8s", "edit", 600).await.id();
    for user in ["mallory", "root", "outsider"] {
        let r = t
            .post(user, &format!("/v1/requests/{id}/approve"), None)
            .await;
        assert_eq!((r.status, r.slug()), (403, "forbidden"), "{user}");
    }
    let r = t
        .post("bob", "/v1/requests/0000000000000000/approve", None)
        .await;
    assert_eq!((r.status, r.slug()), (404, "not-found"));
}

#[tokio::test]
async fn an_approver_denies_with_a_comment() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-aws", "admin", 600).await.id();
    let r = t
        .post(
            "bob",
            &format!("/v1/requests/{id}/deny"),
            Some(json!({"comment": "use readonly"})),
        )
        .await;
    assert_eq!((r.status, r.body["state"].as_str()), (200, Some("denied")));
    assert!(r.body.get("expires_at").is_none());
    let c = t
        .post("alice", &format!("/v1/grants/{id}/credentials"), None)
        .await;
    assert_eq!((c.status, c.slug()), (410, "grant-not-live"));
    let rows = t.broker.store.audit_rows(0, 100).await.unwrap();
    let deny = rows
        .iter()
        .find(|r| r.entry.action == "request.deny")
        .unwrap();
    assert_eq!(deny.entry.actor, "bob@example.com");
    assert!(deny.entry.detail.contains("use readonly"));
}

#[tokio::test]
async fn two_approvals_take_two_approvers_and_one_deny_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.cedar"),
        r#"@id("two-leads") @outcome("approval") @approvers("sre-leads") @approvals("2")
           permit (principal in Group::"engineering", action == Action::"request", resource);"#,
    )
    .unwrap();
    let t = TestBroker::start_with_policies(dir.path()).await;
    let id = t.create("alice", "prod-k8s", "admin", 900).await.id();
    let approve = |who: &'static str| {
        let (t, path) = (&t, format!("/v1/requests/{id}/approve"));
        async move { t.post(who, &path, None).await }
    };

    let a = approve("bob").await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.body["state"], "pending");
    assert_eq!(a.body["decision"]["approvals_required"], 2);
    assert_eq!(a.body["approvals"][0]["by"], "bob@example.com");
    assert!(a.body.get("expires_at").is_none());
    // bob has done his part: his inbox no longer lists it; dave's does.
    let inbox = |who: &'static str| {
        let t = &t;
        async move {
            let r = t.get(who, "/v1/requests?approver=me").await;
            r.body["requests"].as_array().unwrap().len()
        }
    };
    assert_eq!((inbox("bob").await, inbox("dave").await), (0, 1));
    // Asking again changes nothing.
    let again = approve("bob").await;
    assert_eq!((again.status, again.body.clone()), (200, a.body.clone()));
    // The requester still may not, whatever the count.
    assert_eq!(approve("alice").await.slug(), "self-approval");

    let b = approve("dave").await;
    assert_eq!(b.status, 200, "{:?}", b.body);
    assert_eq!(b.body["state"], "approved");
    assert_eq!(b.body["decided_by"], "dave@example.com");
    assert_eq!(b.body["approvals"].as_array().unwrap().len(), 2);
    let (nb, exp) = (ts(&b.body["not_before"]), ts(&b.body["expires_at"]));
    assert_eq!(exp.0 - nb.0, 900);
    let rows = t.broker.store.audit_rows(0, 100).await.unwrap();
    let counts: Vec<&str> = rows
        .iter()
        .filter(|r| r.entry.action == "request.approve")
        .map(|r| r.entry.detail.rsplit("; ").next().unwrap())
        .collect();
    assert_eq!(counts, ["approval 1 of 2", "approval 2 of 2"]);

    // One approval, then a deny: denied.
    let id = t.create("alice", "prod-k8s", "admin", 900).await.id();
    assert_eq!(
        t.post("bob", &format!("/v1/requests/{id}/approve"), None)
            .await
            .body["state"],
        "pending"
    );
    let d = t
        .post("dave", &format!("/v1/requests/{id}/deny"), None)
        .await;
    assert_eq!((d.status, d.body["state"].as_str()), (200, Some("denied")));
}
