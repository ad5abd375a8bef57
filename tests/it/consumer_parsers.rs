//! zt's INI editor against botocore's own config loader, on generated AWS config files (issue
//! 11, item 12): every file botocore reads, zt reads the same way; zt's edit of it reads back,
//! with botocore, as the same file plus zt's profile; and the wipe gives back every byte.
//! Generated with proptest's strategies from a fixed seed; one Python process answers a
//! whole batch, so a few hundred cases take seconds.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use zt::materialize::ini::{self, Dialect, IniSection};
use zt::materialize::kubeyaml::Wiped;

use crate::common::peer;

/// `n` values of `s`, the same ones on every run.
pub(crate) fn generate<S: Strategy>(s: S, n: usize, seed: u8) -> Vec<S::Value> {
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    (0..n)
        .map(|_| s.new_tree(&mut runner).unwrap().current())
        .collect()
}

/// botocore's reading of each text: `raw_config_parse` accepts it or not, and configparser's
/// sections with their keys and raw values (what `raw_config_parse` builds on).
const BOTOCORE: &str = r#"
import configparser, json, os, sys, tempfile
from botocore.configloader import raw_config_parse
path = os.path.join(tempfile.mkdtemp(), "config")
out = []
for text in json.load(sys.stdin):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    try:
        raw_config_parse(path)
    except Exception as e:
        out.append({"ok": False, "error": type(e).__name__})
        continue
    cp = configparser.RawConfigParser()
    cp.read([path], encoding="utf-8")
    out.append({"ok": True, "sections": [[s, {k: cp.get(s, k) for k in cp.options(s)}] for s in cp.sections()]})
json.dump(out, sys.stdout)
"#;

type Sections = Vec<(String, BTreeMap<String, String>)>;

fn botocore(python: &PathBuf, texts: &[String]) -> Vec<Option<Sections>> {
    let mut child = Command::new(python)
        .args(["-c", BOTOCORE])
        .env_clear()
        .env("PYTHONUTF8", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start botocore's python");
    let input = serde_json::to_vec(texts).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the botocore oracle failed");
    let v: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    v.into_iter()
        .map(|r| {
            r["ok"].as_bool().unwrap().then(|| {
                r["sections"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| {
                        let keys = s[1].as_object().unwrap().iter();
                        let keys = keys.map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()));
                        (s[0].as_str().unwrap().to_string(), keys.collect())
                    })
                    .collect()
            })
        })
        .collect()
}

/// What botocore would see, from zt's reading: DEFAULT is no section of its own, its keys are
/// in every other section (which may override them).
fn as_botocore(zt: Vec<(String, Vec<(String, String)>)>) -> Sections {
    let defaults: BTreeMap<String, String> = zt
        .iter()
        .filter(|(h, _)| h == "DEFAULT")
        .flat_map(|(_, e)| e.iter().cloned())
        .collect();
    zt.into_iter()
        .filter(|(h, _)| h != "DEFAULT")
        .map(|(h, e)| {
            let mut keys = defaults.clone();
            keys.extend(e);
            (h, keys)
        })
        .collect()
}

/// Whitespace as Python's `str.strip()` knows it, a little of everything.
fn ws() -> impl Strategy<Value = String> {
    "[ \t\u{b}\u{c}\u{1c}\u{a0}]{0,2}"
}

fn aws_line() -> impl Strategy<Value = String> {
    let key = "[a-cA-C_]{1,3}";
    let value = "[ -~]{0,8}";
    prop_oneof![
        3 => (ws(), "[a-c]{1,2}( [a-c]{1,2})?", prop_oneof![
            Just(""), Just(" ; mine"), Just(" # x"), Just("]"), Just("x]"), Just("[y]"), Just(" = v")
        ])
            .prop_map(|(w, n, t)| format!("{w}[{n}]{t}")),
        6 => (ws(), key, ws(), prop_oneof![Just("="), Just(":")], ws(), value)
            .prop_map(|(a, k, b, d, c, v)| format!("{a}{k}{b}{d}{c}{v}")),
        3 => ("[ \t]{1,4}", "[a-c]{1,2}", ws(), "=?", value)
            .prop_map(|(i, k, w, eq, v)| format!("{i}{k}{w}{eq}{v}")),
        2 => (ws(), prop_oneof![Just("#"), Just(";")], "[ -~]{0,6}")
            .prop_map(|(w, c, t)| format!("{w}{c}{t}")),
        2 => ws(),
        1 => Just("[DEFAULT]".to_string()),
        1 => "[ a-c]{0,2}\\[[a-c=]{0,2}",
        1 => "[a-c]{1,3}",
    ]
}

