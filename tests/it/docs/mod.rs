//! completions/ and man/ are generated from the clap definitions (plus zt's and zt-broker's
//! tables and man/examples.toml) and checked in; this fails when they drift.
//! `ZT_UPDATE_DOCS=1 cargo test --all-features --test it docs` rewrites them.
//!
//! Also: every man page has EXIT STATUS, FILES and EXAMPLES, and no page of a removed command
//! is left; [`examples`]: every table of man/examples.toml names a page and every command line
//! there parses; [`files`]: zt's FILES rows are where a real run writes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use zt::manpages::{self, ManDocs};

mod examples;
mod files;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn updating() -> bool {
    std::env::var("ZT_UPDATE_DOCS").is_ok_and(|v| v == "1")
}

fn check(dir: &Path, files: Vec<(String, Vec<u8>)>) {
    let mut stale = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(&name);
        if updating() {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(&bytes[..]) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "generated docs are stale: {stale:?}\nrun `{}` and commit the result",
        manpages::REGENERATE
    );
}

pub(super) fn zt_command() -> clap::Command {
    <zt::cli::Cli as clap::CommandFactory>::command()
}

fn broker_docs() -> ManDocs<'static> {
    use zt_broker::docs;
    ManDocs {
        exit_codes: docs::EXIT_CODES,
        exit_notes: docs::EXIT_NOTES,
        environment: docs::ENVIRONMENT,
        files_intro: docs::FILES_INTRO,
        files: docs::FILES,
        files_outro: None,
        source: "crates/zt-broker/src/docs.rs",
        examples: manpages::EXAMPLES,
    }
}

fn zt_pages() -> Vec<(String, Vec<u8>)> {
    zt::docs::man_pages().unwrap_or_else(|e| panic!("{}", e.message))
}

fn broker_pages() -> Vec<(String, Vec<u8>)> {
    zt::docs::man_pages_for(zt_broker::cli::command(), &broker_docs())
        .unwrap_or_else(|e| panic!("{}", e.message))
}

#[test]
fn zt_completions_are_current() {
    check(&root().join("completions"), zt::docs::zt_completions());
}

#[test]
fn zt_man_pages_are_current() {
    check(&root().join("man"), zt_pages());
}

#[test]
fn broker_docs_are_current() {
    check(
        &root().join("completions"),
        zt::docs::completions_for(zt_broker::cli::command(), "zt-broker"),
    );
    check(&root().join("man"), broker_pages());
}

/// A page of a command that no longer exists would still be installed by install.sh.
#[test]
fn man_has_no_page_of_a_removed_command() {
    let made: BTreeSet<String> = zt_pages()
        .into_iter()
        .chain(broker_pages())
        .map(|(name, _)| name)
        .collect();
    let mut stale = Vec::new();
    for entry in std::fs::read_dir(root().join("man")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".1") && !made.contains(&name) {
            if updating() {
                std::fs::remove_file(&path).unwrap();
            } else {
                stale.push(name);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "man/ holds pages of no command: {stale:?}\nrun `{}` (it removes them)",
        manpages::REGENERATE
    );
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn every_page_has_exit_status_files_and_examples() {
    let zt_codes: Vec<u8> = zt::error::ErrorKind::TABLE
        .iter()
        .map(|(c, _)| *c)
        .collect();
    let broker_codes: Vec<u8> = zt_broker::docs::EXIT_CODES
        .iter()
        .map(|(c, _)| *c)
        .collect();
    for (pages, codes) in [(zt_pages(), zt_codes), (broker_pages(), broker_codes)] {
        assert!(pages.len() > 5, "too few pages: {}", pages.len());
        for (name, bytes) in pages {
            let page = text(&bytes);
            let order: Vec<usize> = [".SH \"EXIT STATUS\"", ".SH \"FILES\"", ".SH \"EXAMPLES\""]
                .iter()
                .map(|s| page.find(s).unwrap_or_else(|| panic!("{name} has no {s}")))
                .collect();
            assert!(order.is_sorted(), "{name}: sections out of order");
            for code in &codes {
                assert!(
                    page.contains(&format!(".TP\n\\fB{code}\\fR\n")),
                    "{name}: exit code {code} missing"
                );
            }
            let examples = &page[order[2]..];
            assert!(
                examples.contains(".nf\n\\fB$ "),
                "{name}: EXAMPLES shows no command"
            );
        }
    }
}

#[test]
fn top_pages_document_the_environment() {
    let zt_top = text(&zt_pages()[0].1);
    for (var, _) in zt::env::DOCUMENTED {
        assert!(
            zt_top.contains(&format!("\\fB{var}\\fR")),
            "zt.1 lacks {var}"
        );
    }
    let broker_top = text(&broker_pages()[0].1);
    assert!(broker_top.contains(".SH \"ENVIRONMENT\"") && broker_top.contains("ZT_BROKER_LOG"));
}

/// The broker's FILES name the files its code makes (the constants, not copies of them).
#[test]
fn broker_files_name_what_the_code_makes() {
    let rows: Vec<&str> = zt_broker::docs::FILES.iter().map(|(p, _, _)| *p).collect();
    for file in [
        zt_broker::config::DB_FILE,
        zt_broker::dev::wire::IDP_KEY_FILE,
        zt_broker::dev::statefile::FILE,
        zt_broker::dev::statefile::LOG,
    ] {
        assert!(
            rows.iter().any(|r| r.contains(file)),
            "crates/zt-broker/src/docs.rs: FILES does not name {file}"
        );
    }
    assert!(
        zt_broker::docs::EXIT_CODES
            .iter()
            .any(|(c, _)| *c == zt_broker::serve::audit::BROKEN)
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
