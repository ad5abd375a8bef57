//! Grants that explain their end, seen through the real consumers: after a grant's TTL, kubectl
//! v1.34 (through zt's exec plugin) and the AWS CLI (through `credential_process`, against
//! moto) print zt's one line — what ended, when, why, and the `zt request` that restores
//! access — while the context and profile stay for the grace period (`ZT_GRACE`); then they go
//! and the user's files are as they were. The helper still explains from the tombstone after
//! the ledger forgot the grant. Expiry warnings come once a minute on stderr, never on stdout.
//! A user's own `zt revoke` removes everything at once. Hostile tombstones are ignored.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::common::broker::Broker;
use crate::common::moto::Moto;
use crate::common::world::{USER_KUBECONFIG, World, kubeconfig_contexts, write_private, yaml};
use crate::common::{Out, eventually, kubectl, peer};

fn world(broker: &Broker, grace_secs: u64) -> World {
    let mut w = World::new();
    w.set("ZT_GRACE", grace_secs.to_string());
    write_private(&w.home.kubeconfig(), USER_KUBECONFIG);
    w.login(broker);
    w
}

fn ledger_path(w: &World) -> PathBuf {
    w.home.state().join("ledger.json")
}

fn ledger(w: &World) -> zt::ledger::Ledger {
    zt::ledger::Ledger::read_from(&ledger_path(w))
}

/// Wait (the background reaper does it) until `grant` has ended on this machine.
#[track_caller]
fn wait_ended(w: &World, grant: &str) {
    let ended = eventually(Duration::from_secs(20), || {
        let l = ledger(w);
        l.ended_of(grant).next().is_some() && l.for_grant(grant).next().is_none()
    });
    assert!(
        ended.is_some(),
        "grant {grant} did not end:\n{}",
        std::fs::read_to_string(ledger_path(w)).unwrap_or_default()
    );
}

/// Wait until the grace period is over: nothing of `grant` left in the ledger.
#[track_caller]
fn wait_gone(w: &World, grant: &str) {
    let gone = eventually(Duration::from_secs(30), || {
        let l = ledger(w);
        l.ended_of(grant).next().is_none() && l.for_grant(grant).next().is_none()
    });
    assert!(gone.is_some(), "grant {grant}'s grace never ended");
}

fn kubectl_out(w: &World, k: &str, args: &[&str]) -> Out {
    w.run_cmd(k, args)
}

/// zt's line, exactly once, in what a consumer printed.
#[track_caller]
fn says_ended(stderr: &str, what: &str, why: &str, again: &str) {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(&format!("zt: {what} ended at ")))
        .collect();
    assert!(!lines.is_empty(), "no zt line in:\n{stderr}");
    let line = lines[0];
    assert!(
        line.contains(&format!("({why}) — run: {again}")),
        "{line:?}\n{stderr}"
    );
    assert!(!line.contains('\u{1b}'), "{line:?}");
}

#[test]
fn kubectl_after_the_ttl_shows_zts_line_then_the_context_goes() {
    let Some(k) = kubectl() else { return };
    let broker = Broker::start(&["--auto-login", "alice"]);
    let w = world(&broker, 10);
    let grant = w.request(&["prod-k8s", "--ttl", "3s", "--use"]);
    let before = kubectl_out(&w, &k, &["get", "pods", "-n", "default"]);
    before.ok();

    wait_ended(&w, &grant);
    // The context stays, current-context still on it (kubectl does not silently talk to the
    // user's other cluster), and both ways of naming it print zt's line.
    let text = std::fs::read_to_string(w.home.kubeconfig()).unwrap();
    let doc = yaml(&text).unwrap();
    assert_eq!(doc["current-context"].as_str(), Some("zt-prod-k8s"));
    for args in [
        &["--context", "zt-prod-k8s", "get", "pods"][..],
        &["get", "pods"][..],
    ] {
        let out = kubectl_out(&w, &k, args);
        assert_ne!(out.code, 0, "{out:#?}");
        says_ended(
            &out.stderr,
            "prod-k8s/view",
            "expired",
            "zt request prod-k8s --role view",
        );
        assert!(!out.stderr.contains("context was not found"), "{out:#?}");
        assert!(out.stdout.is_empty(), "{out:#?}");
    }
    // The helper itself: exit 6, one line, nothing on stdout.
    let h = w.run(&["credential", "kube", &grant]);
    h.code(6);
    assert_eq!(h.stderr.lines().count(), 1, "{h:#?}");
    assert!(h.stdout.is_empty());
    // `zt status` shows it as over, not live.
    let st = w.run(&["status", "--json"]);
    let rows = st.ok().json();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == grant.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{rows}"));
    assert_ne!(row["state"], "active", "{row}");
    assert!(row["seconds_left"].is_null(), "{row}");

    // The grace ends: the user's kubeconfig is byte for byte what it was (current-context back).
    wait_gone(&w, &grant);
    assert_eq!(
        std::fs::read_to_string(w.home.kubeconfig()).unwrap(),
        USER_KUBECONFIG
    );
    let out = kubectl_out(&w, &k, &["--context", "zt-prod-k8s", "get", "pods"]);
    assert!(out.stderr.contains("context was not found"), "{out:#?}");
    // The ledger forgot the grant; its tombstone still explains (a `zt env` kubeconfig, a
    // kubectl that read its config before the wipe).
    assert!(ledger(&w).entries.is_empty() && ledger(&w).ended.is_empty());
    let h = w.run(&["credential", "kube", &grant]);
    h.code(6);
    says_ended(
        &h.stderr,
        "prod-k8s/view",
        "expired",
        "zt request prod-k8s --role view",
    );
}

