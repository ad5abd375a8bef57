//! Where SQLite's reads run (PostgreSQL's run on its pool): a few connections of
//! [`Readers`], handed out in turn and taken back as they are: sqlx's pool pings every
//! connection given back to it, a round trip to the connection's worker thread after every
//! read, which on a small machine costs about as much as the read itself.
//!
//! A read dropped half-way (its caller gone) gives its connection back at once: SQLite's
//! worker finishes the statement with nobody listening, and the next reader's statement
//! queues behind it. Nothing here opens a transaction, so none is ever left open.

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, Connection};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::connect::connect;
use crate::store::error::{Result, StoreError};

/// SQLite's read connections.
pub(in crate::store) struct Readers {
    free: Mutex<Vec<AnyConnection>>,
    /// One per connection in `free`; closed with the store.
    turns: Semaphore,
    n: u32,
}

impl Readers {
    pub(in crate::store) async fn connect(opts: &AnyConnectOptions, n: u32) -> Result<Self> {
        let mut free = Vec::new();
        for _ in 0..n {
            free.push(connect(opts).await?);
        }
        Ok(Self {
            free: Mutex::new(free),
            turns: Semaphore::new(n as usize),
            n,
        })
    }

    /// A connection, when one is free.
    pub(in crate::store) async fn get(&self) -> Result<Reader<'_>> {
        let turn = self.turns.acquire().await.map_err(|_| closed())?;
        let conn = self.lock().pop().ok_or_else(closed)?;
        Ok(Reader {
            conn: Some(conn),
            home: self,
            _turn: turn,
        })
    }

    pub(in crate::store) fn is_closed(&self) -> bool {
        self.turns.is_closed()
    }

    /// Close every connection, waiting for those in use to come back.
    pub(in crate::store) async fn close(&self) {
        // Closed already: the permits are gone, and so are the connections.
        if let Ok(all) = self.turns.acquire_many(self.n).await {
            all.forget();
            self.turns.close();
            let conns = std::mem::take(&mut *self.lock());
            for conn in conns {
                let _ = conn.close().await;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<AnyConnection>> {
        // A panic while holding this lock leaves the list whole: push and pop only.
        self.free.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn closed() -> StoreError {
    StoreError::Db(sqlx::Error::PoolClosed)
}

/// A connection of [`Readers`], back in the list when dropped.
pub(in crate::store) struct Reader<'a> {
    conn: Option<AnyConnection>,
    home: &'a Readers,
    _turn: SemaphorePermit<'a>,
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.home.lock().push(conn);
        }
    }
}

impl Deref for Reader<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        self.conn.as_ref().expect(HELD)
    }
}

impl DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.conn.as_mut().expect(HELD)
    }
}

/// A reader holds its connection from [`Readers::get`] until it is dropped.
const HELD: &str = "a reader holds its connection";
