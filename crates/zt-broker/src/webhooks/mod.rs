//! Webhook notifications: a new request, a decision, a grant that expired or was revoked, a
//! break-glass request, a credential the broker could not revoke at its target — posted to
//! each `[[webhook]]` that wants the event in its [`Format`]: the event as JSON (`{"event",
//! "request", "at", "text"}`, the default), one Slack-compatible line (`{"text"}`, [`text`]), or
//! a Slack Block Kit message with a "Review" button ([`slack`]); signed with HMAC-SHA256 when
//! it names a secret (`X-Zt-Signature: sha256=<hex>`).
//!
//! Nothing here can hold up or fail a decision: [`Webhooks::send`] only puts the event on a
//! bounded channel (dropping it, with a line on stderr, when the channel is full), and
//! [`deliver`] posts from a background task, retrying with exponential backoff and auditing
//! the final give-up (`webhook.failed`).

mod deliver;
mod format;
pub mod mrkdwn;
pub mod slack;
mod text;

pub use format::Format;
pub use text::text;

/// The signature header and how its value is made: what a receiver checks.
pub use deliver::{SIGNATURE_HEADER, signature};

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::mpsc;

use crate::store::Store;
use zt_api::{self as api, State, Timestamp};

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
    /// The body's shape (`format`; default [`Format::Json`], the body of earlier versions).
    pub format: Format,
}

/// One event, as the [`Format::Json`] body carries it; the other formats are made from it.
#[derive(Debug, Clone, Serialize)]
pub struct Payload {
    pub event: &'static str,
    /// The request as the API shows it (with its `review_url` while pending).
    pub request: api::Request,
    pub at: Timestamp,
    /// The one-line text ([`text`]).
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
    pub fn send(&self, event: &'static str, request: api::Request) {
        let id = request.id.clone();
        let payload = Payload {
            event,
            text: text(event, &request),
            request,
            at: Timestamp::now(),
        };
        if let Err(e) = self.tx.try_send(payload) {
            tracing::warn!(
                "webhooks: {event} for {id} not sent: {}",
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

#[cfg(test)]
mod tests;
