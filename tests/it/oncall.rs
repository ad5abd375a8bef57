//! On-call schedules through the real binaries: `zt-broker dev --oncall primary=FEED` with the
//! shipped `policies/oncall.cedar`, the PagerDuty-shaped fixture (alice on call until
//! 2030-01-08 09:00Z, then bob) evaluated at a fixed instant on each side of the hand-over
//! (`--oncall-at`, so nothing waits for the clock): `zt request` is granted at once for the
//! on-call engineer and pending for the other. `zt-broker serve` with `[oncall.primary] url`
//! on loopback: a feed that starts failing is audited, goes stale (nobody on call) and fresh
//! again — with the store on SQLite and on a real PostgreSQL. And `zt-broker check` names a malformed feed's line. With the shipped
//! `policies/step-up.cedar` too, the on-call engineer's break-glass meets its `max_age` step-up
//! with a fresh dev sign-in.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::common::broker::Broker;
use crate::common::serve::{Login, PgStore, Replica, fetch_json};
use crate::common::tinyhttp::{Reply, TinyServer};
use crate::common::{Home, eventually};

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

/// The shipped `policies/step-up.cedar` on the dev broker: breaking glass asks for a sign-in at
/// most 15 minutes old (`@step_up("max_age=15m")`), which a fresh dev sign-in (the dev IdP's
/// real `auth_time`) meets: the on-call engineer's break-glass is granted at once, the step-up
/// policy among those that decided it.
#[test]
fn the_step_up_example_lets_a_fresh_sign_in_break_glass() {
    let dir = Home::new();
    policies(dir.path());
    std::fs::copy(
        repo().join("policies/step-up.cedar"),
        dir.path().join("step-up.cedar"),
    )
    .unwrap();
    let pol = dir.path().to_str().unwrap().to_string();
    let feed = format!("primary={}", fixture("pagerduty-primary.ics"));
    let at = "2030-01-08T08:59:59Z";
    let broker = Broker::start(&["--policies", &pol, "--oncall", &feed, "--oncall-at", at]);
    let alice = Home::new();
    broker.login_via_page(&alice, "alice");
    let out = alice.run(&[
        "request",
        "prod-k8s",
        "--role",
        "view",
        "--ttl",
        "30m",
        "--break-glass",
        "--reason",
        "INC-9 api down",
        "--json",
    ]);
    let r = out.ok().json();
    let req = if r["request"].is_object() {
        &r["request"]
    } else {
        &r
    };
    let by = req["decision"]["policy_ids"].to_string();
    assert!(
        matches!(req["state"].as_str(), Some("approved" | "active")),
        "{r}"
    );
    assert!(by.contains("break-glass-scheduled-oncall"), "{by}");
    assert!(by.contains("break-glass-fresh-sign-in"), "{by}");
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

/// A PagerDuty-shaped feed with `who` on call from an hour ago to an hour from now.
fn feed_now(who: &str) -> String {
    let t = |secs: i64| {
        zt_api::Timestamp::now()
            .add_secs(secs)
            .to_rfc3339()
            .replace(['-', ':'], "")
    };
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n\
         DTSTART;VALUE=DATE-TIME:{}\r\nDTEND;VALUE=DATE-TIME:{}\r\nATTENDEE:{who}@example.com\r\n\
         UID:now\r\nSUMMARY:On Call - {who} - Primary\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        t(-3600),
        t(3600)
    )
}

#[test]
fn serve_reads_a_url_feed_and_a_failing_one_goes_stale_then_fresh_audited() {
    let home = Home::new();
    stale_then_fresh(&home, "[store]\nurl = \"sqlite://zt.db\"\n", &[]);
}

