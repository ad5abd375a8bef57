//! The dev Kubernetes API (`src/dev/k8s/`) as `zt-broker dev` serves it (the dev broker
//! harness, `zt_testkit::broker`): a grant's token works over HTTPS with the dev CA until the
//! grant is revoked or expires, and keeps working across a restart on the same data.

use std::time::Duration;

use zt_testkit::broker::TestBroker;

async fn kubectl_get(t: &TestBroker, token: &str, path: &str) -> (u16, serde_json::Value) {
    let r = t
        .k8s_client()
        .get(format!("{}{path}", t.k8s.server))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn token_for(t: &TestBroker, id: &str) -> String {
    let c = t
        .post("alice", &format!("/v1/grants/{id}/credentials"), None)
        .await;
    c.body["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_live_token_lists_namespaces_until_revoked() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-k8s", "view", 600).await.id();
    let token = token_for(&t, &id).await;
    for path in ["/version", "/api", "/apis", "/api/v1"] {
        assert_eq!(kubectl_get(&t, &token, path).await.0, 200, "{path}");
    }
    let (status, body) = kubectl_get(&t, &token, "/api/v1/namespaces?limit=500").await;
    assert_eq!(status, 200);
    assert_eq!(body["kind"], "NamespaceList");
    assert_eq!(body["items"][0]["metadata"]["name"], "default");
    let (status, body) = kubectl_get(&t, &token, "/api/v1/pods").await;
    assert_eq!(
        (status, body["kind"].as_str(), body["reason"].as_str()),
        (404, Some("Status"), Some("NotFound"))
    );

    let (status, body) = kubectl_get(&t, "not-a-grant", "/api/v1/namespaces").await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (401, Some("Unauthorized"))
    );

    assert_eq!(
        t.post("alice", &format!("/v1/grants/{id}/revoke"), None)
            .await
            .status,
        200
    );
    let (status, body) = kubectl_get(&t, &token, "/api/v1/namespaces").await;
    assert_eq!(
        (status, body["kind"].as_str(), body["code"].as_u64()),
        (401, Some("Status"), Some(401))
    );
}

#[tokio::test]
async fn a_token_stops_working_when_the_grant_expires() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-k8s", "view", 2).await.id();
    let token = token_for(&t, &id).await;
    assert_eq!(kubectl_get(&t, &token, "/api/v1/namespaces").await.0, 200);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let (status, body) = kubectl_get(&t, &token, "/api/v1/namespaces").await;
    assert_eq!(
        (status, body["kind"].as_str(), body["reason"].as_str()),
        (401, Some("Status"), Some("Unauthorized"))
    );
}

#[tokio::test]
async fn only_https_with_the_ca_and_not_on_the_broker_port() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-k8s", "view", 600).await.id();
    let token = token_for(&t, &id).await;
    // The certificate names localhost as well as the address.
    let port = t.k8s.server.rsplit(':').next().unwrap();
    let r = t
        .k8s_client()
        .get(format!("https://localhost:{port}/api/v1/namespaces"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A client without the CA does not get through; nor does plain HTTP.
    let untrusting = reqwest::Client::builder()
        .tls_certs_only([])
        .build()
        .unwrap();
    let url = format!("{}/api/v1/namespaces", t.k8s.server);
    assert!(untrusting.get(&url).send().await.is_err());
    let plain = url.replacen("https://", "http://", 1);
    assert!(reqwest::Client::new().get(&plain).send().await.is_err());
    // The broker's own port no longer serves the Kubernetes API.
    let r = reqwest::Client::new()
        .get(format!("{}/dev/k8s/api/v1/namespaces", t.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_restart_on_the_same_data_keeps_old_credentials_working() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-k8s", "view", 600).await.id();
    let token = token_for(&t, &id).await;
    let before = t.k8s.clone();
    let t = TestBroker::start_in(t.stop().await).await;
    assert_eq!(
        (t.k8s.server.as_str(), t.k8s.ca_pem.as_str()),
        (before.server.as_str(), before.ca_pem.as_str())
    );
    assert_eq!(kubectl_get(&t, &token, "/api/v1/namespaces").await.0, 200);
}
