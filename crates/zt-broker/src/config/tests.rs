//! Tests of the configuration: the documented example is accepted as written, and each kind of
//! mistake is refused with a message that names the file, the line and column, and the problem.
//! The shared helpers come first (the catalog section's tests, in `catalog.rs`, use them too),
//! then the tests by subject: the file as a whole, the sections, the example's completeness.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::source::line_col;
use super::{Config, StoreUrl, TlsFiles};
use crate::auth::JwksSource;
use crate::store::KeySource;

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

pub(super) const PATH: &str = "/etc/zt/broker.toml";

pub(super) fn parse(text: &str) -> Result<Config, String> {
    Config::parse(text, Path::new(PATH)).map_err(|e| match e.hint {
        Some(h) => format!("{} [hint: {h}]", e.message),
        None => e.message,
    })
}

/// `BASE` with `from` (which must be there) replaced by `to`.
pub(super) fn with(from: &str, to: &str) -> String {
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

// ---- The file ------------------------------------------------------------------------------
// Mistakes in the file as a whole — unknown keys, wrong types, bad syntax, missing sections —
// each refused where it is, and the line and column counting behind every message.

#[test]
fn unknown_keys_are_refused_where_they_are() {
    let t = with("listen = ", "lisen = 1\nlisten = ");
    refused(&t, Some("lisen"), "unknown field `lisen`");
    let t = with("[store]", "[stor]");
    refused(&t, Some("[stor]"), "unknown field `stor`");
    let t = with(
        "audience = \"zt-broker\"\n\n[catalog]",
        "audience = \"zt-broker\"\njwks = \"x\"\n\n[catalog]",
    );
    refused(&t, Some("jwks = "), "unknown field `jwks`");
    let t = with(
        "audience = \"zt-broker\"\n\n[catalog]",
        "audience = \"zt-broker\"\nclaims = { group = \"roles\" }\n\n[catalog]",
    );
    refused(&t, Some("claims = "), "unknown field `group`");
    // Inside the inline catalog too, with the config file's line.
    let t = with(
        "auto_approve_groups",
        "aprover_groups = []\nauto_approve_groups",
    );
    refused(&t, Some("aprover_groups"), "unknown field `aprover_groups`");
}

#[test]
fn wrong_types_are_refused_where_they_are() {
    refused(
        &with("listen = \"127.0.0.1:0\"", "listen = 8443"),
        Some("listen = 8443"),
        "invalid type: integer",
    );
    let t = with(
        "audience = \"zt-broker\"\n\n[catalog]",
        "audience = \"zt-broker\"\nleeway_secs = \"60\"\n\n[catalog]",
    );
    refused(&t, Some("leeway_secs"), "expected u64");
    refused(
        &with(
            "client_id = \"zt-cli\"",
            "client_id = \"zt-cli\"\nscopes = \"openid\"",
        ),
        Some("scopes"),
        "invalid type: string",
    );
    refused(
        &with("[server]", "admin_groups = \"zt-admins\"\n[server]"),
        Some("admin_groups"),
        "invalid type",
    );
}

#[test]
fn syntax_errors_name_their_line() {
    refused(&with("[login]", "[login"), Some("[login"), "");
    refused(
        &with("client_id = \"zt-cli\"", "client_id = \"zt-cli"),
        Some("client_id"),
        "",
    );
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
fn line_and_column_count_characters() {
    assert_eq!(line_col("ab\ncé\nx", 0), (1, 1));
    assert_eq!(line_col("ab\ncé\nx", 3), (2, 1));
    // After the two-byte é: column 3, not 4.
    assert_eq!(line_col("ab\ncé\nx", 6), (2, 3));
    // Inside a character, or past the end: no panic.
    assert_eq!(line_col("ab\ncé\nx", 5), (2, 2));
    assert_eq!(line_col("ab", 99), (1, 3));
}

// ---- The sections --------------------------------------------------------------------------
// The sections' own checks: URLs, plain HTTP beyond loopback, the store URL, trusted issuers
// agreeing with `[login]`, and the admin groups.

#[test]
fn bad_urls_are_refused() {
    let t = with(
        "listen = \"127.0.0.1:0\"",
        "listen = \"127.0.0.1:0\"\npublic_url = \"zt.example.com\"",
    );
    refused(&t, Some("public_url"), "is not a URL");
    let t = with(
        "listen = \"127.0.0.1:0\"",
        "listen = \"127.0.0.1:0\"\npublic_url = \"ftp://zt.example.com\"",
    );
    refused(&t, Some("public_url"), "must be an http:// or https:// URL");
    let t = with(
        "listen = \"127.0.0.1:0\"",
        "listen = \"127.0.0.1:0\"\npublic_url = \"https://zt.example.com/?x=1\"",
    );
    refused(&t, Some("public_url"), "no user, query or fragment");
    // Keys over plain http from another machine could be swapped on the way.
    let t = with(
        "audience = \"zt-broker\"\n\n[catalog]",
        "audience = \"zt-broker\"\njwks_uri = \"http://id.example.com/jwks\"\n\n[catalog]",
    );
    refused(&t, Some("jwks_uri"), "plain http to another machine");
    let t = BASE.replace("https://id.example.com", "http://id.example.com");
    refused(&t, Some("issuer = "), "plain http to another machine");
    // ... but loopback is fine (a local IdP, the tests).
    let t = BASE.replace("https://id.example.com", "http://127.0.0.1:8080/realms/zt");
    assert!(parse(&t).is_ok());
    let t = BASE.replace("https://id.example.com", "http://[::1]:8080");
    assert!(parse(&t).is_ok());
    // Not an address at all.
    refused(
        &with("\"127.0.0.1:0\"", "\"localhost:8443\""),
        Some("listen"),
        "not an IP address and port",
    );
}

#[test]
fn plain_http_beyond_loopback_is_refused_unless_allowed() {
    let t = with("listen = \"127.0.0.1:0\"", "listen = \"10.0.0.5:8443\"");
    let msg = refused(&t, Some("listen"), "plain HTTP beyond this machine");
    assert!(msg.contains("readable by anyone"), "{msg}");
    assert!(
        msg.contains("hint: set tls_cert and tls_key, or allow_plain_http = true"),
        "{msg}"
    );
    let allowed = with(
        "listen = \"127.0.0.1:0\"",
        "listen = \"10.0.0.5:8443\"\nallow_plain_http = true",
    );
    assert!(parse(&allowed).unwrap().server.allow_plain_http);
    // With TLS it is no question (the files are read by `check` and `serve`, not here).
    let tls = with(
        "listen = \"127.0.0.1:0\"",
        "listen = \"10.0.0.5:8443\"\ntls_cert = \"tls/cert.pem\"\ntls_key = \"/k.pem\"",
    );
    assert_eq!(
        parse(&tls).unwrap().server.tls,
        Some(TlsFiles {
            cert: PathBuf::from("/etc/zt/tls/cert.pem"),
            key: PathBuf::from("/k.pem"),
        })
    );
    // Every interface: also needs a URL clients can use.
    let any = with(
        "listen = \"127.0.0.1:0\"",
        "listen = \"0.0.0.0:8443\"\nallow_plain_http = true",
    );
    refused(&any, Some("listen"), "needs public_url");
    let half = with(
        "listen = \"127.0.0.1:0\"",
        "listen = \"127.0.0.1:0\"\ntls_key = \"k.pem\"",
    );
    refused(&half, Some("tls_key"), "go together");
    let mixed = with(
        "listen = \"127.0.0.1:0\"",
        "listen = \"127.0.0.1:0\"\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n\
         public_url = \"http://zt.example.com\"",
    );
    refused(&mixed, Some("public_url"), "serves HTTPS");
}

#[test]
fn store_urls() {
    let pg_url = "postgres://zt:s3cret@db.example.com:5433/zt?sslmode=verify-full";
    // Replicas share a key that the configuration must name.
    refused(
        &with("sqlite://broker.db", pg_url),
        Some("[store]"),
        "needs credential_key_file or credential_key_env",
    );
    let pg = parse(&with(
        "sqlite://broker.db",
        &format!("{pg_url}\"\ncredential_key_env = \"ZT_STORE_KEY"),
    ))
    .unwrap();
    assert_eq!(pg.store_key, KeySource::Env("ZT_STORE_KEY".into()));
    refused(
        &with(
            "sqlite://broker.db",
            &format!("{pg_url}\"\ncredential_key_env = \"K\"\ncredential_key_file = \"k"),
        ),
        Some("credential_key_env"),
        "not both",
    );
    let own = parse(&with(
        "sqlite://broker.db",
        "sqlite://broker.db\"\ncredential_key_file = \"keys/store.key",
    ))
    .unwrap();
    assert_eq!(
        own.store_key,
        KeySource::File {
            path: PathBuf::from("/etc/zt/keys/store.key"),
            create: false
        }
    );
    // A SQLite store's key defaults to a file beside it, made at the first start.
    assert_eq!(
        parse(BASE).unwrap().store_key,
        KeySource::File {
            path: PathBuf::from("/etc/zt/broker.db.key"),
            create: true
        }
    );
    assert_eq!(
        pg.store,
        StoreUrl::Postgres(
            "postgres://zt:s3cret@db.example.com:5433/zt?sslmode=verify-full".into()
        )
    );
    // Described (summary line, Debug) without user or password.
    assert_eq!(pg.store.describe(), "postgres db.example.com:5433/zt");
    assert!(!format!("{:?}", pg).contains("s3cret"));
    assert!(!pg.summary().contains("s3cret"), "{}", pg.summary());
    let msg = refused(
        &with(
            "sqlite://broker.db",
            "postgresql://zt:s3cret@db.example.com",
        ),
        Some("url = "),
        "names its host and database",
    );
    assert!(
        !msg.contains("s3cret"),
        "a database URL is never echoed: {msg}"
    );
    refused(
        &with("sqlite://broker.db", "mysql://db/zt"),
        Some("url = "),
        "must be sqlite:///",
    );
    refused(
        &with("sqlite://broker.db", "sqlite://"),
        Some("url = "),
        "names no database file",
    );
    refused(
        &with("sqlite://broker.db", "sqlite://:memory:"),
        Some("url = "),
        "in-memory",
    );
    refused(
        &with("sqlite://broker.db", "sqlite://b.db?mode=ro"),
        Some("url = "),
        "options",
    );
    let abs = parse(&with("sqlite://broker.db", "sqlite:///var/lib/zt/b.db")).unwrap();
    assert_eq!(
        abs.store,
        StoreUrl::Sqlite(PathBuf::from("/var/lib/zt/b.db"))
    );
    let rel = parse(&with("sqlite://broker.db", "sqlite://data/b.db")).unwrap();
    assert_eq!(
        rel.store,
        StoreUrl::Sqlite(PathBuf::from("/etc/zt/data/b.db"))
    );
}

#[test]
fn issuers_and_login_must_agree() {
    let t = with(
        "audience = \"zt-broker\"\n\n[[trusted_issuer]]",
        "audience = \"zt-other\"\n\n[[trusted_issuer]]",
    );
    refused(&t, Some("issuer = "), "matches no [[trusted_issuer]]");
    let twice = with(
        "[catalog]",
        "[[trusted_issuer]]\nissuer = \"https://id.example.com\"\naudience = \"x\"\n\n[catalog]",
    );
    let line = line_of(&twice, "audience = \"x\"") - 1;
    let msg = parse(&twice).unwrap_err();
    assert!(
        msg.starts_with(&format!("{PATH}:{line}:")) && msg.contains("trusted twice"),
        "{msg}"
    );
    let t = with(
        "audience = \"zt-broker\"\n\n[catalog]",
        "audience = \"zt-broker\"\nleeway_secs = 3600\n\n[catalog]",
    );
    refused(&t, Some("leeway_secs"), "more than 300");
    let t = with(
        "audience = \"zt-broker\"\n\n[catalog]",
        "audience = \"zt-broker\"\nclaims = { groups = \"realm_access..roles\" }\n\n[catalog]",
    );
    refused(&t, Some("claims"), "dot path");
    refused(
        &with(
            "client_id = \"zt-cli\"",
            "client_id = \"zt-cli\"\nscopes = [\"openid email\"]",
        ),
        Some("scopes"),
        "one non-empty word",
    );
    refused(
        &with("\"zt-cli\"", "\"  \""),
        Some("client_id"),
        "client_id is empty",
    );
    // Per-issuer claim mapping, several issuers.
    let two = with(
        "[catalog]",
        "claims = { sub = \"oid\", groups = \"realm_access.roles\" }\nleeway_secs = 5\n\n\
         [[trusted_issuer]]\nissuer = \"https://ci.example.com\"\naudience = \"zt-ci\"\n\
         jwks_uri = \"https://ci.example.com/keys\"\n\n[catalog]",
    );
    let c = parse(&two).unwrap();
    let (a, b) = (&c.trusted_issuers[0], &c.trusted_issuers[1]);
    assert_eq!(
        (a.claims.sub.as_str(), a.claims.email.as_str()),
        ("oid", "email")
    );
    assert_eq!(
        (a.claims.groups.as_str(), a.leeway_secs),
        ("realm_access.roles", 5)
    );
    assert_eq!(
        (b.audience.as_str(), b.claims.groups.as_str()),
        ("zt-ci", "groups")
    );
    assert!(matches!(&b.jwks, JwksSource::Url(u) if u == "https://ci.example.com/keys"));
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

// ---- The example documents every key -------------------------------------------------------
// `broker.example.toml` documents every key the configuration accepts. The keys are not
// listed here (a list kept by hand drifts): they come from the parser itself. Every section
// is read with `deny_unknown_fields`, so a key it does not know is refused with the list of
// those it does; the walk below plants an unknown key in each section (and, to find nested
// sections, in each key it learns of) and collects those lists. The issuers' free-form
// `settings` tables add the keys their parsers take.

const PROBE: &str = "zz_not_a_key";

fn example() -> String {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("broker.example.toml");
    std::fs::read_to_string(path).unwrap()
}

/// The value at `path` in `doc` (the first table of an array of tables), made an empty table
/// when missing.
fn at<'d>(doc: &'d mut toml::Table, path: &[String]) -> &'d mut toml::Table {
    let mut t = doc;
    for key in path {
        let v = t
            .entry(key.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        t = match v {
            toml::Value::Array(a) => a
                .first_mut()
                .and_then(toml::Value::as_table_mut)
                .unwrap_or_else(|| panic!("{key}: an array, not of tables")),
            toml::Value::Table(t) => t,
            other => panic!("{key}: {other:?} is not a table"),
        };
    }
    t
}

/// The keys the parser takes in the table `key` of the table at `path`, with the probe value
/// there that shows it is a table (`None`: not a table the parser checks, e.g. a string or a
/// free-form `settings`).
fn fields(
    doc: &toml::Table,
    path: &[String],
    key: Option<&str>,
) -> Option<(Vec<String>, toml::Value)> {
    let probe = || {
        let mut t = toml::Table::new();
        t.insert(PROBE.into(), toml::Value::Integer(0));
        t
    };
    let variants = match key {
        None => vec![None],
        Some(_) => vec![
            Some(toml::Value::Table(probe())),
            Some(toml::Value::Array(vec![toml::Value::Table(probe())])),
        ],
    };
    for v in variants {
        let mut d = doc.clone();
        let t = at(&mut d, path);
        match (key, &v) {
            (Some(k), Some(v)) => {
                t.insert(k.into(), v.clone());
            }
            _ => {
                t.insert(PROBE.into(), toml::Value::Integer(0));
            }
        }
        let text = toml::to_string(&d).unwrap();
        let err = match Config::parse(&text, Path::new("/etc/zt/broker.toml")) {
            Ok(_) => continue,
            Err(e) => e.message,
        };
        let marker = format!("unknown field `{PROBE}`, expected ");
        if let Some(at) = err.find(&marker) {
            let rest = err[at + marker.len()..].lines().next().unwrap_or("");
            let keys = rest
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect();
            return Some((keys, v.unwrap_or(toml::Value::Boolean(false))));
        }
    }
    None
}

/// Every key path (`catalog.resource.role.name`) the parser takes below `path`.
fn walk(doc: &toml::Table, path: Vec<String>, out: &mut BTreeSet<String>) {
    let Some((keys, _)) = fields(doc, &path, None) else {
        panic!("{}: not a checked table", path.join("."))
    };
    for k in keys {
        let mut child = path.clone();
        child.push(k.clone());
        out.insert(child.join("."));
        if let Some((_, probe)) = fields(doc, &path, Some(&k)) {
            // Deeper probes go through the value that showed it is a table.
            let mut d = doc.clone();
            if !at(&mut d, &path).contains_key(&k) {
                at(&mut d, &path).insert(k.clone(), probe);
            }
            walk(&d, child, out);
        }
    }
}

/// Whether `word` appears in `text` as a whole word (in a setting or in a comment).
fn documented(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        let part = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        !part(before) && !part(after)
    })
}

