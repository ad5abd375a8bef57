//! `POST /v1/grants/{id}/credentials` and `/revoke` (`src/routes/grants.rs`).

use std::time::Duration;

use zt_testkit::broker::TestBroker;

#[tokio::test]
async fn credentials_are_minted_once_and_then_returned() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-k8s", "view", 600).await.id();
    let path = format!("/v1/grants/{id}/credentials");
    let c1 = t.post("alice", &path, None).await;
    assert_eq!(c1.status, 200, "{:?}", c1.body);
    assert_eq!(c1.body["kind"], "kubernetes");
    assert_eq!(c1.body["server"].as_str(), Some(t.k8s.server.as_str()));
    use base64::Engine;
    let ca = base64::engine::general_purpose::STANDARD.encode(&t.k8s.ca_pem);
    assert_eq!(
        c1.body["certificate_authority_data"].as_str(),
        Some(ca.as_str())
    );
    assert_eq!(c1.body["namespace"], "default");
    let req = t.get("alice", &format!("/v1/requests/{id}")).await;
    assert_eq!(req.body["state"], "active");
    assert!(c1.body["expires_at"].as_str().unwrap() <= req.body["expires_at"].as_str().unwrap());
    let c2 = t.post("alice", &path, None).await;
    assert_eq!(c2.body, c1.body);
    // Only the requester uses the grant.
    let r = t.post("bob", &path, None).await;
    assert_eq!((r.status, r.slug()), (403, "forbidden"));
    // Each kind in its format.
    let aws = t.create("alice", "prod-aws", "readonly", 600).await.id();
    let a = t
        .post("alice", &format!("/v1/grants/{aws}/credentials"), None)
        .await;
    assert!(
        a.body["access_key_id"]
            .as_str()
            .unwrap()
            .starts_with("ASIA")
    );
    let db = t.create("alice", "prod-db", "readonly", 600).await.id();
    let p = t
        .post("alice", &format!("/v1/grants/{db}/credentials"), None)
        .await;
    assert_eq!(
        (p.body["kind"].as_str(), p.body["sslmode"].as_str()),
        (Some("postgres"), Some("prefer"))
    );
    // Pending is not a grant yet.
    let pending = t.create("alice", "prod-k8s", "admin", 600).await.id();
    let r = t
        .post("alice", &format!("/v1/grants/{pending}/credentials"), None)
        .await;
    assert_eq!(r.status, 409);
}

#[tokio::test]
async fn revoked_grants_give_no_credentials() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-k8s", "view", 600).await.id();
    assert_eq!(
        t.post("alice", &format!("/v1/grants/{id}/credentials"), None)
            .await
            .status,
        200
    );
    let r = t
        .post("mallory", &format!("/v1/grants/{id}/revoke"), None)
        .await;
    assert_eq!((r.status, r.slug()), (403, "forbidden"));
    let r = t
        .post("alice", &format!("/v1/grants/{id}/revoke"), None)
        .await;
    assert_eq!((r.status, r.body["state"].as_str()), (200, Some("revoked")));
    let c = t
        .post("alice", &format!("/v1/grants/{id}/credentials"), None)
        .await;
    assert_eq!((c.status, c.slug()), (410, "grant-not-live"));
    assert!(c.body["detail"].as_str().unwrap().contains("revoked"));
    assert!(!t.broker.store.has_unrevoked_credential(&id).await.unwrap());
    let again = t
        .post("alice", &format!("/v1/grants/{id}/revoke"), None)
        .await;
    assert_eq!(again.status, 409);
}

#[tokio::test]
async fn an_admin_revokes_someone_elses_grant() {
    let t = TestBroker::start().await;
    let id = t.approved("alice", "prod-db", "readwrite", 600).await;
    let r = t
        .post("root", &format!("/v1/grants/{id}/revoke"), None)
        .await;
    assert_eq!((r.status, r.body["state"].as_str()), (200, Some("revoked")));
}

#[tokio::test]
async fn expired_grants_give_no_credentials() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-aws", "readonly", 1).await.id();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let c = t
        .post("alice", &format!("/v1/grants/{id}/credentials"), None)
        .await;
    assert_eq!(
        (c.status, c.slug()),
        (410, "grant-not-live"),
        "{:?}",
        c.body
    );
    assert!(c.body["detail"].as_str().unwrap().contains("expired"));
}
