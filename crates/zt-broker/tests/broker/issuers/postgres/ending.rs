//! How an issued login ends: revoke ends its open sessions and drops the role even when it
//! owns objects; a grant that ends without a revoke stops new logins; an extended grant keeps
//! the same password working past the old end.

use super::*;

#[tokio::test]
async fn revoke_ends_open_sessions_and_drops_a_role_that_owns_objects_in_two_databases() {
    let Some(env) = env().await else { return };
    let issuer = env.issuer();
    let g = env.grant("g-bob", "bob", "readwrite", 600);
    let cred = issuer.issue(&g).await.unwrap();
    let user = user_of(&cred);
    let mut held = login(&cred).await.unwrap();
    exec(
        &mut held,
        "CREATE TABLE bobs (v int); INSERT INTO canary VALUES (2);",
    )
    .await;
    // And something in a database the broker's admin connection is not on.
    let mut elsewhere = login_to(&cred, Some("postgres")).await.unwrap();
    exec(&mut elsewhere, "CREATE TABLE bobs_elsewhere (v int)").await;
    elsewhere.close().await.unwrap();

    let started = Instant::now();
    issuer.revoke(&g).await.unwrap();
    eprintln!(
        "revoke with an open session and owned objects took {:?}",
        started.elapsed()
    );

    assert!(
        sqlx::query("SELECT 1").execute(&mut held).await.is_err(),
        "the session opened before the revoke was terminated"
    );
    assert!(login(&cred).await.is_err(), "no new login");
    assert!(!env.role_exists(&user).await, "the role is gone");
    // What it made is kept, owned by the broker's admin role (REASSIGN OWNED).
    for (db, table) in [("app", "bobs"), ("postgres", "bobs_elsewhere")] {
        let mut su = superuser(&env.pg, db).await;
        let owner: String =
            sqlx::query_scalar("SELECT tableowner::text FROM pg_tables WHERE tablename = $1")
                .bind(table)
                .fetch_one(&mut su)
                .await
                .unwrap();
        assert_eq!(owner, "zt_broker", "{db}.{table}");
    }
    issuer.revoke(&g).await.unwrap();
}

#[tokio::test]
async fn a_grant_that_ends_without_revoke_stops_new_logins() {
    let Some(env) = env().await else { return };
    let issuer = env.issuer();
    let g = env.grant("g-short", "erin", "readonly", 2);
    let cred = issuer.issue(&g).await.unwrap();
    let mut before = login(&cred).await.unwrap();
    let wait = (g.expires_at.0 + 1 - Timestamp::now().0).max(0) as u64;
    tokio::time::sleep(Duration::from_millis(wait * 1000 + 200)).await;
    let e = login(&cred).await.unwrap_err();
    assert!(
        e.to_string().contains("password authentication failed"),
        "{e}"
    );
    // The client is told only that authentication failed; the server log says why.
    let log = std::fs::read_to_string(env.pg.log()).unwrap();
    let why = format!("User \"{}\" has an expired password", user_of(&cred));
    assert!(log.contains(&why), "server log lacks {why:?}");
    // Why revoke must terminate sessions: VALID UNTIL does not end an open one.
    sqlx::query("SELECT 1").execute(&mut before).await.unwrap();
    issuer.revoke(&g).await.unwrap();
    assert!(sqlx::query("SELECT 1").execute(&mut before).await.is_err());
}

#[tokio::test]
async fn an_extended_grant_keeps_the_same_password_working_past_the_old_end() {
    let Some(env) = env().await else { return };
    let issuer = env.issuer();
    let mut g = env.grant("g-ext", "frank", "readonly", 2);
    let cred = issuer.issue(&g).await.unwrap();
    // The grant now ends an hour from now; nothing else changes at the client.
    g.expires_at = Timestamp::now().add_secs(3600);
    assert!(issuer.extend(&g).await.unwrap());
    let wait = (g.not_before.0 + 3 - Timestamp::now().0).max(0) as u64;
    tokio::time::sleep(Duration::from_millis(wait * 1000 + 200)).await;
    let mut conn = login(&cred)
        .await
        .expect("the old password logs in after the old end");
    sqlx::query("SELECT 1").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    let mut su = superuser(&env.pg, "postgres").await;
    let until: i64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM rolvaliduntil)::int8 FROM pg_roles WHERE rolname = $1",
    )
    .bind(user_of(&cred))
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(until, g.expires_at.0);
    // A grant with no role at the target (never minted, or revoked) has nothing to extend.
    issuer.revoke(&g).await.unwrap();
    assert!(!issuer.extend(&g).await.unwrap());
}
