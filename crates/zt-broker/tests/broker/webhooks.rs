//! Integration tests of `src/webhooks`: webhooks against a tiny local HTTP server that fails the
//! first deliveries — retried with backoff, signed, filtered by event, and a give-up audited —
//! while the API (the dev broker harness over HTTP) answers at once.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

use zt_broker::webhooks::{Format, SIGNATURE_HEADER, Secret, WebhookConfig, Webhooks, signature};
use zt_testkit::broker::TestBroker;

/// What the server got: (signature header, JSON body), in order.
type Seen = Arc<Mutex<Vec<(Option<String>, serde_json::Value)>>>;

/// A server that answers 500 to its first `fail_first` POSTs, then 204.
async fn hook_server(fail_first: usize) -> (reqwest::Url, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let app = Router::new().route(
        "/hook/secret-token",
        post(move |headers: HeaderMap, body: Bytes| {
            let s = s.clone();
            async move {
                let sig = headers
                    .get(SIGNATURE_HEADER)
                    .map(|v| v.to_str().unwrap().to_owned());
                let json = serde_json::from_slice(&body).unwrap();
                let mut seen = s.lock().unwrap();
                seen.push((sig, json));
                if seen.len() <= fail_first {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/hook/secret-token",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url.parse().unwrap(), seen)
}

fn hook(url: &reqwest::Url, events: &[&str], attempts: u32) -> WebhookConfig {
    WebhookConfig {
        url: url.clone(),
        events: events.iter().map(|e| e.to_string()).collect(),
        secret: Some(Secret(b"s3cret".to_vec())),
        attempts,
        format: Format::Json,
    }
}

/// Poll until `n` deliveries arrived (a delivery that never comes fails after `within`).
async fn wait_for(seen: &Seen, n: usize, within: Duration) {
    let start = Instant::now();
    while seen.lock().unwrap().len() < n {
        assert!(
            start.elapsed() < within,
            "{} of {n} deliveries",
            seen.lock().unwrap().len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_failing_endpoint_gets_the_event_on_the_third_attempt_signed() {
    let t = TestBroker::start().await;
    let (url, seen) = hook_server(2).await;
    t.broker.set_webhooks(Webhooks::start(
        vec![hook(&url, &["request.created"], 5)],
        t.broker.store.clone(),
    ));
    let started = Instant::now();
    let r = t.create("alice", "prod-k8s", "admin", 600).await;
    assert_eq!(r.status, 201);
    // The request was answered without waiting for the webhook (its retries take 3s).
    assert!(
        seen.lock().unwrap().len() < 3,
        "answered after {:?}",
        started.elapsed()
    );
    wait_for(&seen, 3, Duration::from_secs(10)).await;
    let seen = seen.lock().unwrap().clone();
    let (sig, body) = &seen[2];
    assert_eq!(body["event"], "request.created");
    assert_eq!(body["request"]["id"], r.body["id"]);
    assert_eq!(body["request"]["state"], "pending");
    assert!(body["at"].is_string());
    let text = body["text"].as_str().unwrap();
    assert!(
        text.contains("alice@example.com asked for *prod-k8s/admin*") && text.contains("sre-leads"),
        "{text}"
    );
    // The signature is over the exact bytes sent.
    let bytes = serde_json::to_vec(body).unwrap();
    assert_eq!(sig.as_deref(), Some(signature(b"s3cret", &bytes).as_str()));
    // All three carried the same event; nothing was given up.
    assert!(seen.iter().all(|(_, b)| b == body));
    let rows = t.broker.store.audit_rows(0, 100).await.unwrap();
    assert!(!rows.iter().any(|r| r.entry.action == "webhook.failed"));
}

#[tokio::test]
async fn events_are_filtered_and_a_give_up_is_audited_without_the_url_path() {
    let t = TestBroker::start().await;
    let (all_url, all) = hook_server(0).await;
    let (dead_url, dead) = hook_server(usize::MAX).await;
    let mut every = hook(&all_url, zt_broker::webhooks::EVENTS, 1);
    every.secret = None;
    t.broker.set_webhooks(Webhooks::start(
        vec![every, hook(&dead_url, &["grant.revoked"], 2)],
        t.broker.store.clone(),
    ));
    let id = t.create("alice", "prod-k8s", "view", 600).await.id();
    let pending = t.approved("alice", "prod-k8s", "edit", 600).await;
    t.post("alice", &format!("/v1/grants/{id}/revoke"), None)
        .await;
    // created ×2, decided, revoked at the first; the revoke twice at the second.
    wait_for(&all, 4, Duration::from_secs(10)).await;
    wait_for(&dead, 2, Duration::from_secs(10)).await;
    let mut events: Vec<String> = all
        .lock()
        .unwrap()
        .iter()
        .map(|(sig, b)| {
            assert!(sig.is_none(), "no secret, no signature");
            format!(
                "{} {}",
                b["event"].as_str().unwrap(),
                b["request"]["id"].as_str().unwrap()
            )
        })
        .collect();
    events.sort();
    let mut want = vec![
        format!("grant.revoked {id}"),
        format!("request.created {id}"),
        format!("request.created {pending}"),
        format!("request.decided {pending}"),
    ];
    want.sort();
    assert_eq!(events, want);
    let decided = all
        .lock()
        .unwrap()
        .iter()
        .find(|(_, b)| b["event"] == "request.decided")
        .map(|(_, b)| b["text"].as_str().unwrap().to_owned())
        .unwrap();
    assert!(decided.contains("bob@example.com approved"), "{decided}");
    assert!(
        dead.lock()
            .unwrap()
            .iter()
            .all(|(_, b)| b["event"] == "grant.revoked")
    );
    // The give-up lands in the audit log after the last attempt.
    let start = Instant::now();
    let failed = loop {
        let rows = t.broker.store.audit_rows(0, 100).await.unwrap();
        if let Some(r) = rows
            .into_iter()
            .find(|r| r.entry.action == "webhook.failed")
        {
            break r;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no webhook.failed row"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(failed.entry.request_id.as_deref(), Some(id.as_str()));
    assert!(
        failed.entry.detail.contains("after 2 attempt(s): HTTP 500"),
        "{}",
        failed.entry.detail
    );
    assert!(
        !failed.entry.detail.contains("secret-token"),
        "{}",
        failed.entry.detail
    );
}
