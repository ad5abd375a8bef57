//! `zt-broker audit verify` on a real dev broker's data directory: intact after a session of
//! requests, then broken — and the broken row named — once a row is edited in the SQLite file.

use crate::common::Out;
use crate::common::broker::Broker;
use crate::common::world::World;

fn verify(dir: &std::path::Path) -> Out {
    let w = World::new();
    w.run_cmd(
        env!("CARGO_BIN_EXE_zt-broker"),
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
