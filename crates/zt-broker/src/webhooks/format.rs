//! A webhook's `format`: which body an event is posted as. Each is JSON; the signature is over
//! the exact bytes sent.

use serde_json::json;

use super::{Payload, slack};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// `{"event", "request", "at", "text"}`: the event as structured JSON, for programs (the
    /// body of every webhook before `format` existed, and still the default).
    #[default]
    Json,
    /// `{"text"}`: the one line, for any chat's incoming webhook (Slack, Mattermost, …).
    Text,
    /// `{"text", "blocks"}`: a Slack Block Kit message — the request's facts and a "Review"
    /// button — with the line as its notification fallback.
    Slack,
}

impl Format {
    pub const NAMES: &'static [&'static str] = &["slack", "text", "json"];

    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "json" => Some(Format::Json),
            "text" => Some(Format::Text),
            "slack" => Some(Format::Slack),
            _ => None,
        }
    }

    /// The body for `payload`, as sent.
    pub fn body(self, payload: &Payload) -> serde_json::Result<Vec<u8>> {
        match self {
            Format::Json => serde_json::to_vec(payload),
            Format::Text => serde_json::to_vec(&json!({ "text": payload.text })),
            Format::Slack => serde_json::to_vec(&slack::message(payload)),
        }
    }
}
