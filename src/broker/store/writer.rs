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

use sqlx::any::{AnyArguments, AnyConnectOptions, AnyPoolOptions, AnyQueryResult};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::Result;
use super::audit::ChainHead;

/// The pool options of a SQLite store with `n` connections. No ping before a connection is
/// handed out (sqlx's default): the database is a local file, and a ping is a round trip to
/// the connection's worker thread before every query.
pub(super) fn sqlite_pool(n: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(n)
        .test_before_acquire(false)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute(PRAGMAS).await?;
                Ok(())
            })
        })
}

/// Every connection's settings. The busy timeout is for other processes (`zt-broker audit
/// verify`); this one's writers never wait in it.
const PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;";

/// How often the WAL is checkpointed, if anything was written meanwhile.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// SQLite's writer: its connection, and the turn this process's writers take.
#[derive(Clone)]
pub(super) struct SqliteWriter {
    pool: AnyPool,
    turn: Arc<Mutex<Option<ChainHead>>>,
    /// Write transactions so far, for [`SqliteWriter::checkpoints`].
    commits: Arc<AtomicU64>,
}

impl SqliteWriter {
    /// The writer connection never checkpoints the WAL itself (SQLite's default is to do it
    /// in the commit that takes the WAL past 1,000 pages: copying them into the database and
    /// an fsync, while every other writer waits). [`SqliteWriter::checkpoints`] does it
    /// instead, beside the writer.
    pub(super) async fn connect(opts: AnyConnectOptions) -> Result<Self> {
        let pool = sqlite_pool(1)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(PRAGMAS).await?;
                    conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
                    Ok(())
                })
            })
            .connect_with(opts)
            .await?;
        Ok(Self {
            pool,
            turn: Arc::default(),
            commits: Arc::default(),
        })
    }

    /// Checkpoint the WAL on one of the `readers` every [`CHECKPOINT_EVERY`] while there are
    /// new writes, until that pool closes. `PASSIVE`: it waits for no reader or writer, and
    /// what it cannot copy yet (pages a reader still sees) is left for the next one.
    pub(super) async fn checkpoints(self, readers: AnyPool) {
        let mut seen = 0;
        while !readers.is_closed() {
            tokio::time::sleep(CHECKPOINT_EVERY).await;
            let commits = self.commits.load(Ordering::Relaxed);
            if commits != seen {
                seen = commits;
                // A failure leaves the WAL longer until the next one.
                let _ = readers.execute("PRAGMA wal_checkpoint(PASSIVE)").await;
            }
        }
    }

    pub(super) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Wait for this process's turn, then begin.
    pub(super) async fn begin(&self) -> Result<WriteTx> {
        let turn = Arc::clone(&self.turn).lock_owned().await;
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        self.commits.fetch_add(1, Ordering::Relaxed);
        Ok(WriteTx::new(tx, Some(turn)))
    }

    /// One statement, in turn, committed by itself.
    pub(super) async fn write_one(
        &self,
        q: Query<'_, Any, AnyArguments>,
    ) -> Result<AnyQueryResult> {
        let _turn = self.turn.lock().await;
        Ok(q.execute(&self.pool).await?)
    }

    pub(super) async fn close(&self) {
        self.pool.close().await;
    }
}

/// A write transaction; it derefs to its connection. Dropped without [`WriteTx::commit`], it
/// rolls back.
pub(super) struct WriteTx {
    // Declared first, dropped first: the connection is back in its pool before the turn ends.
    tx: Transaction<'static, Any>,
    /// SQLite: this process's turn, holding the chain head as last committed.
    turn: Option<OwnedMutexGuard<Option<ChainHead>>>,
    /// The chain head after this transaction's audit rows.
    pub(super) appended: Option<ChainHead>,
}

impl WriteTx {
    pub(super) fn new(
        tx: Transaction<'static, Any>,
        turn: Option<OwnedMutexGuard<Option<ChainHead>>>,
    ) -> Self {
        Self {
            tx,
            turn,
            appended: None,
        }
    }

    /// The chain head as this transaction sees it, when known without reading the table.
    pub(super) fn chain_head(&self) -> Option<ChainHead> {
        self.appended
            .clone()
            .or_else(|| self.turn.as_deref().cloned().flatten())
    }

    pub(super) async fn commit(self) -> Result<()> {
        let Self {
            tx,
            mut turn,
            appended,
        } = self;
        // Forget the head until the commit is known to have landed: a commit that fails, or
        // is interrupted, leaves it unknown, and the next writer reads it from the table.
        let before = turn.as_deref_mut().and_then(Option::take);
        tx.commit().await?;
        if let Some(head) = turn.as_deref_mut() {
            *head = appended.or(before);
        }
        Ok(())
    }

    pub(super) async fn rollback(self) -> Result<()> {
        Ok(self.tx.rollback().await?)
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}
