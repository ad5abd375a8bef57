//! The PostgreSQL issuer itself (see the module above for what it does): its lazy pool, the
//! role it makes per credential, and the revoke that finds every role of a grant.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection};

use super::settings::Admin;
use super::sql;
use crate::catalog::Resource;
use crate::crypto::{self, ALNUM, LOWER_ALNUM};
use crate::issuers::{Grant, IssueError, IssueFuture, Issuer};
use zt_api::Credential;

/// Issue and revoke are a few statements each; two connections let one wait on a lock while
/// the other keeps issuing.
const POOL_SIZE: u32 = 2;
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// 40 characters of [A-Za-z0-9]: 238 bits, and nothing that needs escaping in `.pgpass`
/// (`:` and `\`), a URL or a shell.
const PASSWORD_LEN: usize = 40;
/// 12 of [a-z0-9] after the requester: 62 bits, so two credentials never share a name.
const NAME_SUFFIX_LEN: usize = 12;
/// How long a revoke waits for each terminated session to be gone (`pg_terminate_backend`'s
/// timeout, PostgreSQL 14+), so nothing of it is left when the role is dropped.
const TERMINATE_WAIT_MS: i64 = 5000;

pub struct PostgresIssuer {
    resource: String,
    admin: Admin,
    pool: PgPool,
}

/// The comment that ties a login role to its grant.
fn grant_marker(grant_id: &str) -> String {
    format!("zt-grant:{grant_id}")
}

fn timed_out(after: Duration) -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("no connection within {}", humantime::format_duration(after)),
    ))
}

impl PostgresIssuer {
    /// The issuer of a `postgres` resource whose settings say `issuer = "postgres"`. Must run
    /// inside the Tokio runtime (the pool's idle reaper is a task).
    pub fn new(res: &Resource) -> Result<Arc<Self>, String> {
        let admin = Admin::from_resource(res).map_err(|e| format!("{}: {e}", res.name))?;
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .min_connections(0)
            .acquire_timeout(admin.connect_timeout)
            .idle_timeout(IDLE_TIMEOUT)
            .connect_lazy_with(admin.options.clone());
        Ok(Arc::new(Self {
            resource: res.name.clone(),
            admin,
            pool,
        }))
    }

    /// The message of a failed step: what failed, at which server, and the server's reason.
    /// Database errors never contain our SQL text (and the SQL holds no password anyway).
    fn fail(&self, what: &str, e: sqlx::Error) -> IssueError {
        let why = match &e {
            sqlx::Error::Database(d) => match d.code() {
                Some(code) => format!("{} (SQLSTATE {code})", d.message()),
                None => d.message().to_owned(),
            },
            other => other.to_string(),
        };
        IssueError(format!(
            "postgres issuer of {}: {what} at {}: {why}",
            self.resource, self.admin.target
        ))
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, IssueError> {
        match self.pool.acquire().await {
            Ok(c) => Ok(c),
            // The pool retries a refused connection until its timeout and then says only that
            // it timed out: one direct attempt tells the operator why.
            Err(sqlx::Error::PoolTimedOut) => {
                let probe = tokio::time::timeout(
                    self.admin.connect_timeout,
                    PgConnection::connect_with(&self.admin.options),
                )
                .await;
                let why = match probe {
                    Ok(Err(e)) => e,
                    // It answers now: it was only slow.
                    Ok(Ok(c)) => {
                        let _ = c.close().await;
                        timed_out(self.admin.connect_timeout)
                    }
                    Err(_) => timed_out(self.admin.connect_timeout),
                };
                Err(self.fail("cannot connect", why))
            }
            Err(e) => Err(self.fail("cannot connect", e)),
        }
    }

    async fn issue_in(&self, g: &Grant) -> Result<Credential, IssueError> {
        let ie = |e: String| IssueError(format!("postgres issuer of {}: {e}", self.resource));
        let s = self.admin.role_settings(&g.settings, &g.role).map_err(ie)?;
        let user = sql::login_name(
            &g.requester,
            &crypto::random_string(LOWER_ALNUM, NAME_SUFFIX_LEN).map_err(ie)?,
        );
        let password = crypto::random_string(ALNUM, PASSWORD_LEN).map_err(ie)?;
        let verifier = sql::scram_verifier(
            &password,
            &crypto::random_bytes(16).map_err(ie)?,
            sql::SCRAM_ITERATIONS,
        );
        let role = sql::quote_ident(&user).map_err(ie)?;
        // Everything a login role may not do is spelled out rather than left to defaults.
        let mut text = format!(
            "CREATE ROLE {role} LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION \
             NOBYPASSRLS CONNECTION LIMIT {} PASSWORD {} VALID UNTIL {};\n",
            s.connection_limit,
            sql::quote_literal(&verifier).map_err(ie)?,
            sql::quote_literal(&g.expires_at.to_rfc3339()).map_err(ie)?,
        );
        if !s.member_of.is_empty() {
            let groups = s
                .member_of
                .iter()
                .map(|r| sql::quote_ident(r))
                .collect::<Result<Vec<_>, _>>()
                .map_err(ie)?;
            text += &format!("GRANT {} TO {role};\n", groups.join(", "));
        }
        text += &format!(
            "COMMENT ON ROLE {role} IS {};",
            sql::quote_literal(&grant_marker(&g.id)).map_err(ie)?
        );
        let mut conn = self.conn().await?;
        // One Query message, one implicit transaction: all three statements or none.
        sqlx::raw_sql(AssertSqlSafe(text))
            .execute(&mut *conn)
            .await
            .map_err(|e| self.fail("creating the login role failed", e))?;
        Ok(Credential::Postgres {
            host: s.host,
            port: s.port,
            dbname: s.dbname,
            user,
            password,
            sslmode: s.sslmode,
            expires_at: g.expires_at,
        })
    }

    async fn revoke_in(&self, g: &Grant) -> Result<(), IssueError> {
        let mut conn = self.conn().await?;
        let roles: Vec<String> = sqlx::query_scalar(
            "SELECT rolname::text FROM pg_roles WHERE shobj_description(oid, 'pg_authid') = $1",
        )
        .bind(grant_marker(&g.id))
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| self.fail("looking up the grant's login roles failed", e))?;
        for name in roles {
            match self.drop_role(&mut conn, &name).await {
                Ok(()) => {}
                // Another revoke of the same grant (the reaper racing an early revoke) got
                // there first: the role is gone, which is what we wanted.
                Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("42704") => {}
                Err(e) => {
                    return Err(self.fail(&format!("dropping the login role {name} failed"), e));
                }
            }
        }
        Ok(())
    }

