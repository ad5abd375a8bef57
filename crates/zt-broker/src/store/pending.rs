//! Pending requests past their review window: the reaper's second work list. The window is
//! the broker's (`[requests] review_window`), so the deadline is `created_at + window` and the
//! queries take the cut-off (`now - window`) rather than storing a deadline per row.

use sqlx::AssertSqlSafe;

use super::error::Result;
use super::facade::Store;
use super::rows::{COLUMNS, Record, col, from_row};
use zt_api::Timestamp;

impl Store {
    /// Pending requests created at or before `cutoff`, oldest first.
    pub async fn due_pending(&self, cutoff: Timestamp) -> Result<Vec<Record>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM requests WHERE state = 'pending' AND created_at <= $1 ORDER BY created_at"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(cutoff.0)
            .fetch_all(&mut *self.read().await?)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// When the oldest pending request was created.
    pub async fn oldest_pending(&self) -> Result<Option<Timestamp>> {
        let row =
            sqlx::query("SELECT MIN(created_at) AS oldest FROM requests WHERE state = 'pending'")
                .fetch_one(&mut *self.read().await?)
                .await?;
        Ok(col::<Option<i64>>(&row, "oldest")?.map(Timestamp))
    }
}
