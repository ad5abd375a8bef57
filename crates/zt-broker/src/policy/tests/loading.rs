//! Policies that must not load: syntax, schema and annotation mistakes named at their file,
//! line and column; directory loading; and reload keeping the old set on error.

use std::sync::Arc;

use super::*;

/// The single problem of a set that must not load.
fn problem(sources: &[(&str, &str)]) -> Problem {
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

const GOOD: &str = r#"// fine
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
fn annotation_mistakes_name_their_line() {
    for (src, line, needle) in [
        // No @id.
        (
            "\n@outcome(\"grant\")\npermit (principal, action, resource);\n",
            2,
            "@id",
        ),
        // A permit without an outcome.
        (
            "@id(\"x\")\npermit (principal, action, resource);\n",
            1,
            "@outcome",
        ),
        // An outcome that does not exist.
        (
            "@id(\"x\")\n@outcome(\"allow\")\npermit (principal, action, resource);\n",
            2,
            "\"allow\"",
        ),
        // A misspelt annotation.
        (
            "@id(\"x\")\n@outcome(\"grant\")\n@max_tll(\"1h\")\npermit (principal, action, resource);\n",
            3,
            "@max_tll",
        ),
        // A TTL that is not one.
        (
            "@id(\"x\")\n@outcome(\"grant\")\n\n@max_ttl(\"soon\")\npermit (principal, action, resource);\n",
            4,
            "soon",
        ),
        // Approval with nobody to approve.
        (
            "@id(\"x\")\n@outcome(\"approval\")\npermit (principal, action, resource);\n",
            2,
            "@approvers",
        ),
        // An approval count that is not one.
        (
            "@id(\"x\") @outcome(\"approval\") @approvers(\"g\")\n@approvals(\"two\")\npermit (principal, action, resource);\n",
            2,
            "@approvals(\"two\") is not a whole number from 1 to 10",
        ),
        (
            "@id(\"x\") @outcome(\"approval\") @approvers(\"g\")\n\n@approvals(\"0\")\npermit (principal, action, resource);\n",
            3,
            "@approvals(\"0\")",
        ),
        // A count on a permit that takes no approvals.
        (
            "@id(\"x\") @outcome(\"grant\")\n@approvals(\"2\")\npermit (principal, action, resource);\n",
            2,
            "@approvals only goes with @outcome(\"approval\")",
        ),
        // A forbid that would not say why.
        (
            "@id(\"x\")\nforbid (principal, action, resource);\n",
            1,
            "@reason",
        ),
        // A forbid with a permit's annotation.
        (
            "@id(\"x\") @reason(\"r\")\n@max_ttl(\"1h\")\nforbid (principal, action, resource);\n",
            2,
            "@max_ttl",
        ),
        // Templates are not policies.
        (
            "@id(\"x\") @outcome(\"grant\")\npermit (principal == ?principal, action, resource);\n",
            1,
            "templates",
        ),
    ] {
        let src = format!("{GOOD}\n{src}");
        let p = problem(&[("f.cedar", &src)]);
        assert_eq!(p.file, "f.cedar");
        assert_eq!(p.line, Some(line + 5), "{src}\n{p}");
        assert!(p.message.contains(needle), "{needle}: {p}");
    }
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

#[test]
fn reload_swaps_a_good_set_and_keeps_the_old_one_on_error() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::parse(CATALOG).unwrap();
    for f in ["access.cedar", "break-glass.cedar", "ttl-caps.cedar"] {
        std::fs::copy(examples_dir().join(f), dir.path().join(f)).unwrap();
    }
    let holder = ReloadablePolicy::new(CedarPolicy::load_dir(dir.path()).unwrap());
    let outcome = |h: &ReloadablePolicy| run(h, &catalog, ASK, None).decision.outcome;
    assert_eq!(outcome(&holder), Outcome::Grant);

    // A broken edit: the error names the file and line, and the running set stays.
    let broken = dir.path().join("zz-new.cedar");
    std::fs::write(
        &broken,
        "@id(\"no-view\")\n@reason(\"r\")\nforbid (principal, action == Action::\"request\", resource)\nwhen { context.rol == \"view\" };\n",
    )
    .unwrap();
    let before = holder.current();
    let e = holder.reload(dir.path()).unwrap_err();
    assert_eq!(e.problems[0].line, Some(4), "{e}");
    assert!(e.problems[0].file.ends_with("zz-new.cedar"), "{e}");
    assert!(Arc::ptr_eq(&before, &holder.current()));
    assert_eq!(outcome(&holder), Outcome::Grant);

    // Fixed: the new set is in force.
    std::fs::write(
        &broken,
        "@id(\"no-view\")\n@reason(\"r\")\nforbid (principal, action == Action::\"request\", resource)\nwhen { context.role == \"view\" };\n",
    )
    .unwrap();
    holder.reload(dir.path()).unwrap();
    assert_eq!(outcome(&holder), Outcome::Deny);
    assert_eq!(holder.current().len(), 10);
}
