//! `zt prompt` from the ledger (none, one, several grants; a hostile or broken ledger), and
//! `zt status --watch` refused without a terminal or with `--json`.

use crate::common::{Home, Out};

fn write_ledger(home: &Home, entries: &[(&str, &str, &str, i64, &str)]) {
    let now = zt_api::Timestamp::now().0;
    let entries: Vec<String> = entries
        .iter()
        .map(|(grant, profile, resource, left, target)| {
            format!(
                r#"{{"grant":"{grant}","profile":"{profile}","resource":"{resource}","role":"admin","expires_at":{},"target":{target}}}"#,
                now + left
            )
        })
        .collect();
    std::fs::write(
        home.state().join("ledger.json"),
        format!(r#"{{"entries":[{}]}}"#, entries.join(",")),
    )
    .unwrap();
}

const KUBE: &str = r#"{"kind":"kubeconfig","file":"/nowhere","name":"zt-x","undo":{}}"#;
const AWS: &str =
    r#"{"kind":"ini","file":"/nowhere","header":"profile zt-x","dialect":"aws-config","undo":{}}"#;

#[test]
fn prompt_shows_live_grants_and_nothing_else() {
    let home = Home::new();
    // No ledger at all: no output, exit 0.
    let out = home.run(&["prompt"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "")
    );
    assert_eq!(
        home.run(&["prompt", "--json"]).ok().json()["grants"],
        serde_json::json!([])
    );

    write_ledger(&home, &[("g1", "default", "prod-k8s", 42 * 60 + 30, KUBE)]);
    assert_eq!(home.run(&["prompt"]).ok().stdout, "⎈ prod-k8s/admin 42m\n");

    write_ledger(
        &home,
        &[
            ("g1", "default", "prod-k8s", 42 * 60 + 30, KUBE),
            ("g2", "work", "prod-aws", 4 * 60 + 30, AWS),
            ("g3", "default", "old", -10, KUBE),
        ],
    );
    let out = home.run(&["prompt"]);
    assert_eq!(
        out.ok().stdout,
        "☁ prod-aws/admin ⚠4m · ⎈ prod-k8s/admin 42m\n"
    );
    // A profile named (flag or variable) narrows it.
    let out = home.run(&["--profile", "work", "prompt"]);
    assert_eq!(out.ok().stdout, "☁ prod-aws/admin ⚠4m\n");
    let out = Out::from(
        home.zt(&["prompt"])
            .env("ZT_PROFILE", "default")
            .output()
            .unwrap(),
    );
    assert_eq!(out.ok().stdout, "⎈ prod-k8s/admin 42m\n");
    let json = home.run(&["prompt", "--json"]).ok().json();
    assert_eq!(json["grants"][0]["grant"], "g2");
    assert_eq!(json["grants"][0]["kind"], "aws");
    assert_eq!(json["grants"][0]["ending_soon"], true);
    assert_eq!(json["grants"].as_array().unwrap().len(), 2);
    // The prompt sweeps nothing: the ended entry is still in the ledger.
    let ledger = zt::ledger::Ledger::read_from(&home.state().join("ledger.json"));
    assert_eq!(ledger.entries.len(), 3);
}

#[test]
fn prompt_escapes_a_hostile_ledger_and_ignores_a_broken_one() {
    let home = Home::new();
    write_ledger(
        &home,
        &[("g1", "default", "pr\\u001b]0;pwned\\u0007od\\r", 630, KUBE)],
    );
    let out = home.run(&["prompt"]);
    assert_eq!(
        out.ok().stdout,
        "⎈ pr\\u{1b}]0;pwned\\u{7}od\\r/admin 10m\n"
    );

    let ledger = home.state().join("ledger.json");
    for garbage in [
        "not json".to_string(),
        "{\"entries\": [{\"grant\": 1}]}".into(),
        "[".repeat(100_000),
        format!("{{\"entries\":[]}}{}", " ".repeat(2 << 20)),
    ] {
        std::fs::write(&ledger, &garbage).unwrap();
        let out = home.run(&["prompt"]);
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (0, "", "")
        );
    }
    // A ledger zt cannot open (a directory) is no different.
    std::fs::remove_file(&ledger).unwrap();
    std::fs::create_dir(&ledger).unwrap();
    assert_eq!(home.run(&["prompt"]).ok().stdout, "");
}

#[test]
fn status_watch_needs_a_terminal_and_no_json() {
    let home = Home::new();
    write_ledger(&home, &[("g1", "default", "prod-k8s", 630, KUBE)]);
    let out = home.run(&["status", "--watch"]);
    out.code(2);
    assert!(out.stderr.contains("needs a terminal"), "{}", out.stderr);
    assert!(out.stderr.contains("zt status --json"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    for args in [
        &["--json", "status", "--watch"][..],
        &["status", "--watch", "--json"],
    ] {
        let out = home.run(args);
        out.code(2);
        assert!(out.stderr.contains("--json"), "{args:?}: {}", out.stderr);
        let err: serde_json::Value = serde_json::from_str(out.stderr.trim()).unwrap();
        assert_eq!(err["error"]["kind"], "usage", "{args:?}");
    }
}
