//! Reading the audit log with filters (`GET /v1/audit`): by request, actor, action and time,
//! oldest first by `seq`, a page at a time after a `seq` cursor.

use sqlx::AssertSqlSafe;

use super::audit::chain::from_row;
use super::error::Result;
use super::facade::Store;
use super::rows::AuditRow;
use zt_api::Timestamp;

/// Which rows; every `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub request_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// `at >= since`.
    pub since: Option<Timestamp>,
    /// `at < until`.
    pub until: Option<Timestamp>,
    /// Only rows with `seq > after` (the previous page's cursor).
    pub after: i64,
}

impl Store {
    /// At most `limit` rows matching `f`, oldest first.
    pub async fn audit_query(&self, f: &AuditFilter, limit: i64) -> Result<Vec<AuditRow>> {
        // Only numbered placeholders are spliced in; every value is bound.
        let mut clauses = vec!["seq > $1".to_owned()];
        let mut texts: Vec<&str> = Vec::new();
        for (column, value) in [
            ("request_id", &f.request_id),
            ("actor", &f.actor),
            ("action", &f.action),
        ] {
            if let Some(v) = value {
                texts.push(v);
                clauses.push(format!("{column} = ${}", clauses.len() + 1));
            }
        }
        let mut times: Vec<i64> = Vec::new();
        for (op, value) in [(">=", f.since), ("<", f.until)] {
            if let Some(t) = value {
                times.push(t.0);
                clauses.push(format!("at {op} ${}", clauses.len() + 1));
            }
        }
        let sql = format!(
            "SELECT seq, at, actor, action, request_id, decision, policy_ids, detail, prev_sha256, sha256 \
             FROM audit WHERE {} ORDER BY seq LIMIT ${}",
            clauses.join(" AND "),
            clauses.len() + 1
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(f.after);
        for t in texts {
            q = q.bind(t);
        }
        for t in times {
            q = q.bind(t);
        }
        q = q.bind(limit);
        let rows = q.fetch_all(&mut *self.read().await?).await?;
        rows.iter().map(from_row).collect()
    }
}
