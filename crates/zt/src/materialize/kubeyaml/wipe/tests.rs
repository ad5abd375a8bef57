//! Wiping: back to the original text byte for byte after apply (also after a kubectl rewrite,
//! for many grants in one pass), and the random-file property tests: random kubeconfigs
//! assembled from realistic pieces, where apply then wipe must be the identity and no text may
//! make the editor panic.

use proptest::prelude::*;

use crate::materialize::kubeyaml::fixtures::*;
use crate::materialize::kubeyaml::layout::CURRENT;
use crate::materialize::kubeyaml::tests::*;
use crate::materialize::kubeyaml::*;
use crate::materialize::tests::Dice;

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

// ---- Random files --------------------------------------------------------------------------
// Random kubeconfigs assembled from realistic pieces: apply then wipe must be the identity.

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
