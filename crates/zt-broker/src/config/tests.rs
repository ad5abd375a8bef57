//! Tests of the configuration: the documented example is accepted as written, and each kind of
//! mistake is refused with a message that names the file, the line and column, and the problem.

mod catalog;
mod example;
mod file;
mod sections;

use std::path::{Path, PathBuf};

use super::{Config, StoreUrl};
use crate::auth::JwksSource;

/// A small valid configuration; the tests below break one thing in it at a time.
pub(super) const BASE: &str = r#"[server]
listen = "127.0.0.1:0"

[store]
url = "sqlite://broker.db"

[login]
issuer = "https://id.example.com"
client_id = "zt-cli"
audience = "zt-broker"

[[trusted_issuer]]
issuer = "https://id.example.com"
audience = "zt-broker"

[catalog]
[[catalog.resource]]
name = "db"
kind = "postgres"
default_role = "ro"
max_ttl = "1h"
requester_groups = ["eng"]
settings = { issuer = "dev" }

[[catalog.resource.role]]
name = "ro"
auto_approve_groups = ["eng"]
"#;

const PATH: &str = "/etc/zt/broker.toml";

fn parse(text: &str) -> Result<Config, String> {
    Config::parse(text, Path::new(PATH)).map_err(|e| match e.hint {
        Some(h) => format!("{} [hint: {h}]", e.message),
        None => e.message,
    })
}

/// `BASE` with `from` (which must be there) replaced by `to`.
fn with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from:?} is not in BASE");
    BASE.replacen(from, to, 1)
}

/// The 1-based number of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} is on no line"))
        + 1
}

/// `text` is refused with an error at the line holding `at` (line 1 for `None`), whose
/// message contains `says`. Returns the message.
#[track_caller]
fn refused(text: &str, at: Option<&str>, says: &str) -> String {
    let msg = match parse(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(m) => m,
    };
    let line = at.map_or(1, |needle| line_of(text, needle));
    assert!(
        msg.starts_with(&format!("{PATH}:{line}:")),
        "expected line {line}: {msg}"
    );
    assert!(msg.contains(says), "expected {says:?} in: {msg}");
    msg
}

#[test]
fn the_base_is_accepted_with_its_defaults() {
    let c = parse(BASE).unwrap();
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:0");
    assert_eq!(
        (c.server.public_url.as_deref(), &c.server.tls),
        (None, &None)
    );
    assert_eq!(
        c.store,
        StoreUrl::Sqlite(PathBuf::from("/etc/zt/broker.db"))
    );
    assert_eq!(
        c.login.scopes,
        ["openid", "offline_access", "email", "profile"]
    );
    assert_eq!(c.admin_groups, ["zt-admins"]);
    let t = &c.trusted_issuers[0];
    assert!(matches!(t.jwks, JwksSource::Discover));
    assert_eq!(
        (t.claims.sub.as_str(), t.claims.groups.as_str()),
        ("sub", "groups")
    );
    assert_eq!(t.leeway_secs, 60);
    assert_eq!(c.catalog.resources()[0].name, "db");
    assert_eq!(c.catalog_file, None);
}

#[test]
fn the_documented_example_is_accepted() {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("broker.example.toml");
    let c = Config::load(&path).unwrap();
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:8443");
    assert_eq!(
        c.server.public_url.as_deref(),
        Some("https://zt.example.com")
    );
    assert_eq!(
        c.store,
        StoreUrl::Sqlite(PathBuf::from("/var/lib/zt/broker.db"))
    );
    assert_eq!(
        (c.login.issuer.as_str(), c.login.client_id.as_str()),
        ("https://id.example.com/realms/zt", "zt-cli")
    );
    assert_eq!(c.trusted_issuers.len(), 2);
    let people = &c.trusted_issuers[0];
    assert!(matches!(&people.jwks, JwksSource::Url(u) if u.ends_with("/certs")));
    assert_eq!(people.claims.groups, "realm_access.roles");
    assert_eq!(people.claims.name, "preferred_username");
    let ci = &c.trusted_issuers[1];
    assert!(matches!(ci.jwks, JwksSource::Discover));
    assert_eq!(ci.claims.groups, "repository");
    let names: Vec<_> = c
        .catalog
        .resources()
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["prod-k8s", "prod-db"]);
    assert_eq!(c.admin_groups, ["zt-admins"]);
}
