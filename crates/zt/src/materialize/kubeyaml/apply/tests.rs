//! What apply writes (in kubectl's and hand-written styles, into empty lists and a fresh file,
//! with current-context, on a re-request), the undo it records, and what it refuses to write:
//! a name taken by an entry zt did not write, a server that is not https or loopback http, and
//! values that would break the YAML (quoted instead).

use crate::materialize::kubeyaml::fixtures::*;
use crate::materialize::kubeyaml::layout::CURRENT;
use crate::materialize::kubeyaml::tests::*;
use crate::materialize::kubeyaml::*;

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