fn aws_world(broker: &Broker, grace_secs: u64) -> (World, PathBuf, PathBuf) {
    let mut w = World::new();
    let config = w.path().join("aws-files/config");
    let creds = w.path().join("aws-files/credentials");
    w.set("AWS_CONFIG_FILE", &config)
        .set("AWS_SHARED_CREDENTIALS_FILE", &creds)
        .set("AWS_EC2_METADATA_DISABLED", "true")
        .set("ZT_GRACE", grace_secs.to_string());
    write_private(&config, "[default]\nregion = eu-west-1\n");
    w.login(broker);
    (w, config, creds)
}

fn caller_identity(w: &World, aws: &str, moto: &Moto, profile: &str) -> Out {
    w.run_cmd(
        aws,
        &[
            "--profile",
            profile,
            "--endpoint-url",
            &moto.url,
            "sts",
            "get-caller-identity",
        ],
    )
}

#[test]
fn the_aws_cli_after_the_ttl_shows_zts_line_then_the_profile_goes() {
    let (Some(aws), Some(moto)) = (peer("ZT_TEST_AWS"), Moto::start()) else {
        return;
    };
    let broker = Broker::start(&["--auto-login", "alice"]);
    let (w, config, creds) = aws_world(&broker, 10);
    let grant = w.request(&["prod-aws", "--ttl", "3s"]);
    // Static keys hold a secret: they go at the end, grace or not.
    let (keyed, _, keyed_creds) = aws_world(&broker, 10);
    let keys = keyed.request(&["prod-aws", "--ttl", "3s", "--static"]);
    caller_identity(&w, &aws, &moto, "zt-prod-aws").ok();

    wait_ended(&w, &grant);
    let out = caller_identity(&w, &aws, &moto, "zt-prod-aws");
    assert_ne!(out.code, 0, "{out:#?}");
    says_ended(
        &out.stderr,
        "prod-aws/readonly",
        "expired",
        "zt request prod-aws --role readonly",
    );
    assert!(!out.stderr.contains("could not be found"), "{out:#?}");
    let ok = eventually(Duration::from_secs(10), || {
        ledger(&keyed).for_grant(&keys).next().is_none()
    });
    assert!(ok.is_some());
    let c = std::fs::read_to_string(&keyed_creds).unwrap_or_default();
    assert!(
        !c.contains("zt-prod-aws"),
        "static keys stay past the end:\n{c}"
    );
    assert!(
        ledger(&keyed).ended_of(&keys).next().is_none(),
        "nothing of a static-keys grant is kept"
    );
    assert!(
        !std::fs::read_to_string(&creds)
            .unwrap_or_default()
            .contains("zt-")
    );

    wait_gone(&w, &grant);
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "[default]\nregion = eu-west-1\n"
    );
    let out = caller_identity(&w, &aws, &moto, "zt-prod-aws");
    assert!(out.stderr.contains("could not be found"), "{out:#?}");
    let h = w.run(&["credential", "aws", &grant]);
    h.code(6);
    says_ended(
        &h.stderr,
        "prod-aws/readonly",
        "expired",
        "zt request prod-aws --role readonly",
    );
}

fn marker(w: &World, grant: &str) -> PathBuf {
    w.path().join(format!("run/creds/{grant}.warned"))
}

fn backdate(p: &Path, secs: u64) {
    let f = std::fs::File::options().write(true).open(p).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(secs))
        .unwrap();
}