fn aws_file() -> impl Strategy<Value = String> {
    (
        proptest::bool::weighted(0.8),
        proptest::collection::vec(aws_line(), 0..10),
        prop_oneof![Just("\n"), Just("\r\n")],
        proptest::bool::weighted(0.9),
    )
        .prop_map(|(header, lines, eol, last)| {
            let mut lines = lines;
            if header {
                lines.insert(0, "[s]".to_string());
            }
            let mut text = lines.join(eol);
            if last && !text.is_empty() {
                text.push_str(eol);
            }
            text
        })
}

#[test]
fn aws_config_files_read_by_botocore_are_read_and_edited_alike() {
    let Some(aws) = peer("ZT_TEST_AWS") else {
        return;
    };
    let python = PathBuf::from(aws).with_file_name("python3");
    let texts = generate(aws_file(), 400, 11);
    let theirs = botocore(&python, &texts);
    let entries = vec![
        ("region".to_string(), "us-east-1".to_string()),
        (
            "credential_process".to_string(),
            "/usr/bin/zt credential aws g1".to_string(),
        ),
    ];
    let section = IniSection {
        header: "profile zt-gen",
        entries: &entries,
        grant_id: "g1",
        expires_at: "2026-05-01T12:00:00Z",
    };
    let mut edited = Vec::new();
    let (mut accepted, mut refused_by_both) = (0, 0);
    for (text, theirs) in texts.iter().zip(&theirs) {
        let Some(theirs) = theirs else {
            refused_by_both += usize::from(ini::read(text, Dialect::Aws).is_err());
            continue;
        };
        accepted += 1;
        let ours = ini::read(text, Dialect::Aws)
            .unwrap_or_else(|e| panic!("botocore reads {text:?}, zt refuses it: {e}"));
        assert_eq!(&as_botocore(ours), theirs, "read differently: {text:?}");
        let (out, undo) = ini::apply(text, &section, Dialect::Aws)
            .unwrap_or_else(|e| panic!("zt cannot add its profile to {text:?}: {e}"));
        assert_eq!(
            ini::wipe(&out, section.header, &undo, Dialect::Aws),
            Ok(if undo.created {
                Wiped::RemoveFile
            } else {
                Wiped::Text(text.clone())
            }),
            "the wipe gives back {text:?}"
        );
        let mut want = theirs.clone();
        let defaults = as_botocore(vec![
            (
                "DEFAULT".into(),
                ini::read(text, Dialect::Aws)
                    .unwrap()
                    .into_iter()
                    .filter(|(h, _)| h == "DEFAULT")
                    .flat_map(|(_, e)| e)
                    .collect(),
            ),
            (section.header.to_string(), entries.clone()),
        ]);
        want.extend(defaults);
        edited.push((text.clone(), out, want));
    }
    let outs: Vec<String> = edited.iter().map(|(_, o, _)| o.clone()).collect();
    for ((text, out, want), got) in edited.iter().zip(botocore(&python, &outs)) {
        let got = got.unwrap_or_else(|| panic!("botocore refuses zt's edit of {text:?}:\n{out}"));
        assert_eq!(
            &got, want,
            "botocore reads zt's edit of {text:?} differently:\n{out}"
        );
    }
    eprintln!(
        "{} generated AWS config files: botocore read {accepted} (zt read and edited all of \
         them alike); both refused {refused_by_both}, zt alone refused {}",
        texts.len(),
        texts.len() - accepted - refused_by_both
    );
    assert!(accepted >= 100, "too few files botocore reads: {accepted}");
}

/// A kubeconfig entry of `list` (`clusters`, `contexts`, `users`) in one of the layouts people
/// and tools write.
fn kube_entry(list: &'static str) -> impl Strategy<Value = String> {
    let inner = match list {
        "clusters" => "cluster:\n    server: https://k8s.example.com:6443",
        "contexts" => "context:\n    cluster: a\n    user: a",
        _ => "user:\n    token: abc",
    };
    (
        prop_oneof![Just("a"), Just("\"b\""), Just("'c d'"), Just("e-1")],
        proptest::bool::ANY,
        prop_oneof![Just(""), Just("  # theirs\n"), Just("\n")],
    )
        .prop_map(move |(name, name_first, after)| match name_first {
            true => format!("- name: {name}\n  {inner}\n{after}"),
            false => format!("- {inner}\n  name: {name}\n{after}"),
        })
}

