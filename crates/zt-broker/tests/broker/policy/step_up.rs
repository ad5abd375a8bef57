//! Step-up authentication (RFC 9470) through the dev broker's HTTP API: the token's `acr`,
//! `amr` and `auth_time` reach Cedar's context, and a permit's `@step_up` that a token with an
//! old sign-in does not meet is a 401 `step-up-required` with the RFC 9470 challenge — on
//! create, approve, deny and extend — audited, and nothing else changes.

use serde_json::{Value, json};
use zt_broker::dev::idp::DEV_ACR;
use zt_testkit::broker::{Resp, TestBroker};

/// The demo policies plus: a fresh sign-in (5 minutes) to request or extend prod-k8s, or to
/// approve or deny a request for it.
pub(crate) fn step_up_policies() -> tempfile::TempDir {
    zt_testkit::broker::demo_policies_with(&format!(
        r#"
@id("prod-k8s-fresh")
@outcome("cap")
@max_ttl("24h")
@step_up("acr={DEV_ACR} max_age=300")
permit (principal, action in [Action::"request", Action::"extend"], resource == Resource::"prod-k8s");

@id("prod-k8s-approve-fresh")
@outcome("grant")
@step_up("max_age=300")
permit (principal, action == Action::"approve", resource == Resource::"prod-k8s");
"#
    ))
}

/// `user`'s token whose sign-in was an hour ago.
pub(crate) fn stale(t: &TestBroker, user: &str) -> String {
    let hour_ago = zt_api::Timestamp::now().0 as u64 - 3600;
    t.idp.mint_access_token_at(user, hour_ago).unwrap()
}

async fn send(t: &TestBroker, token: &str, method: &str, path: &str, body: Option<Value>) -> Resp {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = reqwest::Client::new()
        .request(m, format!("{}{path}", t.url))
        .bearer_auth(token)
        .header("idempotency-key", zt_broker::crypto::new_id().unwrap());
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    let body = r.json().await.unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        body,
    }
}

/// The answer is the RFC 9470 step-up: 401, the challenge, the problem naming what is needed.
pub(crate) fn assert_step_up(r: &Resp, acr: bool) {
    assert_eq!(
        (r.status, r.slug()),
        (401, "step-up-required"),
        "{:?}",
        r.body
    );
    let h = r.headers["www-authenticate"].to_str().unwrap();
    assert!(
        h.starts_with("Bearer error=\"insufficient_user_authentication\", error_description=\""),
        "{h}"
    );
    assert!(h.ends_with(", max_age=300"), "{h}");
    assert_eq!(h.contains(&format!("acr_values=\"{DEV_ACR}\"")), acr, "{h}");
    let detail = r.body["detail"].as_str().unwrap();
    assert!(detail.contains("at most 300 seconds old"), "{detail}");
    assert!(detail.contains("authenticated at"), "{detail}");
}

async fn audit_actions(t: &TestBroker) -> Vec<String> {
    let rows = t.broker.store.audit_rows(0, 1_000_000).await.unwrap();
    rows.into_iter().map(|r| r.entry.action).collect()
}

