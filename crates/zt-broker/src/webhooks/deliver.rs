//! The delivery task: for each queued event, every webhook that wants it gets its own POST
//! loop (so one slow endpoint never delays another), retried after 1s, 2s, 4s, … until its
//! `attempts` are used up; each failure is logged on stderr and the give-up is audited.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::hmac;
use tokio::sync::mpsc;

use super::{Format, Payload, WebhookConfig};
use crate::crypto::hex;
use crate::store::{AuditEntry, Store};

/// The audit actor of webhook give-ups.
pub(super) const ACTOR: &str = "zt-broker/webhooks";
/// The wait before the second attempt; it doubles after each failure.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const TIMEOUT: Duration = Duration::from_secs(10);
pub const SIGNATURE_HEADER: &str = "x-zt-signature";

pub(super) async fn run(
    mut rx: mpsc::Receiver<Payload>,
    hooks: Arc<Vec<WebhookConfig>>,
    store: Store,
) {
    let client = match reqwest::Client::builder().timeout(TIMEOUT).build() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("webhooks: no HTTP client, nothing will be delivered: {e}");
            return;
        }
    };
    while let Some(payload) = rx.recv().await {
        // Each format's body is made once per event, for every webhook that wants it.
        let mut bodies: HashMap<Format, Arc<Vec<u8>>> = HashMap::new();
        let payload = Arc::new(payload);
        for (i, hook) in hooks.iter().enumerate() {
            if hook.events.iter().any(|e| e == payload.event) {
                let body = match bodies.get(&hook.format) {
                    Some(b) => b.clone(),
                    None => match hook.format.body(&payload) {
                        Ok(b) => bodies.entry(hook.format).or_insert(Arc::new(b)).clone(),
                        Err(e) => {
                            tracing::error!("webhooks: cannot encode {}: {e}", payload.event);
                            continue;
                        }
                    },
                };
                let (client, hooks, store) = (client.clone(), hooks.clone(), store.clone());
                let payload = payload.clone();
                tokio::spawn(async move {
                    deliver(&client, &hooks[i], &payload, &body, &store).await;
                });
            }
        }
    }
}

/// `sha256=<hex HMAC-SHA256 of the body>`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    format!("sha256={}", hex(hmac::sign(&key, body).as_ref()))
}

/// Where a webhook goes, for logs and the audit log: scheme, host and port only — a path can
/// hold a token (Slack's does).
fn place(url: &reqwest::Url) -> String {
    format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or("?"),
        url.port().map(|p| format!(":{p}")).unwrap_or_default()
    )
}

async fn deliver(
    client: &reqwest::Client,
    hook: &WebhookConfig,
    payload: &Payload,
    body: &[u8],
    store: &Store,
) {
    let to = place(&hook.url);
    let mut wait = FIRST_BACKOFF;
    let mut last = String::new();
    for attempt in 1..=hook.attempts {
        let mut req = client
            .post(hook.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        if let Some(secret) = &hook.secret {
            req = req.header(SIGNATURE_HEADER, signature(&secret.0, body));
        }
        last = match req.send().await {
            Ok(r) if r.status().is_success() => return,
            Ok(r) => format!("HTTP {}", r.status().as_u16()),
            // Without the URL: its path can hold a token (Slack's does).
            Err(e) => format!("{}", e.without_url()),
        };
        tracing::warn!(
            "webhook {to}: {} for {} failed (attempt {attempt} of {}): {last}",
            payload.event,
            payload.request.id,
            hook.attempts
        );
        if attempt < hook.attempts {
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    }
    let audit =
        AuditEntry::new(ACTOR, "webhook.failed", Some(&payload.request.id)).detail(format!(
            "{} to {to} given up after {} attempt(s): {last}",
            payload.event, hook.attempts
        ));
    if let Err(e) = store.append_audit(audit).await {
        tracing::error!("audit append failed: {e}");
    }
}
