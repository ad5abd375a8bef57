//! apply then wipe gives the original text back byte for byte: the corpus, kubectl's and
//! hand-written styles, empty lists, a fresh file, current-context, re-requests, a kubectl
//! rewrite, and many grants wiped in one pass.

use super::*;

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
