//! Contract scenarios for discovery, `me`, the catalog and the request routes: create, list,
//! get (plain and long-poll), withdraw, approve and deny — each documented answer at least once.

use std::time::Duration;

use serde_json::{Value, json};

use super::check::{Auth, Body, Contract};
use zt_broker::server::ROUTES;
use zt_testkit::broker::{Resp, TestBroker};

/// An id no request has.
pub(crate) const NO_SUCH_ID: &str = "0123456789abcdef";

/// `POST /v1/requests` with a fresh Idempotency-Key.
pub(crate) async fn create(
    c: &Contract,
    t: &TestBroker,
    user: &str,
    res: &str,
    role: &str,
) -> Resp {
    let key = zt_broker::crypto::new_id().unwrap();
    let body = json!({"resource": res, "role": role, "ttl_secs": 600, "reason": "contract"});
    let r = c
        .call(
            t,
            Auth::User(user),
            "POST",
            "/v1/requests",
            Body::Json(body),
            Some(&key),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r
}

/// A request of alice's that waits for an approver (prod-k8s/admin: sre-leads).
pub(crate) async fn pending(c: &Contract, t: &TestBroker) -> String {
    let r = create(c, t, "alice", "prod-k8s", "admin").await;
    assert_eq!(r.body["state"], "pending");
    r.id()
}

fn expect(r: &Resp, status: u16, slug: &str) {
    assert_eq!((r.status, r.slug()), (status, slug), "{:?}", r.body);
}

pub(crate) async fn info_and_authentication(c: &Contract, t: &TestBroker) {
    for user in ["alice", "outsider", "root"] {
        assert_eq!(c.as_user(t, user, "GET", "/v1/me").await.status, 200);
        assert_eq!(c.as_user(t, user, "GET", "/v1/catalog").await.status, 200);
    }
    // Public operations (`security: []`) answer anyone; every other one wants a good token.
    for (method, template) in ROUTES {
        let op = c.spec.find(method, template).ok().unwrap();
        let public = op.op["security"] == json!([]);
        let path = template.replace("{id}", NO_SUCH_ID);
        for auth in ["", "Bearer not.a.jwt", "Basic YWxpY2U6eA=="] {
            let a = if auth.is_empty() {
                Auth::None
            } else {
                Auth::Header(auth)
            };
            let r = c.call(t, a, method, &path, Body::None, None).await;
            match public {
                true => assert_eq!(r.status, 200, "{method} {path}"),
                false => expect(&r, 401, "unauthenticated"),
            }
        }
    }
    // No such path; no such method on a path.
    expect(
        &c.as_user(t, "alice", "GET", "/v2/nothing").await,
        404,
        "not-found",
    );
    expect(
        &c.as_user(t, "alice", "PUT", "/v1/catalog").await,
        405,
        "invalid-request",
    );
    let path = format!("/v1/requests/{NO_SUCH_ID}");
    expect(
        &c.as_user(t, "alice", "PATCH", &path).await,
        405,
        "invalid-request",
    );
}

pub(crate) async fn creating(c: &Contract, t: &TestBroker) {
    assert_eq!(
        create(c, t, "alice", "prod-k8s", "view").await.body["state"],
        "approved"
    );
    assert_eq!(
        create(c, t, "alice", "prod-aws", "admin").await.body["state"],
        "pending"
    );
    // A policy deny is a request in state denied, not an error.
    assert_eq!(
        create(c, t, "outsider", "prod-k8s", "view").await.body["state"],
        "denied"
    );

    let alice = Auth::User;
    let post = |body: Value, key: Option<&'static str>| async move {
        c.call(
            t,
            alice("alice"),
            "POST",
            "/v1/requests",
            Body::Json(body),
            key,
        )
        .await
    };
    let full = json!({
        "resource": "prod-db", "role": "readonly", "ttl_secs": 600, "reason": "INC-1",
        "ticket": "T-1", "break_glass": false,
        "context": {"client_version": "1.0", "hostname": "h", "platform": "linux"}
    });
    let first = post(full.clone(), Some("contract-1")).await;
    assert_eq!(first.status, 201);
    let again = post(full.clone(), Some("contract-1")).await;
    assert_eq!((again.status, again.id()), (200, first.id()));
    let mut other = full.clone();
    other["ttl_secs"] = json!(300);
    expect(&post(other, Some("contract-1")).await, 409, "conflict");

    expect(&post(full.clone(), None).await, 400, "invalid-request");
    let raw = Body::Raw("{\"resource\": ");
    let r = c
        .call(
            t,
            alice("alice"),
            "POST",
            "/v1/requests",
            raw,
            Some("contract-2"),
        )
        .await;
    expect(&r, 400, "invalid-request");
    let bad_role = json!({"resource": "prod-k8s", "role": "owner", "ttl_secs": 60});
    // Well-formed, but the resource has no such role: refused for its meaning, not its form.
    expect(
        &post(bad_role, Some("contract-3")).await,
        422,
        "unknown-role",
    );
    let zero = json!({"resource": "prod-k8s", "ttl_secs": 0});
    expect(
        &post(zero, Some("contract-4")).await,
        400,
        "invalid-request",
    );
    let nowhere = json!({"resource": "staging-k8s", "ttl_secs": 60});
    expect(&post(nowhere, Some("contract-5")).await, 404, "not-found");
    let long = json!({"resource": "prod-k8s", "role": "view", "ttl_secs": 9 * 3600});
    expect(&post(long, Some("contract-6")).await, 422, "ttl-exceeded");
}

