//! What only SQLite needs: one process owns the file, so writers take turns in-process on one
//! connection ([`writer`]), reads run on a few connections of their own ([`readers`]), each
//! opened with the same settings ([`connect`]), new requests are committed in groups by a
//! thread of their own ([`inserts_thread`]), and the files are kept private (mode 0600). The
//! SQL both databases run is in the store's shared files, below this module; the store's
//! facade opens it ([`open`]) and dispatches to it.

mod connect;
mod readers;
mod writer;

use std::path::Path;
use std::sync::Arc;

use sqlx::Executor;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};

use super::audit::head::sign_new_head;
use super::error::{Result, StoreError};
use super::keys::StoreKey;
use super::schema::{has_signed_head, install_drivers, migrator};
use connect::PRAGMAS;
pub(in crate::store) use readers::{Reader, Readers};
pub(in crate::store) use writer::{HELD, SqliteWriter, TurnGuard};

/// SQLite's read connections: long-polls and the credential helpers' fetches read beside the
/// creates' one read each.
const READERS: u32 = 4;

/// Open (creating if needed) the SQLite database at `path` and bring its schema up to date
/// (see [`crate::store::Store::open_keyed`]): its writer and its readers. WAL lets readers
/// (long-polls, the dev Kubernetes API) run beside the one writer. The writer has a connection
/// of its own and writers queue for it in-process; the busy timeout is left for other
/// processes (`zt-broker audit verify`). The database file and its `-wal` and `-shm` are made
/// (or narrowed to) mode 0600 whatever the umask: they hold the grants and sealed credentials.
pub(in crate::store) async fn open(
    path: &Path,
    key: &StoreKey,
) -> Result<(SqliteWriter, Arc<Readers>)> {
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
        Ok(()) if !signed => match sign_new_head(&once, key).await {
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
    let writer = SqliteWriter::connect(&opts).await?;
    let readers = Arc::new(Readers::connect(&opts, READERS).await?);
    Ok((writer, readers))
}

/// Start the thread that commits new requests in groups: it runs `inserts` (see
/// [`crate::store::inserts`]), and checkpoints the WAL on one of the `readers` beside.
pub(in crate::store) fn inserts_thread(
    writer: SqliteWriter,
    readers: Arc<Readers>,
    inserts: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let io = |e| StoreError::Db(sqlx::Error::Io(e));
    // No I/O driver: nothing here polls a socket (SQLite's connections are threads).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(io)?;
    std::thread::Builder::new()
        .name("zt-store-inserts".into())
        .spawn(move || {
            runtime.spawn(writer.checkpoints(readers));
            runtime.block_on(inserts);
        })
        .map_err(io)?;
    Ok(())
}

/// `sqlite://` URL of a file path: every byte outside a safe set percent-encoded (sqlx decodes
/// the path), with `mode=rwc` to create the file when it is missing.
pub(in crate::store) fn sqlite_url(path: &Path) -> String {
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

#[cfg(test)]
mod tests;
