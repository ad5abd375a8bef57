//! Contract scenarios for bundles (`POST /v1/bundles`, `GET /v1/bundles/{id}`) — each
//! documented answer at least once — and deciding a bundle through one of its requests.

use serde_json::{Value, json};

use super::check::{Auth, Body, Contract};
use super::requests::NO_SUCH_ID;
use zt_testkit::broker::{Resp, TestBroker};

async fn post(c: &Contract, t: &TestBroker, user: &str, body: Value, key: &str) -> Resp {
    c.call(
        t,
        Auth::User(user),
        "POST",
        "/v1/bundles",
        Body::Json(body),
        Some(key),
    )
    .await
}

fn expect(r: &Resp, status: u16, slug: &str) {
    assert_eq!((r.status, r.slug()), (status, slug), "{:?}", r.body);
}

fn items(pairs: &[(&str, &str)]) -> Value {
    pairs
        .iter()
        .map(|(res, role)| json!({"resource": res, "role": role}))
        .collect()
}

fn states(r: &Resp) -> Vec<String> {
    r.body["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["state"].as_str().unwrap().to_owned())
        .collect()
}

pub(crate) async fn bundles(c: &Contract, t: &TestBroker) {
    // One item granted at once, one waiting for an approver: each decided on its own.
    let body = json!({
        "items": items(&[("prod-k8s", "view"), ("prod-aws", "admin")]),
        "ttl_secs": 600, "reason": "INC-4211",
    });
    let r = post(c, t, "alice", body.clone(), "bundle-1").await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(states(&r), ["approved", "pending"]);
    let id = r.body["id"].as_str().unwrap().to_owned();
    for q in r.body["requests"].as_array().unwrap() {
        assert_eq!(q["bundle_id"], id.as_str());
    }
    let pending = r.body["requests"][1]["id"].as_str().unwrap().to_owned();
    // A retry answers the same bundle; another body under the key is a conflict.
    let again = post(c, t, "alice", body.clone(), "bundle-1").await;
    assert_eq!((again.status, &again.body["id"]), (200, &r.body["id"]));
    let other = json!({"items": items(&[("prod-k8s", "view")]), "ttl_secs": 600});
    expect(
        &post(c, t, "alice", other, "bundle-1").await,
        409,
        "conflict",
    );
    // Bad bundles create nothing.
    let bad = [
        (json!({"items": [], "ttl_secs": 60}), 400, "invalid-request"),
        (
            json!({"items": items(&[("prod-k8s", "view"), ("prod-k8s", "edit")]), "ttl_secs": 60}),
            400,
            "invalid-request",
        ),
        (
            json!({"items": vec![json!({"resource": "prod-k8s"}); 17], "ttl_secs": 60}),
            400,
            "invalid-request",
        ),
        (
            json!({"items": items(&[("prod-k8s", "view"), ("nowhere", "view")]), "ttl_secs": 60}),
            404,
            "not-found",
        ),
        (
            json!({"name": "no-such-bundle", "ttl_secs": 60}),
            404,
            "not-found",
        ),
        (
            json!({"items": items(&[("prod-k8s", "view"), ("prod-db", "superuser")]), "ttl_secs": 60}),
            422,
            "unknown-role",
        ),
        (
            json!({"items": items(&[("prod-k8s", "view"), ("prod-db", "readonly")]), "ttl_secs": 30 * 24 * 3600}),
            422,
            "ttl-exceeded",
        ),
        (
            json!({"items": items(&[("prod-k8s", "view"), ("prod-db", "readonly")]), "ttl_secs": 60,
                "start_at": zt_api::Timestamp::now().add_secs(-3600)}),
            422,
            "invalid-start",
        ),
    ];
    for (n, (body, status, slug)) in bad.into_iter().enumerate() {
        let r = post(c, t, "alice", body, &format!("bad-{n}")).await;
        expect(&r, status, slug);
    }
    // Reading it: the requester and an approver may, another engineer may not.
    let path = format!("/v1/bundles/{id}");
    let r = c.as_user(t, "alice", "GET", &path).await;
    assert_eq!(r.status, 200);
    assert_eq!(states(&r), ["approved", "pending"]);
    assert_eq!(c.as_user(t, "bob", "GET", &path).await.status, 200);
    expect(
        &c.as_user(t, "mallory", "GET", &path).await,
        403,
        "forbidden",
    );
    let none = format!("/v1/bundles/{NO_SUCH_ID}");
    expect(&c.as_user(t, "alice", "GET", &none).await, 404, "not-found");
    // Approving its pending request approves the bundle.
    let approve = format!("/v1/requests/{pending}/approve");
    let r = c.as_user(t, "bob", "POST", &approve).await;
    assert_eq!(
        (r.status, r.body["state"].as_str()),
        (200, Some("approved"))
    );
    let r = c.as_user(t, "alice", "GET", &path).await;
    assert_eq!(states(&r), ["approved", "approved"]);

    // Two pending items: denying one denies both.
    let body = json!({
        "items": items(&[("prod-k8s", "admin"), ("prod-db", "readwrite")]),
        "ttl_secs": 600, "reason": "INC-4212",
    });
    let r = post(c, t, "alice", body, "bundle-2").await;
    assert_eq!(states(&r), ["pending", "pending"]);
    let first = r.body["requests"][0]["id"].as_str().unwrap().to_owned();
    let deny = format!("/v1/requests/{first}/deny");
    let r2 = c.as_user(t, "bob", "POST", &deny).await;
    assert_eq!(
        (r2.status, r2.body["state"].as_str()),
        (200, Some("denied"))
    );
    let path = format!("/v1/bundles/{}", r.body["id"].as_str().unwrap());
    assert_eq!(
        states(&c.as_user(t, "alice", "GET", &path).await),
        ["denied", "denied"]
    );
}
