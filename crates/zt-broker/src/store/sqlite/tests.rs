//! SQLite's own parts, seen from inside the store: a write transaction dropped half-way is
//! rolled back on the writer connection, and a store that an earlier version left with
//! credentials in clear is rid of them (and of their stale copies) at upgrade. (The store's
//! behaviour through its API, on SQLite and on PostgreSQL, is tested in
//! `tests/broker/store/`.)

use crate::store::{AuditEntry, Store};
use zt_api::Timestamp;

async fn sqlite() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("t.sqlite")).await.unwrap();
    (dir, s)
}

fn audit(action: &str) -> AuditEntry {
    AuditEntry::new("tester", action, None)
}

/// The stored `credential` column of grant `id`; `None` without a row.
async fn stored(s: &Store, id: &str) -> Option<String> {
    use sqlx::Row;
    let row = sqlx::query("SELECT credential FROM credentials WHERE grant_id = $1")
        .bind(id)
        .fetch_optional(&mut *s.read().await.unwrap())
        .await
        .unwrap();
    row.map(|r| r.get::<String, _>("credential"))
}

/// Every byte of every file in `dir` (the database, its WAL and shared memory, the key).
fn files_holding(dir: &std::path::Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if let Ok(bytes) = std::fs::read(&p)
            && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        {
            hits.push(p.display().to_string());
        }
    }
    hits
}

/// SQLite's writer connection is in no pool: a write transaction dropped half-way (its
/// request cancelled) is rolled back, and the writers after it find the connection usable
/// and the chain whole.
#[tokio::test]
async fn a_write_dropped_half_way_is_rolled_back() {
    let (_dir, s) = sqlite().await;
    s.append_audit(audit("first")).await.unwrap();
    {
        let mut tx = s.write().await.unwrap();
        crate::store::audit::chain::append_in(&mut tx, &audit("never"), Timestamp::now())
            .await
            .unwrap();
        // Dropped without a commit.
    }
    s.append_audit(audit("second")).await.unwrap();
    let actions: Vec<String> = s
        .audit_rows(0, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.entry.action)
        .collect();
    assert_eq!(actions, ["first", "second"]);
    assert_eq!(s.verify_audit_chain().await, Ok(2));

    // Writes dropped at every point of their way (waiting for the turn, in `BEGIN`, in the
    // INSERT, in `COMMIT`): each next write succeeds, and the chain holds whatever landed.
    for i in 0..60 {
        let cancelled = s.append_audit(audit("cancelled"));
        let _ = tokio::time::timeout(std::time::Duration::from_micros(i * 25), cancelled).await;
        s.append_audit(audit("after")).await.unwrap();
    }
    let rows = s.audit_rows(0, 1000).await.unwrap();
    assert_eq!(rows.last().map(|r| r.entry.action.as_str()), Some("after"));
    assert_eq!(s.verify_audit_chain().await, Ok(rows.len()));
}

#[tokio::test]
async fn credentials_stored_in_clear_by_an_earlier_version_are_gone_from_the_file_at_upgrade() {
    use sqlx::any::AnyPoolOptions;
    use sqlx::migrate::Migrator;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.sqlite");
    let plain = "plain-secret-from-schema-3";
    // The store as version 3 left it: a credential in clear.
    {
        crate::store::schema::install_drivers();
        let url = super::sqlite_url(&db);
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap();
        let v3 = Migrator::with_migrations(
            crate::store::schema::migrations()
                .into_iter()
                .take(3)
                .collect(),
        );
        v3.run(&pool).await.unwrap();
        // As earlier versions wrote it: without secure delete, so that an updated row leaves
        // its old bytes in the page's free space too.
        sqlx::query("PRAGMA foreign_keys = OFF; PRAGMA secure_delete = OFF")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO credentials (grant_id, kind, credential, token_sha256, expires_at, \
             created_at, revoked_at) VALUES ('g', 'postgres', $1, NULL, 9999999999, 0, NULL)",
        )
        .bind(format!(
            "{{\"password\":\"{plain}\",\"padding\":\"{}\"}}",
            "x".repeat(200)
        ))
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("UPDATE credentials SET credential = $1")
            .bind(format!("{{\"password\":\"{plain}\"}}"))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    let before = std::fs::read(&db).unwrap();
    let copies = before
        .windows(plain.len())
        .filter(|w| *w == plain.as_bytes())
        .count();
    assert_eq!(copies, 2, "the test starts in clear, with a stale copy");
    let s = Store::open(&db).await.unwrap();
    assert_eq!(files_holding(dir.path(), plain), Vec::<String>::new());
    // Forgotten (the next credential call mints afresh); the row stays for the revoke owed.
    assert_eq!(stored(&s, "g").await.as_deref(), Some(""));
    assert_eq!(
        s.live_credential("g", Timestamp::now()).await.unwrap(),
        None
    );
    assert_eq!(s.verify_audit_chain().await, Ok(0));
    s.close().await;
}
