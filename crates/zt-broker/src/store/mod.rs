//! The broker's durable state: one [`Store`] over sqlx's `Any` driver, on SQLite (the default,
//! one process) or PostgreSQL (several `serve` replicas sharing one database). Requests and
//! their grants, minted credentials, and the hash-chained audit log. Every state change is a
//! conditional UPDATE (`WHERE id = $1 AND state = $2`) in the same transaction as its audit
//! row, so no transition is skipped, doubled, or left unaudited.
//!
//! The SQL is written once for both databases (`$N` placeholders, BIGINT/TEXT/BOOLEAN
//! columns), in this module's files: requests, approvals, extend, pending, credentials,
//! audit, keys. What differs lives in [`sqlite`] (one process: writers take turns on one
//! connection, readers of their own, a thread for grouped inserts, private files) and
//! [`postgres`] (replicas: pools, a write lock across replicas, `NOTIFY` on every audited
//! change, advisory locks). They depend on the shared part; this file only dispatches to
//! them ([`Store::read`], [`Store::write`], [`WriteTx`]).

mod approvals;
mod audit;
mod audit_query;
mod credentials;
mod error;
mod extend;
mod inserts;
mod keys;
mod pending;
mod postgres;
mod requests;
mod rows;
mod sqlite;

use std::borrow::Cow;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Once};

use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::pool::PoolConnection;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, AnyPool, SqlSafeStr, Transaction};

pub use approvals::{Approval, Given};
use audit::ChainHead;
pub use audit::{AuditEntry, AuditRow, GENESIS};
pub use audit_query::AuditFilter;
pub use error::{Result, StoreError};
pub use extend::Extended;
use inserts::Inserts;
pub use keys::{KEY_LEN, KeySource, StoreKey};
pub use postgres::events;
use postgres::pg_write;
pub use postgres::{GrantLock, ReaperLease};
pub use requests::{Change, ForCreate, Record, legal_transition};
use sqlite::{Reader, Readers, SqliteWriter, TurnGuard};

/// The schema, embedded so the binary needs no migrations directory.
const SCHEMA_V1: &str = include_str!("schema.sql");
const SCHEMA_V2: &str = include_str!("schema_v2.sql");
const SCHEMA_V3: &str = include_str!("schema_v3.sql");
const SCHEMA_V4: &str = include_str!("schema_v4.sql");
/// The version that made credentials sealed and the audit head signed: when a store is
/// brought up to it, the head the migration recorded is signed (see [`Store::sign_new_head`]).
const SIGNED_HEAD_VERSION: i64 = 4;

/// Which database a [`Store`] is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    db: Db,
    /// New requests, committed in groups: on SQLite by a thread of their own, on PostgreSQL
    /// by a task.
    inserts: Arc<Inserts>,
    /// Seals credentials and signs the audit chain's head.
    key: StoreKey,
}

#[derive(Clone)]
enum Db {
    Sqlite {
        /// The writer connection and this process's queue for it.
        writer: SqliteWriter,
        readers: Arc<Readers>,
    },
    Postgres {
        /// Reads and writes.
        pool: AnyPool,
        /// A second, small pool for advisory locks held across issuer calls, so that lock
        /// holders never starve the main pool they need to finish.
        locks: AnyPool,
        /// For the `LISTEN` connection of [`events`].
        url: String,
    },
}

fn install_drivers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(sqlx::any::install_default_drivers);
}

/// The schema migrations, in order.
fn migrator() -> Migrator {
    Migrator::with_migrations(migrations())
}

fn migrations() -> Vec<Migration> {
    vec![
        Migration::new(
            1,
            Cow::Borrowed("initial schema"),
            MigrationType::Simple,
            SCHEMA_V1.into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            Cow::Borrowed("approvals"),
            MigrationType::Simple,
            SCHEMA_V2.into_sql_str(),
            false,
        ),
        Migration::new(
            3,
            Cow::Borrowed("live grants by requester"),
            MigrationType::Simple,
            SCHEMA_V3.into_sql_str(),
            false,
        ),
        Migration::new(
            SIGNED_HEAD_VERSION,
            Cow::Borrowed("sealed credentials, signed audit head"),
            MigrationType::Simple,
            SCHEMA_V4.into_sql_str(),
            false,
        ),
    ]
}

/// Whether the migration to [`SIGNED_HEAD_VERSION`] is already applied (`false` on a new
/// database, which has no migrations table yet).
async fn has_signed_head(pool: &AnyPool) -> bool {
    sqlx::query("SELECT version FROM _sqlx_migrations WHERE version = $1 AND success")
        .bind(SIGNED_HEAD_VERSION)
        .fetch_optional(pool)
        .await
        .is_ok_and(|row| row.is_some())
}

impl Store {
    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres { .. } => Backend::Postgres,
        }
    }

    /// A connection to read on.
    async fn read(&self) -> Result<ReadConn<'_>> {
        match &self.db {
            Db::Sqlite { readers, .. } => Ok(ReadConn::Sqlite(readers.get().await?)),
            Db::Postgres { pool, .. } => Ok(ReadConn::Pool(pool.acquire().await?)),
        }
    }

    /// A write transaction that holds the store's write lock from its first statement, so a
    /// read-then-write (the audit chain head, a state check) cannot race another writer:
    /// on SQLite this process's turn, then `BEGIN IMMEDIATE` on the writer connection; on
    /// PostgreSQL a transaction-scoped advisory lock, which serialises the writers of every
    /// replica.
    async fn write(&self) -> Result<WriteTx> {
        match &self.db {
            Db::Sqlite { writer, .. } => writer.begin().await,
            Db::Postgres { pool, .. } => pg_write(pool, &self.key).await,
        }
    }

    /// One statement that writes outside a transaction of ours (no audit row, no chain): on
    /// SQLite in this process's writers' queue, on PostgreSQL as it is.
    async fn write_one(&self, q: Query<'_, Any, AnyArguments>) -> Result<AnyQueryResult> {
        match &self.db {
            Db::Sqlite { writer, .. } => writer.write_one(q).await,
            Db::Postgres { pool, .. } => Ok(q.execute(pool).await?),
        }
    }

    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite {
                writer, readers, ..
            } => {
                readers.close().await;
                writer.close().await;
            }
            Db::Postgres { pool, locks, .. } => {
                pool.close().await;
                locks.close().await;
            }
        }
    }
}

