//! The broker's durable state: one [`Store`] over sqlx's `Any` driver, on SQLite (the default,
//! one process) or PostgreSQL (several `serve` replicas sharing one database). Requests and
//! their grants, minted credentials, and the hash-chained audit log. Every state change is a
//! conditional UPDATE (`WHERE id = $1 AND state = $2`) in the same transaction as its audit
//! row, so no transition is skipped, doubled, or left unaudited.
//!
//! The SQL is written once for both databases (`$N` placeholders, BIGINT/TEXT/BOOLEAN
//! columns). What differs is how writers are serialised ([`Store::write`]) and what only
//! PostgreSQL needs for replicas: `NOTIFY` on every audited change ([`events`]) and advisory
//! locks ([`locks`]) so that a grant is minted and revoked by one replica at a time and one
//! reaper runs at a time.

mod approvals;
mod audit;
mod audit_query;
mod credentials;
pub mod events;
mod extend;
mod inserts;
mod keys;
mod locks;
mod pending;
mod readers;
mod requests;
mod rows;
mod writer;

use std::borrow::Cow;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Once};

use sqlx::any::{AnyArguments, AnyConnectOptions, AnyPoolOptions, AnyQueryResult, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Executor, SqlSafeStr};

use zt_api::State;

pub use approvals::{Approval, Given};
pub use audit::{AuditEntry, AuditRow};
pub use audit_query::AuditFilter;
pub use extend::Extended;
use inserts::Inserts;
pub use keys::{KeySource, StoreKey};
pub use locks::{GrantLock, ReaperLease};
use readers::{ReadConn, Readers};
pub use requests::{Change, ForCreate, Record, legal_transition};
use writer::{PRAGMAS, SqliteWriter, WriteTx};

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
    /// A stored credential this broker cannot open (sealed under another key, or edited):
    /// the message names the grant and what to do.
    Unreadable(String),
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
            Self::Unreadable(what) => f.write_str(what),
            // The server's own words and code: sqlx's PostgreSQL error appends "at line N" —
            // a line of the server's C source, which means nothing to whoever reads this.
            Self::Db(e) => match e.as_database_error() {
                Some(d) => match d.code() {
                    Some(code) => write!(f, "database: {} (code {code})", d.message()),
                    None => write!(f, "database: {}", d.message()),
                },
                None => write!(f, "database: {e}"),
            },
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

fn install_drivers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(sqlx::any::install_default_drivers);
}

