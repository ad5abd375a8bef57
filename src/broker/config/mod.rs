//! `zt-broker serve`'s configuration: one TOML file (`broker.example.toml` documents every key),
//! read strictly — an unknown key is an error, not a silent no-op — and checked as a whole
//! before anything binds or opens. Every mistake comes back as `FILE:LINE:COL: what is wrong`:
//! toml's own spans for syntax and types, spans kept with [`toml::Spanned`] for the checks made
//! here (addresses, URLs, plain HTTP, the store, the catalog).
//!
//! [`Config::load`] reads the file (and a catalog file it names); the result holds exactly what
//! [`crate::broker::serve`] wires: the listener's settings, the store, what `/.well-known/zt`
//! advertises, the trusted issuers as [`TrustedIssuer`]s, the checked [`Catalog`], the admin
//! groups.

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::api::ResourceKind;
use crate::broker::auth::{ClaimNames, JwksSource, TrustedIssuer};
use crate::broker::catalog::{Catalog, FileResource};
use crate::broker::dev::wire::SCOPES;
use crate::broker::error::{Error, Result};
use crate::broker::state::ADMIN_GROUP;

/// More clock skew than this would let expired tokens live on for minutes.
const MAX_LEEWAY_SECS: u64 = 300;

/// A checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file, as given (messages name it so).
    pub path: PathBuf,
    pub server: Server,
    pub store: StoreUrl,
    pub login: Login,
    pub trusted_issuers: Vec<TrustedIssuer>,
    pub catalog: Catalog,
    /// The catalog's file; `None` when it is written inline (`[[catalog.resource]]`).
    pub catalog_file: Option<PathBuf>,
    /// Members of any of these may revoke anyone's grant and read any request.
    pub admin_groups: Vec<String>,
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

/// `[store] url`.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreUrl {
    /// The database file, resolved.
    Sqlite(PathBuf),
}

/// `[login]`: what `/.well-known/zt` tells `zt login`.
#[derive(Debug, Clone, PartialEq)]
pub struct Login {
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub audience: String,
}

// The file as written. Sections are optional here only so that a missing one gets its own
// message ("missing section [server]") instead of serde's "missing field `server`".

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    admin_groups: Option<Vec<Spanned<String>>>,
    server: Option<Spanned<RawServer>>,
    store: Option<Spanned<RawStore>>,
    login: Option<Spanned<RawLogin>>,
    trusted_issuer: Option<Vec<Spanned<RawIssuer>>>,
    catalog: Option<Spanned<RawCatalog>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: Spanned<String>,
    public_url: Option<Spanned<String>>,
    tls_cert: Option<Spanned<String>>,
    tls_key: Option<Spanned<String>>,
    allow_plain_http: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    url: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLogin {
    issuer: Spanned<String>,
    client_id: Spanned<String>,
    scopes: Option<Vec<Spanned<String>>>,
    audience: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIssuer {
    issuer: Spanned<String>,
    audience: Spanned<String>,
    jwks_uri: Option<Spanned<String>>,
    claims: Option<RawClaims>,
    leeway_secs: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClaims {
    sub: Option<Spanned<String>>,
    email: Option<Spanned<String>>,
    name: Option<Spanned<String>>,
    groups: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    file: Option<Spanned<String>>,
    #[serde(rename = "resource")]
    resources: Option<Vec<Spanned<FileResource>>>,
}

/// A catalog file, with each resource's place in it kept for messages.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(rename = "resource", default)]
    resources: Vec<Spanned<FileResource>>,
}

/// A text being read and the name messages give it: turns spans into `NAME:LINE:COL:`.
struct Source<'a> {
    name: String,
    text: &'a str,
}

