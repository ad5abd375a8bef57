//! The kubeconfig editor's tests as a whole, and the helpers the tests of its modules share:
//! zt's expected entries, parsing a result, and the round trip (apply, check, wipe, check) that
//! `apply`'s and `wipe`'s tests run on the fixtures (`fixtures`). The tests of one module are
//! with it: `apply/tests.rs` (what apply writes, and refuses to), `wipe/tests.rs` (wiping, and
//! the random-file property tests), `layout/tests.rs` (layouts, nesting and aliases refused).

use yaml_rust2::YamlLoader;

use super::fixtures::*;
use super::layout::CURRENT;
use super::*;

pub(super) const NAME: &str = "zt-prod-k8s";

pub(super) fn args() -> Vec<String> {
    ["credential", "kube", "r7f3k2q9xa"]
        .map(String::from)
        .to_vec()
}

pub(super) fn entry<'a>(args: &'a [String], grant: &'a str) -> KubeEntry<'a> {
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

pub(super) fn parse(text: &str) -> Hash {
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
pub(super) fn round_trip(label: &str, orig: &str, use_context: bool) -> String {
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

// ---- Round trips ---------------------------------------------------------------------------
// apply then wipe gives the original text back byte for byte, on every fixture; a large file
// in linear time.

#[test]
fn corpus_round_trips() {
    for (label, text) in corpus() {
        assert_eq!(validate(&text), Ok(()), "{label}");
        round_trip(label, &text, false);
        round_trip(label, &text, true);
    }
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
