//! On-call schedules through the real binaries: `zt-broker dev --oncall primary=FEED` with the
//! shipped `policies/oncall.cedar`, the PagerDuty-shaped fixture (alice on call until
//! 2030-01-08 09:00Z, then bob) evaluated at a fixed instant on each side of the hand-over
//! (`--oncall-at`, so nothing waits for the clock): `zt request` is granted at once for the
//! on-call engineer and pending for the other. And `zt-broker check` names a malformed feed's
//! line.

use std::path::{Path, PathBuf};

use crate::common::Home;
use crate::common::broker::Broker;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture(name: &str) -> String {
    repo()
        .join("tests/fixtures/oncall")
        .join(name)
        .display()
        .to_string()
}

/// The shipped on-call examples, and one approval rule for everything else.
fn policies(dir: &Path) {
    std::fs::copy(
        repo().join("policies/oncall.cedar"),
        dir.join("oncall.cedar"),
    )
    .unwrap();
    std::fs::write(
        dir.join("base.cedar"),
        r#"@id("approval-by-sre-leads") @outcome("approval") @approvers("sre-leads")
           permit (principal in Group::"engineering", action == Action::"request", resource);"#,
    )
    .unwrap();
}

/// `zt request prod-k8s --role view` by `who` at a broker evaluating on-call at `at`: the
/// request's state and the policies that decided it.
fn ask(broker: &Broker, who: &Home, user: &str) -> (String, String) {
    broker.login_via_page(who, user);
    let out = who.run(&[
        "request",
        "prod-k8s",
        "--role",
        "view",
        "--no-wait",
        "--json",
    ]);
    let r = out.ok().json();
    // Granted: `{"request": …, "written": …}` (the grant written to kubeconfig); pending: the
    // request itself.
    let req = if r["request"].is_object() {
        &r["request"]
    } else {
        &r
    };
    let state = match req["state"].as_str().unwrap() {
        "approved" | "active" => "granted",
        other => other,
    };
    (state.to_string(), req["decision"]["policy_ids"].to_string())
}

#[test]
fn zt_request_is_granted_at_once_for_whoever_is_on_call_on_each_side_of_the_handover() {
    let dir = Home::new();
    policies(dir.path());
    let pol = dir.path().to_str().unwrap().to_string();
    let feed = format!("primary={}", fixture("pagerduty-primary.ics"));
    for (at, on_call, other) in [
        ("2030-01-08T08:59:59Z", "alice", "bob"),
        ("2030-01-08T09:00:00Z", "bob", "alice"),
    ] {
        let broker = Broker::start(&["--policies", &pol, "--oncall", &feed, "--oncall-at", at]);
        let (state, by) = ask(&broker, &Home::new(), on_call);
        assert_eq!(state, "granted", "{on_call} at {at}: {by}");
        assert!(by.contains("oncall-primary-view-at-once"), "{by}");
        let (state, by) = ask(&broker, &Home::new(), other);
        assert_eq!(state, "pending", "{other} at {at}: {by}");
        assert_eq!(by, r#"["approval-by-sre-leads"]"#);
    }
}

#[test]
fn check_names_a_malformed_feed_and_its_line() {
    let home = Home::new();
    let feed = std::fs::read_to_string(fixture("opsgenie-sre-lead.ics"))
        .unwrap()
        .replace(
            "DTEND;TZID=Etc/UTC:20300108T000000",
            "DTEND;TZID=Europe/Paris:20300108T000000",
        );
    std::fs::write(home.path().join("lead.ics"), feed).unwrap();
    let cfg = home.path().join("broker.toml");
    std::fs::write(
        &cfg,
        r#"[server]
listen = "127.0.0.1:0"

[store]
url = "sqlite://zt.db"

[login]
issuer = "http://127.0.0.1:9/idp"
client_id = "zt-cli"
audience = "zt-broker"

[[trusted_issuer]]
issuer = "http://127.0.0.1:9/idp"
audience = "zt-broker"

[[catalog.resource]]
name = "prod-k8s"
kind = "kubernetes"
default_role = "view"
max_ttl = "1h"
settings = { issuer = "dev", server = "https://k8s.example.com:6443" }

[[catalog.resource.role]]
name = "view"

[oncall.sre-lead]
file = "lead.ics"
"#,
    )
    .unwrap();
    let check = || {
        home.cmd(crate::common::broker_bin())
            .args(["check", "--config"])
            .arg(&cfg)
            .output()
            .unwrap()
    };
    let out = check();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("broker.toml:"), "{err}");
    assert!(
        err.contains(
            "lead.ics is not a usable iCalendar feed: line 20: DTEND: TZID \"Europe/Paris\""
        ),
        "{err}"
    );
    // Fixed: check passes and names the schedule.
    std::fs::copy(
        fixture("opsgenie-sre-lead.ics"),
        home.path().join("lead.ics"),
    )
    .unwrap();
    let out = check();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("on-call schedules: sre-lead ("), "{said}");
}
