//! What the shared SQL needs of a write transaction, whichever database it is on: its
//! connection, what it knows of the audit chain's head, the key that signs the head, and a way
//! to tell the other replicas of a change. The store's [`super::tx::WriteTx`] is the one
//! implementation (over SQLite's turn or a PostgreSQL transaction); the helpers that take it
//! ([`super::sql`], [`super::audit::chain`]) stay below the backends this way.

use std::future::Future;
use std::ops::DerefMut;

use sqlx::AnyConnection;

use super::error::Result;
use super::keys::StoreKey;
use super::rows::ChainHead;

/// An open write transaction, holding the store's write lock; it derefs to its connection.
pub(super) trait WriteConn: DerefMut<Target = AnyConnection> + Send {
    /// The chain head as this transaction sees it, when known without reading the table.
    fn chain_head(&self) -> Option<ChainHead>;

    /// Keep `head` as the chain head after this transaction's audit rows.
    fn set_appended(&mut self, head: Option<ChainHead>);

    /// The store's key: signs the chain head the audit rows move.
    fn key(&self) -> &StoreKey;

    /// Queue the change event for request `id` in this transaction: on PostgreSQL a `NOTIFY`
    /// to the other replicas; on SQLite nothing, the in-process wake-ups are the whole story.
    fn notify<'a>(&'a mut self, id: &'a str) -> impl Future<Output = Result<()>> + Send + 'a;
}
