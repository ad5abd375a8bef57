//! Change events across replicas (PostgreSQL only). Every audited write that concerns a
//! request sends `NOTIFY zt_events, '<request id>'` inside its transaction, so it is delivered
//! when — and only if — the change commits. Each replica `LISTEN`s on one connection and turns
//! the events into its in-process wake-ups: a long-poll on replica B returns milliseconds after
//! replica A approved, and B's reaper learns of grants A created.
//!
//! A lost listening connection loses the events sent meanwhile; after reconnecting the handler
//! is called with `None` ("anything may have changed"), and waiters re-read the store.

#[cfg(feature = "postgres")]
use std::time::Duration;

#[cfg(feature = "postgres")]
use sqlx::postgres::PgListener;
use tokio::sync::watch;

use crate::store::error::Result;

/// The channel name.
pub const CHANNEL: &str = "zt_events";

/// A `LISTEN`ing connection, ready before the broker serves (so no event of its own first
/// requests can slip past it).
pub struct Events {
    #[cfg(feature = "postgres")]
    listener: PgListener,
    /// Without the `postgres` feature no store on PostgreSQL opens, so there are none.
    #[cfg(not(feature = "postgres"))]
    never: std::convert::Infallible,
}

impl Events {
    /// Listen on a connection of its own to the database at `url`. (The store's
    /// [`Events::listen`] calls it on PostgreSQL.)
    #[cfg(feature = "postgres")]
    pub(in crate::store) async fn connect(url: &str) -> Result<Self> {
        let mut listener = PgListener::connect(url).await?;
        listener.listen(CHANNEL).await?;
        Ok(Self { listener })
    }

    #[cfg(not(feature = "postgres"))]
    pub(in crate::store) async fn connect(_url: &str) -> Result<Self> {
        Err(crate::store::error::StoreError::NotBuilt(
            crate::features::missing("the PostgreSQL store", "postgres"),
        ))
    }

    /// Deliver events to `on_event` until `closing` turns true: `Some(id)` for a change to
    /// request `id`, `None` after a reconnect.
    #[cfg(not(feature = "postgres"))]
    pub async fn run(self, _on_event: impl Fn(Option<&str>), _closing: watch::Receiver<bool>) {
        match self.never {}
    }

    /// Deliver events to `on_event` until `closing` turns true: `Some(id)` for a change to
    /// request `id`, `None` after a reconnect.
    #[cfg(feature = "postgres")]
    pub async fn run(
        mut self,
        on_event: impl Fn(Option<&str>),
        mut closing: watch::Receiver<bool>,
    ) {
        loop {
            if *closing.borrow_and_update() {
                return;
            }
            let next = tokio::select! {
                n = self.listener.try_recv() => n,
                _ = closing.changed() => return,
            };
            match next {
                Ok(Some(n)) => on_event(Some(n.payload())),
                // The connection dropped; the next try_recv reconnects. Events in between are
                // lost: everyone re-reads.
                Ok(None) => on_event(None),
                Err(e) => {
                    tracing::warn!("listening for changes from other replicas: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    on_event(None);
                }
            }
        }
    }
}

/// Queue the event for `id` in an open transaction (PostgreSQL; nothing on SQLite). Wrapped
/// in a count because `pg_notify` returns `void`, which sqlx's `Any` rows cannot carry.
pub(in crate::store) async fn notify_in(conn: &mut sqlx::AnyConnection, id: &str) -> Result<()> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT count(*) AS n FROM (SELECT pg_notify($1, $2)) AS e")
            .bind(CHANNEL)
            .bind(id)
            .execute(conn)
            .await?;
    }
    Ok(())
}
