//! First-use grants (a role's `activation = "first_use"`, issue 16) through the real binaries:
//! `zt request` writes the entries that call zt as a helper without minting, the first call of
//! the real kubectl (exec plugin) or AWS CLI (`credential_process`) starts the TTL, a grant
//! nobody uses lapses at the end of the broker's claim window (seconds here), and `--static`
//! AWS keys start it at request time.

use std::time::Duration;

use crate::common::broker::Broker;
use crate::common::kubectl;
use crate::common::moto::{Moto, aws_cli_or_helper};
use crate::common::world::{CatalogFile, World, kubeconfig_contexts};
use zt_api::Timestamp;

/// The demo catalog with prod-k8s/view and prod-aws/readonly made first-use.
fn catalog() -> CatalogFile {
    let demo = zt_broker::dev::demo::DEMO_TOML;
    let k8s = "settings = { namespace = \"default\" }\n\n[[resource.role]]\nname = \"view\"\n";
    let aws = "name = \"readonly\"\nauto_approve_groups = [\"engineering\"]\n";
    assert!(demo.contains(k8s) && demo.contains(aws));
    let text = demo
        .replacen(k8s, &format!("{k8s}activation = \"first_use\"\n"), 1)
        .replacen(aws, &format!("{aws}activation = \"first_use\"\n"), 1);
    CatalogFile::new(&text)
}

fn start(cat: &CatalogFile, claim: &str) -> Broker {
    Broker::start(&[
        "--auto-login",
        "alice",
        "--catalog",
        cat.arg(),
        "--claim-window",
        claim,
    ])
}

fn at(v: &serde_json::Value) -> Timestamp {
    Timestamp::parse_rfc3339(v.as_str().unwrap_or_else(|| panic!("no time: {v}"))).unwrap()
}

#[test]
fn the_first_kubectl_call_starts_the_ttl() {
    let cat = catalog();
    let broker = start(&cat, "1h");
    let w = World::new();
    w.login(&broker);
    let out = w.run(&["request", "prod-k8s", "--ttl", "10m", "--json"]);
    let v = out.ok().json();
    let r = &v["request"];
    let grant = r["id"].as_str().unwrap().to_string();
    assert_eq!(r["activation"], "first_use", "{v}");
    let claim_by = at(&r["claim_by"]);
    assert!(
        (claim_by.0 - Timestamp::now().0 - 3600).abs() <= 3,
        "{claim_by}"
    );
    let kube = std::fs::read_to_string(w.home.kubeconfig()).unwrap();
    assert!(
        kubeconfig_contexts(&kube)
            .unwrap()
            .contains(&"zt-prod-k8s".into())
    );
    assert!(
        kube.contains("credential") && !kube.contains("ztdev."),
        "no token written:\n{kube}"
    );
    // Still waiting: zt request minted nothing.
    let s = w.status_of(&grant);
    assert_eq!(
        (s["state"].as_str(), s["activation"].as_str()),
        (Some("approved"), Some("first_use")),
        "{s}"
    );
    assert!(s["claim_by"].is_string(), "{s}");
    let text = w.run(&["status"]).ok().stdout.clone();
    assert!(text.contains("waiting for first use, lapses in"), "{text}");

    std::thread::sleep(Duration::from_millis(1500));
    let first = Timestamp::now();
    match kubectl() {
        Some(k) => {
            w.run_cmd(
                &k,
                &["--context", "zt-prod-k8s", "get", "pods", "-n", "default"],
            )
            .ok();
        }
        None => {
            w.run(&["credential", "kube", &grant]).ok();
        }
    }
    let s = w.status_of(&grant);
    assert_eq!(s["state"], "active", "{s}");
    assert!(s.get("claim_by").is_none(), "claimed: {s}");
    let end = at(&s["expires_at"]);
    assert!(
        end.0 >= first.0 + 600 && end.0 <= Timestamp::now().0 + 600,
        "the TTL runs from the first use: {end}"
    );
    // This machine keeps the entry until the new end.
    let ledger = std::fs::read_to_string(w.home.state().join("ledger.json")).unwrap();
    assert!(
        ledger.contains(&format!("\"expires_at\": {}", end.0)),
        "{ledger}"
    );
    w.run(&["revoke", &grant]).ok();
}

#[test]
fn an_unclaimed_grant_lapses_and_its_entry_says_so() {
    let cat = catalog();
    let broker = start(&cat, "3s");
    let w = World::new();
    w.login(&broker);
    let out = w.run(&["request", "prod-k8s", "--ttl", "10m", "--json"]);
    let grant = out.ok().json()["request"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    std::thread::sleep(Duration::from_secs(5));
    // The broker lapsed it (expired); the helper says it is over (exit 6).
    let cred = w.run(&["credential", "kube", &grant]);
    assert_eq!(cred.code, 6, "{cred:#?}");
    if let Some(k) = kubectl() {
        let out = w.run_cmd(&k, &["--context", "zt-prod-k8s", "get", "pods"]);
        assert_ne!(out.code, 0, "{out:#?}");
    }
    let s = w.status_of(&grant);
    assert!(s.is_null() || s["state"] == "expired", "{s}");
}

#[test]
fn the_aws_clis_first_credential_process_call_starts_it_and_static_keys_start_at_once() {
    let cat = catalog();
    let broker = start(&cat, "1h");
    let w = World::with_aws_files();
    w.login(&broker);
    let v = w
        .run(&["request", "prod-aws", "--ttl", "10m", "--json"])
        .ok()
        .json();
    let grant = v["request"]["id"].as_str().unwrap().to_string();
    assert_eq!(v["profile"], "zt-prod-aws");
    assert!(w.status_of(&grant)["claim_by"].is_string());
    aws_cli_or_helper(&w, &grant, &Moto::start());
    let s = w.status_of(&grant);
    assert_eq!(s["state"], "active", "{s}");
    assert!(s.get("claim_by").is_none(), "{s}");
    w.run(&["revoke", &grant]).ok();

    // --static writes the keys themselves: the grant starts when zt request fetches them.
    let v = w
        .run(&["request", "prod-aws", "--ttl", "10m", "--static", "--json"])
        .ok()
        .json();
    let grant = v["request"]["id"].as_str().unwrap().to_string();
    let s = w.status_of(&grant);
    assert_eq!(s["state"], "active", "{s}");
    assert!(s.get("claim_by").is_none(), "{s}");
    w.run(&["revoke", &grant]).ok();
}
