//! A request's whole life, free of HTTP: [`create`] (catalog, TTL and policy checks, the
//! idempotent record and its audit text), [`decide`] (approve/deny), [`extend`], [`revoke`]
//! (and withdraw), [`expire`], and [`lifecycle`]: state changes and their consequences
//! (wake-ups, minting, revoking at the target). What a caller may read: [`visible`] and
//! [`requests`] (one request, the long-poll, their own, the approver inbox), [`passkey`]
//! (approvals confirmed with a passkey: the nonce, the refusals), [`catalog`] (the
//! roles they may ask for), [`audit`] (the audit log, for `read_audit`). The routes extract,
//! call one function here, and turn a [`DomainError`] into problem+json in one place
//! (`routes/errors.rs`); the reaper calls [`expire`] and [`lifecycle`] directly.

use std::fmt;

use crate::auth::Principal;
use crate::state::Broker;
use crate::store::{Record, StoreError};

pub mod audit;
pub mod bundle;
pub mod catalog;
pub mod create;
pub mod decide;
pub mod expire;
pub mod extend;
pub mod lifecycle;
pub mod passkey;
pub mod requests;
pub mod revoke;
pub mod schedule;
pub mod step_up;

pub use lifecycle::BROKER_ACTOR;

/// Why an act on a request was refused or failed, by meaning; the routes give each its HTTP
/// status and problem slug. Every message is for people and never carries a secret.
#[derive(Debug)]
pub enum DomainError {
    /// What the caller sent is not what this act needs (an ssh grant without a usable
    /// public key).
    Invalid(String),
    /// No such request, grant or catalog resource.
    NotFound(String),
    /// The caller may not do this (not theirs, not in the groups, a policy `forbid`).
    Forbidden(String),
    /// The requester tried to decide their own request (separation of duties).
    SelfApproval(String),
    /// An approval without the passkey assertion the request's decision asks for.
    PasskeyRequired(String),
    /// A passkey assertion that does not confirm this approval (replayed, made for another
    /// request, not the approver's, not verified); audited.
    PasskeyRefused(String),
    /// Policy said no, or not without an approval; `title` says which.
    PolicyDenied { title: &'static str, detail: String },
    /// The resource has no such role.
    UnknownRole(String),
    /// Longer than the role's maximum or the policy's cap.
    TtlExceeded(String),
    /// Not in a state this act starts from (a retry might see another answer).
    Conflict(String),
    /// The grant is over (expired, revoked, denied, withdrawn).
    NotLive(String),
    /// The grant was approved ahead of its start (`start_at`) and has not started yet.
    NotStarted(String),
    /// A pending request nobody decided within the review window.
    RequestExpired(String),
    /// The resource's issuer failed.
    Issuer(String),
    /// The caller's token shows a weaker or older authentication than policy asks for this
    /// act (RFC 9470 step-up); audited. `detail` names what is needed.
    StepUp {
        missing: crate::policy::step_up::Missing,
        detail: String,
    },
    /// The store failed.
    Store(StoreError),
    /// Something broke inside the broker.
    Internal(String),
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Store(e) => write!(f, "store: {e}"),
            Self::PolicyDenied { title, detail } => write!(f, "{title}: {detail}"),
            Self::StepUp { detail, .. } => f.write_str(detail),
            Self::Invalid(m)
            | Self::NotFound(m)
            | Self::Forbidden(m)
            | Self::SelfApproval(m)
            | Self::PasskeyRequired(m)
            | Self::PasskeyRefused(m)
            | Self::UnknownRole(m)
            | Self::TtlExceeded(m)
            | Self::Conflict(m)
            | Self::NotLive(m)
            | Self::NotStarted(m)
            | Self::RequestExpired(m)
            | Self::Issuer(m)
            | Self::Internal(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for DomainError {}

impl From<StoreError> for DomainError {
    /// A missing row is "not found" and a refused edge a conflict, as the caller sees them;
    /// anything else is the store failing.
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::NotFound(what),
            StoreError::Refused { id, actual, to } => Self::Conflict(match actual {
                Some(actual) => format!("request {id} is {actual}; it cannot become {to}"),
                None => format!("request {id} cannot become {to}"),
            }),
            StoreError::Stale(what) => Self::PasskeyRefused(what),
            other => Self::Store(other),
        }
    }
}

/// The request, if `p` may see it: only its requester, an approver of it, or an admin.
pub async fn visible(b: &Broker, id: &str, p: &Principal) -> Result<Record, DomainError> {
    let rec = b.store.get(id).await?;
    if rec.is_requester(p) || rec.is_approver(p) || b.is_admin(p) {
        Ok(rec)
    } else {
        Err(DomainError::Forbidden(format!(
            "request {id} is neither yours nor yours to approve"
        )))
    }
}

/// The grant's credential for its requester `p` (minted on first use, see
/// [`lifecycle::credential`]).
pub async fn credential(
    b: &Broker,
    p: &Principal,
    id: &str,
    req: &zt_api::CredentialsRequest,
) -> Result<zt_api::Credential, DomainError> {
    let rec = b.store.get(id).await?;
    if !rec.is_requester(p) {
        return Err(DomainError::Forbidden(format!(
            "only its requester may use grant {id}"
        )));
    }
    lifecycle::credential_with(b, id, p.display(), req).await
}
