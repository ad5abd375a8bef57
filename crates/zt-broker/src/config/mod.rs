//! `zt-broker serve`'s configuration: one TOML file (`broker.example.toml` documents every key),
//! read strictly — an unknown key is an error, not a silent no-op — and checked as a whole
//! before anything binds or opens. Every mistake comes back as `FILE:LINE:COL: what is wrong`:
//! toml's own spans for syntax and types, spans kept with [`toml::Spanned`] for the checks made
//! here (addresses, URLs, plain HTTP, the store, the catalog).
//!
//! [`Config::load`] reads the file (and a catalog file it names); the result holds exactly what
//! [`crate::serve`] wires: the listener's settings, the store, what `/.well-known/zt`
//! advertises, the trusted issuers as [`TrustedIssuer`]s, the checked [`Catalog`], the admin
//! groups.
//!
//! The file as written is [`raw`]'s; [`source`] places messages and resolves relative paths;
//! [`sections`], [`trusted`] and [`catalog`] check each part and build what it configures, with
//! the single-value checks of [`values`].

mod catalog;
mod grants;
mod oncall;
mod policy;
mod raw;
mod requests;
mod review;
mod sections;
mod source;
mod ssh;
#[cfg(test)]
pub(crate) mod tests;
mod trusted;
mod values;
mod webhooks;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::auth::TrustedIssuer;
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::state::ADMIN_GROUP;
use catalog::catalog_section;
pub use grants::Grants;
pub use oncall::valid_name as valid_oncall_name;
pub use policy::PolicyDir;
use policy::policy_section;
use raw::RawConfig;
pub use requests::Requests;
use requests::requests_section;
pub use review::{REVIEW_SCOPES, ReviewConfig};
use sections::{login_section, server_section, store_key, store_url};
use source::{Dirs, Source, TOP};
pub use trusted::known_acrs;
use trusted::trusted_issuers;

/// The OpenID scopes `zt login` asks for unless `[login] scopes` says otherwise (the dev
/// broker advertises the same).
pub const SCOPES: [&str; 4] = ["openid", "offline_access", "email", "profile"];
/// The SQLite file in a data directory: the dev broker's, and where `audit verify --data-dir`
/// looks.
pub const DB_FILE: &str = "broker.sqlite";

/// A checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file, as given (messages name it so).
    pub path: PathBuf,
    pub server: Server,
    pub store: StoreUrl,
    /// `[store] credential_key_file` / `credential_key_env`: the key that seals credentials
    /// and signs the audit head (default for SQLite: `<database>.key`, made when missing).
    pub store_key: crate::store::KeySource,
    pub login: Login,
    pub trusted_issuers: Vec<TrustedIssuer>,
    pub catalog: Catalog,
    /// The catalog's file; `None` when it is written inline (`[[catalog.resource]]`).
    pub catalog_file: Option<PathBuf>,
    /// Members of any of these may revoke anyone's grant and read any request.
    pub admin_groups: Vec<String>,
    /// `[policy] dir`: the Cedar policies; `None`: the catalog's group rules decide.
    pub policy: Option<PolicyDir>,
    /// `[requests]`: the review window of pending requests.
    pub requests: Requests,
    /// `[grants]`: the first-use claim window, how far ahead a start may be.
    pub grants: Grants,
    /// `[[webhook]]`: where notifications go.
    pub webhooks: Vec<crate::webhooks::WebhookConfig>,
    /// `[review]`: the review page's sign-in; `None`: no review page.
    pub review: Option<ReviewConfig>,
    /// `[ssh]`: where the SSH user CA key comes from (required with an `ssh` resource).
    pub ssh_ca: Option<crate::issuers::ssh::ca::CaSource>,
    /// `[oncall.NAME]`: the on-call schedules, by name.
    pub oncall: Vec<crate::oncall::Settings>,
}

/// `[server]`.
#[derive(Debug, Clone)]
pub struct Server {
    pub listen: SocketAddr,
    /// Where clients reach the broker, without a trailing slash. `None`: derived from the
    /// bound address (which carries the real port when `listen` asks for port 0).
    pub public_url: Option<String>,
    pub tls: Option<TlsFiles>,
    pub allow_plain_http: bool,
}

/// The PEM files of `tls_cert` (the chain, leaf first) and `tls_key`, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// `[store] url`. Its `Debug` is [`StoreUrl::describe`]: no password in logs or panics.
#[derive(Clone, PartialEq)]
pub enum StoreUrl {
    /// The database file, resolved.
    Sqlite(PathBuf),
    /// `postgres://…`, as written (it may hold a password: never printed).
    Postgres(String),
}

impl StoreUrl {
    /// For people: the SQLite file, or the PostgreSQL server and database without user or
    /// password.
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(db) => format!("sqlite {}", db.display()),
            Self::Postgres(url) => {
                let rest = url.split_once("://").map_or("", |(_, r)| r);
                let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
                format!("postgres {}", rest.split('?').next().unwrap_or(rest))
            }
        }
    }
}

impl std::fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// `[login]`: what `/.well-known/zt` tells `zt login`.
#[derive(Debug, Clone, PartialEq)]
pub struct Login {
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub audience: String,
}

