//! The PostgreSQL issuer against a real PostgreSQL server (see `testpg`): logins work and
//! carry the catalog role's privileges, revocation ends sessions and leaves no role behind,
//! hostile names inject nothing, and faults leave no orphaned role.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgConnection, PgSslMode};
use sqlx::{AssertSqlSafe, Connection};

use super::testpg::TestPg;
use super::{PostgresIssuer, sql};
use crate::api::{Credential, ResourceKind, Timestamp};
use crate::broker::catalog::Catalog;
use crate::broker::issuers::{Grant, IssueFuture, Issuer};

const BROKER_PASSWORD: &str = "zt-broker-test-pw";

/// A server with database `app`, group roles `app_readonly`/`app_readwrite`, a `canary` table,
/// and the broker's admin role `zt_broker`: CREATEROLE only, not a superuser, so the tests
/// prove the issuer works with the least privilege it documents.
pub(super) struct Env {
    pub pg: TestPg,
    pub catalog: Catalog,
}

async fn superuser(pg: &TestPg, db: &str) -> PgConnection {
    PgConnection::connect(&pg.superuser_url(db)).await.unwrap()
}

async fn exec(conn: &mut PgConnection, sql: &str) {
    sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .execute(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// `extra_roles`: more `[[resource.role]]` tables for the catalog's resource `db`.
async fn env_with(extra_roles: &str) -> Option<Env> {
    let pg = TestPg::start()?;
    let mut su = superuser(&pg, "postgres").await;
    // Alone: CREATE DATABASE refuses to run inside the implicit transaction of a multi-statement message.
    exec(&mut su, "CREATE DATABASE app").await;
    exec(
        &mut su,
        &format!(
            "CREATE ROLE zt_broker LOGIN CREATEROLE PASSWORD '{BROKER_PASSWORD}'; \
             CREATE ROLE app_readonly NOLOGIN; CREATE ROLE app_readwrite NOLOGIN; \
             CREATE ROLE \"Odd \"\"Group\"\"; --\" NOLOGIN; \
             GRANT CREATE ON SCHEMA public TO app_readwrite;"
        ),
    )
    .await;
    let mut app = superuser(&pg, "app").await;
    exec(
        &mut app,
        "CREATE TABLE canary (v int); INSERT INTO canary VALUES (1); CREATE TABLE x (v int); \
         GRANT SELECT ON canary, x TO app_readonly; \
         GRANT SELECT, INSERT ON canary TO app_readwrite; \
         GRANT SELECT ON canary TO \"Odd \"\"Group\"\"; --\"; \
         GRANT CREATE ON SCHEMA public TO app_readwrite;",
    )
    .await;
    let admin_url = pg.url("zt_broker", BROKER_PASSWORD, "app");
    let text = format!(
        r#"
[[resource]]
name = "db"
kind = "postgres"
default_role = "readonly"
max_ttl = "1h"
settings = {{ issuer = "postgres", admin_url = "{admin_url}", sslmode = "disable", connect_timeout = "1s" }}

[[resource.role]]
name = "readonly"
settings = {{ member_of = "app_readonly" }}

[[resource.role]]
name = "readwrite"
settings = {{ member_of = ["app_readwrite"], connection_limit = 2 }}
{extra_roles}
"#
    );
    let catalog = Catalog::parse(&text).unwrap();
    Some(Env { pg, catalog })
}

pub(super) async fn env() -> Option<Env> {
    env_with("").await
}

impl Env {
    fn issuer(&self) -> Arc<PostgresIssuer> {
        PostgresIssuer::new(self.catalog.resource("db").unwrap()).unwrap()
    }

    fn grant(&self, id: &str, requester: &str, role: &str, ttl: i64) -> Grant {
        let res = self.catalog.resource("db").unwrap();
        let now = Timestamp::now();
        Grant {
            id: id.into(),
            requester: requester.into(),
            resource: "db".into(),
            kind: ResourceKind::Postgres,
            role: role.into(),
            not_before: now,
            expires_at: now.add_secs(ttl),
            settings: res.settings_for(res.role(role).unwrap()),
            ticket: None,
        }
    }

    pub async fn role_exists(&self, name: &str) -> bool {
        let mut su = superuser(&self.pg, "postgres").await;
        sqlx::query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
            .bind(name)
            .fetch_one(&mut su)
            .await
            .unwrap()
    }

    async fn role_names(&self) -> Vec<String> {
        let mut su = superuser(&self.pg, "postgres").await;
        sqlx::query_scalar("SELECT rolname::text FROM pg_roles ORDER BY 1")
            .fetch_all(&mut su)
            .await
            .unwrap()
    }
}

/// Log in as the credential says, over TCP with its password (scram-sha-256).
pub(super) async fn login(c: &Credential) -> Result<PgConnection, sqlx::Error> {
    login_to(c, None).await
}

async fn login_to(c: &Credential, db: Option<&str>) -> Result<PgConnection, sqlx::Error> {
    let Credential::Postgres {
        host,
        port,
        dbname,
        user,
        password,
        ..
    } = c
    else {
        panic!("not a postgres credential: {c:?}")
    };
    let opts = PgConnectOptions::new_without_pgpass()
        .host(host)
        .port(*port)
        .username(user)
        .password(password)
        .database(db.unwrap_or(dbname))
        .ssl_mode(PgSslMode::Disable);
    PgConnection::connect_with(&opts).await
}

pub(super) fn user_of(c: &Credential) -> String {
    match c {
        Credential::Postgres { user, .. } => user.clone(),
        other => panic!("not a postgres credential: {other:?}"),
    }
}

#[tokio::test]
async fn an_issued_role_logs_in_with_the_catalog_roles_privileges_until_the_grant_ends() {
    let Some(env) = env().await else { return };
    let issuer = env.issuer();
    let g = env.grant("g-alice", "Alice.Smith@example.com", "readonly", 600);
    let cred = issuer.issue(&g).await.unwrap();
    let Credential::Postgres {
        host,
        port,
        dbname,
        user,
        password,
        sslmode,
        expires_at,
    } = &cred
    else {
        panic!("{cred:?}")
    };
    assert_eq!(
        (host.as_str(), *port, dbname.as_str(), sslmode.as_str()),
        ("127.0.0.1", env.pg.port, "app", "disable")
    );
    assert!(
        user.starts_with("zt_alice_smith_") && user.len() <= 63,
        "{user}"
    );
    assert!(password.len() >= 32 && password.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(*expires_at, g.expires_at);

    let mut conn = login(&cred).await.unwrap();
    let me: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(&me, user);
    // The privileges come from app_readonly: it may read the canary, not write it.
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM canary")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert!(
        sqlx::query("INSERT INTO canary VALUES (2)")
            .execute(&mut conn)
            .await
            .is_err()
    );
    conn.close().await.unwrap();

    let mut su = superuser(&env.pg, "postgres").await;
    let (valid_until, limit, can_login, member, comment): (i64, i32, bool, bool, String) =
        sqlx::query_as(
            "SELECT extract(epoch FROM rolvaliduntil)::int8, rolconnlimit, rolcanlogin, \
             pg_has_role(oid, 'app_readonly', 'MEMBER'), shobj_description(oid, 'pg_authid') \
             FROM pg_roles WHERE rolname = $1",
        )
        .bind(user)
        .fetch_one(&mut su)
        .await
        .unwrap();
    assert_eq!(
        valid_until, g.expires_at.0,
        "VALID UNTIL is the grant's end"
    );
    assert_eq!((limit, can_login, member), (5, true, true));
    assert_eq!(comment, "zt-grant:g-alice");
    // The password reached the server only as a SCRAM verifier.
    let stored: String = sqlx::query_scalar("SELECT rolpassword FROM pg_authid WHERE rolname = $1")
        .bind(user)
        .fetch_one(&mut su)
        .await
        .unwrap();
    assert!(stored.starts_with("SCRAM-SHA-256$4096:"), "{stored}");

    // The role setting overrides the resource's: readwrite has a limit of 2.
    let rw = issuer
        .issue(&env.grant("g-rw", "carol", "readwrite", 600))
        .await
        .unwrap();
    let limit: i32 = sqlx::query_scalar("SELECT rolconnlimit FROM pg_roles WHERE rolname = $1")
        .bind(user_of(&rw))
        .fetch_one(&mut su)
        .await
        .unwrap();
    assert_eq!(limit, 2);

    // Revoke: gone; again: fine; a grant that never got a role: fine.
    issuer.revoke(&g).await.unwrap();
    assert!(!env.role_exists(user).await);
    assert!(login(&cred).await.is_err());
    issuer.revoke(&g).await.unwrap();
    issuer
        .revoke(&env.grant("g-never", "dave", "readonly", 600))
        .await
        .unwrap();
    assert!(
        env.role_exists(&user_of(&rw)).await,
        "other grants' roles stay"
    );
}

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
async fn hostile_names_and_ids_inject_nothing() {
    let odd = r#"[[resource.role]]
name = "odd"
settings = { member_of = 'Odd "Group"; --' }"#;
    let Some(env) = env_with(odd).await else {
        return;
    };
    let issuer = env.issuer();
    let roles_before = env.role_names().await;
    let long = "x".repeat(200);
    let mut issued = vec![];
    for (i, requester) in [
        "alice'; DROP TABLE x; --",
        "\"bob\"",
        "ünïcode",
        long.as_str(),
        "robert'); DROP ROLE zt_broker; --\\",
    ]
    .into_iter()
    .enumerate()
    {
        // The grant id ends up in a COMMENT literal: hostile too.
        let id = format!("g{i}'; DROP TABLE canary; --\\");
        let g = env.grant(&id, requester, if i == 0 { "odd" } else { "readonly" }, 600);
        let cred = issuer.issue(&g).await.unwrap();
        let user = user_of(&cred);
        assert!(
            user.len() <= 63
                && user.starts_with("zt_")
                && user
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{requester:?} → {user:?}"
        );
        let mut conn = login(&cred).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM canary")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, 1, "the canary survives and the group's privileges work");
        conn.close().await.unwrap();
        issued.push((g, user));
    }
    let mut roles_after = env.role_names().await;
    roles_after.retain(|r| !issued.iter().any(|(_, u)| u == r));
    assert_eq!(
        roles_after, roles_before,
        "no other role was made or dropped"
    );
    let mut app = superuser(&env.pg, "app").await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    )
    .fetch_all(&mut app)
    .await
    .unwrap();
    assert_eq!(tables, ["canary", "x"]);
    for (g, user) in &issued {
        issuer.revoke(g).await.unwrap();
        assert!(!env.role_exists(user).await, "{user}");
    }

    // The quoting itself, through the server: literals read back as written, whatever
    // standard_conforming_strings says; identifiers name exactly the role.
    for scs in ["on", "off"] {
        exec(
            &mut app,
            &format!("SET standard_conforming_strings = {scs}"),
        )
        .await;
        for s in [
            "plain",
            "it's",
            "back\\slash\\'",
            "'; DROP TABLE canary; --",
            "ünï\"cödé",
            "",
        ] {
            let back: String = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT {}::text",
                sql::quote_literal(s).unwrap()
            )))
            .fetch_one(&mut app)
            .await
            .unwrap();
            assert_eq!(back, s, "standard_conforming_strings={scs}");
        }
    }
    let name = "Odd \"Group\"; --";
    let found: String = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT {}::regrole::text",
        sql::quote_literal(&sql::quote_ident(name).unwrap()).unwrap()
    )))
    .fetch_one(&mut app)
    .await
    .unwrap();
    assert_eq!(found, sql::quote_ident(name).unwrap());
}

