//! What zt does with no broker at all, or a broken one: exit codes, hints, the credential
//! helper from its cache, and the sweep that wipes expired entries. Runs in plain `cargo test`.

use std::io::{Read, Write};
use std::net::TcpListener;

use zt::ledger::{Entry, Ledger, Target};
use zt::materialize::kubeyaml;
use zt_api::{Credential, Timestamp};

use crate::common::Home;

const OTHER_KUBECONFIG: &str = "\
apiVersion: v1
kind: Config
# the team's cluster
clusters:
- cluster:
    server: https://staging.example.com
  name: staging
contexts:
- context:
    cluster: staging
    user: me
  name: staging
current-context: staging
users:
- name: me
  user:
    token: not-a-real-token
";

/// Seed HOME as if `zt request` had granted `grant` for prod-k8s until `expires_at`.
fn seed_grant(home: &Home, grant: &str, expires_at: i64) {
    let args: Vec<String> = ["credential", "kube", grant].map(String::from).to_vec();
    let exp = Timestamp(expires_at).to_rfc3339();
    let entry = kubeyaml::KubeEntry {
        name: "zt-prod-k8s",
        server: "http://127.0.0.1:1/dev/k8s",
        certificate_authority_data: None,
        namespace: None,
        exec_command: crate::common::zt_bin(),
        exec_args: &args,
        grant_id: grant,
        expires_at: &exp,
    };
    let (text, undo) = kubeyaml::apply(OTHER_KUBECONFIG, &entry, false).unwrap();
    std::fs::write(home.kubeconfig(), text).unwrap();
    let ledger = Ledger {
        entries: vec![Entry {
            grant: grant.into(),
            profile: "default".into(),
            resource: "prod-k8s".into(),
            role: "view".into(),
            expires_at,
            target: Target::Kubeconfig {
                file: home.kubeconfig(),
                name: "zt-prod-k8s".into(),
                undo,
            },
        }],
        ..Default::default()
    };
    std::fs::write(
        home.state().join("ledger.json"),
        serde_json::to_string(&ledger).unwrap(),
    )
    .unwrap();
    let cached = zt::credcache::Cached {
        profile: "default".into(),
        resource: "prod-k8s".into(),
        credential: Credential::Kubernetes {
            server: "http://127.0.0.1:1/dev/k8s".into(),
            certificate_authority_data: None,
            namespace: None,
            token: "cached-token".into(),
            expires_at: Timestamp(expires_at),
        },
    };
    std::fs::create_dir_all(home.path().join("run/creds")).unwrap();
    std::fs::write(
        home.path().join(format!("run/creds/{grant}.json")),
        serde_json::to_vec(&cached).unwrap(),
    )
    .unwrap();
}

#[test]
fn not_logged_in_exits_4_with_a_hint() {
    let home = Home::new();
    let out = home.run(&["whoami"]);
    out.code(4);
    assert!(out.stderr.contains("zt login"), "{}", out.stderr);
}

#[test]
fn malformed_durations_are_usage_errors() {
    let home = Home::new();
    for bad in ["soon", "0s", "-5m", "5 parsecs"] {
        let out = home.run(&["request", "prod-k8s", &format!("--ttl={bad}")]);
        out.code(2);
        assert!(out.stderr.contains("duration"), "{bad}: {}", out.stderr);
    }
}

