//! Write transactions, whichever database they are on: [`WriteTx`] holds the store's write
//! lock from its first statement (on SQLite this process's turn, then `BEGIN IMMEDIATE` on the
//! writer connection; on PostgreSQL a transaction-scoped advisory lock, which serialises the
//! writers of every replica) and derefs to its connection; [`Writer`] is where one begins. It
//! is what the shared SQL runs in ([`WriteConn`]).

use std::future::Future;
use std::ops::{Deref, DerefMut};

use sqlx::{Any, AnyConnection, AnyPool, Transaction};

use super::conn::WriteConn;
use super::error::Result;
use super::keys::StoreKey;
use super::postgres::{self, events};
use super::rows::ChainHead;
use super::sqlite::{HELD, SqliteWriter, TurnGuard};

/// Where a write transaction begins: see [`crate::store::Store::write`].
#[derive(Clone)]
pub(super) enum Writer {
    Sqlite(SqliteWriter, StoreKey),
    Postgres(AnyPool, StoreKey),
}

impl Writer {
    pub(super) async fn begin(&self) -> Result<WriteTx> {
        match self {
            Self::Sqlite(w, key) => Ok(WriteTx::sqlite(w.begin().await?, key.clone())),
            Self::Postgres(pool, key) => Ok(WriteTx::pooled(
                postgres::begin_write(pool).await?,
                key.clone(),
            )),
        }
    }
}

/// A write transaction; it derefs to its connection. Dropped without [`WriteTx::commit`], it
/// rolls back.
pub(super) struct WriteTx {
    inner: Inner,
    /// The chain head after this transaction's audit rows.
    appended: Option<ChainHead>,
    /// The store's key: signs the chain head the audit rows move.
    key: StoreKey,
}

enum Inner {
    Pool(Transaction<'static, Any>),
    /// This process's turn; `None` once rolled back.
    Sqlite(Option<TurnGuard>),
}

impl WriteTx {
    /// SQLite: this process's turn, `BEGIN` sent.
    pub(super) fn sqlite(turn: TurnGuard, key: StoreKey) -> Self {
        Self {
            inner: Inner::Sqlite(Some(turn)),
            appended: None,
            key,
        }
    }

    /// PostgreSQL: a transaction from the pool, its lock already taken.
    pub(super) fn pooled(tx: Transaction<'static, Any>, key: StoreKey) -> Self {
        Self {
            inner: Inner::Pool(tx),
            appended: None,
            key,
        }
    }

    pub(super) async fn commit(mut self) -> Result<()> {
        if let Inner::Sqlite(Some(turn)) = &mut self.inner {
            // The turn stays in `self` until the commit has landed, for `Drop` to settle.
            return turn.commit(self.appended.take()).await;
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

impl WriteConn for WriteTx {
    fn chain_head(&self) -> Option<ChainHead> {
        match &self.inner {
            Inner::Sqlite(Some(turn)) => self.appended.clone().or_else(|| turn.head()),
            _ => self.appended.clone(),
        }
    }

    fn set_appended(&mut self, head: Option<ChainHead>) {
        self.appended = head;
    }

    fn key(&self) -> &StoreKey {
        &self.key
    }

    fn notify<'a>(&'a mut self, id: &'a str) -> impl Future<Output = Result<()>> + Send + 'a {
        events::notify_in(self, id)
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