#[tokio::test]
async fn faults_give_clear_errors_and_leave_no_role() {
    let Some(env) = env_with(
        "[[resource.role]]\nname = \"broken\"\nsettings = { member_of = [\"app_readonly\", \"no_such_group\"] }",
    )
    .await
    else {
        return;
    };
    let issuer = env.issuer();
    let roles_before = env.role_names().await;

    // A GRANT failing after CREATE ROLE succeeded: the whole message is rolled back.
    let g = env.grant("g-broken", "frank", "broken", 600);
    let e = issuer.issue(&g).await.unwrap_err().to_string();
    assert!(
        e.contains("creating the login role failed") && e.contains("no_such_group"),
        "{e}"
    );
    assert_eq!(env.role_names().await, roles_before, "no orphaned role");
    issuer.revoke(&g).await.unwrap();

    // The target unreachable (a port nothing listens on).
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = format!(
        "[[resource]]\nname = \"db\"\nkind = \"postgres\"\ndefault_role = \"readonly\"\n\
         max_ttl = \"1h\"\nsettings = {{ issuer = \"postgres\", connect_timeout = \"1s\", \
         admin_url = \"postgres://zt_broker:{BROKER_PASSWORD}@127.0.0.1:{closed}/app\" }}\n\
         [[resource.role]]\nname = \"readonly\"\n"
    );
    let down = Catalog::parse(&text).unwrap();
    let issuer = PostgresIssuer::new(down.resource("db").unwrap()).unwrap();
    let mut g = env.grant("g-down", "gina", "readonly", 600);
    g.settings = down.resource("db").unwrap().settings.clone();
    let started = Instant::now();
    let e = issuer.issue(&g).await.unwrap_err().to_string();
    eprintln!("unreachable target: {:?}: {e}", started.elapsed());
    assert!(
        e.contains("cannot connect") && e.contains(&format!("127.0.0.1:{closed}")),
        "{e}"
    );
    assert!(!e.contains(BROKER_PASSWORD), "{e}");
    assert!(e.to_lowercase().contains("refused"), "names the cause: {e}");
    assert!(
        issuer.revoke(&g).await.is_err(),
        "revoke fails, so the reaper retries"
    );
    assert_eq!(env.role_names().await, roles_before);
}

