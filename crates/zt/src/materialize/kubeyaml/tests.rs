//! The kubeconfig editor's tests: the helpers they share first, then the tests by subject —
//! round trips, hostile input, random files (proptest) — and last the realistic kubeconfigs
//! they run on.

use proptest::prelude::*;
use yaml_rust2::YamlLoader;

use super::layout::CURRENT;
use super::*;

const NAME: &str = "zt-prod-k8s";

fn args() -> Vec<String> {
    ["credential", "kube", "r7f3k2q9xa"]
        .map(String::from)
        .to_vec()
}

fn entry<'a>(args: &'a [String], grant: &'a str) -> KubeEntry<'a> {
    KubeEntry {
        name: NAME,
        server: "https://k8s.example.com:6443",
        certificate_authority_data: Some("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="),
        namespace: Some("payments"),
        exec_command: "/usr/local/bin/zt",
        exec_args: args,
        grant_id: grant,
        expires_at: "2026-05-01T12:00:00Z",
    }
}

/// zt's three entries for `entry(.., "r7f3k2q9xa")`, written independently of the emitter.
const EXPECTED_ENTRIES: &str = r#"
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    extensions:
    - extension: {expires: "2026-05-01T12:00:00Z", grant: r7f3k2q9xa}
      name: zt.dev/grant
    server: https://k8s.example.com:6443
  name: zt-prod-k8s
contexts:
- context:
    cluster: zt-prod-k8s
    extensions:
    - extension: {expires: "2026-05-01T12:00:00Z", grant: r7f3k2q9xa}
      name: zt.dev/grant
    namespace: payments
    user: zt-prod-k8s
  name: zt-prod-k8s
users:
- name: zt-prod-k8s
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      args: [credential, kube, r7f3k2q9xa]
      command: /usr/local/bin/zt
      env: null
      interactiveMode: Never
      provideClusterInfo: false
    extensions:
    - extension: {expires: "2026-05-01T12:00:00Z", grant: r7f3k2q9xa}
      name: zt.dev/grant
"#;

fn parse(text: &str) -> Hash {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match YamlLoader::load_from_str(text).expect("parses").as_slice() {
        [Yaml::Hash(h)] => h.clone(),
        [] => Hash::new(),
        other => panic!("not one mapping: {other:?}"),
    }
}

/// The tree without zt's entries, with empty/null/absent lists and the given keys dropped.
fn without_zt(tree: &Hash, drop: &[&str]) -> Hash {
    let mut out = Hash::new();
    for (k, v) in tree {
        let ks = k.as_str().unwrap_or("");
        if drop.contains(&ks) {
            continue;
        }
        let v = match (ks, v) {
            ("clusters" | "contexts" | "users", Yaml::Array(a)) => Yaml::Array(
                a.iter()
                    .filter(|i| i["name"].as_str() != Some(NAME))
                    .cloned()
                    .collect(),
            ),
            _ => v.clone(),
        };
        if matches!(ks, "clusters" | "contexts" | "users")
            && (v.is_null() || v.as_vec().is_some_and(|a| a.is_empty()))
        {
            continue;
        }
        out.insert(k.clone(), v);
    }
    out
}

/// `orig`'s lines appear in `out` in order, except key lines zt changed; returns how many
/// lines of `out` are new.
fn added_lines(orig: &str, out: &str) -> usize {
    let out_lines: Vec<&str> = out.split_inclusive('\n').collect();
    let (mut j, mut matched) = (0, 0);
    for line in orig.split_inclusive('\n') {
        match out_lines[j..]
            .iter()
            .position(|l| *l == line || l.trim_end() == line.trim_end())
        {
            Some(p) => (j, matched) = (j + p + 1, matched + 1),
            None => {
                let t = line.trim_start();
                assert!(
                    ["clusters:", "contexts:", "users:", "current-context:"]
                        .iter()
                        .any(|k| t.starts_with(k)),
                    "line {line:?} of the original is missing from:\n{out}"
                );
            }
        }
    }
    out_lines.len() - matched
}