#[tokio::test]
async fn an_old_sign_in_is_asked_to_step_up_on_every_act_and_changes_nothing() {
    let dir = step_up_policies();
    let t = TestBroker::start_with_policies(dir.path()).await;
    let before = audit_actions(&t).await.len();

    // Create: refused with the challenge; no request made (only the refusal audited).
    let body = json!({"resource": "prod-k8s", "role": "view", "ttl_secs": 600});
    let r = send(
        &t,
        &stale(&t, "alice"),
        "POST",
        "/v1/requests",
        Some(body.clone()),
    )
    .await;
    assert_step_up(&r, true);
    let mine = t.get("alice", "/v1/requests").await;
    assert_eq!(mine.body["requests"].as_array().unwrap().len(), 0);
    let actions = audit_actions(&t).await;
    assert_eq!(actions[before..], ["auth.step_up_required"], "{actions:?}");
    // The same with a fresh sign-in: granted.
    let r = send(&t, &t.token("alice"), "POST", "/v1/requests", Some(body)).await;
    assert_eq!(
        (r.status, r.body["state"].as_str()),
        (201, Some("approved"))
    );
    let grant = r.id();

    // Extend: refused, the grant's end unchanged; fresh: extended.
    let path = format!("/v1/grants/{grant}/extend");
    let end = t.get("alice", &format!("/v1/requests/{grant}")).await.body["expires_at"].clone();
    let r = send(
        &t,
        &stale(&t, "alice"),
        "POST",
        &path,
        Some(json!({"ttl_secs": 1200})),
    )
    .await;
    assert_step_up(&r, true);
    let now = t.get("alice", &format!("/v1/requests/{grant}")).await;
    assert_eq!(now.body["expires_at"], end);
    let r = send(
        &t,
        &t.token("alice"),
        "POST",
        &path,
        Some(json!({"ttl_secs": 1200})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);

    // Approve and deny: refused for bob's old sign-in, the request still pending.
    let pending = t.create("alice", "prod-k8s", "admin", 600).await;
    assert_eq!(pending.body["state"], "pending", "{:?}", pending.body);
    let id = pending.id();
    for verb in ["approve", "deny"] {
        let path = format!("/v1/requests/{id}/{verb}");
        let r = send(&t, &stale(&t, "bob"), "POST", &path, None).await;
        assert_step_up(&r, false);
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("to {verb} request {id}"))
        );
    }
    assert_eq!(
        t.get("alice", &format!("/v1/requests/{id}")).await.body["state"],
        "pending"
    );
    let r = send(
        &t,
        &t.token("bob"),
        "POST",
        &format!("/v1/requests/{id}/approve"),
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.body["state"].as_str()),
        (200, Some("approved")),
        "{:?}",
        r.body
    );

    // Every refusal audited, under the request's id where there is one.
    let rows = t.broker.store.audit_rows(0, 1_000_000).await.unwrap();
    let refusals: Vec<_> = rows
        .iter()
        .map(|r| &r.entry)
        .filter(|e| e.action == "auth.step_up_required")
        .collect();
    assert_eq!(refusals.len(), 4, "{refusals:#?}");
    let on_id = refusals
        .iter()
        .filter(|e| e.request_id.as_deref() == Some(id.as_str()));
    assert_eq!(on_id.count(), 2, "{refusals:#?}");
    assert!(
        refusals
            .iter()
            .all(|e| e.detail.contains("needs an authentication"))
    );

    // Where no policy asks, an old sign-in is as good as any.
    let other = json!({"resource": "prod-aws", "role": "readonly", "ttl_secs": 600});
    let r = send(&t, &stale(&t, "alice"), "POST", "/v1/requests", Some(other)).await;
    assert_eq!(
        (r.status, r.body["state"].as_str()),
        (201, Some("approved")),
        "{:?}",
        r.body
    );
}

/// The token's authentication facts are Cedar's `context.acr`, `context.amr` and
/// `context.auth_time` (seconds since the sign-in): a permit on them grants a fresh sign-in
/// and not an old one; without a `@step_up` the old one is simply not permitted (no 401).
#[tokio::test]
async fn the_tokens_acr_and_auth_time_are_in_the_context() {
    let dir = tempfile::tempdir().unwrap();
    let policy = format!(
        r#"
@id("fresh-dev-sign-in")
@outcome("grant")
permit (principal, action == Action::"request", resource)
when {{ context.acr == "{DEV_ACR}" && context.auth_time <= 60 && context.amr.isEmpty() }};
"#
    );
    std::fs::write(dir.path().join("p.cedar"), policy).unwrap();
    let t = TestBroker::start_with_policies(dir.path()).await;
    let body = json!({"resource": "prod-k8s", "role": "view", "ttl_secs": 600});
    let r = send(
        &t,
        &t.token("alice"),
        "POST",
        "/v1/requests",
        Some(body.clone()),
    )
    .await;
    assert_eq!(
        (r.status, r.body["state"].as_str()),
        (201, Some("approved")),
        "{:?}",
        r.body
    );
    let r = send(&t, &stale(&t, "alice"), "POST", "/v1/requests", Some(body)).await;
    assert_eq!(
        (r.status, r.body["state"].as_str()),
        (201, Some("denied")),
        "{:?}",
        r.body
    );
    assert_eq!(r.body["decision"]["policy_ids"], json!(["default-deny"]));
}