#[tokio::test]
async fn issue_latency_against_a_local_server() {
    let Some(env) = env().await else { return };
    let issuer = env.issuer();
    let mut issue = vec![];
    let mut revoke = vec![];
    let mut cold = None;
    for i in 0..21 {
        let g = env.grant(&format!("g-lat-{i}"), "lat", "readonly", 600);
        let t = Instant::now();
        issuer.issue(&g).await.unwrap();
        let took = t.elapsed();
        // The first issue opens the pool's connection (TCP + SCRAM): reported on its own.
        if i == 0 {
            cold = Some(took);
        } else {
            issue.push(took);
        }
        let t = Instant::now();
        issuer.revoke(&g).await.unwrap();
        revoke.push(t.elapsed());
    }
    // Of each issue, the SCRAM verifier (4096 PBKDF2-HMAC-SHA256 rounds, here) is this much.
    let mut scram: Vec<_> = (0..20)
        .map(|_| {
            let t = Instant::now();
            sql::scram_verifier("x".repeat(40).as_str(), &[0; 16], sql::SCRAM_ITERATIONS);
            t.elapsed()
        })
        .collect();
    scram.sort();
    issue.sort();
    revoke.sort();
    eprintln!(
        "postgres issuer latency (debug build, local PostgreSQL): issue median {:?} of {} \
         (min {:?}, max {:?}; first, opening the connection: {:?}; SCRAM verifier median \
         {:?}); revoke median {:?}",
        issue[issue.len() / 2],
        issue.len(),
        issue[0],
        issue[issue.len() - 1],
        cold.unwrap_or_default(),
        scram[scram.len() / 2],
        revoke[revoke.len() / 2],
    );
}

