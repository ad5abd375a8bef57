//! The sections' own checks: URLs, plain HTTP beyond loopback, the store URL, trusted issuers
//! agreeing with `[login]`, and the admin groups.

use super::*;
use crate::config::TlsFiles;
use crate::store::KeySource;

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
