//! The hash-chained audit log as `GET /v1/audit` pages it.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

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
