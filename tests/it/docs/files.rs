//! zt's FILES rows (crates/zt/src/manpages/tables.rs) against a real run of zt.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use zt::manpages;

use crate::common::Home;
use crate::common::broker::Broker;

/// zt's FILES are where zt writes: in a HOME with nothing else set (every path at its default,
/// as the pages name it), log in, take a grant of each kind (AWS with --static), `zt env` and a
/// credential helper; every file that then exists is named by a row of FILES, and every row
/// that such a run must produce has its file.
#[test]
fn zt_files_rows_name_every_file_zt_writes() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = Home::new();
    let zt = |args: &[&str]| {
        let out = home
            .zt(args)
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "zt {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let login = [
        "login",
        "--broker",
        &broker.url,
        "--insecure-storage",
        "--no-browser",
    ];
    zt(&login);
    let mut grants = Vec::new();
    for args in [
        // Under the 5 minutes of warning: the credential helper below marks that it warned.
        &["request", "prod-k8s", "--ttl", "4m"][..],
        &["request", "prod-aws", "--ttl", "10m", "--static"],
        &["request", "prod-db", "--ttl", "10m"],
        &["request", "prod-ssh", "--ttl", "10m"],
    ] {
        let mut with_json = vec!["--json"];
        with_json.extend_from_slice(args);
        let v: serde_json::Value = serde_json::from_str(&zt(&with_json)).unwrap();
        grants.push(v["request"]["id"].as_str().unwrap().to_string());
    }
    zt(&["env", &grants[0]]);
    zt(&["credential", "kube", &grants[0]]);

    let rows = manpages::tables::FILES;
    let mut found = Vec::new();
    walk(home.path(), &mut found);
    let mut named_rows = BTreeSet::new();
    for file in &found {
        let shown = as_the_pages_name(file, home.path(), &grants);
        let row = rows
            .iter()
            .position(|(path, _, _)| row_names(path, &shown))
            .unwrap_or_else(|| {
                panic!(
                    "zt wrote {} ({shown}), which no row of FILES in {} names",
                    file.display(),
                    manpages::tables::SOURCE
                )
            });
        named_rows.insert(row);
    }
    for (i, (path, _, _)) in rows.iter().enumerate() {
        // Not written by this run: locks come and go, the dev broker writes its own file, the
        // token file only where no OS keyring answers, and install.sh the completions; the
        // tombstones once a grant has ended (checked below).
        let optional = path.contains(".lock")
            || path.contains("tombstones.json")
            || path.contains("dev-broker.json")
            || path.contains("tokens/")
            || path.contains("completions")
            || path.contains("agent-PID");
        assert!(
            optional || named_rows.contains(&i),
            "FILES names {path}, but zt wrote no such file (found: {found:?})"
        );
    }
    // The reaper started by the grants exits once they are gone.
    for g in &grants {
        zt(&["revoke", g]);
    }
    // Ended grants leave their tombstones, in the file a row names.
    let tombstones = home.path().join(".local/state/zt/tombstones.json");
    assert!(tombstones.is_file(), "no tombstones after the revokes");
    let shown = as_the_pages_name(&tombstones, home.path(), &grants);
    assert!(
        rows.iter().any(|(path, _, _)| row_names(path, &shown)),
        "no row of FILES names {shown}"
    );
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// `file` as the pages write paths: `~` for HOME, the runtime directory as
/// `$XDG_RUNTIME_DIR/zt` (its name when it falls back to the state directory), GRANT, PROFILE.
fn as_the_pages_name(file: &Path, home: &Path, grants: &[String]) -> String {
    let rel = file.strip_prefix(home).unwrap().display().to_string();
    let mut shown = format!("~/{rel}");
    if let Some(rest) = shown.strip_prefix("~/.local/state/zt/run/") {
        shown = format!("$XDG_RUNTIME_DIR/zt/{rest}");
    }
    for g in grants {
        shown = shown.replace(g.as_str(), "GRANT");
    }
    shown
        .replace("tokens/default.json", "tokens/PROFILE.json")
        .replace("catalog-default.json", "catalog-PROFILE.json")
}

/// Whether a FILES row names `shown`: one of its comma-separated paths (`else` and
/// parenthesised words aside) is it, holds it as a directory (`…/`), or matches it with `*`.
fn row_names(row: &str, shown: &str) -> bool {
    row.split(", ").any(|part| {
        let part = part.trim_start_matches("else ");
        let part = part.split(" (").next().unwrap_or(part).trim();
        match part.split_once('*') {
            Some((head, tail)) => {
                shown.starts_with(head)
                    && shown.ends_with(tail)
                    && !shown[head.len()..].contains('/')
            }
            None if part.ends_with('/') => shown.starts_with(part),
            None => part == shown,
        }
    })
}