/// `sqlite://` URL of a file path: every byte outside a safe set percent-encoded (sqlx decodes
/// the path), with `mode=rwc` to create the file when it is missing.
fn sqlite_url(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut url = String::from("sqlite://");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/._-~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url.push_str("?mode=rwc");
    url
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
    /// Open (creating if needed) the SQLite database at `path` and bring its schema up to date.
    /// WAL lets readers (long-polls, the dev Kubernetes API) run beside the one writer. The
    /// writer has a connection of its own and writers queue for it in-process; the busy
    /// timeout is left for other processes (`zt-broker audit verify`).
    ///
    /// The key is the file beside the database (`<path>.key`), made (mode 0600) when missing;
    /// see [`Store::open_keyed`] for one from elsewhere.
    pub async fn open(path: &Path) -> Result<Self> {
        let mut name = path.as_os_str().to_owned();
        name.push(".key");
        let key = StoreKey::load(&KeySource::File {
            path: name.into(),
            create: true,
        })
        .map_err(StoreError::Unreadable)?;
        Self::open_keyed(path, key).await
    }

    /// [`Store::open`] with `key`. The database file and its `-wal` and `-shm` are made (or
    /// narrowed to) mode 0600 whatever the umask: they hold the grants and sealed credentials.
    pub async fn open_keyed(path: &Path, key: StoreKey) -> Result<Self> {
        install_drivers();
        private_files(path)?;
        let opts: AnyConnectOptions = sqlite_url(path).parse()?;
        // A pool of its own for the migrator, which cannot run on a bare connection inside a
        // spawned task (sqlx's `Acquire` is not general enough for `Send` there).
        let once = AnyPoolOptions::new()
            .max_connections(1)
            .after_connect(|conn, _| Box::pin(async move { conn.execute(PRAGMAS).await.map(drop) }))
            .connect_with(opts.clone())
            .await?;
        let signed = has_signed_head(&once).await;
        let migrated = migrator().run(&once).await;
        let head = match migrated {
            Ok(()) if !signed => match Self::sign_new_head(&once, &key).await {
                // Earlier versions wrote credentials in clear without secure delete, so copies
                // may sit in free space besides the rows the migration blanked: rebuild the
                // file (once), and copy the result over the old pages now.
                Ok(()) => sqlx::raw_sql("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")
                    .execute(&once)
                    .await
                    .map(drop)
                    .map_err(StoreError::from),
                e => e,
            },
            other => other.map_err(StoreError::from),
        };
        once.close().await;
        head?;
        // SQLite made `-wal` and `-shm` by now, with the database file's mode.
        private_files(path)?;
        let writer = SqliteWriter::connect(&opts, key.clone()).await?;
        let readers = Arc::new(Readers::connect(&opts, READERS).await?);
        let inserts = Arc::new(Inserts::thread(writer.clone(), Arc::clone(&readers))?);
        Ok(Self {
            db: Db::Sqlite { writer, readers },
            inserts,
            key,
        })
    }

    /// Connect to the PostgreSQL database at `url` (`postgres://…`; a password may also come
    /// from `PGPASSWORD` or `~/.pgpass`, as for libpq) and bring its schema up to date.
    /// Several brokers may do this at once: sqlx's migrator takes an advisory lock.
    /// Every replica must be given the same `key`.
    pub async fn connect_postgres(url: &str, key: StoreKey) -> Result<Self> {
        install_drivers();
        let opts: AnyConnectOptions = url.parse()?;
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .connect_with(opts.clone())
            .await?;
        let signed = has_signed_head(&pool).await;
        migrator().run(&pool).await?;
        if !signed {
            Self::sign_new_head(&pool, &key).await?;
        }
        let locks = AnyPoolOptions::new()
            .max_connections(8)
            .min_connections(0)
            .connect_lazy_with(opts);
        Ok(Self {
            inserts: Arc::new(Inserts::task(Writer::Postgres(pool.clone(), key.clone()))),
            key,
            db: Db::Postgres {
                pool,
                locks,
                url: url.to_owned(),
            },
        })
    }

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

/// A PostgreSQL transaction holding the write lock of every replica.
async fn pg_write(pool: &AnyPool, key: &StoreKey) -> Result<WriteTx> {
    let mut tx = pool.begin().await?;
    sqlx::query(locks::XACT_LOCK)
        .bind(locks::WRITE_KEY)
        .execute(&mut *tx)
        .await?;
    Ok(WriteTx::pooled(tx, key.clone()))
}

/// Make the database file (when missing) and narrow it and its `-wal` and `-shm` (when
/// present) to mode 0600: SQLite creates files with the umask's mode, and gives `-wal` and
/// `-shm` the database file's.
fn private_files(db: &Path) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let io = |e| StoreError::Db(sqlx::Error::Io(e));
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(db)
        .map_err(io)?;
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let Ok(meta) = std::fs::metadata(&name) else {
            continue;
        };
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(&name, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        }
    }
    Ok(())
}

/// SQLite's read connections: long-polls and the credential helpers' fetches read beside the
/// creates' one read each.
const READERS: u32 = 4;

/// Read a column, turning a type mismatch into [`StoreError::Corrupt`] rather than a panic.
fn col<'r, T>(row: &'r AnyRow, name: &str) -> Result<T>
where
    T: sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    use sqlx::Row;
    row.try_get(name)
        .map_err(|e| StoreError::Corrupt(format!("column {name}: {e}")))
}

#[cfg(test)]
pub(crate) mod tests;
