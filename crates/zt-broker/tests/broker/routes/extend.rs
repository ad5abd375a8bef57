//! `POST /v1/grants/{id}/extend` (`src/routes/extend.rs`): the requester, policy's `extend`,
//! the grant's whole length, a fresh credential.

use std::time::Duration;

use serde_json::json;

use zt_api::{State, Timestamp};
use zt_testkit::broker::TestBroker;

fn at(v: &serde_json::Value) -> Timestamp {
    Timestamp::parse_rfc3339(v.as_str().expect("a time")).expect("RFC 3339")
}

#[tokio::test]
async fn the_requester_extends_a_live_grant_and_it_is_audited() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-k8s", "view", 60).await.id();
    let path = format!("/v1/grants/{id}/extend");
    let before = Timestamp::now();
    let r = t
        .post(
            "alice",
            &path,
            Some(json!({"ttl_secs": 600, "reason": "INC-9"})),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let end = at(&r.body["expires_at"]);
    assert!(end >= before.add_secs(600) && end <= Timestamp::now().add_secs(600));
    assert_eq!(r.body["state"], "approved");

    // Asking for less than what is left changes nothing: an extension never shortens.
    let r = t.post("alice", &path, Some(json!({"ttl_secs": 5}))).await;
    assert_eq!((r.status, at(&r.body["expires_at"])), (200, end));

    // Only the requester: not an approver, not an admin.
    for who in ["bob", "root"] {
        let r = t.post(who, &path, Some(json!({"ttl_secs": 600}))).await;
        assert_eq!((r.status, r.slug()), (403, "forbidden"), "{who}");
    }
    let r = t.post("alice", &path, Some(json!({"ttl_secs": 0}))).await;
    assert_eq!((r.status, r.slug()), (400, "invalid-request"));
    let r = t.post("alice", &path, Some(json!({"ttl": "30m"}))).await;
    assert_eq!((r.status, r.slug()), (400, "invalid-request"));

    let rows = t.broker.store.audit_rows(0, 100).await.unwrap();
    let ext: Vec<_> = rows
        .iter()
        .filter(|r| r.entry.action == "grant.extend")
        .collect();
    assert_eq!(ext.len(), 2);
    assert_eq!(ext[0].entry.actor, "alice@example.com");
    assert_eq!(ext[0].entry.decision.as_deref(), Some("grant"));
    assert_eq!(ext[0].entry.policy_ids, ["catalog/prod-k8s/auto-view"]);
    assert!(
        ext[0].entry.detail.contains("INC-9"),
        "{}",
        ext[0].entry.detail
    );
    t.broker.store.verify_audit_chain().await.unwrap();
}

#[tokio::test]
async fn the_whole_grant_stays_within_the_policy_cap() {
    let t = TestBroker::start().await;
    // prod-k8s/view: at most 8h in the demo catalog.
    let id = t.create("alice", "prod-k8s", "view", 60).await.id();
    let path = format!("/v1/grants/{id}/extend");
    let r = t
        .post("alice", &path, Some(json!({"ttl_secs": 8 * 3600 + 60})))
        .await;
    assert_eq!((r.status, r.slug()), (422, "ttl-exceeded"), "{:?}", r.body);
    let detail = r.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("8h") && detail.contains("from now"),
        "{detail}"
    );
    let rec = t.broker.store.get(&id).await.unwrap();
    assert!(rec.request.expires_at.unwrap() <= Timestamp::now().add_secs(60));
}

#[tokio::test]
async fn a_role_that_needs_an_approval_is_not_extended() {
    let t = TestBroker::start().await;
    let id = t.approved("alice", "prod-k8s", "admin", 600).await;
    let r = t
        .post(
            "alice",
            &format!("/v1/grants/{id}/extend"),
            Some(json!({"ttl_secs": 900})),
        )
        .await;
    assert_eq!((r.status, r.slug()), (403, "denied"), "{:?}", r.body);
    let detail = r.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("needs an approval from sre-leads")
            && detail.contains("catalog/prod-k8s/approval-admin")
            && detail.contains("request a new grant"),
        "{detail}"
    );
    assert_eq!(r.body["title"], "Extending needs an approval");
}

#[tokio::test]
async fn a_forbid_on_extend_denies_with_its_policy_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(zt_broker::dev::demo::DEMO_POLICIES[0].1);
    text.push_str(
        r#"
@id("no-db-extensions")
@reason("{resource} grants are never extended")
forbid (principal, action == Action::"extend", resource == Resource::"prod-db");
"#,
    );
    std::fs::write(dir.path().join("p.cedar"), text).unwrap();
    let t = TestBroker::start_with_policies(dir.path()).await;
    let id = t.create("alice", "prod-db", "readonly", 600).await.id();
    let r = t
        .post(
            "alice",
            &format!("/v1/grants/{id}/extend"),
            Some(json!({"ttl_secs": 900})),
        )
        .await;
    assert_eq!((r.status, r.slug()), (403, "denied"), "{:?}", r.body);
    let detail = r.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("no-db-extensions") && detail.contains("prod-db grants are never extended"),
        "{detail}"
    );
    // Other resources still extend.
    let k = t.create("alice", "prod-k8s", "view", 600).await.id();
    let r = t
        .post(
            "alice",
            &format!("/v1/grants/{k}/extend"),
            Some(json!({"ttl_secs": 900})),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

#[tokio::test]
async fn only_live_grants_extend() {
    let t = TestBroker::start().await;
    let body = Some(json!({"ttl_secs": 900}));
    let id = t.create("alice", "prod-k8s", "view", 600).await.id();
    t.post("alice", &format!("/v1/grants/{id}/revoke"), None)
        .await;
    let r = t
        .post("alice", &format!("/v1/grants/{id}/extend"), body.clone())
        .await;
    assert_eq!((r.status, r.slug()), (410, "grant-not-live"));
    let pending = t.create("alice", "prod-k8s", "admin", 600).await.id();
    let r = t
        .post(
            "alice",
            &format!("/v1/grants/{pending}/extend"),
            body.clone(),
        )
        .await;
    assert_eq!((r.status, r.slug()), (409, "conflict"));
    let r = t
        .post("alice", "/v1/grants/0123456789abcdef/extend", body)
        .await;
    assert_eq!((r.status, r.slug()), (404, "not-found"));
}

#[tokio::test]
async fn an_extended_grant_outlives_its_old_end_and_gets_a_fresh_credential() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-k8s", "view", 2).await.id();
    let creds = format!("/v1/grants/{id}/credentials");
    let c1 = t.post("alice", &creds, None).await;
    assert_eq!(c1.status, 200, "{:?}", c1.body);
    let r = t
        .post(
            "alice",
            &format!("/v1/grants/{id}/extend"),
            Some(json!({"ttl_secs": 1200})),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let end = at(&r.body["expires_at"]);
    // The old credential ends before the grant, within the re-mint margin: a new one is minted,
    // reaching the new end.
    let c2 = t.post("alice", &creds, None).await;
    assert_eq!(c2.status, 200, "{:?}", c2.body);
    assert_ne!(c2.body["token"], c1.body["token"]);
    assert!(at(&c2.body["expires_at"]) > at(&c1.body["expires_at"]));
    assert!(at(&c2.body["expires_at"]) <= end);
    // Past the old end the reaper leaves it alone.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    zt_broker::reaper::pass(&t.broker).await;
    assert_eq!(
        t.broker.store.get(&id).await.unwrap().state(),
        State::Active
    );
    assert_eq!(t.post("alice", &creds, None).await.body, c2.body);
}
