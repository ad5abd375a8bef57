//! `zt extend` against a real `zt-broker dev`: a view grant gets more time and what zt wrote
//! stays past the old end; too long a grant is refused (usage), a role that needs an approval
//! is denied (exit 3), and a resource without a grant is not found (exit 8).

use crate::common::Home;
use crate::common::broker::Broker;
use crate::common::world::kubeconfig_contexts;
use zt_api::Timestamp;

fn ledger_ends(home: &Home, grant: &str) -> Vec<i64> {
    let text = std::fs::read_to_string(home.state().join("ledger.json")).unwrap();
    let ledger: serde_json::Value = serde_json::from_str(&text).unwrap();
    ledger["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["grant"] == grant)
        .map(|e| e["expires_at"].as_i64().unwrap())
        .collect()
}

#[test]
fn an_extended_grant_stays_on_this_machine_until_its_new_end() {
    let broker = Broker::start(&[]);
    let (alice, bob) = (Home::new(), Home::new());
    broker.login_via_page(&alice, "alice");
    broker.login_via_page(&bob, "bob");

    let out = alice.run(&["request", "prod-k8s", "--ttl", "4s", "--json"]);
    let grant = out.ok().json()["request"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(ledger_ends(&alice, &grant).len(), 1);

    let before = Timestamp::now();
    let out = alice.run(&[
        "extend", "prod-k8s", "--ttl", "20m", "--reason", "INC-7", "--json",
    ]);
    let ext = out.ok().json();
    assert_eq!(ext["request"]["id"], grant.as_str());
    assert_eq!(ext["entries_kept"], 1);
    let end = Timestamp::parse_rfc3339(ext["request"]["expires_at"].as_str().unwrap()).unwrap();
    assert!(end >= before.add_secs(20 * 60), "{end}");
    assert_eq!(ledger_ends(&alice, &grant), [end.0]);

    // Past the old end, a run's sweep leaves the entry and kubectl's credential works.
    std::thread::sleep(std::time::Duration::from_secs(5));
    let out = alice.run(&["status", "--json"]);
    out.ok();
    let contexts =
        kubeconfig_contexts(&std::fs::read_to_string(alice.kubeconfig()).unwrap()).unwrap();
    assert!(
        contexts.contains(&"zt-prod-k8s".to_string()),
        "{contexts:?}"
    );
    let cred = alice.run(&["credential", "kube", &grant]);
    assert!(cred.ok().stdout.contains("ExecCredential"));

    // Longer than the role allows in all (prod-k8s/view: 8h): a usage error saying so.
    let out = alice.run(&["extend", &grant, "--ttl", "9h"]);
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(out.stderr.contains("8h"), "{}", out.stderr);

    // No grant on prod-db: not found.
    let out = alice.run(&["extend", "prod-db", "--ttl", "5m"]);
    assert_eq!(out.code, 8, "{out:#?}");

    // admin needed bob's approval: extending it is refused by policy, pointing to a new request.
    let out = alice.run(&[
        "request",
        "prod-k8s",
        "--role",
        "admin",
        "--ttl",
        "10m",
        "--no-wait",
        "--json",
    ]);
    let admin = out.ok().json()["id"].as_str().unwrap().to_string();
    bob.run(&["approve", &admin]).ok();
    let out = alice.run(&["extend", &admin, "--ttl", "30m"]);
    assert_eq!(out.code, 3, "{out:#?}");
    assert!(
        out.stderr.contains("needs an approval") && out.stderr.contains("request a new grant"),
        "{}",
        out.stderr
    );
}