/// Apply to `orig`, check the result, wipe, check we are back at `orig` byte for byte.
fn round_trip(label: &str, orig: &str, use_context: bool) -> String {
    let a = args();
    let (out, undo) = apply(orig, &entry(&a, "r7f3k2q9xa"), use_context)
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    let tree = parse(&out);
    let want = parse(EXPECTED_ENTRIES);
    for (list, _) in LISTS {
        let ours: Vec<&Yaml> = tree[&key(list)]
            .as_vec()
            .expect(list)
            .iter()
            .filter(|i| i["name"].as_str() == Some(NAME))
            .collect();
        assert_eq!(ours, vec![&want[&key(list)][0]], "{label}: {list}\n{out}");
    }
    let drop: &[&str] = if use_context { &[CURRENT] } else { &[] };
    let before = parse(orig);
    if !before.is_empty() {
        assert_eq!(
            without_zt(&tree, drop),
            without_zt(&before, drop),
            "{label}: other entries changed\n{out}"
        );
    }
    if use_context {
        assert_eq!(tree[&key(CURRENT)].as_str(), Some(NAME), "{label}");
    }
    if !orig.trim().is_empty() && !orig.starts_with('#') {
        assert!(added_lines(orig, &out) >= 36, "{label}");
    }
    assert_eq!(
        out.contains("\r\n"),
        orig.contains("\r\n"),
        "{label}: line endings"
    );
    if orig.contains("\r\n") {
        assert!(
            !out.replace("\r\n", "").contains('\n'),
            "{label}: mixed line endings\n{out:?}"
        );
    }
    assert_eq!(
        zt_entries(&out),
        Ok(vec![(NAME.to_string(), "r7f3k2q9xa".to_string())]),
        "{label}"
    );
    let back = wipe(&out, NAME, &undo).unwrap_or_else(|e| panic!("{label}: wipe: {e}"));
    let want = if orig.is_empty() {
        Wiped::RemoveFile
    } else {
        Wiped::Text(orig.to_string())
    };
    assert_eq!(back, want, "{label}: round trip\n--- applied:\n{out}");
    // Idempotent: wiping again changes nothing.
    if let Wiped::Text(t) = &back {
        assert_eq!(
            wipe(t, NAME, &undo),
            Ok(Wiped::Text(t.clone())),
            "{label}: second wipe"
        );
    }
    out
}

#[test]
fn a_user_comment_indented_under_an_emptied_list_survives() {
    // Found by the property tests: the comment after `clusters: null` sat below zt's item
    // once applied, and the wipe took it along.
    let original = "  #\n\n  contexts: null # none\n  clusters: null # none\n   # plain\n  apiVersion: v1\n #\n  kind: \"Config\"\n  preferences: {}\n# - name: commented-out\n  users:  # list\n  - name: x0\n    user:\n      args:\n      - a\n      - \"b: c\"\n  # ünïcødé ☸ — 🚀\n";
    let args: Vec<String> = vec!["credential".into(), "kube".into(), "g".into()];
    let (applied, undo) = apply(original, &entry(&args, "g"), true).unwrap();
    match wipe(&applied, NAME, &undo).unwrap() {
        Wiped::Text(t) => assert_eq!(t, original),
        Wiped::RemoveFile => panic!("the file had content"),
    }
}

// ---- Round trips ---------------------------------------------------------------------------
// apply then wipe gives the original text back byte for byte: the corpus, kubectl's and
// hand-written styles, empty lists, a fresh file, current-context, re-requests, a kubectl
// rewrite, and many grants wiped in one pass.

#[test]
fn corpus_round_trips() {
    for (label, text) in corpus() {
        assert_eq!(validate(&text), Ok(()), "{label}");
        round_trip(label, &text, false);
        round_trip(label, &text, true);
    }
}

#[test]
fn kubectl_style_output_matches_neighbours() {
    let out = round_trip("kubectl", KUBECTL, false);
    let want = "  name: staging\n- cluster:\n    certificate-authority-data: \"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\"\n    extensions:\n    - extension:\n        expires: \"2026-05-01T12:00:00Z\"\n        grant: \"r7f3k2q9xa\"\n      name: \"zt.dev/grant\"\n    server: \"https://k8s.example.com:6443\"\n  name: \"zt-prod-k8s\"\ncontexts:\n";
    assert!(out.contains(want), "{out}");
    assert!(out.ends_with("    token: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln\n- name: \"zt-prod-k8s\"\n  user:\n    exec:\n      apiVersion: \"client.authentication.k8s.io/v1\"\n      args:\n      - \"credential\"\n      - \"kube\"\n      - \"r7f3k2q9xa\"\n      command: \"/usr/local/bin/zt\"\n      env: null\n      interactiveMode: \"Never\"\n      provideClusterInfo: false\n    extensions:\n    - extension:\n        expires: \"2026-05-01T12:00:00Z\"\n        grant: \"r7f3k2q9xa\"\n      name: \"zt.dev/grant\"\n"), "{out}");
}

