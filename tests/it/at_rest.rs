//! Minted credentials at rest in a real `zt-broker dev` started with umask 022: the files of
//! its data directory (database, WAL, shared memory, key) are 0600; the AWS secret key and
//! session token it handed to `zt` are in none of their bytes while the grant is live; after
//! `zt revoke` the grant's credential row is gone from the database.

use std::path::Path;

use crate::common::broker::Broker;
use crate::common::world::{World, mode};

/// The files in `dir` whose bytes contain `needle`.
fn holding(dir: &Path, needle: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            std::fs::read(p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
        })
        .map(|p| p.display().to_string())
        .collect()
}

/// The rows of `credentials` for `grant`, read from the SQLite file directly.
fn credential_rows(db: &Path, grant: &str) -> i64 {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            use sqlx::{Connection, Row};
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
                .await
                .unwrap();
            let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM credentials WHERE grant_id = ?")
                .bind(grant)
                .fetch_one(&mut c)
                .await
                .unwrap()
                .get("n");
            c.close().await.unwrap();
            n
        })
}

#[test]
fn the_brokers_files_are_0600_and_hold_no_minted_secret_and_a_revoked_one_is_gone() {
    let data = tempfile::tempdir().unwrap();
    let broker = Broker::start_with_umask(
        &[
            "--auto-login",
            "alice",
            "--data-dir",
            data.path().to_str().unwrap(),
        ],
        &[],
        Some(0o022),
    );
    let w = World::new();
    w.login(&broker);
    let grant = w.request(&["prod-aws", "--ttl", "20m"]);
    let env = w.env_of(&grant);
    let secrets: Vec<String> = ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]
        .iter()
        .map(|k| {
            env[*k]
                .as_str()
                .unwrap_or_else(|| panic!("{k}: {env:?}"))
                .to_string()
        })
        .collect();

    for name in [
        "broker.sqlite",
        "broker.sqlite-wal",
        "broker.sqlite-shm",
        "broker.sqlite.key",
    ] {
        let p = data.path().join(name);
        assert!(p.exists(), "{name}");
        assert_eq!(mode(&p), 0o600, "{name}");
    }
    for s in &secrets {
        assert_eq!(
            holding(data.path(), s),
            Vec::<String>::new(),
            "a live secret at rest"
        );
    }
    let db = data.path().join("broker.sqlite");
    assert_eq!(credential_rows(&db, &grant), 1);

    w.run(&["revoke", &grant]).ok();
    assert_eq!(
        credential_rows(&db, &grant),
        0,
        "the revoked grant's credential row is gone"
    );
    for s in &secrets {
        assert_eq!(holding(data.path(), s), Vec::<String>::new());
    }
}
