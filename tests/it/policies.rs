//! `[policy] dir` in `zt-broker serve`, with the real binary: the policies there decide; a
//! `SIGHUP` reloads them, and so does a change to a file there; a broken set is refused with
//! `file:line:column` — at start (`serve` and `check` exit non-zero and say where) and on a
//! reload (the running set stays, and the refusal is audited).
//!
//! People sign in at a `zt-broker dev` whose OpenID provider the served broker trusts.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::broker::Broker;
use crate::common::serve::{Login, Replica, fetch_json};
use crate::common::{Home, eventually};

/// A policy granting `view` at once to engineering, with id `grant-<tag>` (every tag the same
/// length, so a rewrite can keep the file's size).
fn grant_policy(tag: &str) -> String {
    format!(
        "@id(\"grant-{tag}\")\n@outcome(\"grant\")\npermit (principal in Group::\"engineering\", \
         action == Action::\"request\", resource) when {{ context.role == \"view\" }};\n"
    )
}

fn config(login: &Login) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"

[store]
url = "sqlite://zt.db"

[policy]
dir = "policies"

{login}
[[catalog.resource]]
name = "prod-k8s"
kind = "kubernetes"
default_role = "view"
max_ttl = "1h"
settings = {{ issuer = "dev", server = "https://k8s.example.com:6443" }}

[[catalog.resource.role]]
name = "view"
"#,
        login = login.toml(),
    )
}

/// The ids of the policies that decided a new request for prod-k8s/view.
fn decided_by(url: &str, token: &str) -> Vec<String> {
    let r = fetch_json(
        reqwest::Client::new()
            .post(format!("{url}/v1/requests"))
            .bearer_auth(token)
            .header("Idempotency-Key", format!("k-{}", rand_key()))
            .json(&json!({"resource": "prod-k8s", "role": "view", "ttl_secs": 600})),
    );
    serde_json::from_value(r["decision"]["policy_ids"].clone())
        .unwrap_or_else(|_| panic!("no decision: {r}"))
}

fn rand_key() -> u128 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// The audit rows of `action`, as JSON.
fn audited(url: &str, token: &str, action: &str) -> Vec<Value> {
    let r = fetch_json(
        reqwest::Client::new()
            .get(format!("{url}/v1/audit?action={action}"))
            .bearer_auth(token),
    );
    r["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no rows: {r}"))
        .clone()
}

/// Rewrite `path` with `text` of the same length, keeping its modification time: only a
/// SIGHUP can tell the broker.
fn rewrite_unseen(path: &Path, text: &str) {
    let before = std::fs::metadata(path).unwrap();
    assert_eq!(before.len() as usize, text.len());
    std::fs::write(path, text).unwrap();
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(before.modified().unwrap()).unwrap();
}

