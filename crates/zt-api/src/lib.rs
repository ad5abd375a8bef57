//! Wire types of the broker's HTTP API (`/v1`), shared by the `zt` client and `zt-broker` so
//! the two can never disagree on a field name. The OpenAPI document beside the code
//! (`openapi.yaml`) describes the same shapes for other clients.
//!
//! Times on the wire are RFC 3339 UTC strings (`2026-11-23T17:00:00Z`); durations are whole
//! seconds. Both are converted at the edges with [`Timestamp`].

use std::fmt;

use serde::{Deserialize, Serialize};

pub mod problem;
pub mod secs;
mod timestamp;

pub use timestamp::Timestamp;

/// `GET /.well-known/zt`: everything `zt login --broker URL` needs to find the identity provider.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Discovery {
    /// The OpenID provider's issuer URL (its `/.well-known/openid-configuration` is below it).
    pub issuer: String,
    /// The public OAuth client id zt uses at that provider.
    pub client_id: String,
    /// Scopes to ask for (`openid`, `offline_access`, …).
    pub scopes: Vec<String>,
    /// The audience (`aud`) the broker requires in access tokens; sent as the RFC 8707
    /// `resource` parameter when the provider needs it to mint a JWT for the broker.
    pub audience: String,
    /// The broker's version, for `zt doctor` and bug reports.
    pub broker_version: String,
}

/// `GET /v1/me`: who the broker thinks the caller is.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Me {
    pub sub: String,
    pub issuer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

/// The kinds of target a catalog resource can be.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    Kubernetes,
    Aws,
    Postgres,
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Kubernetes => "kubernetes",
            Self::Aws => "aws",
            Self::Postgres => "postgres",
        })
    }
}

/// One role of a resource, as the caller may request it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RoleInfo {
    pub name: String,
    /// Granted at once by policy (for this caller), without an approver.
    pub auto_approve: bool,
    /// Groups whose members may approve requests for this role.
    #[serde(default)]
    pub approver_groups: Vec<String>,
}

/// One entry of `GET /v1/catalog`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CatalogEntry {
    pub name: String,
    pub kind: ResourceKind,
    #[serde(default)]
    pub description: String,
    pub roles: Vec<RoleInfo>,
    /// The role used when a request names none.
    pub default_role: String,
    /// The longest TTL policy allows, in seconds.
    pub max_ttl_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Catalog {
    pub resources: Vec<CatalogEntry>,
}

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
}

/// `GET /v1/requests?…` answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RequestList {
    pub requests: Vec<Request>,
}

/// `POST /v1/grants/{id}/extend` body: the grant then ends `ttl_secs` from now (never earlier
/// than it already does), within the policy's cap on the grant's whole length.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExtendRequest {
    #[serde(deserialize_with = "secs::deserialize")]
    pub ttl_secs: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One row of the hash-chained audit log (`GET /v1/audit`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub request_id: Option<String>,
    pub decision: Option<String>,
    pub policy_ids: Vec<String>,
    pub detail: String,
    pub prev_sha256: String,
    pub sha256: String,
}

/// `GET /v1/audit` answer: rows oldest first; `next` is the `after=` cursor of the next page
/// (absent on the last page).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditPage {
    pub rows: Vec<AuditRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<i64>,
}

/// `POST /v1/requests/{id}/deny` and `…/revoke` bodies (optional comment).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Comment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `POST /v1/grants/{id}/credentials`: what an issuer minted, never outliving the grant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Credential {
    Kubernetes {
        server: String,
        /// Base64 of the PEM CA bundle, as kubeconfig's `certificate-authority-data`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        certificate_authority_data: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        token: String,
        expires_at: Timestamp,
    },
    Aws {
        access_key_id: String,
        secret_access_key: String,
        session_token: String,
        expires_at: Timestamp,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        region: Option<String>,
    },
    Postgres {
        host: String,
        port: u16,
        dbname: String,
        user: String,
        password: String,
        #[serde(default)]
        sslmode: String,
        expires_at: Timestamp,
    },
}

impl Credential {
    pub fn expires_at(&self) -> Timestamp {
        match self {
            Self::Kubernetes { expires_at, .. }
            | Self::Aws { expires_at, .. }
            | Self::Postgres { expires_at, .. } => *expires_at,
        }
    }

    /// The same credential with another end (an issuer moved it, see the broker's extend).
    pub fn with_expires_at(mut self, t: Timestamp) -> Self {
        match &mut self {
            Self::Kubernetes { expires_at, .. }
            | Self::Aws { expires_at, .. }
            | Self::Postgres { expires_at, .. } => *expires_at = t,
        }
        self
    }
}

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

/// Resource and role names end up as kubeconfig entry names, INI section names and file
/// names; anything outside this alphabet is refused rather than escaped.
pub fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && !s.starts_with(['-', '.'])
}

#[cfg(test)]
mod tests;