#[test]
fn hand_written_style_and_comments() {
    let out = round_trip("hand", HAND, false);
    // Indented lists get indented entries; comments before the next key stay before it.
    assert!(
        out.contains(
            "      server: https://k8s.work.example:443\n  - cluster:\n      certificate-authority-data:"
        ),
        "{out}"
    );
    assert!(out.contains("        name: \"zt.dev/grant\"\n      server: \"https://k8s.example.com:6443\"\n    name: \"zt-prod-k8s\"\n\n# Who I am\n"), "{out}");
    // The commented-out entry is not indented deeper than the `-`: it stays with what follows.
    assert!(
        out.contains(
            "      token: 'abc#def'   # not a comment inside quotes\n  - name: \"zt-prod-k8s\""
        ),
        "{out}"
    );
    assert!(
        out.contains("          name: \"zt.dev/grant\"\n  # - name: old-me\n"),
        "{out}"
    );
    assert!(out.contains("\n# end of file\n"));
}

#[test]
fn empty_lists_are_converted_and_restored() {
    let out = round_trip("nulls", NULLS, true);
    assert!(
        out.starts_with("apiVersion: v1\nclusters:\n- cluster:\n"),
        "{out}"
    );
    assert!(out.contains("contexts: # none yet\n- context:\n"), "{out}");
    assert!(
        out.ends_with("kind: Config\ncurrent-context: \"zt-prod-k8s\"\n"),
        "{out}"
    );
    let (_, undo) = apply(NULLS, &entry(&args(), "g"), true).expect("applies");
    assert_eq!(undo.current_context, Some(PreviousContext { text: None }));
    assert_eq!(
        undo.lists
            .iter()
            .map(|l| l.was.as_deref())
            .collect::<Vec<_>>(),
        [Some(""), Some(" ~"), Some(" null")]
    );
    let json = serde_json::to_string(&undo).expect("serializes");
    assert_eq!(
        serde_json::from_str::<KubeUndo>(&json).expect("deserializes"),
        undo
    );
}

#[test]
fn fresh_file() {
    let (out, undo) = apply("", &entry(&args(), "g"), true).expect("applies");
    assert!(
        out.starts_with("apiVersion: v1\nclusters:\n- cluster:\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "current-context: \"zt-prod-k8s\"\nkind: Config\npreferences: {}\nusers:\n- name:"
        ),
        "{out}"
    );
    assert_eq!(undo.fresh_from.as_deref(), Some(""));
    assert_eq!(wipe(&out, NAME, &undo), Ok(Wiped::RemoveFile));
    // Something else was added meanwhile: the file stays.
    let (more, _) = apply(
        &out,
        &KubeEntry {
            name: "zt-other",
            ..entry(&args(), "h")
        },
        false,
    )
    .expect("applies");
    let Ok(Wiped::Text(left)) = wipe(&more, NAME, &undo) else {
        panic!("file must stay")
    };
    assert_eq!(
        zt_entries(&left).expect("parses"),
        [("zt-other".to_string(), "h".to_string())]
    );
}