impl Source<'_> {
    fn at(&self, span: Range<usize>, msg: impl fmt::Display) -> Error {
        let (line, col) = line_col(self.text, span.start);
        Error::usage(format!("{}:{line}:{col}: {msg}", self.name))
    }

    fn toml(&self, e: &toml::de::Error) -> Error {
        match e.span() {
            Some(span) => self.at(span, e.message()),
            None => Error::usage(format!("{}: {}", self.name, e.message())),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The start of the file: where a missing section is reported.
const TOP: Range<usize> = 0..0;

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
        let store = store_url(&src, &dirs, &store.get_ref().url)?;
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
        Ok(Self {
            path: path.to_owned(),
            server,
            store,
            login,
            trusted_issuers,
            catalog,
            catalog_file,
            admin_groups,
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
        let StoreUrl::Sqlite(db) = &self.store;
        let roles: usize = self.catalog.resources().iter().map(|r| r.roles.len()).sum();
        let from = match &self.catalog_file {
            Some(f) => f.display().to_string(),
            None => "inline".to_string(),
        };
        let admins = match self.admin_groups.as_slice() {
            [] => "none".to_string(),
            g => g.join(", "),
        };
        format!(
            "{}: ok: {scheme} on {}{url}; store sqlite {}; {} trusted issuer(s); catalog ({from}) \
             {} resource(s), {roles} role(s); admin groups: {admins}",
            self.path.display(),
            s.listen,
            db.display(),
            self.trusted_issuers.len(),
            self.catalog.resources().len(),
        )
    }
}

/// Where relative paths in the file lead: `shown` keeps the directory as the user wrote it (for
/// messages), `base` is absolute (for opening, whatever the working directory later is).
struct Dirs {
    shown: PathBuf,
    base: PathBuf,
}

impl Dirs {
    fn of(path: &Path) -> Result<Self> {
        let abs = std::path::absolute(path)
            .map_err(|e| Error::usage(format!("{}: {e}", path.display())))?;
        let parent = |p: &Path| p.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(Self {
            shown: parent(path),
            base: parent(&abs),
        })
    }

    fn resolve(&self, p: &str) -> PathBuf {
        self.base.join(p)
    }

    fn show(&self, p: &str) -> PathBuf {
        self.shown.join(p)
    }
}

fn non_empty(src: &Source<'_>, v: &Spanned<String>, key: &str) -> Result<String> {
    let s = v.get_ref().trim();
    if s.is_empty() {
        return Err(src.at(v.span(), format!("{key} is empty")));
    }
    Ok(s.to_string())
}

/// An `http(s)://host…` URL without query or fragment. With `https_unless_loopback`, plain
/// http is accepted only for a loopback host: keys fetched over it could be swapped by anyone on
/// the path, and with them every token the broker believes.
fn http_url(
    src: &Source<'_>,
    v: &Spanned<String>,
    key: &str,
    https_unless_loopback: bool,
) -> Result<reqwest::Url> {
    let raw = v.get_ref();
    let url = reqwest::Url::parse(raw)
        .map_err(|e| src.at(v.span(), format!("{key} {raw:?} is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(src.at(
            v.span(),
            format!("{key} {raw:?} must be an http:// or https:// URL with a host"),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(src.at(
            v.span(),
            format!("{key} {raw:?} must have no user, query or fragment"),
        ));
    }
    if https_unless_loopback && url.scheme() == "http" && !loopback_host(&url) {
        return Err(src.at(
            v.span(),
            format!(
                "{key} {raw:?} is plain http to another machine: whoever is on the path could \
                 swap the keys that sign tokens; use https"
            ),
        ));
    }
    Ok(url)
}

fn loopback_host(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    // IPv6 hosts come bracketed.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn server_section(src: &Source<'_>, dirs: &Dirs, raw: RawServer) -> Result<Server> {
    let listen_text = raw.listen.get_ref();
    let listen: SocketAddr = listen_text.trim().parse().map_err(|_| {
        src.at(
            raw.listen.span(),
            format!(
                "listen {listen_text:?} is not an IP address and port (like \"127.0.0.1:8443\" \
                 or \"[::]:8443\"; host names are not resolved)"
            ),
        )
    })?;
    let tls = match (&raw.tls_cert, &raw.tls_key) {
        (None, None) => None,
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: dirs.resolve(&non_empty(src, cert, "tls_cert")?),
            key: dirs.resolve(&non_empty(src, key, "tls_key")?),
        }),
        (Some(only), None) | (None, Some(only)) => {
            return Err(src.at(
                only.span(),
                "tls_cert and tls_key go together: give both PEM files, or neither",
            ));
        }
    };
    let public_url = match &raw.public_url {
        None => None,
        Some(v) => {
            let url = http_url(src, v, "public_url", false)?;
            if tls.is_some() && url.scheme() == "http" {
                return Err(src.at(
                    v.span(),
                    "public_url is http:// but the broker serves HTTPS here (tls_cert is set)",
                ));
            }
            Some(v.get_ref().trim_end_matches('/').to_string())
        }
    };
    let allow_plain_http = raw.allow_plain_http.unwrap_or(false);
    if tls.is_none() && !listen.ip().is_loopback() && !allow_plain_http {
        return Err(src
            .at(
                raw.listen.span(),
                format!(
                    "listen {listen_text:?} would serve plain HTTP beyond this machine: bearer \
                     tokens and the credentials the broker mints would cross the network \
                     readable by anyone on the path"
                ),
            )
            .with_hint(
                "set tls_cert and tls_key, or allow_plain_http = true when only a \
                 TLS-terminating proxy can reach this address",
            ));
    }
    if listen.ip().is_unspecified() && public_url.is_none() {
        return Err(src.at(
            raw.listen.span(),
            format!(
                "listen {listen_text:?} (every interface) needs public_url: {} is no address \
                 clients can reach",
                listen.ip()
            ),
        ));
    }
    Ok(Server {
        listen,
        public_url,
        tls,
        allow_plain_http,
    })
}

fn store_url(src: &Source<'_>, dirs: &Dirs, v: &Spanned<String>) -> Result<StoreUrl> {
    // The URL is never echoed: a database URL may carry a password.
    let url = v.get_ref().trim();
    let scheme = url.split_once(':').map_or("", |(s, _)| s);
    match scheme {
        "sqlite" => {}
        "postgres" | "postgresql" => {
            return Err(src
                .at(
                    v.span(),
                    "store url: PostgreSQL is not yet supported in this build — the store speaks \
                     SQLite only for now (its SQL is kept portable; the PostgreSQL backend is \
                     still to come)",
                )
                .with_hint("use sqlite:///PATH (one broker replica) until then"));
        }
        _ => {
            return Err(src.at(
                v.span(),
                "store url must be sqlite:///ABSOLUTE/PATH or sqlite://PATH (relative to this \
                 file)",
            ));
        }
    }
    let rest = &url["sqlite:".len()..];
    let file = rest.strip_prefix("//").unwrap_or(rest);
    if file.is_empty() {
        return Err(src.at(
            v.span(),
            "store url names no database file (like sqlite:///var/lib/zt/broker.db)",
        ));
    }
    if file.contains('?') {
        return Err(src.at(
            v.span(),
            "store url: SQLite options (?…) are not taken; the broker sets its own (WAL, busy \
             timeout, foreign keys)",
        ));
    }
    if file == ":memory:" {
        return Err(src.at(
            v.span(),
            "store url: an in-memory store forgets every request and grant at exit (and the \
             reaper with it); name a file",
        ));
    }
    Ok(StoreUrl::Sqlite(dirs.resolve(file)))
}

fn login_section(src: &Source<'_>, raw: RawLogin) -> Result<(Login, Range<usize>)> {
    http_url(src, &raw.issuer, "[login] issuer", true)?;
    let scopes = match raw.scopes {
        None => SCOPES.iter().map(|s| s.to_string()).collect(),
        Some(list) => {
            let mut out = Vec::new();
            for s in list {
                let v = s.get_ref();
                if v.is_empty() || v.chars().any(char::is_whitespace) {
                    return Err(src.at(
                        s.span(),
                        format!(
                            "scope {v:?} must be one non-empty word (they are joined by spaces)"
                        ),
                    ));
                }
                out.push(v.clone());
            }
            out
        }
    };
    let login = Login {
        // Kept exactly as written: the issuer is compared byte for byte with tokens' `iss`.
        issuer: raw.issuer.get_ref().clone(),
        client_id: non_empty(src, &raw.client_id, "client_id")?,
        scopes,
        audience: non_empty(src, &raw.audience, "audience")?,
    };
    Ok((login, raw.issuer.span()))
}

fn claim_path(src: &Source<'_>, v: Option<Spanned<String>>, default: String) -> Result<String> {
    let Some(v) = v else { return Ok(default) };
    let path = v.get_ref();
    if path.is_empty() || path.split('.').any(str::is_empty) {
        return Err(src.at(
            v.span(),
            format!("claim {path:?} must be a name or a dot path like \"realm_access.roles\""),
        ));
    }
    Ok(v.into_inner())
}

fn trusted_issuers(src: &Source<'_>, raw: Vec<Spanned<RawIssuer>>) -> Result<Vec<TrustedIssuer>> {
    let mut out: Vec<TrustedIssuer> = Vec::new();
    for r in raw {
        let r = r.into_inner();
        http_url(src, &r.issuer, "issuer", true)?;
        let issuer = r.issuer.get_ref().clone();
        if out.iter().any(|t| t.issuer == issuer) {
            return Err(src.at(
                r.issuer.span(),
                format!("issuer {issuer:?} is trusted twice; one [[trusted_issuer]] per issuer"),
            ));
        }
        let audience = non_empty(src, &r.audience, "audience")?;
        let jwks = match &r.jwks_uri {
            Some(u) => {
                http_url(src, u, "jwks_uri", true)?;
                JwksSource::Url(u.get_ref().clone())
            }
            None => JwksSource::Discover,
        };
        let mut t = TrustedIssuer::new(issuer, audience, jwks);
        if let Some(c) = r.claims {
            let d = ClaimNames::default();
            t.claims = ClaimNames {
                sub: claim_path(src, c.sub, d.sub)?,
                email: claim_path(src, c.email, d.email)?,
                name: claim_path(src, c.name, d.name)?,
                groups: claim_path(src, c.groups, d.groups)?,
            };
        }
        if let Some(l) = r.leeway_secs {
            if *l.get_ref() > MAX_LEEWAY_SECS {
                return Err(src.at(
                    l.span(),
                    format!(
                        "leeway_secs {} is more than {MAX_LEEWAY_SECS}: expired tokens would \
                         stay good that long",
                        l.get_ref()
                    ),
                ));
            }
            t.leeway_secs = l.into_inner();
        }
        out.push(t);
    }
    Ok(out)
}

fn catalog_section(
    src: &Source<'_>,
    dirs: &Dirs,
    raw: Spanned<RawCatalog>,
) -> Result<(Catalog, Option<PathBuf>)> {
    let span = raw.span();
    let raw = raw.into_inner();
    match (raw.file, raw.resources) {
        (Some(file), Some(_)) => Err(src.at(
            file.span(),
            "[catalog] has both file and [[catalog.resource]]: keep one",
        )),
        (None, None) => Err(src.at(
            span,
            "[catalog] needs file = \"catalog.toml\" or [[catalog.resource]] entries",
        )),
        (None, Some(resources)) => Ok((checked_catalog(src, resources, span)?, None)),
        (Some(file), None) => {
            let name = non_empty(src, &file, "[catalog] file")?;
            let shown = dirs.show(&name);
            let text = std::fs::read_to_string(dirs.resolve(&name)).map_err(|e| {
                src.at(
                    file.span(),
                    format!("cannot read the catalog {}: {e}", shown.display()),
                )
            })?;
            let csrc = Source {
                name: shown.display().to_string(),
                text: &text,
            };
            let parsed: CatalogFile = toml::from_str(&text).map_err(|e| csrc.toml(&e))?;
            let catalog = checked_catalog(&csrc, parsed.resources, TOP)?;
            Ok((catalog, Some(shown)))
        }
    }
}

/// [`Catalog::from_resources`], with a failure placed at the resource it is about, plus what
/// `serve` needs beyond the catalog's own rules.
fn checked_catalog(
    src: &Source<'_>,
    resources: Vec<Spanned<FileResource>>,
    fallback: Range<usize>,
) -> Result<Catalog> {
    let spans: Vec<Range<usize>> = resources.iter().map(Spanned::span).collect();
    let plain: Vec<FileResource> = resources.into_iter().map(Spanned::into_inner).collect();
    let catalog = Catalog::from_resources(plain.clone()).map_err(|msg| {
        let at = locate_failure(&plain, &spans).unwrap_or(fallback.clone());
        src.at(at, msg)
    })?;
    // The catalog keeps the file's order, so spans[i] is resources()[i].
    for (res, span) in catalog.resources().iter().zip(&spans) {
        if res.kind != ResourceKind::Kubernetes {
            continue;
        }
        for role in &res.roles {
            let settings = res.settings_for(role);
            if settings.get("server").and_then(|v| v.as_str()).is_none() {
                return Err(src.at(
                    span.clone(),
                    format!(
                        "catalog: {}/{}: a kubernetes resource needs settings.server (the API \
                         server kubectl is sent to): `zt-broker serve` has no dev Kubernetes API",
                        res.name, role.name
                    ),
                ));
            }
        }
    }
    Ok(catalog)
}

/// Which resource a catalog error is about: the first that fails on its own, else (the only
/// rule across resources) the second use of a name.
fn locate_failure(plain: &[FileResource], spans: &[Range<usize>]) -> Option<Range<usize>> {
    for (r, span) in plain.iter().zip(spans) {
        if Catalog::from_resources(vec![r.clone()]).is_err() {
            return Some(span.clone());
        }
    }
    let mut seen = HashSet::new();
    plain
        .iter()
        .zip(spans)
        .find(|(r, _)| !seen.insert(r.name()))
        .map(|(_, span)| span.clone())
}