#[test]
fn a_grant_about_to_end_warns_once_a_minute_on_stderr() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let mut w = world(&broker, 10);
    w.set("ZT_WARN_BEFORE", "10m");
    let grant = w.request(&["prod-k8s", "--ttl", "5m"]);
    let first = w.run(&["credential", "kube", &grant]);
    let v = first.ok().json();
    assert_eq!(v["kind"], "ExecCredential", "stdout is the credential only");
    let lines: Vec<&str> = first.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{first:#?}");
    // "ends in 4m 59s" / "5m": output::human_secs's form, whatever second it ran in.
    let left = lines[0]
        .strip_prefix("zt: prod-k8s/view ends in ")
        .and_then(|r| r.strip_suffix(" — zt extend prod-k8s --ttl 30m"))
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(
        (left.starts_with("4m") || left.starts_with("5m")) && !left.contains('h'),
        "{left:?}"
    );
    // Within the minute: quiet, whichever helper runs.
    let again = w.run(&["credential", "kube", &grant]);
    assert!(again.ok().stderr.is_empty(), "{again:#?}");
    // A minute later, through kubectl: the person sees it above kubectl's output.
    backdate(&marker(&w, &grant), 61);
    if let Some(k) = kubectl() {
        let out = kubectl_out(&w, &k, &["--context", "zt-prod-k8s", "get", "pods"]);
        out.ok();
        assert_eq!(
            out.stderr.matches("zt: prod-k8s/view ends in").count(),
            1,
            "{out:#?}"
        );
        assert!(!out.stdout.contains("zt:"), "{out:#?}");
    } else {
        let out = w.run(&["credential", "kube", &grant]);
        assert!(out.ok().stderr.contains("ends in"), "{out:#?}");
    }
    // Without the warning window, nothing.
    backdate(&marker(&w, &grant), 61);
    let mut quiet = w.zt(&["credential", "kube", &grant]);
    quiet.env("ZT_WARN_BEFORE", "1m");
    let out = Out::from(quiet.output().unwrap());
    assert!(out.ok().stderr.is_empty(), "{out:#?}");
    // The marker goes with the grant.
    w.run(&["revoke", &grant]).ok();
    assert!(!marker(&w, &grant).exists());
}

#[test]
fn a_users_revoke_removes_everything_at_once() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let w = world(&broker, 3600);
    let grant = w.request(&["prod-k8s", "--ttl", "10m", "--use"]);
    w.run(&["revoke", &grant]).ok();
    assert_eq!(
        std::fs::read_to_string(w.home.kubeconfig()).unwrap(),
        USER_KUBECONFIG,
        "no grace for what the user ended"
    );
    let l = ledger(&w);
    assert!(l.entries.is_empty() && l.ended.is_empty(), "{l:?}");
    let h = w.run(&["credential", "kube", &grant]);
    h.code(6);
    says_ended(
        &h.stderr,
        "prod-k8s/view",
        "revoked",
        "zt request prod-k8s --role view",
    );
}

/// `zt logout` revokes the profile's grants: a helper still asked for one says so, as after
/// `zt revoke`.
#[test]
fn logout_leaves_the_same_explanation_as_revoke() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let w = world(&broker, 3600);
    let grant = w.request(&["prod-k8s", "--ttl", "10m"]);
    w.run(&["logout"]).ok();
    assert_eq!(
        std::fs::read_to_string(w.home.kubeconfig()).unwrap(),
        USER_KUBECONFIG
    );
    let h = w.run(&["credential", "kube", &grant]);
    h.code(6);
    says_ended(
        &h.stderr,
        "prod-k8s/view",
        "revoked",
        "zt request prod-k8s --role view",
    );
}

#[test]
fn hostile_tombstones_are_ignored_and_a_new_grant_takes_the_name_back() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let w = world(&broker, 3600);
    let grant = w.request(&["prod-k8s", "--ttl", "3s"]);
    wait_ended(&w, &grant);
    let tombs = w.home.state().join("tombstones.json");
    let evil = format!(
        r#"{{"tombstones":[{{"grant":"{grant}","profile":"default","resource":"x\u001b[2Jevil; rm -rf ~","role":"view","kind":"kubernetes","ended_at":1,"why":"expired"}}]}}"#
    );
    for junk in [
        evil.as_str(),
        "{",
        "\u{0}\u{1}garbage",
        r#"{"tombstones": 7}"#,
    ] {
        std::fs::write(&tombs, junk).unwrap();
        // The entry still in its grace period explains instead.
        let h = w.run(&["credential", "kube", &grant]);
        h.code(6);
        says_ended(
            &h.stderr,
            "prod-k8s/view",
            "expired",
            "zt request prod-k8s --role view",
        );
        assert!(!h.stderr.contains("evil"), "{h:#?}");
    }
    // A big file is not read (nor a crash).
    std::fs::write(&tombs, " ".repeat(2 << 20)).unwrap();
    w.run(&["credential", "kube", &grant]).code(6);
    // A new grant for the same name replaces the kept entry and works.
    let again = w.request(&["prod-k8s", "--ttl", "10m"]);
    let l = ledger(&w);
    assert!(l.ended.is_empty(), "{l:?}");
    let ctx = kubeconfig_contexts(&std::fs::read_to_string(w.home.kubeconfig()).unwrap()).unwrap();
    assert_eq!(ctx.iter().filter(|c| *c == "zt-prod-k8s").count(), 1);
    if let Some(k) = kubectl() {
        kubectl_out(&w, &k, &["--context", "zt-prod-k8s", "get", "pods"]).ok();
    }
    w.run(&["revoke", &again]).ok();
    assert_eq!(
        std::fs::read_to_string(w.home.kubeconfig()).unwrap(),
        USER_KUBECONFIG
    );
}
