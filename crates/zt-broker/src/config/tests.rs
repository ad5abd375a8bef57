//! The configuration tests' shared helpers — a small valid configuration (`BASE`), `parse`,
//! `with`, `line_of` and `refused`, which checks that a mistake is refused with a message naming
//! the file, the line and the problem — and the tests of the checks made here, in `mod.rs`: the
//! defaults, missing sections, the admin groups. Each part's own checks are tested in its file,
//! using these helpers: the file as a whole and its line counting in `source.rs`, URLs in
//! `values.rs`, `[server]` and `[store]` in `sections.rs`, the trusted issuers and `[login]` in
//! `trusted.rs`, the catalog in `catalog.rs`, and `broker.example.toml` (accepted, and
//! documenting every key) in `raw.rs`.

use std::path::{Path, PathBuf};

use super::{Config, StoreUrl};
use crate::auth::JwksSource;

/// A small valid configuration; the tests below break one thing in it at a time.
pub(crate) const BASE: &str = r#"[server]
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

pub(super) const PATH: &str = "/etc/zt/broker.toml";

pub(super) fn parse(text: &str) -> Result<Config, String> {
    Config::parse(text, Path::new(PATH)).map_err(|e| match e.hint {
        Some(h) => format!("{} [hint: {h}]", e.message),
        None => e.message,
    })
}

/// `BASE` with the sections `extra` after it, parsed.
pub(crate) fn base_with(extra: &str) -> crate::error::Result<Config> {
    Config::parse(&format!("{BASE}\n{extra}"), Path::new(PATH))
}

/// `BASE` with `from` (which must be there) replaced by `to`.
pub(crate) fn with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from:?} is not in BASE");
    BASE.replacen(from, to, 1)
}

/// The 1-based number of the first line of `text` containing `needle`.
pub(super) fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} is on no line"))
        + 1
}

/// `text` is refused with an error at the line holding `at` (line 1 for `None`), whose
/// message contains `says`. Returns the message.
#[track_caller]
pub(super) fn refused(text: &str, at: Option<&str>, says: &str) -> String {
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
fn missing_sections_are_named() {
    for (section, first, last) in [
        ("server", "[server]", "listen = "),
        ("store", "[store]", "url = "),
        ("catalog", "[catalog]", "auto_approve_groups"),
    ] {
        let start = BASE.find(first).unwrap();
        let end = start + BASE[start..].find(last).unwrap();
        let end = end + BASE[end..].find('\n').unwrap() + 1;
        let t = format!("{}{}", &BASE[..start], &BASE[end..]);
        refused(&t, None, &format!("missing section [{section}]"));
    }
    let start = BASE.find("[login]").unwrap();
    let end = BASE.find("[[trusted_issuer]]").unwrap();
    let t = format!("{}{}", &BASE[..start], &BASE[end..]);
    refused(&t, None, "missing section [login]");
    let start = BASE.find("[[trusted_issuer]]").unwrap();
    let end = BASE.find("[catalog]").unwrap();
    let t = format!("{}{}", &BASE[..start], &BASE[end..]);
    refused(&t, None, "missing [[trusted_issuer]]");
    // A missing key inside a section: toml names it.
    refused(
        &with("client_id = \"zt-cli\"\n", ""),
        Some("[login]"),
        "missing field `client_id`",
    );
}

#[test]
fn admin_groups_are_configurable() {
    let c = parse(&with(
        "[server]",
        "admin_groups = [\"platform\", \"sre\"]\n[server]",
    ))
    .unwrap();
    assert_eq!(c.admin_groups, ["platform", "sre"]);
    let none = parse(&with("[server]", "admin_groups = []\n[server]")).unwrap();
    assert!(none.admin_groups.is_empty());
    refused(
        &with("[server]", "admin_groups = [\"\"]\n[server]"),
        Some("admin_groups"),
        "empty",
    );
}
