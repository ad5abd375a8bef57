//! The `[server]`, `[store]` and `[login]` sections: checked, and turned into what the
//! listener, the store and `/.well-known/zt` are set up from.

use std::net::SocketAddr;
use std::ops::Range;

use toml::Spanned;

use super::SCOPES;
use super::raw::{RawLogin, RawServer};
use super::source::{Dirs, Source};
use super::values::{http_url, non_empty};
use super::{Login, Server, StoreUrl, TlsFiles};
use crate::error::Result;

pub(super) fn server_section(src: &Source<'_>, dirs: &Dirs, raw: RawServer) -> Result<Server> {
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

/// `[store] credential_key_file` or `credential_key_env` (one at most); `None` for neither,
/// which only a SQLite store may leave out (its key then sits beside the database). Only
/// names are read here: `zt-broker check` and `serve` load the key itself.
pub(super) fn store_key(
    src: &Source<'_>,
    dirs: &Dirs,
    raw: &super::raw::RawStore,
    section: std::ops::Range<usize>,
) -> Result<Option<crate::store::KeySource>> {
    use crate::store::KeySource;
    match (&raw.credential_key_file, &raw.credential_key_env) {
        (Some(_), Some(env)) => Err(src.at(
            env.span(),
            "[store] takes credential_key_file or credential_key_env, not both",
        )),
        (Some(file), None) if file.get_ref().trim().is_empty() => {
            Err(src.at(file.span(), "credential_key_file is empty"))
        }
        (Some(file), None) => Ok(Some(KeySource::File {
            path: dirs.resolve(file.get_ref().trim()),
            create: false,
        })),
        (None, Some(env)) => {
            let name = env.get_ref().trim();
            if name.is_empty() || name.contains('=') || name.contains('\0') {
                return Err(src.at(env.span(), "credential_key_env: not a variable name"));
            }
            Ok(Some(KeySource::Env(name.to_owned())))
        }
        (None, None) => {
            let url = raw.url.get_ref().trim();
            if url.starts_with("postgres:") || url.starts_with("postgresql:") {
                return Err(src.at(
                    section,
                    "a PostgreSQL store needs credential_key_file or credential_key_env: the \
                     key that seals minted credentials and signs the audit log, the same on \
                     every replica",
                ));
            }
            Ok(None)
        }
    }
}

pub(super) fn store_url(src: &Source<'_>, dirs: &Dirs, v: &Spanned<String>) -> Result<StoreUrl> {
    // The URL is never echoed: a database URL may carry a password.
    let url = v.get_ref().trim();
    let scheme = url.split_once(':').map_or("", |(s, _)| s);
    match scheme {
        "sqlite" => {}
        "postgres" | "postgresql" => return postgres_url(src, v),
        _ => {
            return Err(src.at(
                v.span(),
                "store url must be sqlite:///ABSOLUTE/PATH, sqlite://PATH (relative to this \
                 file) or postgres://USER@HOST[:PORT]/DATABASE",
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

/// A PostgreSQL URL, checked for what can be checked without connecting: a host and a
/// database. (Its password, if any, stays in memory only; `PGPASSWORD` or `~/.pgpass` keep it
/// out of this file, as for every libpq program.)
fn postgres_url(src: &Source<'_>, v: &Spanned<String>) -> Result<StoreUrl> {
    let url = v.get_ref().trim();
    let rest = url.split_once("://").map_or("", |(_, r)| r);
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let db = path.split('?').next().unwrap_or("");
    if host.is_empty() || db.is_empty() {
        return Err(src.at(
            v.span(),
            "store url: a PostgreSQL URL names its host and database, like \
             postgres://zt@db.example.com:5432/zt",
        ));
    }
    if !cfg!(feature = "postgres") {
        return Err(src.at(
            v.span(),
            format!(
                "store url: {}",
                crate::features::missing("the PostgreSQL store", "postgres")
            ),
        ));
    }
    Ok(StoreUrl::Postgres(url.to_owned()))
}

pub(super) fn login_section(src: &Source<'_>, raw: RawLogin) -> Result<(Login, Range<usize>)> {
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

#[cfg(test)]
mod tests;
