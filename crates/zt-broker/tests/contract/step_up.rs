//! Contract scenario for step-up authentication (RFC 9470): with a policy asking for a sign-in
//! at most 5 minutes old, a token whose sign-in is an hour old gets 401 `step-up-required`
//! from create, approve, deny and extend — each checked against the document (status, slug,
//! the `WWW-Authenticate` header it requires).

use serde_json::json;

use super::check::{Auth, Body, Contract};
use zt_testkit::broker::{Resp, TestBroker};

fn expect_step_up(r: &Resp) {
    assert_eq!(
        (r.status, r.slug()),
        (401, "step-up-required"),
        "{:?}",
        r.body
    );
    let h = r.headers["www-authenticate"].to_str().unwrap();
    assert!(
        h.starts_with("Bearer error=\"insufficient_user_authentication\"")
            && h.ends_with("max_age=300"),
        "{h}"
    );
}

pub(crate) async fn stepping_up(c: &Contract) {
    let dir = zt_testkit::broker::step_up_policies();
    let t = TestBroker::start_with_policies(dir.path()).await;
    let hour_ago = zt_api::Timestamp::now().0 as u64 - 3600;
    let stale = |u: &str| {
        format!(
            "Bearer {}",
            t.idp.mint_access_token_at(u, hour_ago).unwrap()
        )
    };

    let key = zt_broker::crypto::new_id().unwrap();
    let body = json!({"resource": "prod-k8s", "role": "view", "ttl_secs": 600});
    let (alice, bob) = (stale("alice"), stale("bob"));
    let r = c
        .call(
            &t,
            Auth::Header(&alice),
            "POST",
            "/v1/requests",
            Body::Json(body),
            Some(&key),
        )
        .await;
    expect_step_up(&r);

    // A bundle with one item under the step-up policy: refused whole, nothing created.
    let key = zt_broker::crypto::new_id().unwrap();
    let bundle = json!({"items": [{"resource": "prod-db"}, {"resource": "prod-k8s", "role": "view"}],
        "ttl_secs": 600, "reason": "INC-1"});
    let r = c
        .call(
            &t,
            Auth::Header(&alice),
            "POST",
            "/v1/bundles",
            Body::Json(bundle),
            Some(&key),
        )
        .await;
    expect_step_up(&r);

    let grant = t.create("alice", "prod-k8s", "view", 600).await.id();
    let path = format!("/v1/grants/{grant}/extend");
    let r = c
        .call(
            &t,
            Auth::Header(&alice),
            "POST",
            &path,
            Body::Json(json!({"ttl_secs": 900})),
            None,
        )
        .await;
    expect_step_up(&r);

    let pending = t.create("alice", "prod-k8s", "admin", 600).await.id();
    for verb in ["approve", "deny"] {
        let path = format!("/v1/requests/{pending}/{verb}");
        let r = c
            .call(&t, Auth::Header(&bob), "POST", &path, Body::None, None)
            .await;
        expect_step_up(&r);
    }
}
