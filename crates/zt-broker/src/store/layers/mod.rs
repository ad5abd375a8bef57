//! The store's files import each other in one direction only (issue 12): the facade on top,
//! the backends below it, the shared pieces (row types, the schema, the SQL helpers) at the
//! bottom. A scan of the sources, like the dev fence (`dev/fence.rs`): it reads every `.rs` file under
//! `src/store`, finds the store files each one refers to, and fails on a cycle, naming it;
//! and on a shared piece ([`SHARED`]) or a backend that refers to a file above it.
//!
//! A reference is a path that reaches a store file: `use super::…`, `use crate::store::…`,
//! grouped `use super::{a, b::c}`, a child from its parent (`use sqlite::Readers`,
//! `head::move_head(…)`), a module imported by name and used later (`use super::audit;` then
//! `audit::chain::…`), or such a path anywhere in the code (`super::x::f()`,
//! `crate::store::x::y`). A path leads to the deepest file it names; one that stops at a module
//! with a directory leads to its `mod.rs`. Declaring a child module (`mod x;`) is no
//! reference, and neither is a comment (doc links included).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod scan;

use scan::references;

/// A cycle of `graph`, as its files in order with the first repeated at the end.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut found = stack[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, done, stack) {
                return Some(found);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut done, &mut Vec::new()))
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

/// Every `.rs` file of the store, by its path below `src/store`, with its text.
fn store_sources() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store");
    let mut paths = Vec::new();
    rust_files(&dir, &mut paths);
    let sources: Vec<(String, String)> = paths
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned();
            (rel, std::fs::read_to_string(p).unwrap())
        })
        .collect();
    assert!(
        sources.len() > 15,
        "read only {} files: is {} the store?",
        sources.len(),
        dir.display()
    );
    sources
}

/// The shared pieces at the bottom: row types, schema, the SQL helpers and what they run on.
const SHARED: &[&str] = &[
    "error.rs",
    "keys.rs",
    "schema.rs",
    "rows.rs",
    "conn.rs",
    "sql.rs",
    "audit/chain.rs",
    "audit/head.rs",
];

#[test]
fn the_store_files_import_each_other_without_a_cycle() {
    let sources = store_sources();
    let graph = references(&sources);
    // The scan sees references at all: the backends are reached from above.
    assert!(
        graph.values().flatten().any(|to| to == "sqlite/mod.rs"),
        "no file refers to sqlite/mod.rs: the scan is blind ({graph:#?})"
    );
    if let Some(found) = cycle(&graph) {
        panic!(
            "the store's files import each other in a cycle: {}\n(every file's references: \
             {graph:#?})",
            found.join(" -> ")
        );
    }
}

#[test]
fn the_scan_sees_each_way_of_referring_and_finds_the_cycle() {
    let src = |files: &[(&str, &str)]| -> Vec<(String, String)> {
        files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect()
    };
    let sources = src(&[
        // A parent's re-export, and a child's grouped `use super::{…}`.
        ("mod.rs", "mod a; mod b; mod c;\npub use a::Thing;"),
        (
            "a.rs",
            "use super::{Top, b::{self, Other}};\n// use super::c::Never;\nfn f() { b::g() }",
        ),
        (
            "b.rs",
            "pub(in crate::store) fn g() { crate::store::c::d::h() }",
        ),
        // A child by its path in code, and a module imported by name.
        ("c/mod.rs", "mod d;\nfn k() { d::h(); }"),
        (
            "c/d.rs",
            "use crate::store::{x, a as aa};\nuse super::super::b;\nfn h() { let _ = \"//\"; }",
        ),
        (
            "x.rs",
            "use super::a;\nfn y() { a::z(); sqlx::postgres::x(); }",
        ),
    ]);
    let graph = references(&sources);
    let to = |f: &str| -> Vec<&str> { graph[f].iter().map(String::as_str).collect() };
    assert_eq!(to("mod.rs"), ["a.rs"]);
    assert_eq!(
        to("a.rs"),
        ["b.rs", "mod.rs"],
        "the comment names c, which is no reference"
    );
    assert_eq!(to("b.rs"), ["c/d.rs"]);
    assert_eq!(to("c/mod.rs"), ["c/d.rs"]);
    assert_eq!(to("c/d.rs"), ["a.rs", "b.rs", "x.rs"]);
    assert_eq!(to("x.rs"), ["a.rs"]);
    // mod.rs -> a.rs -> mod.rs (the re-export and the `use super::Top`).
    let found = cycle(&graph).expect("a cycle");
    assert_eq!(found.first(), found.last());
    assert!(found.len() >= 3, "{found:?}");

    // Without the file's back edges, none.
    let acyclic = src(&[
        ("mod.rs", "mod a; mod b;\npub use a::Thing;\nuse b::Other;"),
        ("a.rs", "use super::b::Other;"),
        ("b.rs", "pub struct Other;"),
    ]);
    assert_eq!(cycle(&references(&acyclic)), None);
}

#[test]
fn the_shared_pieces_and_the_backends_import_nothing_above_them() {
    let graph = references(&store_sources());
    let backend = |f: &str| f.starts_with("sqlite/") || f.starts_with("postgres/");
    for shared in SHARED {
        assert!(
            graph.contains_key(*shared),
            "{shared} is gone: update SHARED"
        );
    }
    let mut wrong = Vec::new();
    for (from, tos) in &graph {
        if from.ends_with("tests.rs") {
            continue;
        }
        for to in tos {
            let below = if SHARED.contains(&from.as_str()) {
                SHARED.contains(&to.as_str())
            } else if backend(from) {
                backend(to) || SHARED.contains(&to.as_str())
            } else {
                true
            };
            if !below {
                wrong.push(format!("{from} -> {to}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the shared pieces import only each other, the backends only themselves and the \
         shared pieces; these reach up: {wrong:?}"
    );
}