/// The same with the broker's store on a real PostgreSQL: the audit rows are in it.
#[test]
fn on_postgresql_a_failing_feed_goes_stale_then_fresh_audited() {
    let home = Home::new();
    let Some(pg) = PgStore::start(&home) else {
        return;
    };
    stale_then_fresh(&home, &pg.toml(), &pg.env());
    assert_eq!(
        pg.sql(
            "SELECT string_agg(action, ' ' ORDER BY seq) FROM audit WHERE action LIKE 'oncall.%'"
        ),
        "oncall.refresh.failed oncall.stale oncall.fresh"
    );
}

/// `zt-broker serve` in `home` with the `[store]` section `store` (and `env`), a loopback feed
/// with alice on call now: her request is granted at once, bob's waits; the feed fails
/// (audited), goes stale (nobody on call, audited once), comes back (fresh, audited once).
fn stale_then_fresh(home: &Home, store: &str, env: &[(&str, &str)]) {
    let idp = Broker::start(&[]);
    let login = Login::discover(&idp.url);
    let (alice, bob) = (login.token("alice"), login.token("bob"));
    let body = Arc::new(Mutex::new(Some(feed_now("alice"))));
    let served = body.clone();
    let feed = TinyServer::start(move |_, _| match served.lock().unwrap().clone() {
        Some(b) => Reply::new(200, "text/calendar", b),
        None => Reply::new(503, "text/plain", "down"),
    });
    let dir = home.path().join("policies");
    std::fs::create_dir(&dir).unwrap();
    policies(&dir);
    let cfg = home.path().join("broker.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"[server]
listen = "127.0.0.1:0"

{store}
[policy]
dir = "policies"

{login}
[[catalog.resource]]
name = "prod-k8s"
kind = "kubernetes"
default_role = "view"
max_ttl = "1h"
requester_groups = ["engineering"]
settings = {{ issuer = "dev", server = "https://k8s.example.com:6443" }}

[[catalog.resource.role]]
name = "view"

[oncall.primary]
url = "{feed}/private/TOKEN/feed/P1"
refresh = "1s"
stale_after = "3s"
"#,
            login = login.toml(),
            feed = feed.url,
        ),
    )
    .unwrap();
    let broker = Replica::start(home, &cfg, env);
    let state = |token: &str| {
        let r = fetch_json(
            reqwest::Client::new()
                .post(format!("{}/v1/requests", broker.url))
                .bearer_auth(token)
                .header("Idempotency-Key", zt_broker::crypto::new_id().unwrap())
                .json(&json!({"resource": "prod-k8s", "role": "view", "ttl_secs": 600})),
        );
        r["state"]
            .as_str()
            .unwrap_or_else(|| panic!("{r}"))
            .to_string()
    };
    let audited = |action: &str| {
        let r = fetch_json(
            reqwest::Client::new()
                .get(format!("{}/v1/audit?action={action}", broker.url))
                .bearer_auth(&bob),
        );
        let rows = r["rows"].as_array().unwrap().clone();
        rows.iter()
            .map(|row| row["detail"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    // Read before serving: alice is on call, bob is not.
    assert_eq!(state(&alice), "approved");
    assert_eq!(state(&bob), "pending");

    // The feed fails: audited at once, stale after 3s (nobody on call), each once.
    *body.lock().unwrap() = None;
    eventually(Duration::from_secs(15), || {
        audited("oncall.stale").len() == 1
    })
    .expect("goes stale");
    let failed = audited("oncall.refresh.failed");
    assert_eq!(failed.len(), 1, "{failed:?}");
    // The URL's token is never shown: only its scheme and host.
    assert!(
        failed[0].contains("HTTP 503") && !failed[0].contains("TOKEN"),
        "{failed:?}"
    );
    assert_eq!(state(&alice), "pending");
    // Back: fresh again, alice on call again.
    *body.lock().unwrap() = Some(feed_now("alice"));
    eventually(Duration::from_secs(15), || {
        audited("oncall.fresh").len() == 1
    })
    .expect("fresh again");
    assert_eq!(state(&alice), "approved");
    assert_eq!(
        (
            audited("oncall.stale").len(),
            audited("oncall.refresh.failed").len()
        ),
        (1, 1)
    );
}
