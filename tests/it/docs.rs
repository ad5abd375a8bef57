//! completions/ and man/ are generated from the clap definitions and checked in; this fails
//! when they drift. `ZT_UPDATE_DOCS=1 cargo test --all-features docs` rewrites them.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn check(dir: &Path, files: Vec<(String, Vec<u8>)>) {
    let update = std::env::var("ZT_UPDATE_DOCS").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(&name);
        if update {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(&bytes[..]) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "generated docs are stale: {stale:?}\nrun `ZT_UPDATE_DOCS=1 cargo test --all-features --test it docs` and commit the result"
    );
}

#[test]
fn zt_completions_are_current() {
    check(&root().join("completions"), zt::docs::zt_completions());
}

#[test]
fn zt_man_pages_are_current() {
    check(&root().join("man"), zt::docs::man_pages().unwrap());
}

#[test]
fn man_page_documents_exit_codes_and_environment() {
    let pages = zt::docs::man_pages().unwrap();
    let top = String::from_utf8(pages[0].1.clone()).unwrap();
    assert!(top.contains("EXIT STATUS") && top.contains("ENVIRONMENT"));
    for (code, _) in zt::error::ErrorKind::TABLE {
        assert!(
            top.contains(&format!("\\fB{code}\\fR")),
            "exit code {code} missing"
        );
    }
}

#[test]
fn broker_docs_are_current() {
    check(
        &root().join("completions"),
        zt::docs::completions_for(zt_broker::cli::command(), "zt-broker"),
    );
    check(
        &root().join("man"),
        zt::docs::man_pages_for(zt_broker::cli::command(), "").unwrap(),
    );
}

#[test]
fn readme_documents_every_exit_code_and_variable() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for (code, _) in zt::error::ErrorKind::TABLE {
        assert!(
            readme.contains(&format!("| {code} |")),
            "README lacks exit code {code}"
        );
    }
    for (var, _) in zt::env::DOCUMENTED {
        assert!(readme.contains(&format!("`{var}`")), "README lacks {var}");
    }
}
