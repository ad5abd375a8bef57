//! Requests (and the grants they become): insert with an idempotency key, read, list, and
//! move along the state machine — only along its edges, and only from the state the caller
//! saw, enforced by the UPDATE's `WHERE state = ?`.

use sqlx::{AnyConnection, AssertSqlSafe};

use super::approvals::Given;
use super::audit::{self, AuditEntry};
use super::rows::INSERT_COLUMNS;
pub(super) use super::rows::{COLUMNS, from_row, to_json};
use super::{Result, Store, StoreError, WriteTx, col};
use crate::auth::Principal;
use zt_api::{self as api, ClientContext, State, Timestamp};

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

/// What [`Store::find_for_create`] found.
#[derive(Debug, PartialEq)]
pub struct ForCreate {
    /// The request this requester made with this idempotency key.
    pub existing: Option<Record>,
    /// Without one: whether they hold a live grant on the resource.
    pub holds_grant: bool,
}

/// What a transition sets besides the state; `None` leaves a column as it is.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub decided_by: Option<String>,
    pub comment: Option<String>,
    /// The grant window `(not_before, expires_at)`.
    pub window: Option<(Timestamp, Timestamp)>,
}

/// The edges of the state machine: pending → approved | denied | cancelled | expired (nobody
/// decided within the review window); approved → active | expired | revoked;
/// active → expired | revoked.
pub fn legal_transition(from: State, to: State) -> bool {
    use State::*;
    matches!(
        (from, to),
        (Pending, Approved | Denied | Cancelled | Expired)
            | (Approved, Active | Expired | Revoked)
            | (Active, Expired | Revoked)
    )
}

pub(super) async fn get_in(conn: &mut AnyConnection, id: &str) -> Result<Record> {
    let sql = format!("SELECT {COLUMNS} FROM requests WHERE id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    match row {
        Some(row) => from_row(&row),
        None => Err(StoreError::NotFound(format!("no request {id}"))),
    }
}

/// Move `id` from `from` to `to` inside an open write transaction, or refuse.
pub(super) async fn transition_in(
    conn: &mut AnyConnection,
    id: &str,
    from: State,
    to: State,
    change: &Change,
    now: Timestamp,
) -> Result<()> {
    if !legal_transition(from, to) {
        return Err(StoreError::Refused {
            id: id.into(),
            actual: None,
            to,
        });
    }
    let (nb, exp) = change
        .window
        .map(|(a, b)| (Some(a.0), Some(b.0)))
        .unwrap_or((None, None));
    let done = sqlx::query(
        "UPDATE requests SET state = $1, updated_at = $2, decided_by = COALESCE($3, decided_by), \
         comment = COALESCE($4, comment), not_before = COALESCE($5, not_before), \
         expires_at = COALESCE($6, expires_at) WHERE id = $7 AND state = $8",
    )
    .bind(to.as_str())
    .bind(now.0)
    .bind(&change.decided_by)
    .bind(&change.comment)
    .bind(nb)
    .bind(exp)
    .bind(id)
    .bind(from.as_str())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        if !to.is_live() {
            // No secret outlives its grant in the store.
            super::credentials::forget_in(conn, id).await?;
        }
        return Ok(());
    }
    let actual = get_in(conn, id).await?.state();
    Err(StoreError::Refused {
        id: id.into(),
        actual: Some(actual),
        to,
    })
}

/// Insert new requests, in order, with their audit rows, inside an open write transaction:
/// one statement for the requests and one for the audit rows, however many. For each,
/// whether it was stored: not (and nothing written for it) when its requester already used
/// its idempotency key, before or earlier in `new`.
pub(super) async fn insert_all_in(
    tx: &mut WriteTx,
    new: &[(&Record, &AuditEntry)],
) -> Result<Vec<bool>> {
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "INSERT INTO requests ({INSERT_COLUMNS}) VALUES {} \
         ON CONFLICT (requester_issuer, requester_sub, idempotency_key) DO NOTHING RETURNING id",
        audit::placeholders(new.len(), INSERT_COLUMNS)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for (rec, _) in new {
        let r = &rec.request;
        q = q
            .bind(&r.id)
            .bind(&rec.requester_issuer)
            .bind(&rec.requester_sub)
            .bind(&r.requester)
            .bind(&rec.idempotency_key)
            .bind(&rec.body_sha256)
            .bind(&r.resource)
            .bind(r.kind.to_string())
            .bind(&r.role)
            .bind(
                i64::try_from(r.ttl_secs)
                    .map_err(|_| StoreError::Corrupt("ttl too large".into()))?,
            )
            .bind(&r.reason)
            .bind(&r.ticket)
            .bind(r.break_glass)
            .bind(r.state.as_str())
            .bind(to_json(&r.decision)?)
            .bind(to_json(&rec.context)?)
            .bind(&r.decided_by)
            .bind(&rec.comment)
            .bind(r.created_at.0)
            .bind(r.created_at.0)
            .bind(r.not_before.map(|t| t.0))
            .bind(r.expires_at.map(|t| t.0))
            .bind(to_json(&rec.approvals)?);
    }
    let ids = q.fetch_all(&mut **tx).await?;
    let ids = ids
        .iter()
        .map(|row| col::<String>(row, "id"))
        .collect::<Result<std::collections::HashSet<_>>>()?;
    let stored = |rec: &Record| ids.contains(rec.id());
    let entries: Vec<_> = new
        .iter()
        .filter(|(rec, _)| stored(rec))
        .map(|&(rec, audit)| (audit, rec.request.created_at))
        .collect();
    audit::append_all_in(tx, &entries).await?;
    for (rec, _) in new.iter().filter(|(rec, _)| stored(rec)) {
        super::notify_in(tx, rec.id()).await?;
    }
    Ok(new.iter().map(|(rec, _)| stored(rec)).collect())
}