#[test]
fn current_context_switch_and_restore() {
    for (orig, prev) in [
        (KUBECTL.to_string(), Some(" kind-dev")),
        (
            KUBECTL.replace("current-context: kind-dev", "current-context: \"\""),
            Some(" \"\""),
        ),
        (
            KUBECTL.replace("current-context: kind-dev", "current-context:"),
            Some(""),
        ),
        (
            KUBECTL.replace(
                "current-context: kind-dev",
                "current-context: 'kind-dev' # default",
            ),
            Some(" 'kind-dev'"),
        ),
        (KUBECTL.replace("current-context: kind-dev\n", ""), None),
    ] {
        let (out, undo) = apply(&orig, &entry(&args(), "g"), true).expect("applies");
        assert_eq!(
            undo.current_context,
            Some(PreviousContext {
                text: prev.map(String::from)
            })
        );
        assert_eq!(wipe(&out, NAME, &undo), Ok(Wiped::Text(orig.clone())));
        // The user switched context meanwhile: wipe leaves their choice alone.
        let switched = out.replace(
            "current-context: \"zt-prod-k8s\"",
            "current-context: staging",
        );
        assert_ne!(switched, out);
        let Ok(Wiped::Text(left)) = wipe(&switched, NAME, &undo) else {
            panic!("wipes")
        };
        assert_eq!(parse(&left)[&key(CURRENT)].as_str(), Some("staging"));
        assert!(!left.contains(NAME));
    }
    // Already current: nothing to remember.
    let (out, _) = apply(KUBECTL, &entry(&args(), "g"), true).expect("applies");
    let (_, again) = apply(&out, &entry(&args(), "g2"), true).expect("applies");
    assert_eq!(again.current_context, None);
}

#[test]
fn reapply_replaces_in_place() {
    for (label, orig) in corpus() {
        let a = args();
        let (once, u1) = apply(&orig, &entry(&a, "first"), true).expect("applies");
        let (twice, u2) = apply(&once, &entry(&a, "second"), true).expect("applies again");
        assert_eq!(
            zt_entries(&twice),
            Ok(vec![(NAME.to_string(), "second".to_string())]),
            "{label}"
        );
        assert_eq!(
            twice,
            once.replace("\"first\"", "\"second\""),
            "{label}: replaced in place"
        );
        let want = if orig.is_empty() {
            Wiped::RemoveFile
        } else {
            Wiped::Text(orig.clone())
        };
        assert_eq!(
            wipe(&twice, NAME, &u1.clone().merge(u2.clone())),
            Ok(want.clone()),
            "{label}"
        );
        assert_eq!(wipe(&twice, NAME, &u1), Ok(want), "{label}");
    }
}

#[test]
fn survives_a_kubectl_rewrite() {
    let (out, undo) = apply(KUBECTL, &entry(&args(), "g"), true).expect("applies");
    // kubectl re-serializes the file: no quotes on these scalars (and no comments anywhere).
    let rewritten = out.replace('"', "");
    assert_eq!(
        zt_entries(&rewritten),
        Ok(vec![(NAME.to_string(), "g".to_string())])
    );
    assert_eq!(
        wipe(&rewritten, NAME, &undo),
        Ok(Wiped::Text(KUBECTL.to_string()))
    );
}

#[test]
fn wipe_many_removes_several_grants_in_one_pass() {
    for original in [KUBECTL, HAND, SPARSE, NULLS, EKS, ""] {
        let args: Vec<String> = vec!["credential".into(), "kube".into(), "g".into()];
        let mut text = original.to_string();
        let mut undos = Vec::new();
        let names = ["zt-a", "zt-b", "zt-c"];
        for (i, n) in names.iter().enumerate() {
            let e = KubeEntry {
                name: n,
                ..entry(&args, "g")
            };
            let (t, u) = apply(&text, &e, i == 1).unwrap();
            text = t;
            undos.push(u);
        }
        let list: Vec<(&str, &KubeUndo)> = names.iter().copied().zip(undos.iter()).collect();
        match wipe_many(&text, &list).unwrap() {
            Wiped::Text(t) => assert_eq!(t, original),
            Wiped::RemoveFile => assert_eq!(original, ""),
        }
    }
}

// ---- Hostile input -------------------------------------------------------------------------
// Input zt must not get wrong: entries it did not write, layouts it refuses, values that
// would break the YAML, a large file, deep nesting; and how its errors read.

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

// ---- Random files --------------------------------------------------------------------------
// Random kubeconfigs assembled from realistic pieces: apply then wipe must be the identity.

/// Draws choices from proptest's bytes, so failures shrink towards simpler files.
struct Dice<'a>(&'a [u8], usize);

