//! `zt-broker serve` gives no resource the development issuers unasked (issue 12): a catalog
//! resource without `settings.issuer` is a configuration error naming it (exit 2, before
//! anything is served), and `issuer = "dev"` is accepted only with a loud warning, at start
//! and in `zt-broker check`. With the real binary, as an operator would meet it.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::Stdio;

use crate::common::Home;

/// A configuration whose one resource has the given `settings` line.
fn config(home: &Home, settings: &str) -> PathBuf {
    let text = format!(
        r#"[server]
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
name = "orders-db"
kind = "postgres"
default_role = "ro"
max_ttl = "1h"
{settings}

[[catalog.resource.role]]
name = "ro"
"#
    );
    let path = home.path().join("broker.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_resource_without_an_issuer_is_refused_by_check_and_serve() {
    let home = Home::new();
    let cfg = config(&home, r#"settings = { host = "db.example.com" }"#);
    for sub in ["check", "serve"] {
        let out = home
            .cmd(crate::common::broker_bin())
            .args([sub, "--config"])
            .arg(&cfg)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{sub}: {err}");
        assert!(out.stdout.is_empty(), "{sub}: nothing is served");
        assert!(
            err.contains("orders-db: needs settings.issuer"),
            "{sub}: {err}"
        );
    }
    assert!(
        !home.path().join("broker.db").exists(),
        "no store was opened"
    );
}

const WARNING: &str = "WARNING: orders-db use the development issuers";

#[test]
fn issuer_dev_is_served_with_a_warning_at_check_and_at_start() {
    let home = Home::new();
    let cfg = config(
        &home,
        r#"settings = { issuer = "dev", host = "db.example.com" }"#,
    );
    let out = home
        .cmd(crate::common::broker_bin())
        .args(["check", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains(WARNING), "check: {err}");
    assert!(err.contains("Not for production"), "check: {err}");

    let mut child = home
        .cmd(crate::common::broker_bin())
        .args(["serve", "--config"])
        .arg(&cfg)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.starts_with("zt-broker listening on http://127.0.0.1:"),
        "{line:?}"
    );
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(child.wait().unwrap().success(), "{err}");
    assert!(err.contains(WARNING), "serve: {err}");
}
