//! Scheduled grants (`zt request --start-at/--start-in`, issue 16) through the real binaries:
//! `zt request` returns once the grant is scheduled, its credential is refused before the
//! start, and at the start zt's background reaper (or, without one, the next zt run) writes
//! the kubeconfig entry the real kubectl then uses. Bad input is a usage error that creates
//! nothing.

use std::time::Duration;

use crate::common::broker::Broker;
use crate::common::world::{World, kubeconfig_contexts};
use crate::common::{Out, eventually, kubectl};
use zt_api::Timestamp;

fn contexts(w: &World) -> Vec<String> {
    let text = std::fs::read_to_string(w.home.kubeconfig()).unwrap_or_default();
    kubeconfig_contexts(&text).unwrap_or_default()
}

fn kubectl_pods(w: &World, k: &str) -> Out {
    w.run_cmd(
        k,
        &["--context", "zt-prod-k8s", "get", "pods", "-n", "default"],
    )
}

fn at(v: &serde_json::Value) -> Timestamp {
    Timestamp::parse_rfc3339(v.as_str().unwrap_or_else(|| panic!("no time: {v}"))).unwrap()
}

#[test]
fn a_scheduled_grant_is_refused_before_its_start_and_written_at_it_by_the_reaper() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let w = World::new();
    w.login(&broker);
    let asked = Timestamp::now();
    let out = w.run(&[
        "request",
        "prod-k8s",
        "--ttl",
        "2m",
        "--start-in",
        "4s",
        "--json",
    ]);
    let v = out.ok().json();
    assert_eq!(v["scheduled"], true, "{v}");
    assert_eq!(v["written"], serde_json::json!([]));
    let r = &v["request"];
    let grant = r["id"].as_str().unwrap().to_string();
    assert_eq!(
        (r["state"].as_str(), r["activation"].as_str()),
        (Some("approved"), Some("scheduled"))
    );
    let start = at(&r["not_before"]);
    assert!((start.0 - asked.0 - 4).abs() <= 1, "{start} vs {asked}");
    assert_eq!(at(&r["expires_at"]), start.add_secs(120));
    // Nothing written yet, and the credential is refused, saying when it starts.
    assert!(!contexts(&w).contains(&"zt-prod-k8s".to_string()));
    let early = w.run(&["credential", "kube", &grant]);
    assert_eq!(early.code, 5, "{early:#?}");
    assert!(early.stderr.contains("starts at"), "{}", early.stderr);
    let status = w.run(&["status"]);
    assert!(status.ok().stdout.contains("starts "), "{}", status.stdout);
    let json = w.run(&["status", "--json"]).ok().json();
    assert_eq!(json[0]["activation"], "scheduled", "{json}");
    assert!(json[0]["start_at"].is_string(), "{json}");

    // At the start the background reaper writes it, no zt command run meanwhile.
    let took = eventually(Duration::from_secs(15), || {
        contexts(&w).contains(&"zt-prod-k8s".to_string())
    });
    assert!(
        took.is_some(),
        "not written at its start: {:?}",
        contexts(&w)
    );
    assert!(Timestamp::now() >= start);
    if let Some(k) = kubectl() {
        kubectl_pods(&w, &k).ok();
    }
    w.run(&["revoke", &grant]).ok();
    assert!(!contexts(&w).contains(&"zt-prod-k8s".to_string()));
}

#[test]
fn without_a_reaper_the_first_zt_run_after_the_start_writes_it() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let mut w = World::new();
    w.set("ZT_REAPER", "0");
    w.login(&broker);
    // An RFC 3339 start, three seconds ahead.
    let start = Timestamp::now().add_secs(3);
    let out = w.run(&[
        "request",
        "prod-k8s",
        "--ttl",
        "2m",
        "--start-at",
        &start.to_string(),
    ]);
    out.ok();
    assert!(
        out.stderr.contains("✓ Scheduled prod-k8s/view: starts "),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("(in "), "{}", out.stderr);
    let grant = out.stdout.trim().to_string();
    std::thread::sleep(Duration::from_secs(4));
    assert!(!contexts(&w).contains(&"zt-prod-k8s".to_string()));
    w.run(&["status"]).ok();
    assert!(
        contexts(&w).contains(&"zt-prod-k8s".to_string()),
        "{:?}",
        contexts(&w)
    );
    if let Some(k) = kubectl() {
        kubectl_pods(&w, &k).ok();
    }
    w.run(&["revoke", &grant]).ok();
}