impl Dice<'_> {
    fn pick(&mut self, n: usize) -> usize {
        let v = self.0.get(self.1).copied().unwrap_or(0);
        self.1 += 1;
        v as usize % n
    }
    fn chance(&mut self, in_n: usize) -> bool {
        self.pick(in_n) == 0
    }
}

fn pad(n: usize) -> String {
    " ".repeat(n)
}

const COMMENTS: [&str; 5] = [
    "# plain",
    "# ünïcødé ☸ — 🚀",
    "#",
    "# - name: commented-out",
    "#: looks: like: yaml",
];

/// One list entry with its `-` at `dash`, content at `dash + off`.
fn entry_text(
    d: &mut Dice,
    list: &str,
    n: usize,
    dash: usize,
    off: usize,
    nested: usize,
) -> String {
    let c = dash + off;
    let head = format!("{}-{}", pad(dash), pad(off - 1));
    let inner = match list {
        "clusters" => "cluster",
        "contexts" => "context",
        _ => "user",
    };
    let name = |n: usize| {
        [
            format!("e{n}"),
            format!("\"q {n}\""),
            format!("'s{n}'"),
            format!("zt-prod{n}"),
            format!("ünï{n}"),
        ]
    };
    let name = &name(n)[d.pick(5)];
    match d.pick(6) {
        0 => format!(
            "{head}{inner}:\n{}server: https://s{n}\n{}name: {name}\n",
            pad(c + nested),
            pad(c)
        ),
        1 => format!(
            "{head}name: {name}   # trailing\n{}{inner}:\n{}{}\n{}token: 'a#b'\n",
            pad(c),
            pad(c + nested),
            COMMENTS[d.pick(5)],
            pad(c + nested)
        ),
        2 => {
            let (ind, chomp) = (["|", "|+", "|-", ">", ">+"][d.pick(5)], d.pick(3));
            let blanks = "\n".repeat(chomp);
            format!(
                "{head}name: b{n}\n{}{inner}:\n{}data: {ind}\n{}line ☃\n{}# not a comment\n{blanks}",
                pad(c),
                pad(c + nested),
                pad(c + nested + 2),
                pad(c + nested + 2)
            )
        }
        3 => format!("{head}{{name: f{n}, {inner}: {{server: x}}}}\n"),
        4 => format!(
            "{head}name: p{n}\n{}{inner}:\n{}hint: a long plain\n{}scalar over lines\n",
            pad(c),
            pad(c + nested),
            pad(c + nested + 2)
        ),
        _ => {
            let dash = pad(c + nested + [0, 2][d.pick(2)]);
            format!(
                "{head}name: x{n}\n{}{inner}:\n{}args:\n{dash}- a\n{dash}- \"b: c\"\n",
                pad(c),
                pad(c + nested)
            )
        }
    }
}