/// Stands in for the dev issuer in the selection test.
pub(super) struct Dev;

impl Issuer for Dev {
    fn issue<'a>(&'a self, _: &'a Grant) -> IssueFuture<'a, Credential> {
        Box::pin(async { Err(crate::broker::issuers::IssueError("dev".into())) })
    }
    fn revoke<'a>(&'a self, _: &'a Grant) -> IssueFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn the_issuer_setting_selects_the_issuer_and_bad_settings_stop_the_start() {
    use crate::broker::issuers::for_resource;
    let dev: Arc<dyn Issuer> = Arc::new(Dev);
    // The demo catalog has no issuer settings: all dev.
    for res in Catalog::demo().unwrap().resources() {
        let got = for_resource(res, dev.clone()).unwrap();
        assert!(Arc::ptr_eq(&got, &dev), "{}", res.name);
    }
    let cat = |settings: &str, role: &str| {
        Catalog::parse(&format!(
            "[[resource]]\nname = \"db\"\nkind = \"postgres\"\ndefault_role = \"r\"\n\
             max_ttl = \"1h\"\nsettings = {{ {settings} }}\n\
             [[resource.role]]\nname = \"r\"\nsettings = {{ {role} }}\n"
        ))
        .unwrap()
    };
    let url = "admin_url = \"postgres://u:p@127.0.0.1:1/app\"";
    let ok = cat(&format!("issuer = \"postgres\", {url}"), "");
    let got = for_resource(ok.resource("db").unwrap(), dev.clone()).unwrap();
    assert!(
        !Arc::ptr_eq(&got, &dev),
        "the postgres issuer, lazily connected"
    );
    // admin_url_env is read at start-up; PATH is always set and is no URL.
    let from_env = cat("issuer = \"postgres\", admin_url_env = \"PATH\"", "");
    let e = for_resource(from_env.resource("db").unwrap(), dev.clone())
        .err()
        .unwrap_or_default();
    assert!(e.contains("not a valid postgres:// URL"), "{e}");
    for (settings, role, why) in [
        ("issuer = \"postgress\"", "", "no issuer \"postgress\""),
        (
            "issuer = \"postgres\"",
            "",
            "needs admin_url or admin_url_env",
        ),
        (
            "issuer = \"postgres\", admin_url_env = \"ZT_TEST_PG_UNSET_VAR\"",
            "",
            "ZT_TEST_PG_UNSET_VAR, which is not set",
        ),
        (
            &format!("issuer = \"postgres\", {url}, member-of = \"x\""),
            "",
            "unknown setting member-of",
        ),
        (
            &format!("issuer = \"postgres\", {url}"),
            url,
            "resource setting",
        ),
        (
            &format!("issuer = \"postgres\", {url}"),
            "sslmode = \"sure\"",
            "sslmode",
        ),
        (
            &format!("issuer = \"postgres\", {url}"),
            "connection_limit = 0",
            "connection_limit",
        ),
        (
            &format!("issuer = \"postgres\", {url}"),
            "member_of = [1]",
            "member_of",
        ),
        (
            "issuer = \"postgres\", admin_url = \"mysql://x\"",
            "",
            "not a valid postgres:// URL",
        ),
    ] {
        let e = for_resource(cat(settings, role).resource("db").unwrap(), dev.clone())
            .err()
            .unwrap_or_else(|| panic!("accepted: {settings} / {role}"));
        assert!(e.contains(why), "{settings} / {role}: {e}");
        assert!(!e.contains("u:p@"), "no URL in errors: {e}");
    }
    let aws = Catalog::parse(
        "[[resource]]\nname = \"a\"\nkind = \"aws\"\ndefault_role = \"r\"\nmax_ttl = \"1h\"\n\
         settings = { issuer = \"postgres\" }\n[[resource.role]]\nname = \"r\"\n",
    )
    .unwrap();
    assert!(for_resource(aws.resource("a").unwrap(), dev).is_err());
}
