//! Contract scenarios for the grant routes (revoke, credentials, extend), the audit log, and
//! the two failures a healthy demo broker cannot show: an issuer that fails (502) and a store
//! that does (500).

use serde_json::json;

use super::check::{Auth, Body, Contract};
use super::requests::{NO_SUCH_ID, create, pending};
use zt_broker::issuers::ssh::ca::SshCa;
use zt_testkit::broker::{Resp, TestBroker};

fn expect(r: &Resp, status: u16, slug: &str) {
    assert_eq!((r.status, r.slug()), (status, slug), "{:?}", r.body);
}

/// A live grant of alice's (prod-k8s/view is granted at once).
async fn live(c: &Contract, t: &TestBroker, res: &str, role: &str) -> String {
    let r = create(c, t, "alice", res, role).await;
    assert_eq!(r.body["state"], "approved");
    r.id()
}

async fn revoked(c: &Contract, t: &TestBroker) -> String {
    let id = live(c, t, "prod-k8s", "view").await;
    let r = c
        .as_user(t, "alice", "POST", &format!("/v1/grants/{id}/revoke"))
        .await;
    assert_eq!(r.body["state"], "revoked");
    id
}

pub(crate) async fn revoking(c: &Contract, t: &TestBroker) {
    let id = live(c, t, "prod-k8s", "view").await;
    let path = format!("/v1/grants/{id}/revoke");
    expect(
        &c.as_user(t, "mallory", "POST", &path).await,
        403,
        "forbidden",
    );
    let alice = || Auth::User("alice");
    let r = c
        .call(t, alice(), "POST", &path, Body::Raw("["), None)
        .await;
    expect(&r, 400, "invalid-request");
    let why = Body::Json(json!({"comment": "done"}));
    let r = c.call(t, alice(), "POST", &path, why, None).await;
    assert_eq!((r.status, r.body["state"].as_str()), (200, Some("revoked")));
    expect(&c.as_user(t, "alice", "POST", &path).await, 409, "conflict");
    let none = format!("/v1/grants/{NO_SUCH_ID}/revoke");
    expect(&c.as_user(t, "root", "POST", &none).await, 404, "not-found");
    // An admin revokes someone else's grant.
    let other = live(c, t, "prod-aws", "readonly").await;
    let r = c
        .as_user(t, "root", "POST", &format!("/v1/grants/{other}/revoke"))
        .await;
    assert_eq!(r.status, 200);
}

pub(crate) async fn credentials(c: &Contract, t: &TestBroker) {
    // One of each kind: every branch of the Credential schema.
    for (res, role, kind) in [
        ("prod-k8s", "view", "kubernetes"),
        ("prod-aws", "readonly", "aws"),
        ("prod-db", "readonly", "postgres"),
    ] {
        let id = live(c, t, res, role).await;
        let path = format!("/v1/grants/{id}/credentials");
        let r = c.as_user(t, "alice", "POST", &path).await;
        assert_eq!((r.status, r.body["kind"].as_str()), (200, Some(kind)));
        // The stored one, the second time.
        assert_eq!(c.as_user(t, "alice", "POST", &path).await.body, r.body);
        expect(&c.as_user(t, "bob", "POST", &path).await, 403, "forbidden");
    }
    // An ssh grant: the client's public key in the body, else a 400 naming it.
    let id = live(c, t, "prod-ssh", "login").await;
    let path = format!("/v1/grants/{id}/credentials");
    let alice = || Auth::User("alice");
    let r = c.call(t, alice(), "POST", &path, Body::None, None).await;
    expect(&r, 400, "invalid-request");
    assert!(r.body["detail"].as_str().unwrap().contains("public_key"));
    let key = SshCa::generate()
        .unwrap()
        .public_key()
        .to_openssh()
        .unwrap();
    let body = || Body::Json(json!({"public_key": key}));
    let r = c.call(t, alice(), "POST", &path, body(), None).await;
    assert_eq!((r.status, r.body["kind"].as_str()), (200, Some("ssh")));
    let r = c
        .call(t, Auth::None, "GET", "/v1/ssh/ca", Body::None, None)
        .await;
    assert!(r.body.as_str().unwrap().starts_with("ssh-ed25519 "));
    let r = c
        .call(t, Auth::None, "GET", "/v1/ssh/krl", Body::None, None)
        .await;
    assert!(r.body.as_str().unwrap().starts_with("SSHKRL\n"));

    let cred = |id: String| format!("/v1/grants/{id}/credentials");
    let r = c
        .as_user(t, "alice", "POST", &cred(pending(c, t).await))
        .await;
    expect(&r, 409, "conflict");
    let r = c
        .as_user(t, "alice", "POST", &cred(revoked(c, t).await))
        .await;
    expect(&r, 410, "grant-not-live");
    let r = c
        .as_user(t, "alice", "POST", &cred(NO_SUCH_ID.into()))
        .await;
    expect(&r, 404, "not-found");
    // Approved ahead of its start (issue 16): 409 grant-not-started, saying when.
    let id = scheduled(c, t).await;
    let r = c.as_user(t, "alice", "POST", &cred(id)).await;
    expect(&r, 409, "grant-not-started");
    assert!(r.body["detail"].as_str().unwrap().contains("starts at"));
}