/// A kubeconfig text from the dice (always valid YAML, LF line endings here).
fn kubeconfig(d: &mut Dice) -> String {
    let col = [0, 0, 2][d.pick(3)];
    let indent = [0, 0, 2, 4][d.pick(4)];
    let off = [2, 2, 3, 4][d.pick(4)];
    let nested = [2, 2, 4][d.pick(3)];
    let mut s = String::new();
    if d.chance(3) {
        s += ["---\n", "--- # doc\n", "%YAML 1.2\n---\n"][d.pick(3)];
    }
    if d.chance(2) {
        s += &format!("{}\n", COMMENTS[d.pick(5)]);
    }
    let mut keys = vec![
        "apiVersion",
        "kind",
        "clusters",
        "contexts",
        "users",
        CURRENT,
        "preferences",
        "x-extra",
    ];
    // A shuffle driven by the dice.
    for i in (1..keys.len()).rev() {
        keys.swap(i, d.pick(i + 1));
    }
    for key in keys {
        if d.chance(4) {
            s += &format!("{}{}\n", pad(d.pick(col + 1)), COMMENTS[d.pick(5)]);
        }
        if d.chance(5) {
            s += "\n";
        }
        let k = format!("{}{key}", pad(col));
        match key {
            "apiVersion" => s += &format!("{k}: v1\n"),
            "kind" => s += &format!("{k}: \"Config\"\n"),
            "preferences" => {
                s += [
                    &format!("{k}: {{}}\n"),
                    &format!("{k}:\n{}colors: true\n", pad(col + 2)),
                ][d.pick(2)]
            }
            "x-extra" => match d.pick(3) {
                0 => {}
                1 => s += &format!("{k}: [1, {{a: b}}]  # flow inside\n"),
                _ => s += &format!("{k}: &anc\n{}a: 1\n{}other: *anc\n", pad(col + 2), pad(col)),
            },
            CURRENT => match d.pick(6) {
                0 => {}
                1 => s += &format!("{k}: dev\n"),
                2 => s += &format!("{k}: \"\"\n"),
                3 => s += &format!("{k}:\n"),
                4 => s += &format!("{k}: 'dev' # chosen\n"),
                _ => s += &format!("{k}: \"zt-prod-k8s\"\n"),
            },
            list => match d.pick(8) {
                0 => {}
                1 => s += &format!("{k}:\n"),
                2 => s += &format!("{k}: []\n"),
                3 => s += &format!("{k}: null # none\n"),
                4 => s += &format!("{k}: ~\n"),
                _ => {
                    s += &format!(
                        "{k}:{}\n",
                        [""; 3].get(d.pick(4)).copied().unwrap_or("  # list")
                    );
                    let dash = col + indent;
                    for n in 0..1 + d.pick(4) {
                        if n > 0 && d.chance(4) {
                            s += &format!(
                                "{}{}\n",
                                pad([0, dash, dash + off + 2][d.pick(3)]),
                                COMMENTS[d.pick(5)]
                            );
                        }
                        if n > 0 && d.chance(5) {
                            s += "\n";
                        }
                        s += &entry_text(d, list, n, dash, off, nested);
                    }
                    if d.chance(3) {
                        s += &format!("{}{}\n", pad([0, dash][d.pick(2)]), COMMENTS[d.pick(5)]);
                    }
                }
            },
        }
    }
    if d.chance(3) {
        s += "# end\n";
    }
    if d.chance(3) {
        s += "\n";
    }
    s
}

fn line_endings(d: &mut Dice, s: String) -> String {
    let s = if d.chance(3) { crlf(&s) } else { s };
    if d.chance(4) {
        s.trim_end_matches(['\n', '\r']).to_string()
    } else {
        s
    }
}

proptest! {
    // No regression files: the worktree is not the place for them.
    #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn apply_then_wipe_is_identity(bytes in proptest::collection::vec(any::<u8>(), 0..160), ctx in any::<bool>()) {
        let mut d = Dice(&bytes, 0);
        let text = kubeconfig(&mut d);
        let text = line_endings(&mut d, text);
        let a = args();
        let (out, undo) = match apply(&text, &entry(&a, "g"), ctx) {
            Ok(r) => r,
            Err(e) => return Err(TestCaseError::fail(format!("refused {e}:\n{text}"))),
        };
        prop_assert_eq!(zt_entries(&out), Ok(vec![(NAME.to_string(), "g".to_string())]), "{}", out);
        let back = wipe(&out, NAME, &undo);
        let want = if text.is_empty() { Wiped::RemoveFile } else { Wiped::Text(text.clone()) };
        prop_assert_eq!(back, Ok(want), "applied:\n{}", out);
        // A second apply replaces in place and wipes back just the same.
        let (again, u2) = apply(&out, &entry(&a, "h"), ctx).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(wipe(&again, NAME, &undo.merge(u2)), Ok(if text.is_empty() { Wiped::RemoveFile } else { Wiped::Text(text.clone()) }));
    }

    #[test]
    fn mutated_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120), at in any::<usize>(), junk in "[-:#&*!|>\\[\\]{}'\" \t\r\na]{1,4}") {
        let mut d = Dice(&bytes, 0);
        let mut text = kubeconfig(&mut d);
        let mut at = at % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.insert_str(at, &junk);
        let a = args();
        let _ = validate(&text);
        let _ = zt_entries(&text);
        let _ = wipe(&text, NAME, &KubeUndo::default());
        if let Ok((out, undo)) = apply(&text, &entry(&a, "g"), true) {
            let want = if text.is_empty() { Wiped::RemoveFile } else { Wiped::Text(text.clone()) };
            prop_assert_eq!(wipe(&out, NAME, &undo), Ok(want), "input:\n{:?}\napplied:\n{}", text, out);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>(), yamlish in "[-:#&*!|>%\\[\\]{}'\"\\\\ \t\r\n\u{feff}a-z0-9]{0,80}") {
        let a = args();
        for t in [&text, &yamlish] {
            let _ = validate(t);
            let _ = zt_entries(t);
            let undo = KubeUndo {
                fresh_from: Some(String::new()),
                existed: false,
                current_context: Some(PreviousContext { text: Some(t.clone()) }),
                lists: vec![ListUndo { key: "users".into(), was: Some(t.clone()) }],
            };
            let _ = wipe(t, NAME, &undo);
            if let Ok((out, undo)) = apply(t, &entry(&a, "g"), true) {
                let want = if t.is_empty() { Wiped::RemoveFile } else { Wiped::Text(t.clone()) };
                prop_assert_eq!(wipe(&out, NAME, &undo), Ok(want));
            }
        }
    }
}