impl Config {
    /// Read and check the file at `path` (and the catalog file it names, if any).
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::usage(format!(
                "cannot read the configuration {}: {e}",
                path.display()
            ))
        })?;
        Self::parse(&text, path)
    }

    /// Check `text`, the contents of `path`. Relative paths in it (the catalog file, TLS files,
    /// a relative SQLite file) are relative to `path`'s directory.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let src = Source {
            name: path.display().to_string(),
            text,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| src.toml(&e))?;
        let dirs = Dirs::of(path)?;

        let server = raw.server.ok_or_else(|| {
            src.at(
                TOP,
                "missing section [server] (listen, and optionally public_url, tls_cert, tls_key)",
            )
        })?;
        let server = server_section(&src, &dirs, server.into_inner())?;
        let store = raw
            .store
            .ok_or_else(|| src.at(TOP, "missing section [store] (url = \"sqlite:///PATH\")"))?;
        let (store, store_key) = (
            store_url(&src, &dirs, &store.get_ref().url)?,
            store_key(&src, &dirs, store.get_ref(), store.span())?,
        );
        let store_key = store_key.unwrap_or_else(|| crate::store::KeySource::File {
            path: match &store {
                StoreUrl::Sqlite(db) => {
                    let mut name = db.as_os_str().to_owned();
                    name.push(".key");
                    name.into()
                }
                // store_key refused a PostgreSQL store without a key.
                StoreUrl::Postgres(_) => PathBuf::new(),
            },
            create: true,
        });
        let login = raw.login.ok_or_else(|| {
            src.at(
                TOP,
                "missing section [login] (issuer, client_id, audience: what `zt login` uses)",
            )
        })?;
        let (login, login_issuer_span) = login_section(&src, login.into_inner())?;
        let issuers = match raw.trusted_issuer {
            Some(list) if !list.is_empty() => list,
            _ => {
                return Err(src.at(
                    TOP,
                    "missing [[trusted_issuer]]: at least one identity provider must be trusted",
                ));
            }
        };
        let trusted_issuers = trusted_issuers(&src, issuers)?;
        if !trusted_issuers
            .iter()
            .any(|t| t.issuer == login.issuer && t.audience == login.audience)
        {
            return Err(src.at(
                login_issuer_span,
                format!(
                    "[login] issuer {:?} with audience {:?} matches no [[trusted_issuer]]: every \
                     token `zt login` gets there would be refused",
                    login.issuer, login.audience
                ),
            ));
        }
        let catalog = raw.catalog.ok_or_else(|| {
            src.at(
                TOP,
                "missing section [catalog] (file = \"catalog.toml\", or [[catalog.resource]] \
                 entries)",
            )
        })?;
        let (catalog, catalog_file) = catalog_section(&src, &dirs, catalog)?;
        let admin_groups = match raw.admin_groups {
            None => vec![ADMIN_GROUP.to_string()],
            Some(groups) => {
                let mut out = Vec::new();
                for g in groups {
                    if g.get_ref().trim().is_empty() {
                        return Err(src.at(g.span(), "admin_groups: a group name is empty"));
                    }
                    out.push(g.into_inner());
                }
                out
            }
        };
        let policy = policy_section(&src, &dirs, raw.policy)?;
        let requests = requests_section(&src, raw.requests)?;
        let grants = grants::grants_section(&src, raw.grants)?;
        let webhooks = webhooks::webhooks(&src, raw.webhook)?;
        let review = review::review_section(&src, &server, raw.review)?;
        let ssh_ca = ssh::ssh_section(&src, &dirs, raw.ssh)?;
        let oncall = oncall::oncall_section(&src, &dirs, raw.oncall)?;
        if ssh_ca.is_none()
            && let Some(res) = catalog
                .resources()
                .iter()
                .find(|r| r.kind == zt_api::ResourceKind::Ssh)
        {
            return Err(src.at(
                TOP,
                format!(
                    "catalog: {}: an ssh resource needs the broker's SSH CA: add [ssh] with \
                     ca_key_file or ca_key_env",
                    res.name
                ),
            ));
        }
        Ok(Self {
            path: path.to_owned(),
            server,
            store,
            store_key,
            login,
            trusted_issuers,
            catalog,
            catalog_file,
            admin_groups,
            policy,
            requests,
            grants,
            webhooks,
            review,
            ssh_ca,
            oncall,
        })
    }

    /// One line for `zt-broker check`: what would be served, where, for whom.
    pub fn summary(&self) -> String {
        let s = &self.server;
        let scheme = if s.tls.is_some() { "https" } else { "http" };
        let url = match &s.public_url {
            Some(u) => format!(" as {u}"),
            None => String::new(),
        };
        let roles: usize = self.catalog.resources().iter().map(|r| r.roles.len()).sum();
        let from = match &self.catalog_file {
            Some(f) => f.display().to_string(),
            None => "inline".to_string(),
        };
        let admins = match self.admin_groups.as_slice() {
            [] => "none".to_string(),
            g => g.join(", "),
        };
        let review = match &self.review {
            Some(r) => format!(
                "; review page {} (client {})",
                r.redirect_uri.trim_end_matches("/callback"),
                r.client_id
            ),
            None => String::new(),
        };
        let oncall = match self.oncall.as_slice() {
            [] => String::new(),
            list => format!(
                "; on-call schedules: {}",
                list.iter()
                    .map(|s| format!("{} ({})", s.name, s.source.describe()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        format!(
            "{}: ok: {scheme} on {}{url}; store {}; {} trusted issuer(s); catalog ({from}) \
             {} resource(s), {roles} role(s); admin groups: {admins}{review}{oncall}",
            self.path.display(),
            s.listen,
            self.store.describe(),
            self.trusted_issuers.len(),
            self.catalog.resources().len(),
        )
    }
}
