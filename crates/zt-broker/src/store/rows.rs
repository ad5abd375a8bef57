//! The store's row types, and how rows of `requests` become [`Record`]s and back: the column
//! lists and the JSON-in-TEXT columns; the audit log's rows ([`AuditEntry`], [`AuditRow`],
//! [`ChainHead`]). Every other file of the store builds on these.

use serde::{Deserialize, Serialize};
use sqlx::Any;
use sqlx::any::AnyRow;

use super::error::{Result, StoreError};
use crate::auth::Principal;
use zt_api::{self as api, ClientContext, Decision, ResourceKind, State, Timestamp};

/// A request as stored: the wire view plus what only the broker needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub request: api::Request,
    pub requester_issuer: String,
    pub requester_sub: String,
    pub idempotency_key: String,
    pub body_sha256: String,
    pub context: ClientContext,
    pub comment: Option<String>,
    /// The approvals so far, with the approvers' identities (`request.approvals` shows them).
    pub approvals: Vec<Given>,
    /// A first-use grant's claim window in seconds (the broker's `[grants] claim_window` when
    /// it was asked for); `None`: its clock starts at approval or `start_at`.
    pub claim_secs: Option<u64>,
}

impl Record {
    pub fn id(&self) -> &str {
        &self.request.id
    }

    pub fn state(&self) -> State {
        self.request.state
    }

    /// Same identity (issuer + subject), not merely the same display name.
    pub fn is_requester(&self, p: &Principal) -> bool {
        self.requester_issuer == p.issuer && self.requester_sub == p.sub
    }

    /// Whether `p` (same issuer and subject) has already approved.
    pub fn approved_by(&self, p: &Principal) -> bool {
        self.approvals
            .iter()
            .any(|a| a.issuer == p.issuer && a.sub == p.sub)
    }

    /// A member of one of the groups the decision named as approvers.
    pub fn is_approver(&self, p: &Principal) -> bool {
        self.request
            .decision
            .approver_groups
            .iter()
            .any(|g| p.groups.contains(g))
    }
}

/// One approval as stored: who (issuer and subject, and how people see them), when, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Given {
    pub issuer: String,
    pub sub: String,
    pub by: String,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The passkey that confirmed it, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey: Option<api::PasskeyUse>,
}

impl Given {
    pub fn to_api(&self) -> api::Approval {
        api::Approval {
            by: self.by.clone(),
            at: self.at,
            comment: self.comment.clone(),
            passkey: self.passkey.clone(),
        }
    }
}

/// Read a column, turning a type mismatch into [`StoreError::Corrupt`] rather than a panic.
pub(super) fn col<'r, T>(row: &'r AnyRow, name: &str) -> Result<T>
where
    T: sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    use sqlx::Row;
    row.try_get(name)
        .map_err(|e| StoreError::Corrupt(format!("column {name}: {e}")))
}

/// The columns as written.
pub(super) const INSERT_COLUMNS: &str = "id, requester_issuer, requester_sub, requester, idempotency_key, body_sha256, \
     resource, kind, role, ttl_secs, reason, ticket, break_glass, state, decision, context, \
     decided_by, comment, created_at, updated_at, not_before, expires_at, approvals, bundle_id, \
     start_at, activation, claim_secs, claim_by";

/// The columns as read: `break_glass` as 0/1, because sqlx's `Any` rows carry SQLite's
/// BOOLEAN only as an integer (PostgreSQL's casts the same way).
pub(super) const COLUMNS: &str = "id, requester_issuer, requester_sub, requester, idempotency_key, body_sha256, \
     resource, kind, role, ttl_secs, reason, ticket, CAST(break_glass AS INTEGER) AS break_glass, \
     state, decision, context, decided_by, comment, created_at, updated_at, not_before, expires_at, \
     approvals, bundle_id, start_at, activation, claim_secs, claim_by";

pub(super) fn parse_json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

pub(super) fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn parse_kind(s: &str) -> Result<ResourceKind> {
    match s {
        "kubernetes" => Ok(ResourceKind::Kubernetes),
        "aws" => Ok(ResourceKind::Aws),
        "postgres" => Ok(ResourceKind::Postgres),
        "ssh" => Ok(ResourceKind::Ssh),
        other => Err(StoreError::Corrupt(format!("kind {other:?}"))),
    }
}

