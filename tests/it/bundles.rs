//! Bundles through the real binaries (issue 16): `zt request prod-k8s prod-aws:admin prod-db`
//! makes one bundle with one reason — prod-k8s/view and prod-db/readonly granted at once,
//! prod-aws/admin waiting for bob — zt waits once, bob approves once (from `zt inbox`), and
//! each grant is written like a single one: the kubeconfig context (the real kubectl v1.34
//! through zt's exec plugin), the AWS profile (the real AWS CLI against moto's STS), the pg
//! service. `zt status` groups them and `--json` lists each with the bundle id; at the TTL the
//! reaper wipes every item's entries. Then the bad input and a policy's per-item deny
//! (exit 3, the granted item still written), and a catalog bundle by name.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use crate::common::broker::Broker;
use crate::common::browser::{WebClient, review_link};
use crate::common::moto::Moto;
use crate::common::world::{USER_KUBECONFIG, World};
use crate::common::{Home, Out, eventually, kubectl, peer};

/// alice's World: the AWS files at non-default places, no instance metadata, a user
/// kubeconfig, a short grace after a grant's end.
fn alice(broker: &Broker) -> World {
    let w = World::with_aws_files();
    std::fs::write(w.home.kubeconfig(), USER_KUBECONFIG).unwrap();
    broker.login_via_page(&w.home, "alice");
    let cfg = w.path().join(".config/zt/config.toml");
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str("\n[grants]\ngrace = \"1s\"\n");
    std::fs::write(&cfg, text).unwrap();
    w
}

