//! Policies that must not load: syntax and schema mistakes named at their file, line and
//! column, every broken file at once, and directory loading. (Annotation mistakes are tested
//! in `annotations.rs`, with [`problem`] and [`GOOD`] from here.)

use crate::policy::{CedarPolicy, Problem};

/// The single problem of a set that must not load.
pub(super) fn problem(sources: &[(&str, &str)]) -> Problem {
    match CedarPolicy::from_sources(sources) {
        Ok(_) => panic!("loaded: {sources:?}"),
        Err(e) => {
            // Shown with --nocapture: how an operator sees it.
            eprintln!("{e}");
            assert_eq!(e.problems.len(), 1, "{e}");
            e.problems.into_iter().next().unwrap()
        }
    }
}

pub(super) const GOOD: &str = r#"// fine
@id("ok")
@outcome("grant")
permit (principal, action == Action::"request", resource);
"#;

#[test]
fn a_syntax_error_names_file_line_and_column() {
    let bad = "@id(\"ok2\")\n@outcome(\"grant\")\npermit (principal, action, resource)\nwhen { context.role == };\n";
    let p = problem(&[("policies/a.cedar", GOOD), ("policies/b.cedar", bad)]);
    assert_eq!(p.file, "policies/b.cedar");
    assert_eq!((p.line, p.column), (Some(4), Some(24)), "{p}");
    assert!(p.to_string().starts_with("policies/b.cedar:4:24: "), "{p}");
}

#[test]
fn an_unknown_attribute_is_a_schema_error_at_its_line() {
    let bad = "@id(\"typo\")\n@outcome(\"cap\")\n@max_ttl(\"1h\")\npermit (principal, action == Action::\"request\", resource)\nwhen {\n  resource.environmnt == \"prod\"\n};\n";
    let p = problem(&[("a.cedar", GOOD), ("b.cedar", bad)]);
    assert_eq!(p.file, "b.cedar");
    assert_eq!(p.line, Some(6), "{p}");
    assert!(p.message.contains("typo"), "{p}");
    assert!(p.message.contains("environmnt"), "{p}");

    // A wrong type is caught the same way.
    let bad = "@id(\"t\") @outcome(\"grant\")\npermit (principal, action == Action::\"request\", resource)\nwhen { context.hour == \"9\" };\n";
    let p = problem(&[("c.cedar", bad)]);
    assert_eq!((p.file.as_str(), p.line), ("c.cedar", Some(3)), "{p}");
}

#[test]
fn an_id_used_twice_names_both_places() {
    let p = problem(&[("a.cedar", GOOD), ("b.cedar", &format!("\n\n{GOOD}"))]);
    assert_eq!((p.file.as_str(), p.line), ("b.cedar", Some(4)), "{p}");
    assert!(p.message.contains("a.cedar:2"), "{p}");
}

#[test]
fn every_broken_file_is_reported_at_once() {
    let e = CedarPolicy::from_sources(&[
        ("a.cedar", "permit (principal, action, resource"),
        ("b.cedar", GOOD),
        (
            "c.cedar",
            "@id(\"y\")\nforbid (principal, action, resource);",
        ),
    ])
    .unwrap_err();
    let files: Vec<_> = e.problems.iter().map(|p| p.file.as_str()).collect();
    assert_eq!(files, ["a.cedar", "c.cedar"], "{e}");
    assert_eq!(e.to_string().lines().count(), 2, "{e}");
}

#[test]
fn load_dir_reads_only_cedar_files_and_refuses_an_empty_dir() {
    let dir = tempfile::tempdir().unwrap();
    let e = CedarPolicy::load_dir(dir.path()).unwrap_err();
    assert!(e.to_string().contains("no *.cedar"), "{e}");
    std::fs::write(dir.path().join("notes.txt"), "not policy").unwrap();
    std::fs::write(dir.path().join("a.cedar"), GOOD).unwrap();
    assert_eq!(CedarPolicy::load_dir(dir.path()).unwrap().len(), 1);
    let e = CedarPolicy::load_dir(&dir.path().join("missing")).unwrap_err();
    assert!(e.to_string().contains("cannot read"), "{e}");
}
