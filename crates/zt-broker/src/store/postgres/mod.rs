//! What only PostgreSQL needs, for several `serve` replicas on one database: a pool for reads
//! and writes and a small one for locks held across issuer calls, writes serialised across
//! replicas by an advisory lock, `NOTIFY` on every audited change ([`events`]), and advisory
//! locks so that one replica at a time mints or revokes a grant and reaps ([`locks`]). The
//! SQL both databases run is in the store's shared files, below this module; the store's
//! facade connects it ([`connect`]) and dispatches to it.

pub mod events;
mod locks;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Transaction};

use super::audit::head::sign_new_head;
use super::error::Result;
use super::keys::StoreKey;
use super::schema::{has_signed_head, install_drivers, migrator};
pub use locks::{GrantLock, ReaperLease};

/// Connect to the PostgreSQL database at `url` and bring its schema up to date (see
/// [`crate::store::Store::connect_postgres`]): the pool for reads and writes, and the small
/// one for locks. Several brokers may do this at once: sqlx's migrator takes an advisory lock.
pub(in crate::store) async fn connect(url: &str, key: &StoreKey) -> Result<(AnyPool, AnyPool)> {
    install_drivers();
    let opts: AnyConnectOptions = url.parse()?;
    let pool = AnyPoolOptions::new()
        .max_connections(16)
        .connect_with(opts.clone())
        .await?;
    let signed = has_signed_head(&pool).await;
    migrator().run(&pool).await?;
    if !signed {
        sign_new_head(&pool, key).await?;
    }
    let locks = AnyPoolOptions::new()
        .max_connections(8)
        .min_connections(0)
        .connect_lazy_with(opts);
    Ok((pool, locks))
}

/// A PostgreSQL transaction holding the write lock of every replica.
pub(in crate::store) async fn begin_write(pool: &AnyPool) -> Result<Transaction<'static, Any>> {
    let mut tx = pool.begin().await?;
    sqlx::query(locks::XACT_LOCK)
        .bind(locks::WRITE_KEY)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}
