//! The main job end to end against a real `zt-broker dev`: login (auto-login and the HTML page),
//! request view (granted at once), the kubeconfig context appears and works with the real
//! kubectl (v1.34, through zt's exec plugin), the TTL passes, kubectl says why it fails (zt's
//! line) during the grace period, then the entry is wiped and the credential refused. Then an admin request that needs bob's approval.
//!
//! The Kubernetes API here is the dev broker's tiny built-in endpoint (discovery + namespaces,
//! bearer check) — a fake, speaking the real wire format; no kube-apiserver can run here.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::broker::Broker;
use crate::common::world::{USER_KUBECONFIG, names};
use crate::common::{Home, eventually, kubectl};

fn yaml(text: &str) -> yaml_rust2::Yaml {
    crate::common::world::yaml(text).expect("valid YAML")
}

#[test]
fn view_is_granted_works_in_kubectl_and_is_wiped_at_ttl() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let alice = Home::new();
    std::fs::write(alice.kubeconfig(), USER_KUBECONFIG).unwrap();
    std::fs::set_permissions(
        alice.kubeconfig(),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();

    let out = alice.run(&[
        "login",
        "--broker",
        &broker.url,
        "--insecure-storage",
        "--no-browser",
    ]);
    out.ok();
    assert!(
        out.stderr.contains("plain file"),
        "the file store is announced: {}",
        out.stderr
    );
    let me = alice.run(&["whoami", "--json"]);
    assert_eq!(me.ok().json()["sub"], "alice");
    // A short grace period after the end (config.toml's `[grants] grace`; default 1h).
    let config = alice.path().join(".config/zt/config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[grants]\ngrace = \"5s\"\n");
    std::fs::write(&config, text).unwrap();

    let ttl = 6;
    let out = alice.run(&[
        "request",
        "prod-k8s",
        "--ttl",
        &format!("{ttl}s"),
        "--reason",
        "INC-4211",
        "--json",
    ]);
    out.ok();
    let granted = out.json();
    let grant = granted["request"]["id"].as_str().unwrap().to_string();
    assert_eq!(granted["request"]["state"], "active");
    assert_eq!(granted["context"], "zt-prod-k8s");
    let expires =
        zt_api::Timestamp::parse_rfc3339(granted["request"]["expires_at"].as_str().unwrap())
            .unwrap();

    // The kubeconfig: valid YAML, zt's three entries, the user's entries intact.
    let text = std::fs::read_to_string(alice.kubeconfig()).unwrap();
    let doc = yaml(&text);
    assert_eq!(names(&doc, "clusters"), ["staging", "zt-prod-k8s"]);
    assert_eq!(names(&doc, "contexts"), ["staging", "zt-prod-k8s"]);
    assert_eq!(names(&doc, "users"), ["me", "zt-prod-k8s"]);
    assert_eq!(
        doc["current-context"].as_str(),
        Some("staging"),
        "not switched without --use"
    );
    let user = doc["users"][1]["user"]["exec"].clone();
    assert_eq!(
        user["apiVersion"].as_str(),
        Some("client.authentication.k8s.io/v1")
    );
    assert_eq!(user["interactiveMode"].as_str(), Some("Never"));
    assert_eq!(user["command"].as_str(), Some(crate::common::zt_bin()));
    assert!(
        !text.contains("token:") || text.matches("token:").count() == 0,
        "no token in the file"
    );
    assert!(
        text.contains("# my clusters — zt must not touch these") && text.contains("# my namespace")
    );
    // The file holds no secret (zt's exec plugin mints the token): it keeps the user's mode.
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(alice.kubeconfig()).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o644);

    // The exec plugin answers as kubectl expects.
    let cred = alice.run(&["credential", "kube", &grant]);
    let v = cred.ok().json();
    assert_eq!(v["kind"], "ExecCredential");
    assert!(v["status"]["token"].as_str().is_some_and(|t| !t.is_empty()));

    // The real kubectl through the plugin, against the dev API endpoint.
    if let Some(k) = kubectl() {
        let out = crate::common::Out::from(
            alice
                .cmd(&k)
                .args(["--context", "zt-prod-k8s", "get", "namespaces"])
                .output()
                .unwrap(),
        );
        out.ok();
        assert!(out.stdout.contains("default"), "{}", out.stdout);
    }

    // TTL passes: the context stays for the grace period, and kubectl says why it fails.
    let ended = eventually(Duration::from_secs(ttl + 15), || {
        zt::ledger::Ledger::read_from(&alice.state().join("ledger.json"))
            .ended_of(&grant)
            .next()
            .is_some()
    });
    assert!(ended.is_some(), "the grant's end was not recorded");
    if let Some(k) = kubectl() {
        let out = crate::common::Out::from(
            alice
                .cmd(&k)
                .args(["--context", "zt-prod-k8s", "get", "namespaces"])
                .output()
                .unwrap(),
        );
        assert_ne!(out.code, 0, "kubectl must fail after the TTL");
        assert!(
            out.stderr.contains("zt: prod-k8s/view ended at ")
                && out
                    .stderr
                    .contains("(expired) — run: zt request prod-k8s --role view"),
            "{out:#?}"
        );
    }
    // Then the reaper removes the entries; report how late it was.
    let gone = eventually(Duration::from_secs(ttl + 20), || {
        !std::fs::read_to_string(alice.kubeconfig())
            .unwrap()
            .contains("zt-prod-k8s")
    });
    assert!(
        gone.is_some(),
        "zt-prod-k8s still in the kubeconfig well after its TTL"
    );
    let late = zt_api::Timestamp::now().0 - expires.0;
    eprintln!("wipe happened ≈{late}s after the TTL (whole seconds; grace 5s)");
    assert_eq!(
        std::fs::read_to_string(alice.kubeconfig()).unwrap(),
        USER_KUBECONFIG,
        "byte for byte what the user had"
    );

    let after = alice.run(&["credential", "kube", &grant]);
    after.code(6);
    assert!(
        after.stderr.contains("zt request prod-k8s"),
        "{}",
        after.stderr
    );
    if let Some(k) = kubectl() {
        let out = alice
            .cmd(&k)
            .args(["--context", "zt-prod-k8s", "get", "namespaces"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "kubectl must fail after the TTL");
    }
}

