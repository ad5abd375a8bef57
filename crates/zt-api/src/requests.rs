//! Requests and their life: the body that asks (`POST /v1/requests`), a request's state and
//! policy decision, the approvals it collected, lists of requests, and the comment that goes
//! with a decision.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{ResourceKind, Timestamp, secs};

/// What the client tells the broker about where a request comes from (policy context, audit).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ClientContext {
    #[serde(default)]
    pub client_version: String,
    #[serde(default)]
    pub hostname: String,
    #[serde(default)]
    pub platform: String,
}

/// `POST /v1/requests` body. Sent with an `Idempotency-Key` header.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CreateRequest {
    pub resource: String,
    /// `None`: the resource's default role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(deserialize_with = "secs::deserialize")]
    pub ttl_secs: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    #[serde(default)]
    pub break_glass: bool,
    #[serde(default)]
    pub context: ClientContext,
    /// When the grant should start (`zt request --start-at/--start-in`): approved ahead, it
    /// opens then and ends `ttl_secs` later; absent: at approval. In the past, or beyond the
    /// broker's `max_start_ahead`: refused (422 `invalid-start`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at: Option<Timestamp>,
}

/// When a grant's clock starts ([`Request::activation`]).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// At approval (what a request without these fields means).
    Immediate,
    /// At a set time, [`Request::start_at`] (`--start-at`/`--start-in`).
    Scheduled,
    /// At the first credential fetch by a tool, within the claim window
    /// ([`Request::claim_by`]); the role's `activation = "first_use"`.
    FirstUse,
    /// A kind this client does not know (a newer broker).
    #[serde(other)]
    Other,
}

impl Activation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Immediate => "immediate",
            Self::Scheduled => "scheduled",
            Self::FirstUse => "first_use",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Immediate, Self::Scheduled, Self::FirstUse]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// A request's place in its life: `pending → approved → active → expired`, or `denied`,
/// `cancelled` (withdrawn by the requester) or `revoked` (ended early); a pending request
/// nobody decided within the broker's review window goes straight to `expired`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Pending,
    Approved,
    Active,
    Expired,
    Denied,
    Cancelled,
    Revoked,
}

impl State {
    pub const ALL: [State; 7] = [
        State::Pending,
        State::Approved,
        State::Active,
        State::Expired,
        State::Denied,
        State::Cancelled,
        State::Revoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Denied => "denied",
            Self::Cancelled => "cancelled",
            Self::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// A grant exists and may still be used (subject to its window).
    pub fn is_live(self) -> bool {
        matches!(self, Self::Approved | Self::Active)
    }

    /// Nothing will ever happen to a request in this state again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Expired | Self::Denied | Self::Cancelled | Self::Revoked
        )
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How policy answered a request.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Grant,
    RequireApproval,
    Deny,
}

/// The policy decision and why, as returned with every request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Decision {
    pub outcome: Outcome,
    /// Ids of the policies that matched.
    #[serde(default)]
    pub policy_ids: Vec<String>,
    /// A sentence for people.
    #[serde(default)]
    pub reason: String,
    /// Groups whose members may approve (for `require_approval`).
    #[serde(default)]
    pub approver_groups: Vec<String>,
    /// Distinct approvers needed (for `require_approval`; absent, as from older brokers: one).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub approvals_required: u32,
    /// How an approval must be given to count (`@approval_assurance` on the deciding policy,
    /// or the role's `approval_assurance`); absent: any approver's yes through the API counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_assurance: Option<ApprovalAssurance>,
}

/// What an approval must carry to count ([`Decision::approval_assurance`]).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalAssurance {
    /// A WebAuthn assertion (user verified) from a passkey the approver enrolled, whose
    /// challenge binds the request id and a fresh nonce: given on the review page only.
    Passkey,
    /// A kind this client does not know (a newer broker): treated as needing the review page.
    #[serde(other)]
    Other,
}

impl ApprovalAssurance {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passkey => "passkey",
            Self::Other => "other",
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Decision {
    /// How many distinct approvers a `require_approval` decision needs: at least one.
    pub fn approvals_needed(&self) -> u32 {
        self.approvals_required.max(1)
    }
}

/// "one approval", "2 approvals": for messages.
pub fn approvals_phrase(n: u32) -> String {
    match n {
        0 | 1 => "one approval".to_string(),
        n => format!("{n} approvals"),
    }
}

/// One approver's yes on a request that needs several (`Request::approvals`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Approval {
    /// The approver, as shown to people.
    pub by: String,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Set when the approval was confirmed with a passkey: which one, and how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey: Option<PasskeyUse>,
}

/// How a passkey confirmed an approval ([`Approval::passkey`]); the audit row says the same.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PasskeyUse {
    /// The WebAuthn credential id, base64url without padding.
    pub credential_id: String,
    /// The authenticator verified the person (PIN, biometrics): the assertion's UV flag.
    pub user_verified: bool,
}

/// The header on an approval's answer that says what it did: `counted` (more approvals are
/// needed), `already-counted` (this approver had approved before; nothing changed) or
/// `approved` (it was the last one needed).
pub const APPROVAL_HEADER: &str = "zt-approval";

/// A request, and once approved its grant: the grant id *is* the request id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Request {
    pub id: String,
    pub requester: String,
    pub resource: String,
    pub kind: ResourceKind,
    pub role: String,
    pub ttl_secs: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    #[serde(default)]
    pub break_glass: bool,
    pub state: State,
    pub decision: Decision,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// The comment given with the decision that settled the request (a denial's "why", the
    /// last approval's or a withdrawal's note), for the requester to read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_comment: Option<String>,
    /// The approvals given so far, oldest first (the last one approved the request when it
    /// reached the decision's `approvals_required`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Approval>,
    pub created_at: Timestamp,
    /// Start of the grant window (set when approved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<Timestamp>,
    /// End of the grant window (set when approved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// Where approvers review the request in a browser (`{base}/review/{id}`), while it is
    /// pending; absent once decided, and from brokers without review pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_url: Option<String>,
    /// The bundle this request belongs to (`POST /v1/bundles`); absent for a single request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_id: Option<String>,
    /// When a scheduled grant starts (asked with `start_at`); once approved ahead of it,
    /// `not_before` is this time. Absent: it starts at approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at: Option<Timestamp>,
    /// When the grant's clock starts; absent (older brokers, plain requests): at approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation: Option<Activation>,
    /// A first-use grant not claimed yet: it lapses (→ `expired`) unless a tool fetches its
    /// credential by then. Absent once claimed (the TTL then runs from the claim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_by: Option<Timestamp>,
}

impl Request {
    /// Approved ahead of its start: no credential until `not_before`.
    pub fn is_scheduled_ahead(&self, now: Timestamp) -> bool {
        self.state == State::Approved && self.not_before.is_some_and(|nb| now < nb)
    }

    /// Approved, waiting for its first use (its TTL has not started).
    pub fn is_unclaimed(&self) -> bool {
        self.state == State::Approved && self.claim_by.is_some()
    }
}

/// `GET /v1/requests?…` answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RequestList {
    pub requests: Vec<Request>,
}

/// `POST /v1/requests/{id}/deny` and `…/revoke` bodies (optional comment).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Comment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}
