//! Minted credentials at rest, through a whole broker on each store: while the grant is live
//! the database holds the secret only sealed (never its bytes), bound to its grant; once the
//! grant expires (the reaper) or is revoked, nothing of it is left; the SQLite files are 0600.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{outside, sqlite_url};
use sqlx::Connection;
use zt_api::Timestamp;
use zt_broker::store::{Store, StoreError, StoreKey};
use zt_testkit::broker::TestBroker;
use zt_testkit::pg::TestPg;

/// The stored `credential` column of grant `id` in the database at `url`; `None` without a
/// row.
async fn stored(url: &str, id: &str) -> Option<String> {
    use sqlx::Row;
    let mut conn = outside(url).await;
    let row = sqlx::query("SELECT credential FROM credentials WHERE grant_id = $1")
        .bind(id)
        .fetch_optional(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    row.map(|r| r.get::<String, _>("credential"))
}

/// The password of a granted prod-db credential (a fresh one per grant).
async fn password(t: &TestBroker, id: &str) -> String {
    let r = t
        .post("alice", &format!("/v1/grants/{id}/credentials"), None)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    fn find(v: &Value) -> Option<String> {
        match v {
            Value::Object(m) => m
                .get("password")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| m.values().find_map(find)),
            _ => None,
        }
    }
    let pw = find(&r.body).expect("a password in the credential");
    assert!(pw.len() >= 16, "{pw}");
    pw
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

async fn gone_within(url: &str, id: &str, within: Duration) {
    let started = Instant::now();
    while stored(url, id).await.is_some() {
        assert!(
            started.elapsed() < within,
            "{id}'s credential row is still there"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `url`: the broker's database, for a look from outside the broker.
async fn sealed_while_live_then_gone(t: &TestBroker, url: &str) {
    let s = &t.broker.store;
    // Expired by the reaper.
    let short = t.create("alice", "prod-db", "readonly", 2).await.id();
    let pw = password(t, &short).await;
    let sealed = stored(url, &short).await.expect("a row while live");
    assert!(
        sealed.starts_with("zt1:") && !sealed.contains(&pw),
        "{sealed}"
    );
    // Revoked by its requester.
    let long = t.create("alice", "prod-db", "readonly", 600).await.id();
    let pw2 = password(t, &long).await;
    if let Some(dir) = &t.dir {
        // SQLite: not in the database file, its WAL, or anywhere beside them.
        for secret in [&pw, &pw2] {
            assert_eq!(files_holding(dir.path(), secret), Vec::<String>::new());
        }
    }
    // Bound to its grant: moved to another grant's row, it does not open.
    sqlx::query("UPDATE credentials SET credential = $1 WHERE grant_id = $2")
        .bind(&sealed)
        .bind(&long)
        .execute(&mut outside(url).await)
        .await
        .unwrap();
    let e = s
        .live_credential(&long, Timestamp::now())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::Unreadable(m) if m.contains(&long) && m.contains("revoke")),
        "{e}"
    );
    // The credential call says so for this grant (409, not a crash), and a revoke still works.
    let r = t
        .post("alice", &format!("/v1/grants/{long}/credentials"), None)
        .await;
    assert_eq!(r.status, 409, "{:?}", r.body);
    assert!(r.body["detail"].as_str().unwrap().contains("does not open"));
    let r = t
        .post("alice", &format!("/v1/grants/{long}/revoke"), None)
        .await;
    assert!(r.status < 300, "{:?}", r.body);
    assert_eq!(stored(url, &long).await, None, "revoked: the row is gone");
    gone_within(url, &short, Duration::from_secs(6)).await;
}

#[tokio::test]
async fn credentials_are_sealed_while_live_and_gone_after_expiry_or_revoke_sqlite() {
    let t = TestBroker::start().await;
    let dir = t.dir.as_ref().unwrap().path().to_owned();
    sealed_while_live_then_gone(&t, &sqlite_url(&dir.join("broker.sqlite"))).await;
    // (Whatever the umask: the process's is usually 022, which gives new files 0644.)
    for name in [
        "broker.sqlite",
        "broker.sqlite-wal",
        "broker.sqlite-shm",
        "broker.sqlite.key",
    ] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{name}");
    }
    t.stop().await;
}

#[tokio::test]
async fn credentials_are_sealed_while_live_and_gone_after_expiry_or_revoke_postgres() {
    let Some(pg) = TestPg::start() else { return };
    let url = pg.superuser_url("postgres");
    let t = TestBroker::start_on_postgres(&url).await;
    sealed_while_live_then_gone(&t, &url).await;
    t.stop().await;
}

#[tokio::test]
async fn a_credential_sealed_under_another_key_is_a_clear_error_for_its_grant_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.sqlite");
    let s = Store::open_keyed(&db, StoreKey::random()).await.unwrap();
    super::in_state(&s, "g", zt_api::State::Approved).await;
    let cred = zt_api::Credential::Postgres {
        host: "h".into(),
        port: 5432,
        dbname: "d".into(),
        user: "u".into(),
        password: "pw-0123456789".into(),
        sslmode: String::new(),
        expires_at: Timestamp::now().add_secs(60),
    };
    s.save_credential("g", zt_api::State::Approved, &cred, None, super::audit("i"))
        .await
        .unwrap();
    s.close().await;
    let s = Store::open_keyed(&db, StoreKey::random()).await.unwrap();
    let e = s.live_credential("g", Timestamp::now()).await.unwrap_err();
    let StoreError::Unreadable(m) = e else {
        panic!("{e}")
    };
    assert!(m.contains("grant g") && m.contains("does not have"), "{m}");
    s.close().await;
}