#[test]
fn admin_needs_another_persons_approval() {
    let broker = Broker::start(&[]);
    let (alice, bob) = (Home::new(), Home::new());
    broker.login_via_page(&alice, "alice");
    broker.login_via_page(&bob, "bob");

    // alice asks for admin and waits; read the request id from her stderr.
    let mut waiting = alice
        .zt(&[
            "request", "prod-k8s", "--role", "admin", "--ttl", "10m", "--reason", "INC-4211",
            "--use",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(waiting.stderr.take().unwrap());
    let id = crate::common::read_request_id(&mut err);

    // She cannot approve her own request, even though she can see it.
    let own = alice.run(&["approve", &id]);
    own.code(9);
    // bob's inbox shows it; he approves.
    let inbox = bob.run(&["inbox", "--json"]);
    assert!(
        inbox.ok().json()["requests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == id.as_str())
    );
    let approved_at = Instant::now();
    bob.run(&["approve", &id]).ok();

    let status = waiting.wait().unwrap();
    let woke = approved_at.elapsed();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert!(
        status.success(),
        "alice's request should complete after approval: {rest}"
    );
    eprintln!("alice's zt request returned {woke:?} after bob's approval");
    let doc = yaml(&std::fs::read_to_string(alice.kubeconfig()).unwrap());
    assert_eq!(
        doc["current-context"].as_str(),
        Some("zt-prod-k8s"),
        "--use switched the context"
    );

    // Revoking ends it now and restores the previous (absent) context.
    alice.run(&["revoke", &id]).ok();
    let text = std::fs::read_to_string(alice.kubeconfig()).unwrap_or_default();
    assert!(!text.contains("zt-prod-k8s"), "{text}");
    alice.run(&["credential", "kube", &id]).code(6);
}

#[test]
fn denied_and_withdrawn_requests() {
    let broker = Broker::start(&[]);
    let (alice, bob) = (Home::new(), Home::new());
    broker.login_via_page(&alice, "alice");
    broker.login_via_page(&bob, "bob");
    let out = alice.run(&[
        "request",
        "prod-k8s",
        "--role",
        "edit",
        "--no-wait",
        "--json",
    ]);
    let id = out.ok().json()["id"].as_str().unwrap().to_string();
    bob.run(&["deny", &id, "--comment", "use view"]).ok();
    // A denied request is not open; `zt status` shows it (for a day) with the comment.
    let st = alice.run(&["status", "--json"]);
    let rows = st.ok().json();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.as_str());
    assert!(
        row.is_some_and(|r| r["state"] == "denied" && r["decision_comment"] == "use view"),
        "{}",
        st.stdout
    );

    // Without a TTY, a timeout leaves the request pending with its own exit code.
    let out = alice.run(&["request", "prod-k8s", "--role", "edit", "--timeout", "1s"]);
    out.code(5);
}

#[test]
fn ctrl_c_while_waiting_withdraws_without_a_tty() {
    let broker = Broker::start(&[]);
    let (alice, bob) = (Home::new(), Home::new());
    broker.login_via_page(&alice, "alice");
    broker.login_via_page(&bob, "bob");
    let mut waiting = alice
        .zt(&["request", "prod-k8s", "--role", "admin", "--ttl", "10m"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(waiting.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.starts_with("Request "), "{line:?}");
    let id = line.split_whitespace().nth(1).unwrap().to_string();
    // The request is pending in bob's inbox until alice presses Ctrl-C.
    assert!(bob.run(&["inbox", "--json"]).ok().stdout.contains(&id));
    std::thread::sleep(Duration::from_millis(300));
    unsafe {
        libc::kill(waiting.id() as i32, libc::SIGINT);
    }
    let status = waiting.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(rest.contains(&format!("Withdrew request {id}")), "{rest}");
    assert!(
        !bob.run(&["inbox", "--json"]).ok().stdout.contains(&id),
        "withdrawn, so gone from the inbox"
    );
}

#[test]
fn a_second_grant_for_the_same_resource_still_restores_the_original_file() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let alice = Home::new();
    std::fs::write(alice.kubeconfig(), USER_KUBECONFIG).unwrap();
    alice
        .run(&[
            "login",
            "--broker",
            &broker.url,
            "--insecure-storage",
            "--no-browser",
        ])
        .ok();
    let first = alice.run(&["request", "prod-k8s", "--ttl", "5m", "--use", "--json"]);
    let first = first.ok().json()["request"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Longer than the first has left, so a second grant is minted (the same again is reused).
    let second = alice.run(&["request", "prod-k8s", "--ttl", "10m", "--use", "--json"]);
    let second = second.ok().json()["request"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(first, second);
    let doc = yaml(&std::fs::read_to_string(alice.kubeconfig()).unwrap());
    assert_eq!(
        names(&doc, "contexts"),
        ["staging", "zt-prod-k8s"],
        "one entry, replaced"
    );
    let ledger = zt::ledger::Ledger::read_from(&alice.state().join("ledger.json"));
    assert_eq!(ledger.entries.len(), 1);
    assert_eq!(ledger.entries[0].grant, second);
    alice.run(&["revoke", &second]).ok();
    assert_eq!(
        std::fs::read_to_string(alice.kubeconfig()).unwrap(),
        USER_KUBECONFIG,
        "context 'staging' is current again"
    );
    alice.run(&["revoke", &first]).ok();
}

#[test]
fn a_revocation_by_an_admin_reaches_the_client() {
    let broker = Broker::start(&[]);
    let (alice, bob) = (Home::new(), Home::new());
    broker.login_via_page(&alice, "alice");
    broker.login_via_page(&bob, "bob");
    let out = alice
        .zt(&["request", "prod-k8s", "--ttl", "30m", "--json"])
        .env("ZT_REAPER_CHECK_SECS", "1")
        .env("ZT_GRACE", "4")
        .output()
        .unwrap();
    let out = crate::common::Out::from(out);
    let id = out.ok().json()["request"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        std::fs::read_to_string(alice.kubeconfig())
            .unwrap()
            .contains("zt-prod-k8s")
    );
    // bob is a zt admin: he ends alice's grant from his own machine.
    bob.run(&["revoke", &id]).ok();
    // alice's reaper learns of it: the context stays for the grace period and says why.
    let ledger = alice.state().join("ledger.json");
    let ended = eventually(Duration::from_secs(15), || {
        zt::ledger::Ledger::read_from(&ledger)
            .ended_of(&id)
            .next()
            .is_some()
    });
    assert!(
        ended.is_some(),
        "alice's reaper did not learn of the revocation"
    );
    let h = alice.run(&["credential", "kube", &id]);
    h.code(6);
    assert!(
        h.stderr
            .contains("(revoked by someone else) — run: zt request prod-k8s --role view"),
        "{h:#?}"
    );
    let gone = eventually(Duration::from_secs(15), || {
        !std::fs::read_to_string(alice.kubeconfig())
            .unwrap_or_default()
            .contains("zt-prod-k8s")
    });
    let log = std::fs::read_to_string(alice.state().join("reaper.log")).unwrap_or_default();
    assert!(
        gone.is_some(),
        "alice's reaper should learn of the revocation and wipe the context; reaper log:\n{log}"
    );
}
