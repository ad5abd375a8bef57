//! Layouts zt refuses to edit line by line, and the bounds that keep hostile input from
//! exhausting memory or the stack: nesting depth, alias expansion.

use crate::materialize::kubeyaml::fixtures::*;
use crate::materialize::kubeyaml::tests::*;
use crate::materialize::kubeyaml::*;

#[test]
fn refusals() {
    let anchored = {
        let (out, _) = apply(KUBECTL, &entry(&args(), "g"), false).expect("applies");
        out.replace(
            "- name: \"zt-prod-k8s\"\n  user:\n",
            "- name: \"zt-prod-k8s\"\n  user: &u\n",
        )
    };
    let cases: &[(&str, &str, Option<usize>)] = &[
        ("garbage", "apiVersion: v1\nclusters: [\n  - : :\n}\n", None),
        ("tabs", "apiVersion: v1\nusers:\n\t- name: a\n", Some(3)),
        (
            "top-level list",
            "- apiVersion: v1\n- kind: Config\n",
            Some(1),
        ),
        (
            "flow document",
            "{\"apiVersion\": \"v1\", \"kind\": \"Config\", \"clusters\": []}\n",
            Some(1),
        ),
        ("users: 5", "apiVersion: v1\nusers: 5\n", Some(2)),
        ("users mapping", "apiVersion: v1\nusers:\n  a: b\n", Some(2)),
        (
            "flow list",
            "apiVersion: v1\nusers: [{name: a, user: {}}]\n",
            Some(2),
        ),
        (
            "multi-document",
            "apiVersion: v1\n---\nkind: Config\n",
            Some(2),
        ),
        (
            "anchored list",
            "apiVersion: v1\nusers: &u\n- name: a\n",
            Some(2),
        ),
        (
            "duplicate key",
            "apiVersion: v1\nkind: Config\nkind: Config\n",
            Some(3),
        ),
        ("NUL", "apiVersion: v1\n\0junk: 1\n", Some(2)),
        ("bare CR", "apiVersion: v1\rkind: Config\n", Some(1)),
        ("scalar document", "just a string\n", Some(1)),
        ("anchored zt entry", &anchored, Some(51)),
    ];
    for (label, text, line) in cases {
        let a = args();
        let err = apply(text, &entry(&a, "g"), true).expect_err(label);
        if let Some(line) = line {
            assert_eq!(err.line, Some(*line), "{label}: {err}");
        }
        assert!(!err.message.is_empty());
        if *label != "anchored zt entry" {
            assert!(validate(text).is_err(), "{label}");
        }
        assert!(wipe(text, NAME, &KubeUndo::default()).is_err(), "{label}");
    }
    let flow = apply("{apiVersion: v1}", &entry(&args(), "g"), false).expect_err("flow");
    assert!(
        flow.message
            .contains("zt edits block-style YAML kubeconfigs only"),
        "{flow}"
    );
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    for text in [
        format!("a: {}\n", "[".repeat(100_000)),
        format!("a: {}1\n", "- ".repeat(5_000)),
    ] {
        assert!(validate(&text).is_err());
        assert!(apply(&text, &entry(&args(), "g"), true).is_err());
    }
    let mut block = String::from("apiVersion: v1\n");
    for i in 0..300 {
        block += &format!("{}k:\n", " ".repeat(i));
    }
    let err = apply(&block, &entry(&args(), "g"), true).expect_err("too deep");
    assert!(err.message.contains("nested too deeply"), "{err}");
}

/// Nested aliases, each of ten copies of the one before: a few hundred bytes that yaml_rust2's
/// loader would expand to 10^9 nodes (issue 11: ~24 GB before the kernel killed zt).
fn billion_laughs() -> String {
    let mut s = String::from("apiVersion: v1\nkind: Config\na0: &a0 [\"lol\"]\n");
    for i in 1..=9 {
        let prev = format!("*a{}", i - 1);
        s += &format!("a{i}: &a{i} [{}]\n", [prev.as_str(); 10].join(","));
    }
    s += "clusters: []\n";
    s
}

#[test]
fn alias_expansion_is_bounded() {
    let start = std::time::Instant::now();
    let text = billion_laughs();
    assert!(text.len() < 600, "{}", text.len());
    let err = apply(&text, &entry(&args(), "g"), true).expect_err("refused");
    assert!(err.message.contains("aliases expand"), "{err}");
    assert!(validate(&text).is_err());
    assert!(zt_marked(&text).is_err());
    assert!(wipe(&text, NAME, &KubeUndo::default()).is_err());
    // Deep nesting reached only through aliases is refused too.
    let mut deep = String::from("apiVersion: v1\nd0: &d0 [[[[[[[[[[1]]]]]]]]]]\n");
    for i in 1..=20 {
        deep += &format!("d{i}: &d{i} [[[[[[[[[*d{}]]]]]]]]]\n", i - 1);
    }
    let err = apply(&deep, &entry(&args(), "g"), true).expect_err("too deep");
    assert!(err.message.contains("nested too deeply"), "{err}");
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
    // A few ordinary aliases are still fine.
    let few = "apiVersion: v1\nkind: Config\nx-ca: &ca Zm9v\nclusters:\n- name: a\n  cluster:\n    server: https://a\n    certificate-authority-data: *ca\n";
    apply(few, &entry(&args(), "g"), false).expect("a few aliases are fine");
}
