//! How every SQLite connection of the store is opened: the settings each one runs first.

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, Connection, Executor};

use crate::store::error::Result;

/// Every connection's settings. The busy timeout is for other processes (`zt-broker audit
/// verify`); this one's writers never wait in it. No memory map: SQLite drops a connection's
/// map whenever another connection has written since its last read, which with a write every
/// few milliseconds costs more (an unmap, and the other cores' TLBs flushed) than it saves.
/// Secure delete: a credential blanked or deleted at its grant's end is overwritten with zeros
/// in the file, not left in free space.
pub(super) const PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;";

/// A connection to the database of `opts`, its [`PRAGMAS`] run.
pub(super) async fn connect(opts: &AnyConnectOptions) -> Result<AnyConnection> {
    let mut conn = AnyConnection::connect_with(opts).await?;
    conn.execute(PRAGMAS).await?;
    Ok(conn)
}
