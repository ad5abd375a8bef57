//! Tests of the configuration: the documented example is accepted as written, and each kind of
//! mistake is refused with a message that names the file, the line and column, and the problem.

use std::path::{Path, PathBuf};

use super::{Config, StoreUrl, TlsFiles};
use crate::broker::auth::JwksSource;

/// A small valid configuration; the tests below break one thing in it at a time.
const BASE: &str = r#"[server]
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
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("broker.example.toml");
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
    let msg = refused(
        &with(
            "sqlite://broker.db",
            "postgres://zt:s3cret@db.example.com/zt",
        ),
        Some("url = "),
        "PostgreSQL is not yet supported in this build",
    );
    assert!(
        !msg.contains("s3cret"),
        "a database URL is never echoed: {msg}"
    );
    refused(
        &with("sqlite://broker.db", "postgresql://db/zt"),
        Some("url = "),
        "not yet supported",
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

#[test]
fn inline_catalog_errors_point_at_their_resource() {
    let t = with("default_role = \"ro\"", "default_role = \"rw\"");
    refused(
        &t,
        Some("[[catalog.resource]]"),
        "default_role \"rw\" is not one of its roles",
    );
    let dup = format!(
        "{BASE}\n[[catalog.resource]]\nname = \"db\"\nkind = \"aws\"\ndefault_role = \"r\"\n\
         max_ttl = \"1h\"\n[[catalog.resource.role]]\nname = \"r\"\n"
    );
    let second = dup.rfind("[[catalog.resource]]").unwrap();
    let line = dup[..second].matches('\n').count() + 1;
    let msg = parse(&dup).unwrap_err();
    assert!(msg.starts_with(&format!("{PATH}:{line}:")), "{msg}");
    assert!(msg.contains("invalid or repeated"), "{msg}");
    // Kubernetes needs its API server named: there is no dev Kubernetes API behind serve.
    let k8s = with("kind = \"postgres\"", "kind = \"kubernetes\"");
    refused(&k8s, Some("[[catalog.resource]]"), "needs settings.server");
    let k8s = with(
        "kind = \"postgres\"",
        "kind = \"kubernetes\"\nsettings = { server = \"https://k8s.example.com\" }",
    );
    assert!(parse(&k8s).is_ok());
    let neither = BASE[..BASE.find("[[catalog.resource]]").unwrap()].to_string();
    refused(&neither, Some("[catalog]"), "needs file = ");
}

#[test]
fn a_catalog_file_is_read_relative_to_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("broker.toml");
    let inline_start = BASE.find("[[catalog.resource]]").unwrap();
    let text = format!("{}file = \"cat/catalog.toml\"\n", &BASE[..inline_start]);
    std::fs::create_dir(dir.path().join("cat")).unwrap();
    let catalog = &BASE[inline_start..].replace("catalog.resource", "resource");
    std::fs::write(dir.path().join("cat/catalog.toml"), catalog).unwrap();
    std::fs::write(&cfg_path, &text).unwrap();
    let c = Config::load(&cfg_path).unwrap();
    assert_eq!(c.catalog.resources()[0].name, "db");
    assert_eq!(c.catalog_file, Some(dir.path().join("cat/catalog.toml")));
    assert!(
        c.summary().contains("1 resource(s), 1 role(s)"),
        "{}",
        c.summary()
    );

    // Its own mistakes name its own file and line.
    let broken = catalog.replace(
        "auto_approve_groups",
        "auto_approve = []\nauto_approve_groups",
    );
    std::fs::write(dir.path().join("cat/catalog.toml"), &broken).unwrap();
    let e = Config::load(&cfg_path).unwrap_err().message;
    let want = format!(
        "{}:{}:",
        dir.path().join("cat/catalog.toml").display(),
        line_of(&broken, "auto_approve =")
    );
    assert!(e.starts_with(&want) && e.contains("unknown field"), "{e}");

    // A missing file is reported at the `file` line of the config.
    std::fs::remove_file(dir.path().join("cat/catalog.toml")).unwrap();
    let e = Config::load(&cfg_path).unwrap_err().message;
    let want = format!("{}:{}:", cfg_path.display(), line_of(&text, "file = "));
    assert!(
        e.starts_with(&want) && e.contains("cannot read the catalog"),
        "{e}"
    );

    // Both a file and inline resources: which one was meant?
    let both = format!(
        "{}file = \"c.toml\"\n{}",
        &BASE[..inline_start],
        &BASE[inline_start..]
    );
    refused(&both, Some("file = "), "both file and [[catalog.resource]]");
}

#[test]
fn line_and_column_count_characters() {
    assert_eq!(super::line_col("ab\ncé\nx", 0), (1, 1));
    assert_eq!(super::line_col("ab\ncé\nx", 3), (2, 1));
    // After the two-byte é: column 3, not 4.
    assert_eq!(super::line_col("ab\ncé\nx", 6), (2, 3));
    // Inside a character, or past the end: no panic.
    assert_eq!(super::line_col("ab\ncé\nx", 5), (2, 2));
    assert_eq!(super::line_col("ab", 99), (1, 3));
}