// ---- Fixtures ------------------------------------------------------------------------------
// Realistic kubeconfigs, as kubectl and as people write them.

/// What `kubectl config` writes: sorted keys, lists not indented under their key.
const KUBECTL: &str = r#"apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=
    server: https://10.0.0.1:6443
  name: kind-dev
- cluster:
    insecure-skip-tls-verify: true
    server: https://staging.example.com
  name: staging
contexts:
- context:
    cluster: kind-dev
    user: kind-dev
  name: kind-dev
- context:
    cluster: staging
    namespace: web
    user: alice
  name: staging
current-context: kind-dev
kind: Config
preferences: {}
users:
- name: kind-dev
  user:
    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo=
- name: alice
  user:
    token: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln
"#;

/// Hand-written: comments everywhere, indented lists, quoted scalars, odd order.
const HAND: &str = r#"# My clusters. Edit with care!
kind: Config
apiVersion: v1

# Where things run
clusters:
  - name: home   # the NUC under the desk
    cluster:
      server: "https://192.168.1.10:6443"
      # TLS is self-signed, sorry
      insecure-skip-tls-verify: true

  - name: 'work'
    cluster:
      server: https://k8s.work.example:443

# Who I am
users:
  - name: me
    user:
      token: 'abc#def'   # not a comment inside quotes
  # - name: old-me
  #   user: {}

contexts:
  - name: home
    context: {cluster: home, user: me}
  - name: work
    context:
      cluster: work
      user: me
      namespace: "team-a"

current-context: "home"
preferences:
  colors: true
# end of file
"#;

/// `---` start, `users: []`, no `contexts`, no current-context.
const SPARSE: &str = "---\n# sparse\napiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://a.example\n  name: a\nusers: []\n";

/// Lists present but empty in every way YAML allows.
const NULLS: &str =
    "apiVersion: v1\nclusters:\ncontexts: ~ # none yet\nusers: null\nkind: Config\n";

/// EKS: exec users with env and a long args list.
const EKS: &str = r#"apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwK
    server: https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com
  name: arn:aws:eks:eu-west-1:123456789012:cluster/prod
contexts:
- context:
    cluster: arn:aws:eks:eu-west-1:123456789012:cluster/prod
    user: arn:aws:eks:eu-west-1:123456789012:cluster/prod
  name: arn:aws:eks:eu-west-1:123456789012:cluster/prod
current-context: arn:aws:eks:eu-west-1:123456789012:cluster/prod
kind: Config
preferences: {}
users:
- name: arn:aws:eks:eu-west-1:123456789012:cluster/prod
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - --region
      - eu-west-1
      - eks
      - get-token
      - --cluster-name
      - prod
      - --output
      - json
      command: aws
      env:
      - name: AWS_PROFILE
        value: prod-admin
      interactiveMode: IfAvailable
      provideClusterInfo: false
"#;

/// GKE: exec plugin with a multi-line plain `installHint`.
const GKE: &str = r#"apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    server: https://34.77.1.2
  name: gke_my-project_europe-west1_main
contexts:
- context:
    cluster: gke_my-project_europe-west1_main
    user: gke_my-project_europe-west1_main
  name: gke_my-project_europe-west1_main