fn kube_list(list: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        1 => Just(format!("{list}: []\n")),
        1 => Just(format!("{list}:\n")),
        1 => Just(format!("{list}: null\n")),
        1 => Just(format!("{list}: [{{name: f}}]\n")),
        4 => (proptest::collection::vec(kube_entry(list), 1..3), proptest::bool::ANY)
            .prop_map(move |(entries, indented)| {
                let body: String = entries.concat();
                match indented {
                    false => format!("{list}:\n{body}"),
                    true => format!(
                        "{list}:\n{}",
                        body.lines().map(|l| format!("  {l}\n")).collect::<String>()
                    ),
                }
            }),
    ]
}

fn kubeconfig() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just(""), Just("# mine\n"), Just("---\n")],
        proptest::bool::ANY,
        (
            kube_list("clusters"),
            kube_list("contexts"),
            kube_list("users"),
        ),
        prop_oneof![
            Just(""),
            Just("current-context: a\n"),
            Just("current-context: \"\"\n")
        ],
        prop_oneof![Just(""), Just("preferences: {}\n"), Just("# the end\n")],
        proptest::sample::select(vec![0usize, 1, 2]),
        prop_oneof![Just("\n"), Just("\r\n")],
    )
        .prop_map(|(head, kind, (c, x, u), cur, tail, rot, eol)| {
            let mut lists = [c, x, u];
            lists.rotate_left(rot);
            let kind = if kind {
                "apiVersion: v1\nkind: Config\n"
            } else {
                ""
            };
            let text = format!("{head}{kind}{}{cur}{tail}", lists.concat());
            text.replace('\n', eol)
        })
}

/// `kubectl config view -o json` of `text`, lists as `[]` when absent; None when kubectl
/// refuses the file.
fn kubectl_view(kubectl: &str, dir: &std::path::Path, text: &str) -> Option<serde_json::Value> {
    let file = dir.join("config");
    std::fs::write(&file, text).unwrap();
    let out = Command::new(kubectl)
        .env_clear()
        .env("HOME", dir)
        .args(["config", "view", "-o", "json", "--kubeconfig"])
        .arg(&file)
        .output()
        .unwrap();
    if !out.status.success() {
        return None;
    }
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for list in ["clusters", "contexts", "users"] {
        if v[list].is_null() {
            v[list] = serde_json::json!([]);
        }
    }
    Some(v)
}

#[test]
fn kubeconfigs_read_by_kubectl_are_edited_so_kubectl_reads_the_same_plus_zts_entries() {
    use zt::materialize::kubeyaml::{self, KubeEntry};
    let Some(kubectl) = crate::common::kubectl() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let args = ["credential", "kube", "g1"].map(String::from);
    let entry = KubeEntry {
        name: "zt-gen",
        server: "https://k8s.example.com:6443",
        certificate_authority_data: None,
        namespace: Some("default"),
        exec_command: "/usr/bin/zt",
        exec_args: &args,
        grant_id: "g1",
        expires_at: "2026-05-01T12:00:00Z",
    };
    let (mut edited, mut refused, mut theirs_refused) = (0, 0, 0);
    for text in generate(kubeconfig(), 150, 12) {
        let Some(before) = kubectl_view(&kubectl, dir.path(), &text) else {
            theirs_refused += 1;
            continue;
        };
        let (out, undo) = match kubeyaml::apply(&text, &entry, false) {
            Ok(r) => r,
            Err(e) => {
                // A layout zt cannot edit line by line: refused clearly, never half-done.
                assert!(!e.message.contains("internal"), "{text:?}: {e}");
                refused += 1;
                continue;
            }
        };
        edited += 1;
        let mut after = kubectl_view(&kubectl, dir.path(), &out)
            .unwrap_or_else(|| panic!("kubectl refuses zt's edit of {text:?}:\n{out}"));
        for list in ["clusters", "contexts", "users"] {
            let items = after[list].as_array_mut().unwrap();
            let n = items.len();
            items.retain(|i| i["name"] != "zt-gen");
            assert_eq!(items.len() + 1, n, "{list} has zt's entry once: {out}");
        }
        assert_eq!(
            after, before,
            "kubectl reads zt's edit of {text:?} differently:\n{out}"
        );
        let back = kubeyaml::wipe(&out, entry.name, &undo).unwrap();
        let want = match text.is_empty() {
            true => Wiped::RemoveFile,
            false => Wiped::Text(text.clone()),
        };
        assert_eq!(back, want, "the wipe gives back {text:?}");
    }
    eprintln!(
        "150 generated kubeconfigs: kubectl refused {theirs_refused}; zt edited {edited} \
         (kubectl reads each edit as the file plus zt's entries) and refused {refused} clearly"
    );
    assert!(edited >= 50, "too few edits: {edited}");
}
