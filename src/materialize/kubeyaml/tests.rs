mod fixtures;
mod props;

use super::*;
use fixtures::*;
use yaml_rust2::YamlLoader;

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
        server: "http://127.0.0.1:8080/dev/k8s # not a comment",
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
