//! Policy: who gets what, at once, after an approval, or not at all. Handlers see only the
//! [`Policy`] interface; inside, Cedar policies ([`CedarPolicy`]) validated against the schema
//! in `zt.cedarschema` (beside `schema.rs`) decide, and annotations on them turn Cedar's allow/deny into
//! zt's three outcomes and a TTL cap (see [`cedar`] for the rules).
//!
//! - [`load`]: policy files → a validated set, with `file:line:column` errors.
//! - [`schema`]: the schema, and the Cedar request built from a [`PolicyInput`].
//! - [`step_up`]: `@step_up` — the authentication a permit demands (RFC 9470).
//! - [`reload`]: a holder whose set can be swapped atomically, and [`watch`], which swaps it
//!   on SIGHUP or a change in the policy directory.

use std::time::Duration;

use crate::auth::Principal;
use crate::catalog::{Resource, Role};
use zt_api::{ClientContext, Decision, Timestamp};

pub mod acts;
pub mod catalog;
pub mod cedar;
pub mod load;
pub mod reload;
pub mod schema;
pub mod step_up;
pub mod watch;

#[cfg(test)]
mod tests;

pub use cedar::CedarPolicy;
pub use load::{PolicyError, Problem};
pub use reload::ReloadablePolicy;

/// What the principal wants to do; the Cedar action of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Request,
    BreakGlass,
    Extend,
    Approve,
    Revoke,
    /// Read the audit log (`GET /v1/audit`); asked of [`Policy::read_audit`], not `decide`.
    ReadAudit,
}

impl Action {
    /// The action's id in the schema (`Action::"break_glass"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::BreakGlass => "break_glass",
            Self::Extend => "extend",
            Self::Approve => "approve",
            Self::Revoke => "revoke",
            Self::ReadAudit => "read_audit",
        }
    }

    /// A new request is `break_glass` when flagged so, else `request`.
    pub fn for_request(break_glass: bool) -> Self {
        if break_glass {
            Self::BreakGlass
        } else {
            Self::Request
        }
    }
}

/// Everything a policy may look at: principal, action, resource and role, and the request's
/// context.
#[derive(Debug, Clone, Copy)]
pub struct PolicyInput<'a> {
    pub principal: &'a Principal,
    pub action: Action,
    pub resource: &'a Resource,
    pub role: &'a Role,
    pub ttl_secs: u64,
    pub reason: Option<&'a str>,
    pub ticket: Option<&'a str>,
    pub break_glass: bool,
    pub context: &'a ClientContext,
    /// The requester already holds a live grant on this resource (false when the caller
    /// cannot know, e.g. the catalog listing).
    pub holds_grant: bool,
    pub now: Timestamp,
    /// The on-call schedules the principal is on call for now (`context.oncall`; see
    /// [`crate::oncall::names`]).
    pub oncall: &'a [String],
    /// Seconds from now until the grant would start (`start_at`); 0 when it starts at
    /// approval (Cedar `context.starts_in_secs`).
    pub starts_in_secs: u64,
}

/// A decision and the longest TTL it allows.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub decision: Decision,
    /// Never longer than the role's catalog maximum; shorter when a policy caps it.
    pub max_ttl: Duration,
    /// The policy that set `max_ttl`, when one did (else it is the catalog's).
    pub max_ttl_by: Option<String>,
    /// What the caller's authentication lacks for this decision (a matched permit's
    /// `@step_up` unmet): the broker asks for a step-up instead of acting on it.
    pub step_up: Option<step_up::Missing>,
}

impl Verdict {
    /// Whether a grant of `ttl_secs` fits this verdict's cap.
    pub fn allows_ttl(&self, ttl_secs: u64) -> bool {
        ttl_secs <= self.max_ttl.as_secs()
    }
}

pub trait Policy: Send + Sync {
    /// The decision for one request, with the ids of the policies that matched and why, and
    /// the longest TTL it allows (callers refuse longer ones).
    fn decide(&self, input: &PolicyInput<'_>) -> Verdict;

    /// Whether `principal` may read the audit log: `Some` decision (outcome `grant` or `deny`,
    /// with the policy ids) when a policy speaks to `read_audit`, `None` when none does (the
    /// broker then falls back to its admin groups).
    fn read_audit(&self, _principal: &Principal) -> Option<Decision> {
        None
    }
}