/// A grant of alice's approved at once to start in an hour: its answer carries `start_at` and
/// `activation`; a start in the past is a 422 `invalid-start`.
async fn scheduled(c: &Contract, t: &TestBroker) -> String {
    let start = zt_api::Timestamp::now().add_secs(3600);
    let body = |at: zt_api::Timestamp| {
        Body::Json(json!({"resource": "prod-k8s", "role": "view", "ttl_secs": 600, "start_at": at}))
    };
    let key = zt_broker::crypto::new_id().unwrap();
    let alice = || Auth::User("alice");
    let r = c
        .call(t, alice(), "POST", "/v1/requests", body(start), Some(&key))
        .await;
    assert_eq!(
        (r.status, r.body["activation"].as_str()),
        (201, Some("scheduled"))
    );
    let past = zt_api::Timestamp::now().add_secs(-3600);
    let key2 = zt_broker::crypto::new_id().unwrap();
    let bad = c
        .call(t, alice(), "POST", "/v1/requests", body(past), Some(&key2))
        .await;
    expect(&bad, 422, "invalid-start");
    r.id()
}

pub(crate) async fn extending(c: &Contract, t: &TestBroker) {
    let body = |ttl: u64| Body::Json(json!({"ttl_secs": ttl, "reason": "still on INC-1"}));
    let alice = || Auth::User("alice");
    let ext = |id: &str| format!("/v1/grants/{id}/extend");
    let id = live(c, t, "prod-k8s", "view").await;
    let r = c.call(t, alice(), "POST", &ext(&id), body(900), None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    expect(
        &c.call(t, alice(), "POST", &ext(&id), body(0), None).await,
        400,
        "invalid-request",
    );
    let raw = Body::Raw("{\"ttl_secs\": \"soon\"}");
    expect(
        &c.call(t, alice(), "POST", &ext(&id), raw, None).await,
        400,
        "invalid-request",
    );
    let r = c
        .call(t, Auth::User("bob"), "POST", &ext(&id), body(900), None)
        .await;
    expect(&r, 403, "forbidden");
    let r = c
        .call(t, alice(), "POST", &ext(&id), body(9 * 3600), None)
        .await;
    expect(&r, 422, "ttl-exceeded");
    // prod-k8s/admin needs an approval, so extending it is refused by policy.
    let admin = pending(c, t).await;
    let r = c
        .call(t, alice(), "POST", &ext(&admin), body(900), None)
        .await;
    expect(&r, 409, "conflict");
    let approve = format!("/v1/requests/{admin}/approve");
    assert_eq!(c.as_user(t, "bob", "POST", &approve).await.status, 200);
    let r = c
        .call(t, alice(), "POST", &ext(&admin), body(900), None)
        .await;
    expect(&r, 403, "denied");
    let gone = revoked(c, t).await;
    let r = c
        .call(t, alice(), "POST", &ext(&gone), body(900), None)
        .await;
    expect(&r, 410, "grant-not-live");
    let r = c
        .call(t, alice(), "POST", &ext(NO_SUCH_ID), body(900), None)
        .await;
    expect(&r, 404, "not-found");
}

pub(crate) async fn audit(c: &Contract, t: &TestBroker) {
    let id = live(c, t, "prod-k8s", "view").await;
    let all = c.as_user(t, "root", "GET", "/v1/audit").await;
    assert_eq!(all.status, 200);
    // Page by page with the cursor.
    let first = c.as_user(t, "root", "GET", "/v1/audit?limit=2").await;
    let next = first.body["next"].as_i64().expect("a next page");
    let second = c
        .as_user(t, "root", "GET", &format!("/v1/audit?limit=2&after={next}"))
        .await;
    assert_eq!(second.body["rows"][0]["seq"], next + 1);
    let q = format!(
        "/v1/audit?request_id={id}&actor=alice@example.com&action=request.create\
         &since=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z&after=0&limit=1000"
    );
    let rows = c.as_user(t, "root", "GET", &q).await.body["rows"].clone();
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    for q in [
        "limit=0",
        "limit=1001",
        "after=-1",
        "since=yesterday",
        "after=x",
    ] {
        let r = c.as_user(t, "root", "GET", &format!("/v1/audit?{q}")).await;
        expect(&r, 400, "invalid-request");
    }
    for user in ["alice", "bob"] {
        expect(
            &c.as_user(t, user, "GET", "/v1/audit").await,
            403,
            "forbidden",
        );
    }
}

/// A catalog whose one database's server is down: minting fails at the issuer.
pub(crate) async fn issuer_down(c: &Contract) {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("catalog.toml");
    std::fs::write(
        &catalog,
        r#"
[[resource]]
name = "down-db"
kind = "postgres"
default_role = "readonly"
max_ttl = "1h"
requester_groups = ["engineering"]
settings = { issuer = "postgres", admin_url = "postgres://zt@127.0.0.1:1/app", connect_timeout = "2s" }

[[resource.role]]
name = "readonly"
auto_approve_groups = ["engineering"]
approver_groups = ["sre-leads"]
"#,
    )
    .unwrap();
    let t = TestBroker::start_with_catalog(&catalog).await;
    let id = live(c, &t, "down-db", "readonly").await;
    let r = c
        .as_user(&t, "alice", "POST", &format!("/v1/grants/{id}/credentials"))
        .await;
    expect(&r, 502, "issuer-failed");
    let r = c
        .as_user(&t, "alice", "GET", &format!("/v1/requests/{id}"))
        .await;
    assert_eq!(r.body["state"], "approved", "the grant stays approved");
}

/// With its store closed, every operation that reads or writes it answers 500 `internal`.
pub(crate) async fn store_down(c: &Contract) {
    let t = TestBroker::start().await;
    let id = live(c, &t, "prod-k8s", "view").await;
    t.broker.store.close().await;
    let req = json!({"resource": "prod-k8s", "role": "view", "ttl_secs": 60});
    let cases = [
        (
            "alice",
            "POST",
            "/v1/requests".to_owned(),
            Some(req),
            Some("k"),
        ),
        ("alice", "GET", "/v1/requests".to_owned(), None, None),
        (
            "alice",
            "POST",
            "/v1/bundles".to_owned(),
            Some(json!({"items": [{"resource": "prod-k8s"}], "ttl_secs": 60})),
            Some("k"),
        ),
        ("alice", "GET", format!("/v1/bundles/{id}"), None, None),
        ("alice", "GET", format!("/v1/requests/{id}"), None, None),
        ("alice", "DELETE", format!("/v1/requests/{id}"), None, None),
        (
            "bob",
            "POST",
            format!("/v1/requests/{id}/approve"),
            None,
            None,
        ),
        ("bob", "POST", format!("/v1/requests/{id}/deny"), None, None),
        (
            "alice",
            "POST",
            format!("/v1/grants/{id}/revoke"),
            None,
            None,
        ),
        (
            "alice",
            "POST",
            format!("/v1/grants/{id}/credentials"),
            None,
            None,
        ),
        (
            "alice",
            "POST",
            format!("/v1/grants/{id}/extend"),
            Some(json!({"ttl_secs": 60})),
            None,
        ),
        ("root", "GET", "/v1/audit".to_owned(), None, None),
        ("alice", "GET", "/v1/ssh/krl".to_owned(), None, None),
    ];
    for (user, method, path, body, key) in cases {
        let body = body.map_or(Body::None, Body::Json);
        let r = c.call(&t, Auth::User(user), method, &path, body, key).await;
        expect(&r, 500, "internal");
    }
}
