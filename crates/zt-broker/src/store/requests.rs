//! Requests (and the grants they become): insert with an idempotency key, read, list, and
//! move along the state machine (the SQL of a move is in [`super::sql`]).

use sqlx::AssertSqlSafe;

use super::audit::chain::append_in;
use super::error::Result;
use super::facade::Store;
use super::rows::{AuditEntry, COLUMNS, Record, col, from_row};
use super::sql::{Change, get_in, transition_in};
use zt_api::{State, Timestamp};

/// What [`Store::find_for_create`] found.
#[derive(Debug, PartialEq)]
pub struct ForCreate {
    /// The request this requester made with this idempotency key.
    pub existing: Option<Record>,
    /// Without one: whether they hold a live grant on the resource.
    pub holds_grant: bool,
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
        append_in(&mut tx, &audit, now).await?;
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

    /// One requester's newest `limit` requests, newest first (the review page's "recent
    /// requests": bounded however many they made).
    pub async fn recent_by_requester(
        &self,
        issuer: &str,
        sub: &str,
        limit: i64,
    ) -> Result<Vec<Record>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM requests WHERE requester_issuer = $1 AND requester_sub = $2 ORDER BY created_at DESC, id LIMIT $3"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(issuer)
            .bind(sub)
            .bind(limit)
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
