//! The fence around `dev`: production modules (`serve`, config, the real issuers, the store,
//! the routes, the catalog…) never import from it, so nothing of the demo can leak into a
//! production broker by accident (issue 12). A plain scan of the sources, in the spirit of jj's
//! `test_no_forgotten_test_files`: crude, but it fails the moment someone writes the import.

use std::path::{Path, PathBuf};

/// Outside `dev` but allowed to use it: the binary composes both sides. (Unit tests are skipped
/// by [`is_test`]; the test support that drives the dev broker is the zt-testkit crate.)
const ALLOWED: &[&str] = &["main.rs"];

/// How a module reaches `dev`: by path (`crate::dev::…`, `super::dev`, `super::super::dev`) or
/// in a grouped `use crate::{…, dev, …}`.
fn imports_dev(source: &str) -> bool {
    let by_path = ["crate::dev", "super::dev", "super::super::dev"]
        .iter()
        .any(|p| has_path(source, p));
    let grouped = source.match_indices("crate::{").any(|(at, _)| {
        let group = &source[at..];
        let group = &group[..group.find('}').unwrap_or(group.len())];
        group
            .split([',', '{', ' ', '\n'])
            .any(|item| item == "dev" || item.starts_with("dev::"))
    });
    by_path || grouped
}

/// `path` followed by something that ends the name (`::`, `;`, `}`, `,`, space), so
/// `crate::devices` would not count.
fn has_path(source: &str, path: &str) -> bool {
    source.match_indices(path).any(|(at, _)| {
        let next = source[at + path.len()..].chars().next();
        !matches!(next, Some(c) if c.is_alphanumeric() || c == '_')
    })
}

/// Test code: a `tests` module file or folder, or a `*_tests.rs` file.
fn is_test(rel: &str) -> bool {
    rel.split('/').any(|part| part == "tests")
        || rel.ends_with("/tests.rs")
        || rel == "tests.rs"
        || rel.ends_with("_tests.rs")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn production_code_never_imports_dev() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut offenders = Vec::new();
    let mut scanned = 0;
    for path in files {
        let rel = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if rel.starts_with("dev/") || is_test(&rel) || ALLOWED.iter().any(|a| rel.starts_with(a)) {
            continue;
        }
        scanned += 1;
        if imports_dev(&std::fs::read_to_string(&path).unwrap()) {
            offenders.push(rel);
        }
    }
    assert!(
        scanned > 50,
        "scanned only {scanned} files: is {} the source tree?",
        src.display()
    );
    assert!(
        offenders.is_empty(),
        "production modules import from crate::dev (move what they need out of dev, or hand \
         it in as serve does with DevIssuers): {offenders:?}"
    );
}

#[test]
fn the_scan_sees_each_way_of_importing() {
    for yes in [
        "use crate::dev::wire::SCOPES;",
        "let n = super::super::dev::pg_name(r);",
        "use super::dev;",
        "use crate::{dev, reaper};",
        "use crate::{reaper, dev::k8s};",
    ] {
        assert!(imports_dev(yes), "{yes}");
    }
    for no in [
        "use crate::devices::X;",
        "use crate::{developer, reaper};",
        "// the dev issuers",
        "/dev/urandom",
    ] {
        assert!(!imports_dev(no), "{no}");
    }
}
