//! The `[server]` and `[store]` checks: plain HTTP beyond loopback, TLS files, the store URL
//! and the key that seals its credentials.

use std::path::PathBuf;

use crate::config::tests::{BASE, parse, refused, with};
use crate::config::{StoreUrl, TlsFiles};
use crate::store::KeySource;

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

/// A broker built without the `postgres` feature refuses a PostgreSQL store at `check`,
/// naming the feature and the install flag that brings it.
#[cfg(not(feature = "postgres"))]
#[test]
fn a_postgres_store_needs_its_feature() {
    let msg = refused(
        &with(
            "sqlite://broker.db",
            "postgres://zt:s3cret@db.example.com/zt\"\ncredential_key_env = \"K",
        ),
        Some("url = "),
        "feature \"postgres\"",
    );
    assert!(msg.contains("./install.sh --production"), "{msg}");
    assert!(!msg.contains("s3cret"), "{msg}");
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_store_urls() {
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
}

#[test]
fn sqlite_store_urls() {
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