#[test]
fn the_example_documents_every_key_the_parser_accepts() {
    let text = example();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let mut paths = BTreeSet::new();
    walk(&doc, Vec::new(), &mut paths);
    // The walk reached the nested sections (else it proves nothing).
    for p in [
        "store.url",
        "trusted_issuer.claims.groups",
        "catalog.resource.environment",
        "catalog.resource.sensitivity",
        "catalog.resource.role.requester_groups",
        "webhook.secret_env",
    ] {
        assert!(paths.contains(p), "{p} not found by the walk: {paths:?}");
    }
    let mut missing: Vec<String> = paths
        .iter()
        .filter(|p| !documented(&text, p.rsplit('.').next().unwrap()))
        .cloned()
        .collect();
    // The issuers' settings: what their own parsers read.
    use crate::issuers::{aws, postgres};
    let settings = aws::settings::SETTINGS
        .iter()
        .chain(&postgres::settings::RESOURCE_KEYS)
        .chain(&postgres::settings::GRANT_KEYS);
    missing.extend(
        settings
            .filter(|k| !documented(&text, k))
            .map(|k| format!("catalog.resource.settings.{k}")),
    );
    assert_eq!(
        missing,
        Vec::<String>::new(),
        "accepted by the parser but not in broker.example.toml"
    );
}

#[test]
fn the_walk_finds_a_key_the_example_lacks() {
    // The test above can fail: with a key taken out of the text, it is reported.
    let text = example().replace("leeway_secs", "leeway");
    let doc: toml::Table = toml::from_str(&example()).unwrap();
    let mut paths = BTreeSet::new();
    walk(&doc, Vec::new(), &mut paths);
    assert!(paths.contains("trusted_issuer.leeway_secs"));
    assert!(!documented(&text, "leeway_secs"));
}