#[test]
fn broker_down_exits_7() {
    let home = Home::new();
    // Bind and drop: a port nothing listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = home.run(&[
        "login",
        "--broker",
        &format!("http://127.0.0.1:{port}"),
        "--no-browser",
    ]);
    out.code(7);
    assert!(
        out.stderr.contains("cannot reach the broker"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
}

/// A server that answers every request with `body` (HTTP 200, `content_type`).
fn garbage_server(body: &'static str, content_type: &'static str) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for s in l.incoming().flatten().take(10) {
            let mut s = s;
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn broker_answering_html_or_garbage_is_a_clear_error() {
    let home = Home::new();
    let html = garbage_server("<html><body>Sign in to Corp VPN</body></html>", "text/html");
    let out = home.run(&["login", "--broker", &html, "--no-browser"]);
    out.code(1);
    assert!(out.stderr.contains("HTML page"), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);

    let junk = garbage_server("{\"hello\": 1}", "application/json");
    let out = home.run(&["login", "--broker", &junk, "--no-browser"]);
    out.code(1);
    assert!(
        out.stderr.contains("JSON of another shape"),
        "{}",
        out.stderr
    );
    assert!(
        !home.path().join(".config/zt/config.toml").exists(),
        "nothing stored"
    );
}

#[test]
fn credential_helper_answers_from_cache() {
    let home = Home::new();
    let exp = Timestamp::now().0 + 3600;
    seed_grant(&home, "g1", exp);
    let out = home.run(&["credential", "kube", "g1"]);
    out.ok();
    let v = out.json();
    assert_eq!(v["apiVersion"], "client.authentication.k8s.io/v1");
    assert_eq!(v["kind"], "ExecCredential");
    assert_eq!(v["status"]["token"], "cached-token");
    assert_eq!(
        v["status"]["expirationTimestamp"],
        Timestamp(exp).to_rfc3339()
    );
    assert!(
        out.stderr.is_empty(),
        "a credential helper says nothing when all is well: {}",
        out.stderr
    );
}

#[test]
fn expired_grant_is_swept_and_the_helper_says_so() {
    let home = Home::new();
    seed_grant(&home, "g2", Timestamp::now().0 - 5);
    // The helper's own sweep ends the grant first; then there is no credential to give, and
    // the helper says why in one line naming the command that restores access.
    let out = home.run(&["credential", "kube", "g2"]);
    out.code(6);
    assert!(
        out.stderr.starts_with("zt: prod-k8s/view ended at ")
            && out
                .stderr
                .contains("(expired) — run: zt request prod-k8s --role view"),
        "names the command that restores access: {}",
        out.stderr
    );
    assert_eq!(
        out.stderr.lines().count(),
        1,
        "one line for kubectl to show: {}",
        out.stderr
    );
    assert!(!home.path().join("run/creds/g2.json").exists());
    // The context stays for the grace period (so kubectl shows that line), and `zt reap`,
    // asked by name, keeps nothing: the kubeconfig is back to what the user had.
    let during = std::fs::read_to_string(home.kubeconfig()).unwrap();
    assert!(during.contains("zt-prod-k8s"), "{during}");
    home.run(&["reap"]).ok();
    let after = std::fs::read_to_string(home.kubeconfig()).unwrap();
    assert_eq!(
        after, OTHER_KUBECONFIG,
        "the kubeconfig is back to what the user had"
    );
    // The tombstone still explains.
    let again = home.run(&["credential", "kube", "g2"]);
    again.code(6);
    assert!(
        again
            .stderr
            .contains("(expired) — run: zt request prod-k8s"),
        "{again:#?}"
    );
}

#[test]
fn reap_dry_run_lists_and_reap_removes() {
    let home = Home::new();
    seed_grant(&home, "g3", Timestamp::now().0 - 1);
    let out = home.run(&["reap", "--dry-run"]);
    out.ok();
    assert!(
        home.run(&["reap", "--dry-run", "--json"]).ok().json()["removed"]
            .as_array()
            .unwrap()
            .len()
            == 1
    );
    assert!(
        out.stdout
            .contains("would remove kubeconfig context zt-prod-k8s"),
        "{}",
        out.stdout
    );
    assert!(
        std::fs::read_to_string(home.kubeconfig())
            .unwrap()
            .contains("zt-prod-k8s")
    );
    home.run(&["reap"]).ok();
    assert_eq!(
        std::fs::read_to_string(home.kubeconfig()).unwrap(),
        OTHER_KUBECONFIG
    );
    assert!(
        Ledger::read_from(&home.state().join("ledger.json"))
            .entries
            .is_empty()
    );
}

#[test]
fn a_broken_kubeconfig_is_never_rewritten() {
    let home = Home::new();
    seed_grant(&home, "g4", Timestamp::now().0 - 1);
    let broken = "apiVersion: v1\nclusters:\n- name: [unclosed\n  zt-prod-k8s: x\n";
    std::fs::write(home.kubeconfig(), broken).unwrap();
    let out = home.run(&["reap"]);
    assert!(out.stderr.contains("could not remove"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(home.kubeconfig()).unwrap(),
        broken,
        "byte for byte untouched"
    );
    assert_eq!(
        Ledger::read_from(&home.state().join("ledger.json"))
            .entries
            .len(),
        1,
        "kept to retry"
    );
}

#[test]
fn a_grant_id_cannot_name_a_path() {
    let home = Home::new();
    std::fs::write(home.path().join("secret.json"), "{}").unwrap();
    for bad in ["../secret", "a/b", "..", ""] {
        let out = home.run(&["credential", "kube", bad]);
        out.code(2);
        // The empty one is refused with the command line (as every id argument is).
        let why = if bad.is_empty() {
            "an id cannot be empty"
        } else {
            "not a grant id"
        };
        assert!(out.stderr.contains(why), "{bad:?}: {}", out.stderr);
    }
}

#[test]
fn entries_brought_back_by_another_writer_are_reaped_once_expired() {
    // kubectl reads before it locks and writes back what it read: a wiped zt entry can come
    // back with no ledger entry. `zt reap` removes it once its marker says it has expired.
    let home = Home::new();
    seed_grant(&home, "g5", Timestamp::now().0 - 5);
    std::fs::remove_file(home.state().join("ledger.json")).unwrap();
    let out = home.run(&["reap"]);
    out.ok();
    assert!(
        out.stdout.contains("expired kubeconfig entry zt-prod-k8s"),
        "{}",
        out.stdout
    );
    let after = std::fs::read_to_string(home.kubeconfig()).unwrap();
    assert!(!after.contains("zt-prod-k8s"), "{after}");
    assert!(after.contains("name: staging") && after.contains("# the team's cluster"));

    // Not yet expired: left alone (another state dir may own it).
    let home = Home::new();
    seed_grant(&home, "g6", Timestamp::now().0 + 600);
    std::fs::remove_file(home.state().join("ledger.json")).unwrap();
    home.run(&["reap"]).ok();
    assert!(
        std::fs::read_to_string(home.kubeconfig())
            .unwrap()
            .contains("zt-prod-k8s")
    );
}
