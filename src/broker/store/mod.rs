//! The broker's durable state: one [`Store`] over sqlx (SQLite now; the SQL is kept portable
//! for PostgreSQL). Requests and their grants, minted credentials, and the hash-chained audit
//! log. Every state change is a conditional UPDATE (`WHERE id = ? AND state = ?`) in the same
//! transaction as its audit row, so no transition is skipped, doubled, or left unaudited.

mod audit;
mod audit_query;
mod credentials;
mod extend;
mod pending;
mod requests;

use std::borrow::Cow;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{SqlSafeStr, Sqlite, Transaction};

use crate::api::State;

pub use audit::{AuditEntry, AuditRow};
pub use audit_query::AuditFilter;
pub use extend::Extended;
pub use requests::{Change, Record, legal_transition};

/// The schema, embedded so the binary needs no migrations directory.
const SCHEMA_V1: &str = include_str!("schema.sql");

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
}

#[derive(Debug)]
pub enum StoreError {
    /// No such request / grant.
    NotFound(String),
    /// The request was not in the state the change starts from (`actual`), or the change is
    /// not an edge of the state machine at all (`actual: None`).
    Refused {
        id: String,
        actual: Option<State>,
        to: State,
    },
    /// The same requester already used this idempotency key.
    Duplicate,
    /// A stored value that does not parse back: a bug or a hand-edited database.
    Corrupt(String),
    Db(sqlx::Error),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound(what) => write!(f, "{what}"),
            Self::Refused {
                id,
                actual: Some(a),
                to,
            } => write!(f, "request {id} is {a}; it cannot become {to}"),
            Self::Refused {
                id,
                actual: None,
                to,
            } => write!(f, "request {id} cannot become {to}"),
            Self::Duplicate => f.write_str("idempotency key already used"),
            Self::Corrupt(what) => write!(f, "corrupt row: {what}"),
            Self::Db(e) => write!(f, "database: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(e)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Self::Db(sqlx::Error::Migrate(Box::new(e)))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl Store {
    /// Open (creating if needed) the SQLite database at `path` and bring its schema up to date.
    /// WAL lets readers (long-polls, the dev Kubernetes API) run beside the one writer; the
    /// busy timeout absorbs the short write locks.
    pub async fn open(path: &Path) -> Result<Self> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        let migrator = Migrator::with_migrations(vec![Migration::new(
            1,
            Cow::Borrowed("initial schema"),
            MigrationType::Simple,
            SCHEMA_V1.into_sql_str(),
            false,
        )]);
        migrator.run(&pool).await?;
        Ok(Self { pool })
    }

    /// A write transaction that holds the write lock from its first statement (SQLite's
    /// `BEGIN IMMEDIATE`), so a read-then-write (the audit chain head, a state check) cannot
    /// race another writer. PostgreSQL will use `SELECT … FOR UPDATE` on the chain head instead.
    async fn write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Read a column, turning a type mismatch into [`StoreError::Corrupt`] rather than a panic.
fn col<'r, T>(row: &'r sqlx::sqlite::SqliteRow, name: &str) -> Result<T>
where
    T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>,
{
    use sqlx::Row;
    row.try_get(name)
        .map_err(|e| StoreError::Corrupt(format!("column {name}: {e}")))
}

#[cfg(test)]
pub(crate) mod tests;
