//! Bad input against a real dev broker: every case gets a clear error and its exit code, and
//! nothing on disk changes.

use crate::common::Home;
use crate::common::broker::Broker;

fn logged_in(broker: &Broker) -> Home {
    let home = Home::new();
    home.run(&[
        "login",
        "--broker",
        &broker.url,
        "--insecure-storage",
        "--no-browser",
    ])
    .ok();
    home
}

#[test]
fn unknown_resource_and_role() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = logged_in(&broker);
    let out = home.run(&["request", "prod-nope"]);
    out.code(8);
    assert!(out.stderr.contains("prod-nope"), "{}", out.stderr);
    let out = home.run(&["request", "prod-k8s", "--role", "superuser"]);
    out.code(2);
    let out = home.run(&["request", "prod-k8s]\nx"]);
    out.code(2);
}

#[test]
fn ttl_over_the_policy_maximum() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = logged_in(&broker);
    let out = home.run(&["request", "prod-k8s", "--ttl", "100h"]);
    out.code(2);
    assert!(
        out.stderr.contains("8h"),
        "names the maximum: {}",
        out.stderr
    );
    assert!(!home.kubeconfig().exists());
}

#[test]
fn unparsable_kubeconfig_is_refused_and_untouched() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = logged_in(&broker);
    let broken = "apiVersion: v1\nclusters: [\n  - {name: a\n";
    std::fs::write(home.kubeconfig(), broken).unwrap();
    let out = home.run(&["request", "prod-k8s", "--ttl", "5m"]);
    out.code(1);
    assert!(
        out.stderr
            .contains(&home.kubeconfig().display().to_string()),
        "names the file: {}",
        out.stderr
    );
    assert_eq!(std::fs::read_to_string(home.kubeconfig()).unwrap(), broken);
    let ledger = zt::ledger::Ledger::read_from(&home.state().join("ledger.json"));
    assert!(
        ledger.entries.is_empty(),
        "no ledger entry for a write that did not happen"
    );
}

#[test]
fn broker_stopped_mid_session() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = logged_in(&broker);
    drop(broker);
    let out = home.run(&["catalog"]);
    out.code(7);
    assert!(
        out.stderr.contains("cannot reach the broker"),
        "{}",
        out.stderr
    );
}

#[test]
fn catalog_lists_the_demo_resources() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = logged_in(&broker);
    let cat = home.run(&["catalog", "--json"]);
    let v = cat.ok().json();
    let names: Vec<&str> = v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names, ["prod-k8s", "prod-aws", "prod-db", "prod-ssh"]);
    let text = home.run(&["catalog"]);
    assert!(text.ok().stdout.contains("view*"), "{}", text.stdout);
}
