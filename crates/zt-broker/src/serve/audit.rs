//! `zt-broker audit verify`: walk the audit log's hash chain in a broker's store (found through
//! its configuration file, or a dev broker's data directory), check its end against the head
//! signed with the store's key, and say whether it is intact.

use crate::cli::StoreArgs;
use crate::config::{Config, DB_FILE, StoreUrl};
use crate::error::{Error, Result};
use crate::store::KeySource;

/// The exit code of a chain that does not check out (1 stays "could not even read it").
pub const BROKEN: u8 = 3;

/// The store `args` points at, and its key. A SQLite file must exist: verifying never
/// creates a store, nor a key.
pub(super) fn database(args: &StoreArgs) -> Result<(StoreUrl, KeySource)> {
    let (url, key) = match (&args.config, &args.data_dir) {
        (Some(config), _) => {
            let cfg = Config::load(config)?;
            (cfg.store, cfg.store_key)
        }
        (None, Some(dir)) => {
            let db = dir.join(DB_FILE);
            let mut key = db.as_os_str().to_owned();
            key.push(".key");
            let key = KeySource::File {
                path: key.into(),
                create: true,
            };
            (StoreUrl::Sqlite(db), key)
        }
        (None, None) => return Err(Error::usage("give --config FILE or --data-dir DIR")),
    };
    let key = match key {
        KeySource::File { path, .. } => KeySource::File {
            path,
            create: false,
        },
        env => env,
    };
    if let StoreUrl::Sqlite(db) = &url
        && !db.is_file()
    {
        return Err(
            Error::other(format!("no audit log: {} does not exist", db.display()))
                .with_hint("is this the store the broker uses?"),
        );
    }
    Ok((url, key))
}

/// `Ok(line)` for an intact chain; an error naming the first broken row otherwise.
pub async fn verify(url: &StoreUrl, key: &KeySource) -> Result<String> {
    let store = super::open_store(url, key)
        .await
        .map_err(|e| match e.hint {
            Some(_) if e.message.contains("credential key") => e.with_hint(
                "verify needs the key that signs the audit head; a store last used by a broker \
             from before signed heads has none until the broker's next start makes it",
            ),
            _ => e,
        })?;
    let result = store.verify_audit_chain().await;
    store.close().await;
    match result {
        Ok(n) => Ok(format!("audit: {n} rows, chain intact")),
        Err(broken) => Err(Error {
            message: format!("audit chain broken in {}: {broken}", url.describe()),
            hint: Some(
                "rows were edited, deleted or reordered after they were written; compare with \
                 a backup or the rows shipped off this machine"
                    .into(),
            ),
            code: BROKEN,
        }),
    }
}

pub async fn verify_main(args: &StoreArgs) -> Result<()> {
    let (url, key) = database(args)?;
    println!("{}", verify(&url, &key).await?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::BROKEN;
    use crate::config::StoreUrl;
    use crate::store::{AuditEntry, KeySource, Store};

    async fn verify(db: &Path) -> crate::error::Result<String> {
        let key = KeySource::File {
            path: db.with_extension("sqlite.key"),
            create: false,
        };
        super::verify(&StoreUrl::Sqlite(db.to_owned()), &key).await
    }

    async fn three_rows(db: &Path) {
        let store = Store::open(db).await.unwrap();
        for (i, action) in ["request.create", "grant.extend", "grant.revoke"]
            .iter()
            .enumerate()
        {
            let e = AuditEntry::new("alice@example.com", *action, Some("r1"))
                .detail(format!("row {}", i + 1));
            store.append_audit(e).await.unwrap();
        }
        store.close().await;
    }

    /// Change the file behind the broker's back, as someone with access to it could.
    async fn tamper(db: &Path, sql: &str) {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let done = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut c)
            .await
            .unwrap();
        assert_eq!(done.rows_affected(), 1, "{sql}");
        c.close().await.unwrap();
    }

    #[tokio::test]
    async fn an_intact_chain_then_an_edited_row_then_a_deleted_one() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("broker.sqlite");
        three_rows(&db).await;
        assert_eq!(verify(&db).await.unwrap(), "audit: 3 rows, chain intact");

        tamper(
            &db,
            "UPDATE audit SET detail = 'nothing happened' WHERE seq = 2",
        )
        .await;
        let e = verify(&db).await.unwrap_err();
        assert_eq!(e.code, BROKEN);
        assert!(
            e.message.contains("audit row 2 was altered"),
            "{}",
            e.message
        );

        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("broker.sqlite");
        three_rows(&db).await;
        tamper(&db, "DELETE FROM audit WHERE seq = 2").await;
        let e = verify(&db).await.unwrap_err();
        assert_eq!(e.code, BROKEN);
        assert!(
            e.message.contains("audit row 3 does not follow row 1"),
            "{}",
            e.message
        );
    }

    #[tokio::test]
    async fn an_empty_log_is_intact_and_a_missing_store_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("broker.sqlite");
        Store::open(&db).await.unwrap().close().await;
        assert_eq!(verify(&db).await.unwrap(), "audit: 0 rows, chain intact");
        let args = crate::cli::StoreArgs {
            config: None,
            data_dir: Some(dir.path().join("nowhere")),
        };
        let e = super::database(&args).unwrap_err();
        assert_eq!(e.code, 1);
        assert!(e.message.contains("does not exist"), "{}", e.message);
    }
}
