//! How writes are serialised. A write transaction ([`WriteTx`]) holds the store's write lock
//! from its first statement: on PostgreSQL an advisory lock (see [`super::Store::write`]); on
//! SQLite this process's turn ([`SqliteWriter`]) and then `BEGIN IMMEDIATE` on the one
//! connection that writes. Writers wait their turn in-process, first come first served, so
//! none of them ever meets another in SQLite's busy handler, which sleeps and retries; and
//! they never wait on readers for a connection.
//!
//! The turn also holds the audit chain's head as last committed (SQLite only: one process
//! writes the file), so that appending a row needs no read of the chain first (see
//! [`super::audit::append_in`]).

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::any::{AnyArguments, AnyConnectOptions, AnyQueryResult};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, Connection, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::audit::ChainHead;
use super::keys::StoreKey;
use super::readers::Readers;
use super::{Result, StoreError};

/// Every connection's settings. The busy timeout is for other processes (`zt-broker audit
/// verify`); this one's writers never wait in it. No memory map: SQLite drops a connection's
/// map whenever another connection has written since its last read, which with a write every
/// few milliseconds costs more (an unmap, and the other cores' TLBs flushed) than it saves.
/// Secure delete: a credential blanked or deleted at its grant's end is overwritten with zeros
/// in the file, not left in free space.
pub(super) const PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;";

/// How often the WAL is checkpointed, if anything was written meanwhile.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// SQLite's writer: its connection, and the turn this process's writers take.
#[derive(Clone)]
pub(super) struct SqliteWriter {
    turn: Arc<Mutex<Turn>>,
    /// Write transactions so far, for [`SqliteWriter::checkpoints`].
    commits: Arc<AtomicU64>,
    /// Signs the audit chain's head in each transaction.
    key: StoreKey,
}

/// What the writer holding the turn has: the connection (not in a pool: a pool pings each
/// connection handed back, a round trip to its worker thread after every transaction), and
/// the audit chain's head as last committed.
pub(super) struct Turn {
    /// `None` once closed.
    conn: Option<AnyConnection>,
    head: Option<ChainHead>,
    /// A `BEGIN` was sent and no `COMMIT` or `ROLLBACK` is known to have landed (its writer
    /// was dropped, or failed): the next writer rolls back first.
    open: bool,
}

impl Turn {
    fn conn(&mut self) -> Result<&mut AnyConnection> {
        self.conn
            .as_mut()
            .ok_or(StoreError::Db(sqlx::Error::PoolClosed))
    }

    /// Roll back what a dropped writer left open. Its `BEGIN` or `COMMIT` may have been the
    /// statement in flight when it was dropped, so there may be nothing to roll back
    /// ("no transaction is active"): that is as good. Should the rollback fail otherwise, the
    /// next `BEGIN` fails and leaves the turn open for the writer after to try again.
    async fn settle(&mut self) -> Result<()> {
        if self.open {
            self.head = None;
            let _ = self.conn()?.execute("ROLLBACK").await;
            self.open = false;
        }
        Ok(())
    }
}

impl SqliteWriter {
    /// The writer connection never checkpoints the WAL itself (SQLite's default is to do it
    /// in the commit that takes the WAL past 1,000 pages: copying them into the database and
    /// an fsync, while every other writer waits). [`SqliteWriter::checkpoints`] does it
    /// instead, beside the writer.
    pub(super) async fn connect(opts: &AnyConnectOptions, key: StoreKey) -> Result<Self> {
        let mut conn = AnyConnection::connect_with(opts).await?;
        conn.execute(PRAGMAS).await?;
        conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
        Ok(Self {
            turn: Arc::new(Mutex::new(Turn {
                conn: Some(conn),
                head: None,
                open: false,
            })),
            commits: Arc::default(),
            key,
        })
    }

    /// Checkpoint the WAL on one of the `readers` every [`CHECKPOINT_EVERY`] while there are
    /// new writes, until they close. `PASSIVE`: it waits for no reader or writer, and what it
    /// cannot copy yet (pages a reader still sees) is left for the next one.
    pub(super) async fn checkpoints(self, readers: Arc<Readers>) {
        let mut seen = 0;
        while !readers.is_closed() {
            tokio::time::sleep(CHECKPOINT_EVERY).await;
            let commits = self.commits.load(Ordering::Relaxed);
            if commits != seen {
                seen = commits;
                // A failure leaves the WAL longer until the next one.
                if let Ok(mut conn) = readers.get().await {
                    let _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").await;
                }
            }
        }
    }

