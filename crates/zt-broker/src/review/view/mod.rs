//! What the review page shows: one request (`GET /review/{id}`) — who asks for what, for how
//! long, why, the ticket, break-glass, the policies that matched, the approvals so far and from
//! whom, the requester's recent requests, and for an approver who may decide it the approve /
//! deny form — and the inbox (`GET /review`), the requests the signed-in person may decide.
//! Who may see a request is the API's rule ([`crate::domain::visible`]); every value another
//! person typed is escaped and bounded.
//!
//! This file: the inbox and what both pages share; `request`: the request's page.

mod bundle;
mod request;

pub(crate) use request::request;

use std::fmt::Write;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::page::{escape, html, layout, message, text};
use super::{ReviewState, Session};
use crate::domain::{self, DomainError};
use crate::problem::ApiError;
use zt_api as api;

/// Longest id the page looks up (ids are 16 hex digits).
const MAX_ID: usize = 64;

/// Whether `id` can be a request id at all (else the page answers 404 without asking the
/// store).
pub(crate) fn plausible_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A domain error as a page: the API's status, its title, its message (escaped).
pub(crate) fn error_page(e: DomainError, session: &Session, back: Option<&str>) -> Response {
    if let DomainError::Store(ref err) = e {
        tracing::error!("review page: store: {err}");
    }
    let api = ApiError::from(e);
    let detail = match api.status {
        StatusCode::INTERNAL_SERVER_ERROR => "Something went wrong inside the broker.".into(),
        _ => api.detail.clone().unwrap_or_default(),
    };
    message(api.status, api.title, &detail, Some(session), back)
}

/// `h m` of a number of seconds (`1h 30m`, `45m`, `30s`).
pub(crate) fn human_secs(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d}d"));
    }
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 {
        parts.push(format!("{m}m"));
    }
    if s > 0 && d == 0 && h == 0 {
        parts.push(format!("{s}s"));
    }
    if parts.is_empty() {
        "0s".into()
    } else {
        parts.join(" ")
    }
}

/// A time as people read it: `2026-11-23 18:02:11 UTC`.
pub(crate) fn when(t: api::Timestamp) -> String {
    let s = t.to_string();
    match s.strip_suffix('Z') {
        Some(rest) => format!("{} UTC", rest.replacen('T', " ", 1)),
        None => s,
    }
}

pub(super) fn state_badge(s: api::State) -> String {
    format!("<span class=\"state state-{s}\">{s}</span>")
}

/// `GET /review`: the requests the signed-in person may decide.
pub(crate) async fn inbox(State(review): State<ReviewState>, session: Session) -> Response {
    let list = match domain::requests::inbox(&review.broker, &session.principal, vec![]).await {
        Ok(l) => l,
        Err(e) => return error_page(e, &session, None),
    };
    let mut body = String::new();
    if list.is_empty() {
        body.push_str("<p class=\"muted\">Nothing waits for your decision.</p>");
    } else {
        body.push_str(
            "<table><tr><th>Request</th><th>Requester</th><th>Resource / role</th><th>For</th>\
             <th>Approvals</th><th>Reason</th></tr>",
        );
        for rec in list.iter().take(500) {
            let r = &rec.request;
            let _ = write!(
                body,
                "<tr><td class=\"nw\"><a href=\"/review/{id}\"><code>{id}</code></a></td>\
<td>{}</td><td class=\"nw\"><code>{}/{}</code>{}</td><td class=\"nw\">{}</td>\
<td class=\"nw\">{}/{}</td><td>{}</td></tr>",
                text(&r.requester, 100),
                text(&r.resource, 100),
                text(&r.role, 100),
                if r.break_glass {
                    " <span class=\"glass\">BREAK-GLASS</span>"
                } else {
                    ""
                },
                escape(&human_secs(r.ttl_secs)),
                r.approvals.len(),
                r.decision.approvals_needed(),
                r.reason
                    .as_deref()
                    .map(|x| text(x, 120))
                    .unwrap_or_default(),
                id = escape(&r.id),
            );
        }
        body.push_str("</table>");
    }
    html(
        StatusCode::OK,
        layout("Waiting for your decision", Some(&session), &body),
    )
}