impl Store {
    /// Insert a new request with its audit row. [`StoreError::Duplicate`] when this requester
    /// already used the idempotency key (look the original up with [`Store::find_by_key`]).
    /// Answers what was stored, once it is committed together with other new requests (see
    /// [`super::inserts`]).
    pub async fn insert_request(&self, rec: &Record, audit: AuditEntry) -> Result<Record> {
        // The columns read back as written (a test holds it): no need to read the row.
        self.inserts.insert(rec.clone(), audit).await
    }

    pub async fn find_by_key(&self, issuer: &str, sub: &str, key: &str) -> Result<Option<Record>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM requests WHERE requester_issuer = $1 AND requester_sub = $2 AND idempotency_key = $3"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(issuer)
            .bind(sub)
            .bind(key)
            .fetch_optional(&mut *self.read().await?)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    pub async fn get(&self, id: &str) -> Result<Record> {
        get_in(&mut *self.read().await?, id).await
    }

    /// Move a request along one edge of the state machine, audited, or refuse with the state
    /// it is actually in.
    pub async fn transition(
        &self,
        id: &str,
        from: State,
        to: State,
        change: Change,
        audit: AuditEntry,
    ) -> Result<Record> {
        let now = Timestamp::now();
        let mut tx = self.write().await?;
        transition_in(&mut tx, id, from, to, &change, now).await?;
        audit::append_in(&mut tx, &audit, now).await?;
        let rec = get_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(rec)
    }

    /// Requests in any of `states` (all states when empty), newest first.
    pub async fn list_by_state(&self, states: &[State]) -> Result<Vec<Record>> {
        let filter = if states.is_empty() {
            String::new()
        } else {
            // Only placeholders are spliced in; the values are bound.
            let marks: Vec<String> = (1..=states.len()).map(|i| format!("${i}")).collect();
            format!("WHERE state IN ({})", marks.join(", "))
        };
        let sql = format!("SELECT {COLUMNS} FROM requests {filter} ORDER BY created_at DESC, id");
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for s in states {
            q = q.bind(s.as_str());
        }
        q.fetch_all(&mut *self.read().await?)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// One requester's requests, newest first.
    pub async fn list_by_requester(&self, issuer: &str, sub: &str) -> Result<Vec<Record>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM requests WHERE requester_issuer = $1 AND requester_sub = $2 ORDER BY created_at DESC, id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(issuer)
            .bind(sub)
            .fetch_all(&mut *self.read().await?)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// What `POST /v1/requests` reads before it decides, in one query: the requester's
    /// request made with this idempotency key, if any (a retry is answered with it), else
    /// whether the requester holds a live grant on `resource` at `now` (approved or active,
    /// window not yet closed), which policy sees as `holds_grant`.
    pub async fn find_for_create(
        &self,
        issuer: &str,
        sub: &str,
        key: &str,
        resource: &str,
        now: Timestamp,
    ) -> Result<ForCreate> {
        // Exactly one row: the original's columns (all NULL without one), and the flag.
        let sql = format!(
            "SELECT {COLUMNS}, CAST(CASE WHEN EXISTS (SELECT 1 FROM requests l \
             WHERE l.requester_issuer = $1 AND l.requester_sub = $2 AND l.resource = $4 \
             AND l.state IN ('approved', 'active') AND l.expires_at > $5) \
             THEN 1 ELSE 0 END AS BIGINT) AS holds_grant \
             FROM (SELECT 1 AS one) AS o LEFT JOIN requests \
             ON requester_issuer = $1 AND requester_sub = $2 AND idempotency_key = $3"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(issuer)
            .bind(sub)
            .bind(key)
            .bind(resource)
            .bind(now.0)
            .fetch_one(&mut *self.read().await?)
            .await?;
        let existing = match col::<Option<String>>(&row, "id")? {
            Some(_) => Some(from_row(&row)?),
            None => None,
        };
        Ok(ForCreate {
            holds_grant: existing.is_none() && col::<i64>(&row, "holds_grant")? != 0,
            existing,
        })
    }

    /// Live grants whose window has closed (`expires_at <= now`): the reaper's work list.
    pub async fn due_grants(&self, now: Timestamp) -> Result<Vec<Record>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM requests WHERE state IN ('approved', 'active') AND expires_at <= $1 ORDER BY expires_at"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(now.0)
            .fetch_all(&mut *self.read().await?)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// When the next live grant ends.
    pub async fn next_expiry(&self) -> Result<Option<Timestamp>> {
        let row = sqlx::query(
            "SELECT MIN(expires_at) AS next FROM requests WHERE state IN ('approved', 'active')",
        )
        .fetch_one(&mut *self.read().await?)
        .await?;
        Ok(col::<Option<i64>>(&row, "next")?.map(Timestamp))
    }
}
