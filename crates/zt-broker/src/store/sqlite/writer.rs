//! How SQLite's writes are serialised. A write transaction ([`crate::store::tx::WriteTx`])
//! holds the store's write lock from its first statement: on PostgreSQL an advisory lock (see
//! [`crate::store::Store::write`]); on SQLite this process's turn ([`SqliteWriter`]) and then
//! `BEGIN IMMEDIATE` on the one connection that writes. Writers wait their turn in-process, first come first served, so
//! none of them ever meets another in SQLite's busy handler, which sleeps and retries; and
//! they never wait on readers for a connection.
//!
//! The turn also holds the audit chain's head as last committed (SQLite only: one process
//! writes the file), so that appending a row needs no read of the chain first (see
//! `audit::append_in`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::any::{AnyArguments, AnyConnectOptions, AnyQueryResult};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, Connection, Executor};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::connect::connect;
use super::readers::Readers;
use crate::store::error::{Result, StoreError};
use crate::store::rows::ChainHead;

/// How often the WAL is checkpointed, if anything was written meanwhile.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// SQLite's writer: its connection, and the turn this process's writers take.
#[derive(Clone)]
pub(in crate::store) struct SqliteWriter {
    turn: Arc<Mutex<Turn>>,
    /// Write transactions so far, for [`SqliteWriter::checkpoints`].
    commits: Arc<AtomicU64>,
}

/// What the writer holding the turn has: the connection (not in a pool: a pool pings each
/// connection handed back, a round trip to its worker thread after every transaction), and
/// the audit chain's head as last committed.
pub(in crate::store) struct Turn {
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
    pub(in crate::store) async fn settle(&mut self) -> Result<()> {
        if self.open {
            self.head = None;
            let _ = self.conn()?.execute("ROLLBACK").await;
            self.open = false;
        }
        Ok(())
    }

    /// The chain head as last committed, when known.
    pub(in crate::store) fn head(&self) -> Option<ChainHead> {
        self.head.clone()
    }

    /// Whether a `BEGIN` may still be open (see [`Turn::settle`]).
    pub(in crate::store) fn is_open(&self) -> bool {
        self.open
    }

    /// Commit, and keep `appended` (the chain head after the transaction's audit rows, if
    /// it wrote any) as the head. Forget the head until the commit is known to have landed:
    /// a commit that fails, or is interrupted, leaves it unknown, and the next writer reads
    /// it from the table. The turn stays with its transaction meanwhile, for `Drop` to settle.
    pub(in crate::store) async fn commit(&mut self, appended: Option<ChainHead>) -> Result<()> {
        let before = self.head.take();
        self.conn()?.execute("COMMIT").await?;
        self.open = false;
        self.head = appended.or(before);
        Ok(())
    }

    /// The connection of a turn a transaction holds (a closed writer begins nothing).
    pub(in crate::store) fn connection(&self) -> &AnyConnection {
        self.conn.as_ref().expect(HELD)
    }

    pub(in crate::store) fn connection_mut(&mut self) -> &mut AnyConnection {
        self.conn.as_mut().expect(HELD)
    }
}

/// A writer's hold on the turn, for as long as its transaction lasts.
pub(in crate::store) type TurnGuard = OwnedMutexGuard<Turn>;

impl SqliteWriter {
    /// The writer connection never checkpoints the WAL itself (SQLite's default is to do it
    /// in the commit that takes the WAL past 1,000 pages: copying them into the database and
    /// an fsync, while every other writer waits). [`SqliteWriter::checkpoints`] does it
    /// instead, beside the writer.
    pub(in crate::store) async fn connect(opts: &AnyConnectOptions) -> Result<Self> {
        let mut conn = connect(opts).await?;
        conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
        Ok(Self {
            turn: Arc::new(Mutex::new(Turn {
                conn: Some(conn),
                head: None,
                open: false,
            })),
            commits: Arc::default(),
        })
    }

    /// Checkpoint the WAL on one of the `readers` every [`CHECKPOINT_EVERY`] while there are
    /// new writes, until they close. `PASSIVE`: it waits for no reader or writer, and what it
    /// cannot copy yet (pages a reader still sees) is left for the next one.
    pub(in crate::store) async fn checkpoints(self, readers: Arc<Readers>) {
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

    /// Wait for this process's turn, then begin: the turn, for a write transaction to hold.
    pub(in crate::store) async fn begin(&self) -> Result<TurnGuard> {
        let mut turn = Arc::clone(&self.turn).lock_owned().await;
        turn.settle().await?;
        // Open before `BEGIN` is sent: a writer dropped while it runs leaves it to be settled.
        turn.open = true;
        turn.conn()?.execute("BEGIN IMMEDIATE").await?;
        self.commits.fetch_add(1, Ordering::Relaxed);
        Ok(turn)
    }

    /// One statement, in turn, committed by itself.
    pub(in crate::store) async fn write_one(
        &self,
        q: Query<'_, Any, AnyArguments>,
    ) -> Result<AnyQueryResult> {
        let mut turn = self.turn.lock().await;
        turn.settle().await?;
        Ok(q.execute(turn.conn()?).await?)
    }

    /// Close the connection once the writer before has finished; later writes fail.
    pub(in crate::store) async fn close(&self) {
        let mut turn = self.turn.lock().await;
        // Whatever a dropped writer left open ends with the connection.
        turn.open = false;
        if let Some(conn) = turn.conn.take() {
            let _ = conn.close().await;
        }
    }
}

/// A transaction holds the turn, with an open connection (a closed writer begins nothing),
/// until it is consumed by its commit or rollback.
pub(in crate::store) const HELD: &str = "a write transaction holds the writer's connection";