#[test]
fn policies_decide_and_reload_on_sighup_or_a_change_and_a_broken_set_changes_nothing() {
    let idp = Broker::start(&[]);
    let login = Login::discover(&idp.url);
    let (alice, bob) = (login.token("alice"), login.token("bob"));
    let home = Home::new();
    let dir = home.path().join("policies");
    std::fs::create_dir(&dir).unwrap();
    let file = dir.join("access.cedar");
    std::fs::write(&file, grant_policy("one")).unwrap();
    let cfg = home.path().join("broker.toml");
    std::fs::write(&cfg, config(&login)).unwrap();

    let broker = Replica::start(&home, &cfg, &[]);
    assert_eq!(decided_by(&broker.url, &alice), ["grant-one"]);

    // SIGHUP: the rewrite is invisible to the file watch (same size, same time).
    rewrite_unseen(&file, &grant_policy("two"));
    broker.signal(libc::SIGHUP);
    eventually(Duration::from_secs(10), || {
        decided_by(&broker.url, &alice) == ["grant-two"]
    })
    .expect("SIGHUP reloads the policies");
    let reloads = audited(&broker.url, &bob, "policy.reload");
    assert!(
        reloads.iter().any(
            |r| r["detail"].as_str().unwrap().contains("1 policies from")
                && r["detail"].as_str().unwrap().contains("(SIGHUP)")
        ),
        "{reloads:?}"
    );

    // A broken file, seen by the watch: refused at its line, the set in force stays.
    std::fs::write(
        &file,
        "@id(\"broken\")\npermit (principal, action, resource)\n",
    )
    .unwrap();
    let failed = eventually(Duration::from_secs(10), || {
        !audited(&broker.url, &bob, "policy.reload.failed").is_empty()
    });
    assert!(failed.is_some(), "a broken change is noticed and refused");
    let failure = audited(&broker.url, &bob, "policy.reload.failed")[0]["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(failure.contains("access.cedar:2:"), "{failure}");
    assert!(failure.contains("the previous set stays"), "{failure}");
    assert_eq!(decided_by(&broker.url, &alice), ["grant-two"]);

    // Fixed: the watch loads it.
    std::fs::write(&file, grant_policy("new")).unwrap();
    eventually(Duration::from_secs(10), || {
        decided_by(&broker.url, &alice) == ["grant-new"]
    })
    .expect("a fixed file is loaded");
    drop(broker);

    // A broken set stops `check` and `serve` before anything is served, saying where.
    std::fs::write(
        &file,
        "@id(\"broken\")\npermit (principal, action, resource)\n",
    )
    .unwrap();
    for sub in ["check", "serve"] {
        let out = home
            .cmd(crate::common::broker_bin())
            .args([sub, "--config"])
            .arg(&cfg)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{sub}: {err}");
        assert!(
            out.stdout.is_empty(),
            "{sub}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(err.contains("access.cedar:2:"), "{sub}: {err}");
    }
}

/// `zt-broker dev --policies` with a two-person rule, through the real `zt`: the request waits
/// for two approvers, `zt inbox` shows the count, and an approver's yes is counted once.
#[test]
fn dev_with_policies_takes_two_approvers_and_zt_shows_the_count() {
    let dir = Home::new();
    std::fs::write(
        dir.path().join("two.cedar"),
        r#"@id("two-leads") @outcome("approval") @approvers("sre-leads") @approvals("2")
           permit (principal in Group::"engineering", action == Action::"request", resource);"#,
    )
    .unwrap();
    let policies = dir.path().to_str().unwrap();
    let broker = Broker::start(&["--policies", policies]);
    let (alice, bob) = (Home::new(), Home::new());
    broker.login_via_page(&alice, "alice");
    broker.login_via_page(&bob, "bob");

    let out = alice.run(&["request", "prod-k8s", "--role", "edit", "--no-wait"]);
    let id = out.ok().stdout.trim().to_string();
    assert!(
        out.stderr
            .contains("waiting for approval by 2 different members of sre-leads"),
        "{}",
        out.stderr
    );
    let inbox = bob.run(&["inbox"]);
    let row = inbox
        .ok()
        .stdout
        .lines()
        .find(|l| l.starts_with(&id))
        .map(str::to_owned);
    assert!(
        row.as_deref().is_some_and(|r| r.contains(" 0/2 ")),
        "{}",
        inbox.stdout
    );

    let yes = bob.run(&["approve", &id]);
    assert!(
        yes.ok()
            .stderr
            .contains("(1 of 2): it waits for one more approval from sre-leads"),
        "{}",
        yes.stderr
    );
    // Counted once: again changes nothing, and bob's inbox has nothing left for him.
    let again = bob.run(&["approve", &id, "--json"]);
    assert_eq!(again.ok().json()["approvals"].as_array().unwrap().len(), 1);
    let again = bob.run(&["approve", &id]);
    assert!(
        again.ok().stderr.contains("already counted") && !again.stderr.contains("Approval counted"),
        "{}",
        again.stderr
    );
    assert!(!bob.run(&["inbox"]).ok().stdout.contains(&id));
    let status = alice.run(&["status", "--json"]);
    assert!(status.ok().stdout.contains(&id), "{}", status.stdout);
}
