//! The schema, and what every database needs before the store opens on it: sqlx's drivers
//! installed, the migrations (embedded, so the binary needs no migrations directory), and
//! whether the one that signs the audit head has run yet. Both backends open through these.

use std::borrow::Cow;
use std::sync::Once;

use sqlx::AnyPool;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

const SCHEMA_V1: &str = include_str!("schema.sql");
const SCHEMA_V2: &str = include_str!("schema_v2.sql");
const SCHEMA_V3: &str = include_str!("schema_v3.sql");
const SCHEMA_V4: &str = include_str!("schema_v4.sql");
const SCHEMA_V5: &str = include_str!("schema_v5.sql");
const SCHEMA_V6: &str = include_str!("schema_v6.sql");
const SCHEMA_V7: &str = include_str!("schema_v7.sql");
const SCHEMA_V8: &str = include_str!("schema_v8.sql");
/// The version that made credentials sealed and the audit head signed: when a store is
/// brought up to it, the head the migration recorded is signed (see
/// [`super::audit::head::sign_new_head`]).
const SIGNED_HEAD_VERSION: i64 = 4;

pub(super) fn install_drivers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(sqlx::any::install_default_drivers);
}

/// The schema migrations, in order.
pub(super) fn migrator() -> Migrator {
    Migrator::with_migrations(migrations())
}

pub(super) fn migrations() -> Vec<Migration> {
    vec![
        Migration::new(
            1,
            Cow::Borrowed("initial schema"),
            MigrationType::Simple,
            SCHEMA_V1.into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            Cow::Borrowed("approvals"),
            MigrationType::Simple,
            SCHEMA_V2.into_sql_str(),
            false,
        ),
        Migration::new(
            3,
            Cow::Borrowed("live grants by requester"),
            MigrationType::Simple,
            SCHEMA_V3.into_sql_str(),
            false,
        ),
        Migration::new(
            SIGNED_HEAD_VERSION,
            Cow::Borrowed("sealed credentials, signed audit head"),
            MigrationType::Simple,
            SCHEMA_V4.into_sql_str(),
            false,
        ),
        Migration::new(
            5,
            Cow::Borrowed("passkeys and approval nonces"),
            MigrationType::Simple,
            SCHEMA_V5.into_sql_str(),
            false,
        ),
        Migration::new(
            6,
            Cow::Borrowed("ssh certificates"),
            MigrationType::Simple,
            SCHEMA_V6.into_sql_str(),
            false,
        ),
        Migration::new(
            7,
            Cow::Borrowed("bundles"),
            MigrationType::Simple,
            SCHEMA_V7.into_sql_str(),
            false,
        ),
        Migration::new(
            8,
            Cow::Borrowed("scheduled and first-use grants"),
            MigrationType::Simple,
            SCHEMA_V8.into_sql_str(),
            false,
        ),
    ]
}

/// Whether the migration to [`SIGNED_HEAD_VERSION`] is already applied (`false` on a new
/// database, which has no migrations table yet).
pub(super) async fn has_signed_head(pool: &AnyPool) -> bool {
    sqlx::query("SELECT version FROM _sqlx_migrations WHERE version = $1 AND success")
        .bind(SIGNED_HEAD_VERSION)
        .fetch_optional(pool)
        .await
        .is_ok_and(|row| row.is_some())
}
