//! `zt-broker audit verify` on a real dev broker's data directory: intact after a session of
//! requests, then broken — and the broken row named — once a row is edited in the SQLite file.

use crate::common::Out;
use crate::common::broker::Broker;
use crate::common::world::World;

fn verify(dir: &std::path::Path) -> Out {
    let w = World::new();
    w.run_cmd(
        crate::common::broker_bin(),
        &["audit", "verify", "--data-dir", dir.to_str().unwrap()],
    )
}

#[test]
fn audit_verify_names_the_row_edited_in_the_store() {
    let data = tempfile::tempdir().unwrap();
    {
        let broker = Broker::start(&[
            "--auto-login",
            "alice",
            "--data-dir",
            data.path().to_str().unwrap(),
        ]);
        let alice = World::new();
        alice.login(&broker);
        let grant = alice.request(&["prod-k8s", "--ttl", "10m", "--reason", "INC-1"]);
        alice.run(&["revoke", &grant]).ok();
    } // the broker stops here

    let out = verify(data.path());
    out.ok();
    let line = out.stdout.trim();
    assert!(
        line.starts_with("audit: ") && line.ends_with(" rows, chain intact"),
        "{line}"
    );

    // Someone with access to the file rewrites who did the first thing.
    let db = data.path().join("broker.sqlite");
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
                .await
                .unwrap();
            let done = sqlx::query("UPDATE audit SET actor = 'someone-else' WHERE seq = 1")
                .execute(&mut c)
                .await
                .unwrap();
            assert_eq!(done.rows_affected(), 1);
            c.close().await.unwrap();
        });
    let out = verify(data.path());
    assert_eq!(out.code, 3, "{out:#?}");
    assert!(
        out.stderr.contains("audit row 1 was altered"),
        "{}",
        out.stderr
    );
}

/// Run `sql` on the dev broker's SQLite file, as someone with access to it could.
fn tamper(db: &std::path::Path, sql: &str) -> u64 {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
                .await
                .unwrap();
            let done = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut c)
                .await
                .unwrap();
            c.close().await.unwrap();
            done.rows_affected()
        })
}

#[test]
fn audit_verify_names_the_newest_rows_deleted_and_the_next_broker_flags_the_cut() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let session = || {
        let broker = Broker::start(&["--auto-login", "alice", "--data-dir", dir]);
        let alice = World::new();
        alice.login(&broker);
        let grant = alice.request(&["prod-k8s", "--ttl", "10m", "--reason", "INC-2"]);
        alice.run(&["revoke", &grant]).ok();
    };
    session();
    verify(data.path()).ok();
    let db = data.path().join("broker.sqlite");
    // The newest two rows (the revocation) go; what is left still links up.
    assert_eq!(
        tamper(
            &db,
            "DELETE FROM audit WHERE seq > (SELECT MAX(seq) - 2 FROM audit)"
        ),
        2
    );
    let out = verify(data.path());
    assert_eq!(out.code, 3, "{out:#?}");
    assert!(
        out.stderr.contains("were deleted: the signed head is row"),
        "{}",
        out.stderr
    );
    // A broker started on the cut log does not quietly chain onto it: verify still fails,
    // on the gap row it wrote.
    session();
    let out = verify(data.path());
    assert_eq!(out.code, 3, "{out:#?}");
    assert!(
        out.stderr
            .contains("records that the log was cut or rewound"),
        "{}",
        out.stderr
    );
}
