//! The catalog settings of a PostgreSQL resource and its roles, read and checked when the
//! broker starts, so a typo (`member-of`), a missing admin URL or an unset variable stops the
//! broker at once instead of failing the first engineer who asks for access.
//!
//! Resource only: `issuer = "postgres"`, `admin_url` or `admin_url_env`, `connect_timeout`,
//! `reassign_owned_to`. Resource or role: `host`, `port`, `dbname`, `sslmode` (what the
//! credential tells clients), `member_of`, `connection_limit`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::postgres::PgConnectOptions;

use super::sql;
use crate::catalog::Resource;

/// Settings about the broker's own connection: one per resource, so a role cannot point its
/// grants at another server than the one its revocations go to.
pub(crate) const RESOURCE_KEYS: [&str; 5] = [
    "issuer",
    "admin_url",
    "admin_url_env",
    "connect_timeout",
    "reassign_owned_to",
];
pub(crate) const GRANT_KEYS: [&str; 6] = [
    "host",
    "port",
    "dbname",
    "sslmode",
    "member_of",
    "connection_limit",
];
const SSLMODES: [&str; 6] = [
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];
/// A JIT login is one person's psql plus a tool or two; a runaway script should not be able to
/// take the server's connection slots.
const DEFAULT_CONNECTION_LIMIT: i64 = 5;
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Bounds on every admin statement: a lock held by a busy table must fail a revoke (the reaper
/// retries it) rather than hang it.
const STATEMENT_TIMEOUT: &str = "15s";
const LOCK_TIMEOUT: &str = "5s";

/// How the broker reaches the server as its admin role.
pub(crate) struct Admin {
    pub options: PgConnectOptions,
    pub connect_timeout: Duration,
    /// SQL role spec that receives what a login role owned: a quoted name or `CURRENT_USER`.
    pub reassign_to: String,
    /// `host:port/dbname as user`, for error messages: never the password.
    pub target: String,
}

/// What a credential of one role looks like at the target.
#[derive(Debug, Clone)]
pub(crate) struct RoleSettings {
    pub host: String,
    pub port: u16,
    pub dbname: String,
    pub sslmode: String,
    /// Group roles the login role joins: the role's privileges live there, not on the login.
    pub member_of: Vec<String>,
    pub connection_limit: i64,
}

fn string<'a>(t: &'a toml::Table, key: &str) -> Result<Option<&'a str>, String> {
    match t.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("setting {key} must be a string")),
    }
}

fn integer(t: &toml::Table, key: &str) -> Result<Option<i64>, String> {
    match t.get(key) {
        None => Ok(None),
        Some(toml::Value::Integer(n)) => Ok(Some(*n)),
        Some(_) => Err(format!("setting {key} must be an integer")),
    }
}

impl Admin {
    /// The resource's admin connection. Reads `admin_url_env` now, so secrets stay out of the
    /// catalog file and a missing variable is a start-up error.
    pub(crate) fn from_resource(res: &Resource) -> Result<Self, String> {
        let s = &res.settings;
        for key in s.keys() {
            if !RESOURCE_KEYS.contains(&key.as_str()) && !GRANT_KEYS.contains(&key.as_str()) {
                return Err(format!("unknown setting {key}"));
            }
        }
        for role in &res.roles {
            if let Some(key) = role
                .settings
                .keys()
                .find(|k| RESOURCE_KEYS.contains(&k.as_str()))
            {
                return Err(format!(
                    "role {}: {key} is a resource setting, not a role one",
                    role.name
                ));
            }
        }
        let url = match (string(s, "admin_url")?, string(s, "admin_url_env")?) {
            (Some(url), None) => url.to_owned(),
            (None, Some(var)) => std::env::var(var)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("admin_url_env names {var}, which is not set"))?,
            (Some(_), Some(_)) => return Err("set admin_url or admin_url_env, not both".into()),
            (None, None) => {
                return Err("the postgres issuer needs admin_url or admin_url_env".into());
            }
        };
        // sqlx takes any scheme; a mysql:// URL here is a mistake worth naming. Its parse
        // errors name the part that is wrong, never the URL (which holds a password).
        if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
            return Err("the admin URL is not a valid postgres:// URL".into());
        }
        let options = PgConnectOptions::from_str(&url)
            .map_err(|e| format!("the admin URL is not a valid postgres:// URL: {e}"))?
            .application_name("zt-broker")
            .options([
                ("statement_timeout", STATEMENT_TIMEOUT),
                ("lock_timeout", LOCK_TIMEOUT),
            ])
            // The statements carry password verifiers: keep them out of any tracing output.
            .disable_statement_logging();
        let connect_timeout = match string(s, "connect_timeout")? {
            None => DEFAULT_CONNECT_TIMEOUT,
            Some(t) => humantime::parse_duration(t)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| format!("connect_timeout {t:?} is not a duration like 5s"))?,
        };
        let reassign_to = match string(s, "reassign_owned_to")? {
            None => "CURRENT_USER".to_owned(),
            Some(name) => sql::quote_ident(name)?,
        };
        let target = format!(
            "{}:{}/{} as {}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or(options.get_username()),
            options.get_username()
        );
        let admin = Self {
            options,
            connect_timeout,
            reassign_to,
            target,
        };
        for role in &res.roles {
            admin
                .role_settings(&res.settings_for(role), &role.name)
                .map_err(|e| format!("role {}: {e}", role.name))?;
        }
        Ok(admin)
    }

    /// One role's settings (the resource's overlaid with the role's, as a grant carries them).
    /// Where clients connect defaults to where the broker does; `member_of` to a group role
    /// named like the catalog role.
    pub(crate) fn role_settings(
        &self,
        t: &toml::Table,
        role: &str,
    ) -> Result<RoleSettings, String> {
        let port = match integer(t, "port")? {
            None => self.options.get_port(),
            Some(p) => u16::try_from(p).map_err(|_| format!("port {p} is out of range"))?,
        };
        let sslmode = string(t, "sslmode")?.unwrap_or("prefer");
        if !SSLMODES.contains(&sslmode) {
            return Err(format!(
                "sslmode {sslmode:?} is not one of {}",
                SSLMODES.join(", ")
            ));
        }
        let member_of = match t.get("member_of") {
            None => vec![role.to_owned()],
            Some(toml::Value::String(s)) => vec![s.clone()],
            Some(toml::Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or("member_of must be a string or a list of strings")?,
            Some(_) => return Err("member_of must be a string or a list of strings".into()),
        };
        for group in &member_of {
            sql::quote_ident(group).map_err(|e| format!("member_of: {e}"))?;
        }
        let connection_limit = integer(t, "connection_limit")?.unwrap_or(DEFAULT_CONNECTION_LIMIT);
        if !(1..=i64::from(i32::MAX)).contains(&connection_limit) {
            return Err(format!(
                "connection_limit {connection_limit} must be at least 1"
            ));
        }
        Ok(RoleSettings {
            host: string(t, "host")?
                .unwrap_or(self.options.get_host())
                .to_owned(),
            port,
            dbname: string(t, "dbname")?
                .or(self.options.get_database())
                .unwrap_or(self.options.get_username())
                .to_owned(),
            sslmode: sslmode.to_owned(),
            member_of,
            connection_limit,
        })
    }
}
