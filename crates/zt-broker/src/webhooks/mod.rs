//! Webhook notifications: a new request, a decision, a grant that expired or was revoked, a
//! break-glass request, a credential the broker could not revoke at its target — posted as JSON (`{"event", "request", "at", "text"}`, `text` one
//! Slack-compatible line) to each `[[webhook]]` that wants the event, signed with HMAC-SHA256
//! when it names a secret (`X-Zt-Signature: sha256=<hex>`).
//!
//! Nothing here can hold up or fail a decision: [`Webhooks::send`] only puts the event on a
//! bounded channel (dropping it, with a line on stderr, when the channel is full), and
//! [`deliver`] posts from a background task, retrying with exponential backoff and auditing
//! the final give-up (`webhook.failed`).

mod deliver;

/// The signature header and how its value is made: what a receiver checks.
pub use deliver::{SIGNATURE_HEADER, signature};

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::mpsc;

use crate::store::Store;
use zt_api::{self as api, Outcome, State, Timestamp};

/// The events a webhook may ask for (`events = [...]`; default all).
pub const EVENTS: &[&str] = &[
    "request.created",
    "request.decided",
    "grant.expired",
    "grant.revoked",
    "break_glass",
    "credential.revoke_failed",
];

/// Events waiting for the delivery task; past this many, new ones are dropped (and logged).
const QUEUE: usize = 1024;

/// A webhook secret: kept out of `Debug` output and logs.
#[derive(Clone, PartialEq)]
pub struct Secret(pub Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// One checked `[[webhook]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookConfig {
    pub url: reqwest::Url,
    /// A subset of [`EVENTS`].
    pub events: Vec<String>,
    /// The HMAC-SHA256 key (the value of `secret_env`).
    pub secret: Option<Secret>,
    /// Deliveries tried before giving up (waiting 1s, 2s, 4s, … in between).
    pub attempts: u32,
}

/// What is posted.
#[derive(Debug, Clone, Serialize)]
pub struct Payload {
    pub event: &'static str,
    pub request: api::Request,
    pub at: Timestamp,
    pub text: String,
}

/// The sending side, held by the broker.
pub struct Webhooks {
    tx: mpsc::Sender<Payload>,
}

impl Webhooks {
    /// Start the delivery task for `hooks`; `store` records give-ups in the audit log.
    pub fn start(hooks: Vec<WebhookConfig>, store: Store) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(deliver::run(rx, Arc::new(hooks), store));
        Self { tx }
    }

    /// Queue `event` about `request`; never waits.
    pub fn send(&self, event: &'static str, request: &api::Request) {
        let payload = Payload {
            event,
            request: request.clone(),
            at: Timestamp::now(),
            text: text(event, request),
        };
        if let Err(e) = self.tx.try_send(payload) {
            tracing::warn!(
                "webhooks: {event} for {} not sent: {}",
                request.id,
                match e {
                    mpsc::error::TrySendError::Full(_) => "the queue is full",
                    mpsc::error::TrySendError::Closed(_) => "the delivery task has stopped",
                }
            );
        }
    }
}

/// The event a transition is announced as, if any.
pub fn transition_event(from: State, to: State) -> Option<&'static str> {
    match (from, to) {
        (State::Pending, State::Approved | State::Denied) => Some("request.decided"),
        (State::Approved | State::Active, State::Expired) => Some("grant.expired"),
        (_, State::Revoked) => Some("grant.revoked"),
        _ => None,
    }
}

/// One line for people (Slack renders `*bold*`).
pub fn text(event: &str, r: &api::Request) -> String {
    let what = format!("{}/{}", r.resource, r.role);
    let why = match (&r.reason, &r.ticket) {
        (Some(reason), Some(t)) => format!(" — {reason} ({t})"),
        (Some(reason), None) => format!(" — {reason}"),
        (None, Some(t)) => format!(" — {t}"),
        (None, None) => String::new(),
    };
    let by = r.decided_by.as_deref().unwrap_or("policy");
    let line = match event {
        "request.created" => {
            let outcome = match r.decision.outcome {
                Outcome::Grant => "granted at once".to_string(),
                Outcome::RequireApproval => format!(
                    "waiting for approval by {}",
                    r.decision.approver_groups.join(" or ")
                ),
                Outcome::Deny => "denied by policy".to_string(),
            };
            format!(
                "{} asked for *{what}* for {}s{why}: {outcome}",
                r.requester, r.ttl_secs
            )
        }
        "request.decided" => format!("{by} {} {}'s request for *{what}*", r.state, r.requester),
        "grant.expired" => format!("{}'s grant of *{what}* expired", r.requester),
        "grant.revoked" => format!("{}'s grant of *{what}* was revoked", r.requester),
        "credential.revoke_failed" => format!(
            ":warning: the credential of {}'s grant of *{what}* could not be revoked at its \
             target; the broker keeps retrying (grant {})",
            r.requester, r.id
        ),
        "break_glass" => format!(
            ":rotating_light: BREAK-GLASS: {} asked for *{what}* for {}s{why} ({})",
            r.requester, r.ttl_secs, r.state
        ),
        other => format!("{other}: *{what}* of {}", r.requester),
    };
    format!("zt: {line} [{}]", r.id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn break_glass_and_expiry_read_as_one_line() {
        use zt_api::{Decision, Outcome, Request, ResourceKind, State, Timestamp};
        let mut r = Request {
            id: "0123456789abcdef".into(),
            requester: "alice@example.com".into(),
            resource: "prod-k8s".into(),
            kind: ResourceKind::Kubernetes,
            role: "view".into(),
            ttl_secs: 600,
            reason: None,
            ticket: None,
            break_glass: false,
            state: State::Approved,
            decision: Decision {
                outcome: Outcome::Grant,
                policy_ids: vec![],
                reason: String::new(),
                approver_groups: vec![],
                approvals_required: 0,
                approval_assurance: None,
            },
            decided_by: None,
            decision_comment: None,
            approvals: vec![],
            created_at: Timestamp::now(),
            not_before: None,
            expires_at: None,
            review_url: None,
        };
        r.break_glass = true;
        r.reason = Some("INC-9".into());
        let t = super::text("break_glass", &r);
        assert!(
            t.starts_with("zt: :rotating_light: BREAK-GLASS: alice@example.com"),
            "{t}"
        );
        assert!(t.contains("INC-9") && !t.contains('\n'), "{t}");
        assert_eq!(
            super::text("grant.expired", &r),
            format!(
                "zt: alice@example.com's grant of *prod-k8s/view* expired [{}]",
                r.id
            )
        );
        use zt_api::State::*;
        assert_eq!(
            super::transition_event(Pending, Approved),
            Some("request.decided")
        );
        assert_eq!(
            super::transition_event(Active, Expired),
            Some("grant.expired")
        );
        assert_eq!(
            super::transition_event(Approved, Revoked),
            Some("grant.revoked")
        );
        assert_eq!(super::transition_event(Pending, Expired), None);
        assert_eq!(super::transition_event(Approved, Active), None);
    }
}