#[test]
fn bad_start_times_are_usage_errors_that_create_nothing() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let w = World::new();
    w.login(&broker);
    for (args, says) in [
        (&["--start-at", "2020-01-01T00:00:00Z"][..], "in the past"),
        (&["--start-at", "soon"][..], "not a time"),
        (&["--start-at", "25:00"][..], "not a time"),
        (&["--start-at", "2026-12-07T14:00:00"][..], "not a time"),
        (&["--start-in", "0s"][..], "at least 1s"),
        (
            &["--start-at", "23:59", "--start-in", "1h"][..],
            "cannot be used with",
        ),
        (&["--start-in", "30d"][..], "ahead"),
    ] {
        let mut a = vec!["request", "prod-k8s", "--ttl", "5m"];
        a.extend_from_slice(args);
        let out = w.run(&a);
        assert_eq!(out.code, 2, "{args:?}: {out:#?}");
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
    }
    // Earlier today, as HH:MM (unless that is before midnight): never read as tomorrow.
    let now = Timestamp::now().0;
    let hhmm = zt::tombstone::clock(now - 3600, now);
    if hhmm.len() == 5 {
        let out = w.run(&["request", "prod-k8s", "--start-at", &hhmm]);
        assert_eq!(out.code, 2, "{out:#?}");
        assert!(
            out.stderr.contains("in the past") && out.stderr.contains("never"),
            "{}",
            out.stderr
        );
    }
    let out = w.run(&["exec", "prod-k8s", "--start-in", "1h", "--", "true"]);
    assert_eq!(out.code, 2, "{out:#?}");
    let mine = w.run(&["status", "--json"]).ok().json();
    assert_eq!(mine, serde_json::json!([]), "nothing was created");
}

#[test]
fn a_grant_scheduled_for_later_is_not_access_now() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let mut w = World::new();
    w.set("ZT_REAPER", "0");
    w.login(&broker);
    let later = w.run(&["request", "prod-k8s", "--ttl", "5m", "--start-in", "1h"]);
    let later = later.ok().stdout.trim().to_string();
    // Asking for access now makes a new grant, written at once, instead of "already granted".
    let now = w.request(&["prod-k8s", "--ttl", "5m"]);
    assert_ne!(now, later);
    assert!(contexts(&w).contains(&"zt-prod-k8s".to_string()));
    let text = w.run(&["status"]).ok().stdout.clone();
    assert!(
        text.contains(&later) && text.contains("starts ") && text.contains("(in "),
        "{text}"
    );
    w.run(&["revoke", &now]).ok();
    w.run(&["revoke", &later]).ok();
    let ledger = std::fs::read_to_string(w.home.state().join("ledger.json")).unwrap_or_default();
    assert!(
        !ledger.contains(&later),
        "a revoked scheduled grant is no longer waited for: {ledger}"
    );
}

#[test]
fn an_approver_sees_when_a_request_would_start_and_approving_it_schedules_it() {
    let broker = Broker::start(&[]);
    let (alice, bob) = (crate::common::Home::new(), crate::common::Home::new());
    broker.login_via_page(&alice, "alice");
    broker.login_via_page(&bob, "bob");
    let out = alice.run(&[
        "request",
        "prod-k8s",
        "--role",
        "admin",
        "--ttl",
        "10m",
        "--start-in",
        "1h",
        "--reason",
        "CHG-9",
        "--no-wait",
        "--json",
    ]);
    let id = out.ok().json()["id"].as_str().unwrap().to_string();
    let inbox = bob.run(&["inbox"]);
    assert!(
        inbox.ok().stdout.contains(&id) && inbox.stdout.contains("to start "),
        "{}",
        inbox.stdout
    );
    // The review page says when the grant would start.
    let mut web = crate::common::browser::WebClient::new();
    let page = web.sign_in_dev(
        &crate::common::browser::review_link(&broker.url, &id),
        "bob",
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<dt>Starts</dt><dd>"), "{}", page.body);
    bob.run(&["approve", &id]).ok();
    let status = alice.run(&["status"]);
    assert!(status.ok().stdout.contains("starts "), "{}", status.stdout);
    let early = alice.run(&["credential", "kube", &id]);
    assert_eq!(early.code, 5, "{early:#?}");
    alice.run(&["revoke", &id]).ok();
}