current-context: gke_my-project_europe-west1_main
kind: Config
preferences: {}
users:
- name: gke_my-project_europe-west1_main
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: gke-gcloud-auth-plugin
      installHint: Install gke-gcloud-auth-plugin for use with kubectl by following
        https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin
      provideClusterInfo: true
"#;

/// minikube: extensions on cluster and context, preferences with content.
const MINIKUBE: &str = r#"apiVersion: v1
clusters:
- cluster:
    certificate-authority: /home/u/.minikube/ca.crt
    extensions:
    - extension:
        last-update: Mon, 01 Jan 2024 10:00:00 UTC
        provider: minikube.sigs.k8s.io
        version: v1.32.0
      name: cluster_info
    server: https://192.168.49.2:8443
  name: minikube
contexts:
- context:
    cluster: minikube
    extensions:
    - extension:
        last-update: Mon, 01 Jan 2024 10:00:00 UTC
        provider: minikube.sigs.k8s.io
        version: v1.32.0
      name: context_info
    namespace: default
    user: minikube
  name: minikube
current-context: minikube
kind: Config
preferences:
  colors: true
users:
- name: minikube
  user:
    client-certificate: /home/u/.minikube/profiles/minikube/client.crt
    client-key: /home/u/.minikube/profiles/minikube/client.key
"#;

/// Non-ASCII in comments, keys' values and names; a block scalar holding non-ASCII.
const UNICODE: &str = "# Konfiguration für Zürich — ☸ クラスター 🚀\napiVersion: v1\nclusters:\n- cluster:\n    server: https://zürich.example # Straße\n  name: zürich\ncontexts:\n- context:\n    cluster: zürich\n    user: jürgen\n  name: zürich\nusers:\n- name: jürgen\n  user:\n    # Schlüssel 🔑\n    token: \"ä\\u00e9\"\n    note: |\n      mehrzeilig ☃\n      # kein Kommentar\ncurrent-context: zürich\nkind: Config\n";

/// A block scalar with keep chomping ends the last entry: its trailing blank lines are value.
const KEEP_CHOMP: &str = "apiVersion: v1\nusers:\n- name: u\n  user:\n    token: t\n    note: |+\n      keep\n\n\n# about contexts\ncontexts: []\nkind: Config\n";

/// Root keys indented by four, lists by four more.
const INDENTED: &str = "    apiVersion: v1\n    clusters:\n        -   name: x\n            cluster:\n                server: https://x\n    kind: Config\n";

fn crlf(s: &str) -> String {
    s.replace('\n', "\r\n")
}

/// `n` clusters, contexts and users, kubectl style.
fn many(n: usize) -> String {
    let mut s = String::from("apiVersion: v1\nclusters:\n");
    for i in 0..n {
        s += &format!("- cluster:\n    server: https://c{i}.example:6443\n  name: c{i}\n");
    }
    s += "contexts:\n";
    for i in 0..n {
        s += &format!(
            "- context:\n    cluster: c{i}\n    namespace: ns{i}\n    user: u{i}\n  name: ctx{i}\n"
        );
    }
    s += "current-context: ctx0\nkind: Config\npreferences: {}\nusers:\n";
    for i in 0..n {
        s += &format!("- name: u{i}\n  user:\n    token: tok{i}\n");
    }
    s
}

/// Every fixture, by name.
fn corpus() -> Vec<(&'static str, String)> {
    vec![
        ("kubectl", KUBECTL.to_string()),
        ("hand", HAND.to_string()),
        ("hand-crlf", crlf(HAND)),
        ("kubectl-crlf", crlf(KUBECTL)),
        ("sparse", SPARSE.to_string()),
        ("nulls", NULLS.to_string()),
        ("eks", EKS.to_string()),
        ("gke", GKE.to_string()),
        ("minikube", MINIKUBE.to_string()),
        ("unicode", UNICODE.to_string()),
        ("keep-chomp", KEEP_CHOMP.to_string()),
        ("indented", INDENTED.to_string()),
        ("no-final-newline", KUBECTL.trim_end().to_string()),
        ("hand-no-final-newline", HAND.trim_end().to_string()),
        ("bom", format!("\u{feff}{KUBECTL}")),
        ("fifty", many(50)),
        ("comment-only", "# nothing here yet\n".to_string()),
        ("empty", String::new()),
    ]
}
