//! Input zt must not get wrong: entries it did not write, layouts it refuses, values that
//! would break the YAML, a large file, deep nesting; and how its errors read.

use super::*;

#[test]
fn foreign_entries_are_refused_or_left_alone() {
    let foreign = KUBECTL.replace("name: staging\ncontexts", "name: zt-prod-k8s\ncontexts");
    let err = apply(&foreign, &entry(&args(), "g"), false).expect_err("refuses");
    assert_eq!(err.line, Some(7));
    assert!(
        err.message
            .contains("`zt-prod-k8s` entry exists in `clusters` that zt did not write"),
        "{err}"
    );
    assert!(err.to_string().starts_with("line 7: "));
    // wipe only removes entries carrying zt's marker.
    assert_eq!(
        wipe(&foreign, NAME, &KubeUndo::default()),
        Ok(Wiped::Text(foreign.clone()))
    );
}

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
fn hostile_values_are_quoted() {
    let a = vec![
        "--x=#y".to_string(),
        "a: b".to_string(),
        "*alias".to_string(),
        "\u{2028}é😀\"\\\t\n".to_string(),
    ];
    let e = KubeEntry {
        name: "zt-we\"ird #name: *x",
        server: "http://127.0.0.1:8080/dev/k8s?q=a:b#not-a-comment",
        namespace: None,
        certificate_authority_data: None,
        ..entry(&a, "g\u{7}")
    };
    let (out, undo) = apply(HAND, &e, true).expect("applies");
    let tree = parse(&out);
    let user = tree[&key("users")]
        .as_vec()
        .and_then(|u| u.last())
        .expect("user");
    assert_eq!(
        user["user"]["exec"]["args"],
        Yaml::Array(a.iter().map(|s| Yaml::String(s.clone())).collect())
    );
    assert_eq!(
        zt_entries(&out).expect("parses")[0],
        (e.name.to_string(), "g\u{7}".to_string())
    );
    assert_eq!(wipe(&out, e.name, &undo), Ok(Wiped::Text(HAND.to_string())));
}

#[test]
fn large_file_is_linear() {
    let big = many(1000);
    let a = args();
    let start = std::time::Instant::now();
    let (out, undo) = apply(&big, &entry(&a, "g"), true).expect("applies");
    let applied = start.elapsed();
    assert_eq!(wipe(&out, NAME, &undo), Ok(Wiped::Text(big.clone())));
    eprintln!(
        "1000 entries, {} KiB: apply {applied:?}, apply+wipe {:?} (debug build)",
        big.len() / 1024,
        start.elapsed()
    );
}

#[test]
fn error_display() {
    assert_eq!(
        EditError {
            line: Some(12),
            message: "bad".into()
        }
        .to_string(),
        "line 12: bad"
    );
    assert_eq!(
        EditError {
            line: None,
            message: "bad".into()
        }
        .to_string(),
        "bad"
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

#[test]
fn servers_other_than_https_or_loopback_http_are_refused() {
    for ok in [
        "https://k8s.example.com:6443",
        "https://10.0.0.1/prefix",
        "http://127.0.0.1:8080/dev/k8s",
        "http://localhost:1",
        "http://[::1]:8080",
    ] {
        let a = args();
        let e = KubeEntry {
            server: ok,
            ..entry(&a, "g")
        };
        apply("", &e, false).unwrap_or_else(|err| panic!("{ok}: {err}"));
    }
    for bad in [
        "file:///etc/passwd",
        "http://k8s.example.com",
        "http://127.0.0.1.example.com",
        "ftp://k8s.example.com",
        "unix:///var/run/k8s.sock",
        "https://user:pw@k8s.example.com",
        "https://k8s.example.com\n  evil: 1",
        "https://\u{1b}[2Jk8s",
        "https://",
        "k8s.example.com:6443",
        "",
    ] {
        let a = args();
        let e = KubeEntry {
            server: bad,
            ..entry(&a, "g")
        };
        let err = apply("", &e, false).expect_err(bad);
        assert!(err.message.contains("will not write"), "{bad:?}: {err}");
        assert!(!err.message.contains('\u{1b}') && !err.message.contains('\n'));
    }
}
