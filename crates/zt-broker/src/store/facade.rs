//! The store's facade: the [`Store`] handle, which database it is on ([`Db`]), and the
//! dispatch to the backend's own parts — opening it ([`Store::open`],
//! [`Store::connect_postgres`]), a connection to read on ([`Store::read`]), a write
//! transaction ([`Store::write`], see [`super::tx`]), the locks across replicas, the change
//! events. The store's calls (requests, approvals, credentials, the audit log…) are written
//! once, in the files beside this one, on top of it.

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::Arc;

use sqlx::any::{AnyArguments, AnyQueryResult};
use sqlx::pool::PoolConnection;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, AnyPool};

use super::error::{Result, StoreError};
use super::inserts::{self, Inserts};
use super::keys::{KeySource, StoreKey};
use super::postgres::events::Events;
use super::postgres::{self, GrantLock, ReaperLease};
use super::sqlite::{self, Reader, Readers, SqliteWriter};
use super::tx::{WriteTx, Writer};

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
    pub(super) inserts: Arc<Inserts>,
    /// Seals credentials and signs the audit chain's head.
    pub(super) key: StoreKey,
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
        /// For the `LISTEN` connection of [`Events`].
        url: String,
    },
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
        let (writer, readers) = sqlite::open(path, &key).await?;
        // New requests are committed in groups by a thread of their own.
        let (inserts, queue) = Inserts::channel();
        sqlite::inserts_thread(
            writer.clone(),
            Arc::clone(&readers),
            inserts::run(Writer::Sqlite(writer.clone(), key.clone()), queue),
        )?;
        Ok(Self {
            db: Db::Sqlite { writer, readers },
            inserts: Arc::new(inserts),
            key,
        })
    }

    /// Connect to the PostgreSQL database at `url` (`postgres://…`; a password may also come
    /// from `PGPASSWORD` or `~/.pgpass`, as for libpq) and bring its schema up to date.
    /// Several brokers may do this at once: sqlx's migrator takes an advisory lock.
    /// Every replica must be given the same `key`.
    pub async fn connect_postgres(url: &str, key: StoreKey) -> Result<Self> {
        if !cfg!(feature = "postgres") {
            return Err(StoreError::NotBuilt(crate::features::missing(
                "the PostgreSQL store",
                "postgres",
            )));
        }
        let (pool, locks) = postgres::connect(url, &key).await?;
        // New requests are committed in groups by a task on this runtime (its connections'
        // sockets belong to it); each group holds the replicas' write lock once, for one
        // commit.
        let (inserts, queue) = Inserts::channel();
        tokio::spawn(inserts::run(
            Writer::Postgres(pool.clone(), key.clone()),
            queue,
        ));
        Ok(Self {
            inserts: Arc::new(inserts),
            key,
            db: Db::Postgres {
                pool,
                locks,
                url: url.to_owned(),
            },
        })
    }

    /// Wait for the grant's cross-replica lock. Dropping the guard releases it (the
    /// transaction rolls back; it wrote nothing).
    pub async fn grant_lock(&self, id: &str) -> Result<GrantLock> {
        GrantLock::take(self.locks(), id).await
    }

    /// The reaper's lease, if no other replica holds it now (`None`: another one is reaping;
    /// try again later). Held until dropped.
    pub async fn reaper_lease(&self) -> Result<Option<ReaperLease>> {
        ReaperLease::take(self.locks()).await
    }

    /// PostgreSQL's pool for locks held across issuer calls; `None` on SQLite.
    fn locks(&self) -> Option<&AnyPool> {
        match &self.db {
            Db::Postgres { locks, .. } => Some(locks),
            Db::Sqlite { .. } => None,
        }
    }

    /// The store's key: the review page seals its cookies with it
    /// ([`StoreKey::seal_cookie`]), so every replica given the same key reads them.
    pub fn key(&self) -> &StoreKey {
        &self.key
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres { .. } => Backend::Postgres,
        }
    }

    /// A connection to read on.
    pub(super) async fn read(&self) -> Result<ReadConn<'_>> {
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
    pub(super) async fn write(&self) -> Result<WriteTx> {
        match &self.db {
            Db::Sqlite { writer, .. } => {
                Ok(WriteTx::sqlite(writer.begin().await?, self.key.clone()))
            }
            Db::Postgres { pool, .. } => Ok(WriteTx::pooled(
                postgres::begin_write(pool).await?,
                self.key.clone(),
            )),
        }
    }

    /// One statement that writes outside a transaction of ours (no audit row, no chain): on
    /// SQLite in this process's writers' queue, on PostgreSQL as it is.
    pub(super) async fn write_one(
        &self,
        q: Query<'_, Any, AnyArguments>,
    ) -> Result<AnyQueryResult> {
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

/// A connection to read on, from either store.
pub(super) enum ReadConn<'a> {
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

impl Events {
    /// `None` on SQLite, where the in-process wake-ups are the whole story.
    pub async fn listen(store: &Store) -> Result<Option<Self>> {
        let Db::Postgres { url, .. } = &store.db else {
            return Ok(None);
        };
        Ok(Some(Self::connect(url).await?))
    }
}
