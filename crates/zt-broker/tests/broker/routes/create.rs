//! `POST /v1/requests` (`src/routes/create.rs`) end to end against a test broker: what it stores, decides and answers.

use reqwest::Method;
use serde_json::json;

use zt_testkit::broker::TestBroker;

#[tokio::test]
async fn view_is_granted_at_once_with_its_window() {
    let t = TestBroker::start().await;
    let r = t.create("alice", "prod-k8s", "view", 3600).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let b = &r.body;
    assert_eq!(b["state"], "approved");
    assert_eq!(b["requester"], "alice@example.com");
    assert_eq!(b["kind"], "kubernetes");
    assert_eq!(b["decision"]["outcome"], "grant");
    assert_eq!(
        b["decision"]["policy_ids"],
        json!(["catalog/prod-k8s/auto-view"])
    );
    let nb = zt_api::Timestamp::parse_rfc3339(b["not_before"].as_str().unwrap()).unwrap();
    let exp = zt_api::Timestamp::parse_rfc3339(b["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(exp.0 - nb.0, 3600);
    assert!((nb.0 - zt_api::Timestamp::now().0).abs() <= 2);
}

#[tokio::test]
async fn the_default_role_is_used_when_none_is_named() {
    let t = TestBroker::start().await;
    let body = json!({"resource": "prod-db", "ttl_secs": 60});
    let r = t
        .send(
            Some("alice"),
            Method::POST,
            "/v1/requests",
            Some(body),
            Some("k1"),
        )
        .await;
    assert_eq!((r.status, r.body["role"].as_str()), (201, Some("readonly")));
}

#[tokio::test]
async fn admin_waits_for_an_approver_and_a_policy_deny_is_not_an_error() {
    let t = TestBroker::start().await;
    let r = t.create("alice", "prod-k8s", "admin", 600).await;
    assert_eq!((r.status, r.body["state"].as_str()), (201, Some("pending")));
    assert_eq!(r.body["decision"]["outcome"], "require_approval");
    assert_eq!(r.body["decision"]["approver_groups"], json!(["sre-leads"]));
    assert!(r.body.get("expires_at").is_none());

    let d = t.create("outsider", "prod-k8s", "view", 600).await;
    assert_eq!(
        (d.status, d.body["state"].as_str()),
        (201, Some("denied")),
        "{:?}",
        d.body
    );
    assert_eq!(
        d.body["decision"]["policy_ids"],
        json!(["catalog/prod-k8s/not-eligible-view"])
    );
    assert!(
        d.body["decision"]["reason"]
            .as_str()
            .unwrap()
            .contains("engineering")
    );
}

#[tokio::test]
async fn the_same_key_returns_the_same_request_and_a_different_body_conflicts() {
    let t = TestBroker::start().await;
    let body = json!({"resource": "prod-k8s", "role": "view", "ttl_secs": 60, "reason": "INC-1"});
    let first = t
        .send(
            Some("alice"),
            Method::POST,
            "/v1/requests",
            Some(body.clone()),
            Some("key-1"),
        )
        .await;
    assert_eq!(first.status, 201);
    let again = t
        .send(
            Some("alice"),
            Method::POST,
            "/v1/requests",
            Some(body.clone()),
            Some("key-1"),
        )
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.id(), first.id());
    // Another principal's same key is another request.
    let bob = t
        .send(
            Some("bob"),
            Method::POST,
            "/v1/requests",
            Some(body),
            Some("key-1"),
        )
        .await;
    assert_eq!(bob.status, 201);
    assert_ne!(bob.id(), first.id());

    let other = json!({"resource": "prod-k8s", "role": "view", "ttl_secs": 120, "reason": "INC-1"});
    let c = t
        .send(
            Some("alice"),
            Method::POST,
            "/v1/requests",
            Some(other),
            Some("key-1"),
        )
        .await;
    assert_eq!((c.status, c.slug()), (409, "conflict"), "{:?}", c.body);
    let mine = t.get("alice", "/v1/requests?requester=me").await;
    assert_eq!(mine.body["requests"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn requests_are_validated_against_the_catalog() {
    let t = TestBroker::start().await;
    let r = t.create("alice", "prod-nope", "view", 60).await;
    assert_eq!((r.status, r.slug()), (404, "not-found"));
    // Well-formed but meaningless here: 422, not the 400 of a request off the document.
    let r = t.create("alice", "prod-k8s", "god", 60).await;
    assert_eq!((r.status, r.slug()), (422, "unknown-role"));
    let r = t.create("alice", "prod-k8s", "view", 0).await;
    assert_eq!((r.status, r.slug()), (400, "invalid-request"));
    let r = t.create("alice", "prod-k8s", "view", 8 * 3600 + 1).await;
    assert_eq!((r.status, r.slug()), (422, "ttl-exceeded"));
    assert_eq!(r.body["detail"], "the longest prod-k8s/view grant is 8h");
    assert_eq!(r.headers["content-type"], "application/problem+json");
    let r = t.create("alice", "prod-k8s", "admin", 3601).await;
    assert_eq!(r.body["detail"], "the longest prod-k8s/admin grant is 1h");
}

#[tokio::test]
async fn bodies_that_are_not_the_expected_json_are_400_problems() {
    let t = TestBroker::start().await;
    let tok = t.token("alice");
    let http = reqwest::Client::new();
    for (ctype, body) in [
        ("application/json", "{not json"),
        ("application/json", r#"{"resource": "prod-k8s"}"#),
        ("application/json", r#"{"resource": 7, "ttl_secs": 60}"#),
        ("text/plain", r#"{"resource": "prod-k8s", "ttl_secs": 60}"#),
    ] {
        let r = http
            .post(format!("{}/v1/requests", t.url))
            .bearer_auth(&tok)
            .header("Idempotency-Key", "k")
            .header("content-type", ctype)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let p: zt_api::Problem = r.json().await.unwrap();
        assert_eq!(zt_api::problem::slug(&p.type_), "invalid-request");
    }
    let r = t
        .send(
            Some("alice"),
            Method::POST,
            "/v1/requests",
            Some(json!({"resource": "prod-k8s", "ttl_secs": 60})),
            None,
        )
        .await;
    assert_eq!((r.status, r.slug()), (400, "invalid-request"));
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key")
    );
}