fn read(p: &std::path::Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// Read a waiting `zt request`'s stderr up to its `Request ID … needs approval` line.
pub(crate) fn pending_id(err: &mut impl BufRead) -> String {
    let mut seen = String::new();
    for _ in 0..10 {
        let mut line = String::new();
        if err.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(rest) = line.strip_prefix("Request ") {
            return rest.split_whitespace().next().unwrap().to_string();
        }
        seen.push_str(&line);
    }
    panic!("no 'Request ID … needs approval' line in:\n{seen}");
}

#[test]
fn a_bundle_is_approved_once_and_each_grant_is_written_then_wiped() {
    let broker = Broker::start(&[]);
    let w = alice(&broker);
    let bob = Home::new();
    broker.login_via_page(&bob, "bob");
    let (aws, moto) = (peer("ZT_TEST_AWS"), Moto::start());

    let ttl = 12;
    let mut waiting = w
        .zt(&[
            "request",
            "prod-k8s",
            "prod-aws:admin",
            "prod-db",
            "--ttl",
            &format!("{ttl}s"),
            "--reason",
            "INC-4211",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(waiting.stderr.take().unwrap());
    let id = pending_id(&mut err);

    // bob's inbox shows the bundle's pending request with its items; one approval.
    let inbox = bob.run(&["inbox", "--json"]);
    let requests = inbox.ok().json()["requests"].as_array().unwrap().clone();
    let mine = requests.iter().find(|r| r["id"] == id.as_str()).unwrap();
    let bundle = mine["bundle_id"].as_str().unwrap().to_string();
    assert_eq!(mine["resource"], "prod-aws");
    // As text: one entry, the bundle's items under it (the granted ones too).
    let inbox = bob.run(&["inbox"]);
    let text = &inbox.ok().stdout;
    assert!(text.contains(&format!("bundle {bundle}")), "{text}");
    for item in ["+ prod-k8s/view", "+ prod-aws/admin", "+ prod-db/readonly"] {
        assert!(text.contains(item), "{item}: {text}");
    }
    let approve = bob.run(&["approve", &id]);
    assert!(
        approve
            .ok()
            .stderr
            .contains(&format!("Bundle {bundle} (decided as a whole)")),
        "{}",
        approve.stderr
    );

    let status = waiting.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert!(status.success(), "zt request after the approval: {rest}");

    // Each item written like a single grant.
    let kube = read(&w.home.kubeconfig());
    assert!(kube.contains("zt-prod-k8s"), "{kube}");
    let aws_config = read(&w.path().join("aws-files/config"));
    assert!(aws_config.contains("[profile zt-prod-aws]"), "{aws_config}");
    let service = read(&w.path().join(".pg_service.conf"));
    assert!(
        service.contains("[zt-prod-db]") || service.contains("prod-db"),
        "{service}"
    );

    // zt status: the flat JSON list, each with the bundle id; the text groups them.
    let st = w.run(&["status", "--json"]);
    let rows = st.ok().json();
    let of_bundle: Vec<&serde_json::Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["bundle_id"] == bundle.as_str())
        .collect();
    assert_eq!(of_bundle.len(), 3, "{rows}");
    assert!(
        of_bundle
            .iter()
            .all(|r| r["state"] == "active" || r["state"] == "approved")
    );
    let text = w.run(&["status"]);
    assert!(
        text.ok()
            .stdout
            .contains(&format!("bundle {bundle} (3 items):")),
        "{}",
        text.stdout
    );

    // The real tools use them.
    if let Some(k) = kubectl() {
        let out = Out::from(
            w.cmd(&k)
                .args(["--context", "zt-prod-k8s", "get", "namespaces"])
                .output()
                .unwrap(),
        );
        out.ok();
        assert!(out.stdout.contains("default"), "{}", out.stdout);
    }
    if let (Some(aws), Some(moto)) = (&aws, &moto) {
        let out = moto.caller_identity(aws, &w, "zt-prod-aws");
        assert_eq!(out.code, 0, "aws sts get-caller-identity: {}", out.stderr);
        assert!(out.stdout.contains("\"Arn\""), "{}", out.stdout);
    }

    // At the TTL (plus the grace) every item's entries are gone.
    let gone = eventually(Duration::from_secs(ttl + 30), || {
        !read(&w.home.kubeconfig()).contains("zt-prod-k8s")
            && !read(&w.path().join("aws-files/config")).contains("zt-prod-aws")
            && !read(&w.path().join(".pg_service.conf")).contains("prod-db")
    });
    assert!(
        gone.is_some(),
        "entries left after the TTL:\n{}\n{}\n{}",
        read(&w.home.kubeconfig()),
        read(&w.path().join("aws-files/config")),
        read(&w.path().join(".pg_service.conf"))
    );
    assert_eq!(read(&w.home.kubeconfig()), USER_KUBECONFIG);
}

#[test]
fn bad_bundles_are_usage_errors_a_denied_item_exits_3_and_catalog_bundles_work() {
    let dir = Home::new();
    let demo = include_str!("../../crates/zt-broker/src/dev/demo/demo.cedar");
    let freeze = "\n@id(\"test/freeze\")\n@reason(\"no AWS during the freeze\")\nforbid (principal, action in [Action::\"request\", Action::\"break_glass\"], resource == Resource::\"prod-aws\");\n";
    std::fs::write(dir.path().join("demo.cedar"), format!("{demo}{freeze}")).unwrap();
    let broker = Broker::start(&["--policies", dir.path().to_str().unwrap()]);
    let w = alice(&broker);

    // Usage errors, before anything is asked.
    let twice = w.run(&["request", "prod-k8s", "prod-db", "prod-k8s:edit"]);
    twice.code(2);
    assert!(twice.stderr.contains("named twice"), "{}", twice.stderr);
    w.run(&["request", "prod-k8s", "prod-db", "--role", "view"])
        .code(2);
    w.run(&["request", "prod-k8s", "prod/db"]).code(2);
    // An unknown resource: the broker refuses the whole bundle; nothing is granted.
    let unknown = w.run(&["request", "prod-k8s", "nowhere"]);
    assert_ne!(unknown.code, 0);
    let st = w.run(&["status", "--json"]);
    assert_eq!(st.ok().json(), serde_json::json!([]), "nothing was created");

    // A policy denies one item: the other is written, the denied one says why; exit 3.
    let out = w.run(&[
        "request", "prod-k8s", "prod-aws", "--ttl", "5m", "--reason", "INC-9",
    ]);
    out.code(3);
    assert!(
        out.stdout
            .contains("prod-aws/readonly\tdenied: no AWS during the freeze (policy: test/freeze)"),
        "{}",
        out.stdout
    );
    assert!(read(&w.home.kubeconfig()).contains("zt-prod-k8s"));
    assert!(!read(&w.path().join("aws-files/config")).contains("zt-prod-aws"));

    // A catalog bundle by name, without waiting: the pending item's id on stdout.
    let named = w.run(&[
        "request",
        "incident-db-access",
        "--no-wait",
        "--reason",
        "INC-10",
    ]);
    named.ok();
    assert!(
        named.stdout.contains("prod-db/readwrite\tpending\t"),
        "{}",
        named.stdout
    );
    let st = w.run(&["status", "--json"]);
    let pending = st.ok().json().as_array().unwrap().iter().any(|r| {
        r["resource"] == "prod-db" && r["state"] == "pending" && r["bundle_id"].is_string()
    });
    assert!(pending, "{}", st.stdout);
}

/// The review page of a bundle's request shows the bundle's items (the approver decides them
/// all), signed in at the dev IdP over plain HTTP.
#[test]
fn the_review_page_shows_the_bundles_items() {
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
    let out = alice.run(&[
        "request",
        "prod-k8s:admin",
        "prod-db:readwrite",
        "--no-wait",
    ]);
    out.ok();
    let id = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("prod-k8s/admin\tpending\t"))
        .unwrap_or_else(|| panic!("{}", out.stdout))
        .to_string();
    let mut web = WebClient::new();
    let page = web.sign_in_dev(&review_link(&broker.url, &id), "bob");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Bundle <code>"), "{}", page.body);
    for item in ["prod-k8s/admin", "prod-db/readwrite"] {
        assert!(page.body.contains(item), "{item} not on the page");
    }
}
