//! Errors on the wire: the RFC 9457 body ([`Problem`]) and its stable problem types. The slug
//! after [`BASE`] is what clients match on.

use serde::{Deserialize, Serialize};

/// RFC 9457 problem details (`application/problem+json`). `type` is a stable URI of the form
/// `https://zt.dev/problems/<slug>`; the client maps the slug to an exit code.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

pub const BASE: &str = "https://zt.dev/problems/";
pub const UNAUTHENTICATED: &str = "unauthenticated";
pub const FORBIDDEN: &str = "forbidden";
pub const NOT_FOUND: &str = "not-found";
pub const INVALID_REQUEST: &str = "invalid-request";
pub const DENIED: &str = "denied";
pub const TTL_EXCEEDED: &str = "ttl-exceeded";
pub const CONFLICT: &str = "conflict";
pub const SELF_APPROVAL: &str = "self-approval";
pub const GRANT_NOT_LIVE: &str = "grant-not-live";
pub const ISSUER_FAILED: &str = "issuer-failed";
pub const INTERNAL: &str = "internal";
/// A well-formed request naming a role its resource does not have (422, like ttl-exceeded:
/// the request is refused for what it means, not for its form).
pub const UNKNOWN_ROLE: &str = "unknown-role";
/// An approval of a request whose policy asks for a passkey (`@approval_assurance("passkey")`)
/// without one (403): it is given on the request's review page, `{base}/review/{id}`.
pub const PASSKEY_REQUIRED: &str = "passkey-required";
/// The caller's token shows a weaker or older authentication than policy asks for this act
/// (401, RFC 9470): its `WWW-Authenticate: Bearer error="insufficient_user_authentication"`
/// challenge carries the `acr_values` and/or `max_age` to sign in again with.
pub const STEP_UP_REQUIRED: &str = "step-up-required";
/// A grant approved ahead of its start (`start_at`): no credential before then (409); the
/// detail says when it starts.
pub const GRANT_NOT_STARTED: &str = "grant-not-started";
/// A `start_at` the broker cannot schedule: already past, or further ahead than its
/// `[grants] max_start_ahead` (422); the detail says which.
pub const INVALID_START: &str = "invalid-start";

/// Every slug, the one list: the broker emits no other (`ApiError` checks), `openapi.yaml`'s
/// `ProblemType` enum is exactly these, and the client maps each one deliberately
/// (`client::problem_kind`). Tests hold all three to it.
pub const ALL: &[&str] = &[
    UNAUTHENTICATED,
    FORBIDDEN,
    NOT_FOUND,
    INVALID_REQUEST,
    DENIED,
    TTL_EXCEEDED,
    CONFLICT,
    SELF_APPROVAL,
    GRANT_NOT_LIVE,
    ISSUER_FAILED,
    INTERNAL,
    UNKNOWN_ROLE,
    PASSKEY_REQUIRED,
    STEP_UP_REQUIRED,
    GRANT_NOT_STARTED,
    INVALID_START,
];

/// The slug of a problem `type` URI (`…/problems/denied` → `denied`).
pub fn slug(type_: &str) -> &str {
    type_.strip_prefix(BASE).unwrap_or(type_)
}