    /// Move the grant's login roles' `VALID UNTIL` to the grant's (new) end: the password in
    /// the user's `~/.pgpass` keeps working for the whole extended grant.
    async fn extend_in(&self, g: &Grant) -> Result<bool, IssueError> {
        let ie = |e: String| IssueError(format!("postgres issuer of {}: {e}", self.resource));
        let mut conn = self.conn().await?;
        let roles: Vec<String> = sqlx::query_scalar(
            "SELECT rolname::text FROM pg_roles WHERE shobj_description(oid, 'pg_authid') = $1",
        )
        .bind(grant_marker(&g.id))
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| self.fail("looking up the grant's login roles failed", e))?;
        let until = sql::quote_literal(&g.expires_at.to_rfc3339()).map_err(ie)?;
        for name in &roles {
            let role = sql::quote_ident(name).map_err(ie)?;
            sqlx::raw_sql(AssertSqlSafe(format!(
                "ALTER ROLE {role} VALID UNTIL {until}"
            )))
            .execute(&mut *conn)
            .await
            .map_err(|e| self.fail(&format!("extending the login role {name} failed"), e))?;
        }
        Ok(!roles.is_empty())
    }

    /// Take one login role away for good. Safe to repeat from any point.
    async fn drop_role(&self, conn: &mut PgConnection, name: &str) -> Result<(), sqlx::Error> {
        let role = sql::quote_ident(name).map_err(sqlx::Error::Protocol)?;
        // Committed first, so no new session starts while the open ones are ended. The admin
        // joins the role: REASSIGN/DROP OWNED and pg_terminate_backend need the role's
        // privileges unless the admin is a superuser; DROP ROLE ends the membership.
        sqlx::raw_sql(AssertSqlSafe(format!(
            "ALTER ROLE {role} NOLOGIN; GRANT {role} TO CURRENT_USER;"
        )))
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "SELECT pg_terminate_backend(pid, $2) FROM pg_stat_activity WHERE usename = $1",
        )
        .bind(name)
        .bind(TERMINATE_WAIT_MS)
        .execute(&mut *conn)
        .await?;
        // REASSIGN/DROP OWNED act on the current database only: the others the role left
        // objects or privileges in are cleaned over their own connections first.
        let others: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT d.datname::text FROM pg_shdepend s \
             JOIN pg_database d ON d.oid = s.dbid \
             WHERE s.refclassid = 'pg_authid'::regclass \
               AND s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = $1) \
               AND d.datname <> current_database()",
        )
        .bind(name)
        .fetch_all(&mut *conn)
        .await?;
        let disown = format!(
            "REASSIGN OWNED BY {role} TO {}; DROP OWNED BY {role};",
            self.admin.reassign_to
        );
        for db in others {
            let opts = self.admin.options.clone().database(&db);
            let mut other = tokio::time::timeout(
                self.admin.connect_timeout,
                PgConnection::connect_with(&opts),
            )
            .await
            .map_err(|_| timed_out(self.admin.connect_timeout))??;
            let done = sqlx::raw_sql(AssertSqlSafe(disown.clone()))
                .execute(&mut other)
                .await;
            let _ = other.close().await;
            done?;
        }
        sqlx::raw_sql(AssertSqlSafe(format!(
            "{disown} DROP ROLE IF EXISTS {role};"
        )))
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

impl Issuer for PostgresIssuer {
    fn issue<'a>(&'a self, grant: &'a Grant) -> IssueFuture<'a, Credential> {
        Box::pin(self.issue_in(grant))
    }

    fn revoke<'a>(&'a self, grant: &'a Grant) -> IssueFuture<'a, ()> {
        Box::pin(self.revoke_in(grant))
    }

    fn extend<'a>(&'a self, grant: &'a Grant) -> IssueFuture<'a, bool> {
        Box::pin(self.extend_in(grant))
    }
}