/// Where a write transaction begins: see [`Store::write`].
#[derive(Clone)]
enum Writer {
    Sqlite(SqliteWriter),
    Postgres(AnyPool, StoreKey),
}

impl Writer {
    async fn begin(&self) -> Result<WriteTx> {
        match self {
            Self::Sqlite(w) => w.begin().await,
            Self::Postgres(pool, key) => pg_write(pool, key).await,
        }
    }
}

/// Read a column, turning a type mismatch into [`StoreError::Corrupt`] rather than a panic.
fn col<'r, T>(row: &'r AnyRow, name: &str) -> Result<T>
where
    T: sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    use sqlx::Row;
    row.try_get(name)
        .map_err(|e| StoreError::Corrupt(format!("column {name}: {e}")))
}

/// A connection to read on, from either store.
enum ReadConn<'a> {
    Pool(PoolConnection<Any>),
    Sqlite(Reader<'a>),
}

impl Deref for ReadConn<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match self {
            Self::Pool(c) => c,
            Self::Sqlite(r) => r,
        }
    }
}

impl DerefMut for ReadConn<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Self::Pool(c) => c,
            Self::Sqlite(r) => r,
        }
    }
}

/// Queue the change event for `id` in an open write transaction: on PostgreSQL a `NOTIFY`
/// to the other replicas (see [`events`]); on SQLite nothing, the in-process wake-ups are
/// the whole story.
async fn notify_in(conn: &mut AnyConnection, id: &str) -> Result<()> {
    events::notify_in(conn, id).await
}

/// A write transaction; it derefs to its connection. Dropped without [`WriteTx::commit`], it
/// rolls back.
struct WriteTx {
    inner: Inner,
    /// The chain head after this transaction's audit rows.
    pub(in crate::store) appended: Option<ChainHead>,
    /// The store's key: signs the chain head the audit rows move.
    pub(in crate::store) key: StoreKey,
}

enum Inner {
    Pool(Transaction<'static, Any>),
    /// This process's turn; `None` once rolled back.
    Sqlite(Option<TurnGuard>),
}

impl WriteTx {
    /// SQLite: this process's turn, `BEGIN` sent.
    fn sqlite(turn: TurnGuard, key: StoreKey) -> Self {
        Self {
            inner: Inner::Sqlite(Some(turn)),
            appended: None,
            key,
        }
    }

    /// PostgreSQL: a transaction from the pool, its lock already taken.
    fn pooled(tx: Transaction<'static, Any>, key: StoreKey) -> Self {
        Self {
            inner: Inner::Pool(tx),
            appended: None,
            key,
        }
    }

    /// The chain head as this transaction sees it, when known without reading the table.
    pub(in crate::store) fn chain_head(&self) -> Option<ChainHead> {
        match &self.inner {
            Inner::Sqlite(Some(turn)) => self.appended.clone().or_else(|| turn.head()),
            _ => self.appended.clone(),
        }
    }

    pub(in crate::store) async fn commit(mut self) -> Result<()> {
        if let Inner::Sqlite(Some(turn)) = &mut self.inner {
            // The turn stays in `self` until the commit has landed, for `Drop` to settle.
            return turn.commit(self.appended.take()).await;
        }
        match std::mem::replace(&mut self.inner, Inner::Sqlite(None)) {
            Inner::Pool(tx) => Ok(tx.commit().await?),
            Inner::Sqlite(_) => Ok(()),
        }
    }

    pub(in crate::store) async fn rollback(mut self) -> Result<()> {
        match std::mem::replace(&mut self.inner, Inner::Sqlite(None)) {
            Inner::Pool(tx) => Ok(tx.rollback().await?),
            Inner::Sqlite(Some(mut turn)) => turn.settle().await,
            Inner::Sqlite(None) => Ok(()),
        }
    }
}

impl Drop for WriteTx {
    /// SQLite: a transaction still open is rolled back at once, beside, when there is a
    /// runtime to do it on; else by the next writer before it begins.
    fn drop(&mut self) {
        if let Inner::Sqlite(slot) = &mut self.inner
            && let Some(mut turn) = slot.take()
            && turn.is_open()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(async move {
                let _ = turn.settle().await;
            });
        }
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match &self.inner {
            Inner::Pool(tx) => tx,
            Inner::Sqlite(Some(turn)) => turn.connection(),
            Inner::Sqlite(None) => panic!("{HELD}"),
        }
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match &mut self.inner {
            Inner::Pool(tx) => tx,
            Inner::Sqlite(Some(turn)) => turn.connection_mut(),
            Inner::Sqlite(None) => panic!("{HELD}"),
        }
    }
}

/// A transaction holds the turn, with an open connection (a closed writer begins nothing),
/// until it is consumed by its commit or rollback.
pub(in crate::store) const HELD: &str = "a write transaction holds the writer's connection";
