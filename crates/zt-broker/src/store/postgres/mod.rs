//! What only PostgreSQL needs, for several `serve` replicas on one database: a pool for reads
//! and writes and a small one for locks held across issuer calls, writes serialised across
//! replicas by an advisory lock, `NOTIFY` on every audited change ([`events`]), and advisory
//! locks so that one replica at a time mints or revokes a grant and reaps ([`locks`]). The
//! SQL both databases run is in the store's other modules.

pub mod events;
mod locks;

use std::sync::Arc;

use sqlx::AnyPool;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};

pub use locks::{GrantLock, ReaperLease};

use super::inserts::{self, Inserts};
use super::{
    Db, Result, Store, StoreKey, WriteTx, Writer, has_signed_head, install_drivers, migrator,
};

impl Store {
    /// Connect to the PostgreSQL database at `url` (`postgres://…`; a password may also come
    /// from `PGPASSWORD` or `~/.pgpass`, as for libpq) and bring its schema up to date.
    /// Several brokers may do this at once: sqlx's migrator takes an advisory lock.
    /// Every replica must be given the same `key`.
    pub async fn connect_postgres(url: &str, key: StoreKey) -> Result<Self> {
        install_drivers();
        let opts: AnyConnectOptions = url.parse()?;
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .connect_with(opts.clone())
            .await?;
        let signed = has_signed_head(&pool).await;
        migrator().run(&pool).await?;
        if !signed {
            Self::sign_new_head(&pool, &key).await?;
        }
        let locks = AnyPoolOptions::new()
            .max_connections(8)
            .min_connections(0)
            .connect_lazy_with(opts);
        // New requests are committed in groups by a task on this runtime (its connections'
        // sockets belong to it); each group holds the replicas' write lock once, for one
        // commit.
        let (inserts, queue) = Inserts::channel();
        tokio::spawn(inserts::run(
            Writer::Postgres(pool.clone(), key.clone()),
            queue,
        ));
        Ok(Self {
            inserts: Arc::new(inserts),
            key,
            db: Db::Postgres {
                pool,
                locks,
                url: url.to_owned(),
            },
        })
    }
}

/// A PostgreSQL transaction holding the write lock of every replica.
pub(in crate::store) async fn pg_write(pool: &AnyPool, key: &StoreKey) -> Result<WriteTx> {
    let mut tx = pool.begin().await?;
    sqlx::query(locks::XACT_LOCK)
        .bind(locks::WRITE_KEY)
        .execute(&mut *tx)
        .await?;
    Ok(WriteTx::pooled(tx, key.clone()))
}
