//! The PostgreSQL issuer against a real PostgreSQL server (`zt_testkit::pg`): logins work and
//! carry the catalog role's privileges, revocation ends sessions and leaves no role behind
//! (`ending`, with a grant's end and its extension),
//! hostile names inject nothing and faults leave no orphaned role (`faults`), its latency, and
//! the issuer inside the broker's lifecycle and reaper (`lifecycle`). (Its selection by the
//! `issuer` setting is a unit test in `src/issuers/postgres/`.)

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgConnection, PgSslMode};
use sqlx::{AssertSqlSafe, Connection};

use zt_api::{Credential, ResourceKind, Timestamp};
use zt_broker::catalog::Catalog;
use zt_broker::issuers::postgres::{PostgresIssuer, sql};
use zt_broker::issuers::{Grant, IssueFuture, Issuer};
use zt_testkit::pg::TestPg;

mod ending;
mod faults;
mod lifecycle;

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

    pub(super) async fn role_exists(&self, name: &str) -> bool {
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

/// Stands in for the dev issuer beside the PostgreSQL one (`lifecycle`).
pub(super) struct Dev;

impl Issuer for Dev {
    fn issue<'a>(&'a self, _: &'a Grant) -> IssueFuture<'a, Credential> {
        Box::pin(async { Err(zt_broker::issuers::IssueError("dev".into())) })
    }
    fn revoke<'a>(&'a self, _: &'a Grant) -> IssueFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
}
