//! Ask, don't fail — the script side: without a terminal, `zt request`, `zt approve` and
//! `zt deny` without their argument fail with exit 2, naming it and listing what it could be,
//! and never read stdin (a pipe holding "y\n" is left unread). Unknown names get the nearest
//! known ones, a two-word `--ttl 2 hours` gets a hint to quote it, and `zt env`, `zt extend`
//! and `zt revoke` take a resource name like `zt exec`, failing with the list when two grants
//! match. (The terminal side is tests/it/tty_pickers.rs.)

use std::io::{Read, Write};
use std::process::Stdio;

use crate::common::broker::Broker;
use crate::common::{Home, Out};

/// Run zt with stdin a pipe that holds "y\n" (and stays open), and return what zt did and
/// what was left in the pipe: a zt that read its stdin would have taken the answer.
fn run_with_answer_waiting(home: &Home, args: &[&str]) -> (Out, String) {
    let (mut reader, mut writer) = std::io::pipe().unwrap();
    writer.write_all(b"y\n").unwrap();
    let child = home
        .zt(args)
        .stdin(reader.try_clone().unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The writer stays open while zt runs: a read would block, not see end-of-file.
    let out = Out::from(child.wait_with_output().unwrap());
    drop(writer);
    let mut left = String::new();
    reader.read_to_string(&mut left).unwrap();
    (out, left)
}

fn grant_id(out: &Out) -> String {
    out.json()["request"]["id"].as_str().unwrap().to_string()
}

#[test]
fn missing_arguments_without_a_terminal_list_the_choices_and_never_read_stdin() {
    let broker = Broker::start(&[]);
    let (alice, bob) = (Home::new(), Home::new());
    broker.login_via_page(&alice, "alice");
    broker.login_via_page(&bob, "bob");

    let (out, left) = run_with_answer_waiting(&alice, &["request"]);
    out.code(2);
    assert_eq!(left, "y\n", "zt read stdin: {out:#?}");
    assert!(out.stderr.contains("RESOURCE"), "{}", out.stderr);
    for r in ["prod-k8s", "prod-aws", "prod-db"] {
        assert!(out.stderr.contains(r), "{r} not listed: {}", out.stderr);
    }
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    // The JSON error shape, the list in its hint.
    let (out, left) = run_with_answer_waiting(&alice, &["request", "--json"]);
    out.code(2);
    assert_eq!(left, "y\n");
    let e: serde_json::Value = serde_json::from_str(out.stderr.trim()).unwrap();
    assert_eq!(e["error"]["kind"], "usage");
    assert!(
        e["error"]["hint"].as_str().unwrap().contains("prod-db"),
        "{e}"
    );

    // An empty inbox says so.
    let (out, left) = run_with_answer_waiting(&bob, &["approve"]);
    out.code(2);
    assert_eq!(left, "y\n");
    assert!(out.stderr.contains("ID"), "{}", out.stderr);
    assert!(out.stderr.contains("nothing waits"), "{}", out.stderr);

    // With a request pending, approve and deny list its id, and decide nothing.
    let out = alice.run(&[
        "request",
        "prod-k8s",
        "--role",
        "admin",
        "--no-wait",
        "--json",
    ]);
    let id = out.ok().json()["id"].as_str().unwrap().to_string();
    for verb in ["approve", "deny"] {
        let (out, left) = run_with_answer_waiting(&bob, &[verb]);
        out.code(2);
        assert_eq!(left, "y\n", "{verb} read stdin");
        assert!(
            out.stderr.contains(&format!("zt {verb} ID")),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr
                .contains(&format!("{id} (alice@example.com: prod-k8s/admin)")),
            "{}",
            out.stderr
        );
    }
    let inbox = bob.run(&["inbox", "--json"]);
    assert!(
        inbox.ok().stdout.contains(&id),
        "still pending: {}",
        inbox.stdout
    );
    // `zt deny ID` without --comment asks nothing in a script either.
    let (out, left) = run_with_answer_waiting(&bob, &["deny", &id]);
    out.ok();
    assert_eq!(left, "y\n", "deny read a comment from stdin");
}

#[test]
fn missing_arguments_are_named_even_before_login() {
    let nobody = Home::new();
    for (args, named) in [
        (&["request"][..], "RESOURCE"),
        (&["approve"], "zt approve ID"),
        (&["deny"], "zt deny ID"),
    ] {
        let (out, left) = run_with_answer_waiting(&nobody, args);
        out.code(2);
        assert_eq!(left, "y\n", "{args:?} read stdin");
        assert!(out.stderr.contains(named), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn unknown_names_get_the_nearest_known_ones() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let alice = Home::new();
    alice
        .run(&[
            "login",
            "--broker",
            &broker.url,
            "--insecure-storage",
            "--no-browser",
        ])
        .ok();

    let out = alice.run(&["request", "prod-k8z"]);
    out.code(8);
    assert!(
        out.stderr.contains("did you mean prod-k8s?"),
        "{}",
        out.stderr
    );
    let out = alice.run(&["request", "prod-k8s", "--role", "admn"]);
    out.code(2);
    assert!(out.stderr.contains("did you mean admin?"), "{}", out.stderr);
    let out = alice.run(&["exec", "prod-dv", "--", "true"]);
    out.code(8);
    assert!(
        out.stderr.contains("did you mean prod-db?"),
        "{}",
        out.stderr
    );
    let out = alice.run(&["extend", "prdo-aws", "--ttl", "5m"]);
    out.code(8);
    assert!(
        out.stderr.contains("did you mean prod-aws?"),
        "{}",
        out.stderr
    );
    // --json: the same error shape, the suggestion in the hint.
    let out = alice.run(&["request", "prod-k8z", "--json"]);
    out.code(8);
    let e: serde_json::Value = serde_json::from_str(out.stderr.trim()).unwrap();
    assert_eq!(e["error"]["kind"], "not_found");
    assert!(e["error"]["hint"].as_str().unwrap().contains("prod-k8s"));
    // Nothing near: no guess.
    let out = alice.run(&["request", "billing"]);
    out.code(8);
    assert!(!out.stderr.contains("did you mean"), "{}", out.stderr);
}

#[test]
fn a_two_word_duration_gets_a_hint_to_quote_it() {
    let home = Home::new();
    let out = home.run(&["request", "prod-k8s", "--ttl", "2", "hours"]);
    out.code(2);
    assert!(
        out.stderr.contains(r#"--ttl "2 hours""#) && out.stderr.contains("--ttl 2h"),
        "{}",
        out.stderr
    );
    let out = home.run(&["extend", "prod-k8s", "--ttl", "1h", "30m", "--json"]);
    out.code(2);
    let e: serde_json::Value = serde_json::from_str(out.stderr.trim()).unwrap();
    assert!(
        e["error"]["hint"]
            .as_str()
            .unwrap()
            .contains(r#"--ttl "1h 30m""#),
        "{e}"
    );
    let out = home.run(&["exec", "prod-k8s", "--timeout", "5", "min", "--", "true"]);
    out.code(2);
    assert!(out.stderr.contains("--timeout 5m"), "{}", out.stderr);
    // A refusal that is not about a split duration keeps clap's words alone.
    let out = home.run(&["request", "prod-k8s", "--ttl", "soon"]);
    out.code(2);
    assert!(!out.stderr.contains("quote it"), "{}", out.stderr);
}

#[test]
fn env_extend_and_revoke_take_a_resource_name_and_list_an_ambiguity() {
    let broker = Broker::start(&[]);
    let (alice, bob) = (Home::new(), Home::new());
    broker.login_via_page(&alice, "alice");
    broker.login_via_page(&bob, "bob");

    let view = grant_id(
        alice
            .run(&["request", "prod-k8s", "--ttl", "20m", "--json"])
            .ok(),
    );
    let env = alice.run(&["env", "prod-k8s"]);
    assert!(env.ok().stdout.contains("KUBECONFIG="), "{}", env.stdout);
    let ext = alice.run(&["extend", "prod-k8s", "--ttl", "30m", "--json"]);
    assert_eq!(ext.ok().json()["request"]["id"], view.as_str());

    // A second grant on prod-k8s: admin, approved by bob.
    let out = alice.run(&[
        "request",
        "prod-k8s",
        "--role",
        "admin",
        "--no-wait",
        "--json",
    ]);
    let admin = out.ok().json()["id"].as_str().unwrap().to_string();
    bob.run(&["approve", &admin]).ok();
    alice
        .run(&["request", "prod-k8s", "--role", "admin", "--ttl", "10m"])
        .ok();

    // Two match: a script gets exit 2 and both ids, with role and time left.
    for args in [
        &["env", "prod-k8s"][..],
        &["extend", "prod-k8s", "--ttl", "40m"],
        &["revoke", "prod-k8s"],
        &["exec", "prod-k8s", "--", "true"],
    ] {
        let out = alice.run(args);
        out.code(2);
        for (id, role) in [(&view, "view"), (&admin, "admin")] {
            assert!(
                out.stderr.contains(&format!("{id} ({role}, ")),
                "{args:?}: {}",
                out.stderr
            );
        }
        assert!(out.stderr.contains(" left"), "{}", out.stderr);
    }
    // --role narrows exec to one.
    alice
        .run(&["exec", "prod-k8s", "--role", "view", "--", "true"])
        .ok();
    // Nothing was revoked by the refusals.
    let status = alice.run(&["status", "--json"]);
    let rows = status.ok().json();
    let live = |id: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == id && r["state"] == "active")
    };
    assert!(live(&view) && live(&admin), "{}", status.stdout);

    // By id, then by the name that now matches one.
    alice.run(&["revoke", &admin]).ok();
    let out = alice.run(&["revoke", "prod-k8s", "--json"]);
    assert_eq!(out.ok().json()["id"], view.as_str());
    let out = alice.run(&["env", "prod-k8s"]);
    out.code(8);
    assert!(out.stderr.contains("no live grant"), "{}", out.stderr);
}