pub(crate) async fn listing(c: &Contract, t: &TestBroker) {
    let id = pending(c, t).await;
    let ids = |r: &Resp| -> Vec<String> {
        let list = r.body["requests"].as_array().unwrap();
        list.iter()
            .map(|x| x["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let mine = c.as_user(t, "alice", "GET", "/v1/requests").await;
    assert!(ids(&mine).contains(&id));
    let q = "/v1/requests?requester=me&state=pending,approved";
    assert!(ids(&c.as_user(t, "alice", "GET", q).await).contains(&id));
    let inbox = c.as_user(t, "bob", "GET", "/v1/requests?approver=me").await;
    assert!(ids(&inbox).contains(&id));
    for q in ["state=sleeping", "approver=bob", "approver=me&requester=me"] {
        let r = c
            .as_user(t, "alice", "GET", &format!("/v1/requests?{q}"))
            .await;
        expect(&r, 400, "invalid-request");
    }
}

pub(crate) async fn getting(c: &Contract, t: &TestBroker) {
    let id = pending(c, t).await;
    let path = format!("/v1/requests/{id}");
    for user in ["alice", "bob", "root"] {
        assert_eq!(c.as_user(t, user, "GET", &path).await.status, 200);
    }
    expect(
        &c.as_user(t, "mallory", "GET", &path).await,
        403,
        "forbidden",
    );
    let none = format!("/v1/requests/{NO_SUCH_ID}");
    expect(&c.as_user(t, "alice", "GET", &none).await, 404, "not-found");
    for q in ["wait=soon", "wait=1s&state=sleeping"] {
        let r = c.as_user(t, "alice", "GET", &format!("{path}?{q}")).await;
        expect(&r, 400, "invalid-request");
    }
    // Nothing happens: the wait runs out and the answer is the request as it is.
    let r = c
        .as_user(t, "alice", "GET", &format!("{path}?wait=1s"))
        .await;
    assert_eq!((r.status, r.body["state"].as_str()), (200, Some("pending")));
    // The approval ends the long-poll.
    let poll = format!("{path}?wait=20s&state=pending");
    let (polled, _) = tokio::join!(c.as_user(t, "alice", "GET", &poll), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let approve = format!("{path}/approve");
        assert_eq!(c.as_user(t, "bob", "POST", &approve).await.status, 200);
    });
    assert_eq!(
        (polled.status, polled.body["state"].as_str()),
        (200, Some("approved"))
    );
}

pub(crate) async fn withdrawing(c: &Contract, t: &TestBroker) {
    let id = pending(c, t).await;
    let path = format!("/v1/requests/{id}");
    let alice = || Auth::User("alice");
    expect(
        &c.as_user(t, "bob", "DELETE", &path).await,
        403,
        "forbidden",
    );
    let r = c
        .call(t, alice(), "DELETE", &path, Body::Raw("{"), None)
        .await;
    expect(&r, 400, "invalid-request");
    let why = Body::Json(json!({"comment": "not needed"}));
    let r = c.call(t, alice(), "DELETE", &path, why, None).await;
    assert_eq!(
        (r.status, r.body["state"].as_str()),
        (200, Some("cancelled"))
    );
    expect(
        &c.as_user(t, "alice", "DELETE", &path).await,
        409,
        "conflict",
    );
    let none = format!("/v1/requests/{NO_SUCH_ID}");
    expect(
        &c.as_user(t, "alice", "DELETE", &none).await,
        404,
        "not-found",
    );
}

pub(crate) async fn deciding(c: &Contract, t: &TestBroker) {
    for (verb, state) in [("approve", "approved"), ("deny", "denied")] {
        let id = pending(c, t).await;
        let path = format!("/v1/requests/{id}/{verb}");
        expect(
            &c.as_user(t, "alice", "POST", &path).await,
            403,
            "self-approval",
        );
        expect(
            &c.as_user(t, "mallory", "POST", &path).await,
            403,
            "forbidden",
        );
        let bob = || Auth::User("bob");
        let r = c
            .call(
                t,
                bob(),
                "POST",
                &path,
                Body::Raw(r#"{"comment": 1}"#),
                None,
            )
            .await;
        expect(&r, 400, "invalid-request");
        let ok = Body::Json(json!({"comment": "INC-1"}));
        let r = c.call(t, bob(), "POST", &path, ok, None).await;
        assert_eq!((r.status, r.body["state"].as_str()), (200, Some(state)));
        expect(&c.as_user(t, "dave", "POST", &path).await, 409, "conflict");
        let none = format!("/v1/requests/{NO_SUCH_ID}/{verb}");
        expect(&c.as_user(t, "bob", "POST", &none).await, 404, "not-found");
    }
    // A request whose approval must carry a passkey: the API's approve refuses it, pointing
    // at the review page (the demo policies, their approval permit asking for a passkey).
    let dir = tempfile::tempdir().unwrap();
    let demo = include_str!("../../src/dev/demo/demo.cedar").replace(
        "@approvers(\"sre-leads\")",
        "@approvers(\"sre-leads\")\n@approval_assurance(\"passkey\")",
    );
    std::fs::write(dir.path().join("demo.cedar"), demo).unwrap();
    let strict = TestBroker::start_with_policies(dir.path()).await;
    let id = pending(c, &strict).await;
    let path = format!("/v1/requests/{id}/approve");
    let r = c.as_user(&strict, "bob", "POST", &path).await;
    expect(&r, 403, "passkey-required");
    let r = c
        .as_user(&strict, "alice", "GET", &format!("/v1/requests/{id}"))
        .await;
    assert_eq!(r.body["state"], "pending", "nothing changed");
    // Undecided past the review window: over (410), like an ended grant, for either verb.
    let window = t.broker.review_window();
    let late = [pending(c, t).await, pending(c, t).await];
    t.broker
        .set_review_window(std::time::Duration::from_secs(1));
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    for (verb, id) in ["approve", "deny"].into_iter().zip(&late) {
        let path = format!("/v1/requests/{id}/{verb}");
        let r = c.as_user(t, "bob", "POST", &path).await;
        expect(&r, 410, "grant-not-live");
    }
    t.broker.set_review_window(window);
}