    /// Wait for this process's turn, then begin.
    pub(super) async fn begin(&self) -> Result<WriteTx> {
        let mut turn = Arc::clone(&self.turn).lock_owned().await;
        turn.settle().await?;
        // Open before `BEGIN` is sent: a writer dropped while it runs leaves it to be settled.
        turn.open = true;
        turn.conn()?.execute("BEGIN IMMEDIATE").await?;
        self.commits.fetch_add(1, Ordering::Relaxed);
        Ok(WriteTx {
            inner: Inner::Sqlite(Some(turn)),
            appended: None,
            key: self.key.clone(),
        })
    }

    /// One statement, in turn, committed by itself.
    pub(super) async fn write_one(
        &self,
        q: Query<'_, Any, AnyArguments>,
    ) -> Result<AnyQueryResult> {
        let mut turn = self.turn.lock().await;
        turn.settle().await?;
        Ok(q.execute(turn.conn()?).await?)
    }

    /// Close the connection once the writer before has finished; later writes fail.
    pub(super) async fn close(&self) {
        let mut turn = self.turn.lock().await;
        // Whatever a dropped writer left open ends with the connection.
        turn.open = false;
        if let Some(conn) = turn.conn.take() {
            let _ = conn.close().await;
        }
    }
}

/// A write transaction; it derefs to its connection. Dropped without [`WriteTx::commit`], it
/// rolls back.
pub(super) struct WriteTx {
    inner: Inner,
    /// The chain head after this transaction's audit rows.
    pub(super) appended: Option<ChainHead>,
    /// The store's key: signs the chain head the audit rows move.
    pub(super) key: StoreKey,
}

enum Inner {
    Pool(Transaction<'static, Any>),
    /// This process's turn; `None` once rolled back.
    Sqlite(Option<OwnedMutexGuard<Turn>>),
}

impl WriteTx {
    /// PostgreSQL: a transaction from the pool, its lock already taken.
    pub(super) fn pooled(tx: Transaction<'static, Any>, key: StoreKey) -> Self {
        Self {
            inner: Inner::Pool(tx),
            appended: None,
            key,
        }
    }

    /// The chain head as this transaction sees it, when known without reading the table.
    pub(super) fn chain_head(&self) -> Option<ChainHead> {
        match &self.inner {
            Inner::Sqlite(Some(turn)) => self.appended.clone().or_else(|| turn.head.clone()),
            _ => self.appended.clone(),
        }
    }

    pub(super) async fn commit(mut self) -> Result<()> {
        if let Inner::Sqlite(Some(turn)) = &mut self.inner {
            // Forget the head until the commit is known to have landed: a commit that fails,
            // or is interrupted, leaves it unknown, and the next writer reads it from the
            // table. The turn stays in `self` meanwhile, for `Drop` to settle.
            let before = turn.head.take();
            turn.conn()?.execute("COMMIT").await?;
            turn.open = false;
            turn.head = self.appended.take().or(before);
            return Ok(());
        }
        match std::mem::replace(&mut self.inner, Inner::Sqlite(None)) {
            Inner::Pool(tx) => Ok(tx.commit().await?),
            Inner::Sqlite(_) => Ok(()),
        }
    }

    pub(super) async fn rollback(mut self) -> Result<()> {
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
            && turn.open
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
            Inner::Sqlite(Some(turn)) => turn.conn.as_ref().expect(HELD),
            Inner::Sqlite(None) => panic!("{HELD}"),
        }
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match &mut self.inner {
            Inner::Pool(tx) => tx,
            Inner::Sqlite(Some(turn)) => turn.conn.as_mut().expect(HELD),
            Inner::Sqlite(None) => panic!("{HELD}"),
        }
    }
}

/// A transaction holds the turn, with an open connection (a closed writer begins nothing),
/// until it is consumed by its commit or rollback.
const HELD: &str = "a write transaction holds the writer's connection";