pub(super) fn from_row(row: &AnyRow) -> Result<Record> {
    let state: String = col(row, "state")?;
    let kind: String = col(row, "kind")?;
    let decision: String = col(row, "decision")?;
    let context: String = col(row, "context")?;
    let approvals: Vec<Given> = parse_json(&col::<String>(row, "approvals")?, "approvals")?;
    let ttl: i64 = col(row, "ttl_secs")?;
    let ts = |name: &str| -> Result<Option<Timestamp>> {
        Ok(col::<Option<i64>>(row, name)?.map(Timestamp))
    };
    Ok(Record {
        request: api::Request {
            id: col(row, "id")?,
            requester: col(row, "requester")?,
            resource: col(row, "resource")?,
            kind: parse_kind(&kind)?,
            role: col(row, "role")?,
            ttl_secs: u64::try_from(ttl).map_err(|_| StoreError::Corrupt("negative ttl".into()))?,
            reason: col(row, "reason")?,
            ticket: col(row, "ticket")?,
            break_glass: col::<i64>(row, "break_glass")? != 0,
            state: State::parse(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("state {state:?}")))?,
            decision: parse_json::<Decision>(&decision, "decision")?,
            decided_by: col(row, "decided_by")?,
            decision_comment: col(row, "comment")?,
            approvals: approvals.iter().map(Given::to_api).collect(),
            created_at: Timestamp(col(row, "created_at")?),
            not_before: ts("not_before")?,
            expires_at: ts("expires_at")?,
            review_url: None,
            bundle_id: col(row, "bundle_id")?,
            start_at: ts("start_at")?,
            activation: activation(col(row, "activation")?)?,
            claim_by: ts("claim_by")?,
        },
        requester_issuer: col(row, "requester_issuer")?,
        requester_sub: col(row, "requester_sub")?,
        idempotency_key: col(row, "idempotency_key")?,
        body_sha256: col(row, "body_sha256")?,
        context: parse_json(&context, "context")?,
        comment: col(row, "comment")?,
        approvals,
        claim_secs: col::<Option<i64>>(row, "claim_secs")?
            .map(|s| u64::try_from(s).map_err(|_| StoreError::Corrupt("negative claim".into())))
            .transpose()?,
    })
}

/// The `activation` column: NULL for a grant that starts at approval.
fn activation(s: Option<String>) -> Result<Option<api::Activation>> {
    s.map(|s| {
        api::Activation::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("activation {s:?}")))
    })
    .transpose()
}

/// The `prev_sha256` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The actor of the audit entries the broker makes on its own (expiry, issuer revokes, policy
/// reloads, a gap in the chain).
pub const BROKER_ACTOR: &str = "zt-broker";

/// What happened, as the caller describes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditEntry {
    /// Who did it: a principal's display name, or `zt-broker/<part>` for the broker itself.
    pub actor: String,
    /// `request.create`, `request.approve`, `grant.expire`, `credential.issue`, …
    pub action: String,
    pub request_id: Option<String>,
    /// The policy outcome or the decision made (`grant`, `require_approval`, `deny`, `approve`).
    pub decision: Option<String>,
    pub policy_ids: Vec<String>,
    /// A sentence with the context: ttl, reason, ticket, client, comment, error.
    pub detail: String,
}

impl AuditEntry {
    pub fn new(
        actor: impl Into<String>,
        action: impl Into<String>,
        request_id: Option<&str>,
    ) -> Self {
        Self {
            actor: actor.into(),
            action: action.into(),
            request_id: request_id.map(str::to_owned),
            ..Self::default()
        }
    }

    pub fn decision(mut self, decision: impl Into<String>, policy_ids: &[String]) -> Self {
        self.decision = Some(decision.into());
        self.policy_ids = policy_ids.to_vec();
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    pub seq: i64,
    pub at: Timestamp,
    pub entry: AuditEntry,
    pub prev_sha256: String,
    pub sha256: String,
}

/// The last row of the chain: what the next row links to.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ChainHead {
    pub seq: i64,
    pub sha256: String,
}
