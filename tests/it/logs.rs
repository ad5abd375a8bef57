//! The broker's log (issue 12): a whole journey against `zt-broker dev` at debug level — two
//! logins, a grant of each kind (prod-k8s, prod-aws, prod-db), credential calls, an approval,
//! a revoke — and not one bearer token, refresh token or minted secret in what the broker
//! wrote, in text or JSON. The secrets are read from the client side, where they end up. And
//! the one line per HTTP request is there: method, route, status, latency, request id. Also the
//! client's `--verbose`, which shows an error's cause chain.

use std::collections::BTreeSet;

use crate::common::Home;
use crate::common::broker::Broker;

/// Run the journey with the broker's stderr in a file; that file's text and the secrets seen.
fn journey(format: &str) -> (String, BTreeSet<String>, String) {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("broker.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let broker = Broker::start_logging_to(
        &["--log-format", format],
        &[("ZT_BROKER_LOG", "debug")],
        log,
    );
    let (alice, bob) = (Home::new(), Home::new());
    broker.login_via_page(&alice, "alice");
    broker.login_via_page(&bob, "bob");
    let mut secrets = BTreeSet::new();
    for home in [&alice, &bob] {
        let text =
            std::fs::read_to_string(home.path().join(".config/zt/tokens/default.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        for (k, t) in v.as_object().unwrap() {
            if k.ends_with("token")
                && let Some(t) = t.as_str()
            {
                secrets.insert(t.to_string());
            }
        }
    }
    assert!(secrets.len() >= 2, "no tokens found on the client side");

    let request = |home: &Home, args: &[&str]| -> serde_json::Value {
        let mut a = vec!["request"];
        a.extend_from_slice(args);
        a.push("--json");
        let out = home.run(&a);
        out.ok().json()
    };
    let id_of = |v: &serde_json::Value| -> String {
        v["request"]["id"]
            .as_str()
            .or(v["id"].as_str())
            .unwrap_or_else(|| panic!("no request id: {v}"))
            .to_string()
    };
    let env_of = |home: &Home, grant: &str| -> serde_json::Value {
        home.run(&["env", grant, "--json"]).ok().json()
    };
    let kube_token = |home: &Home, grant: &str| -> String {
        let v = home.run(&["credential", "kube", grant]).ok().json();
        v["status"]["token"].as_str().unwrap().to_string()
    };

    // Kubernetes, granted at once: the exec plugin's token.
    let k8s = id_of(&request(
        &alice,
        &["prod-k8s", "--ttl", "10m", "--reason", "INC-1"],
    ));
    secrets.insert(kube_token(&alice, &k8s));
    // AWS: the secret key and the session token.
    let aws = id_of(&request(
        &alice,
        &["prod-aws", "--ttl", "10m", "--reason", "INC-1"],
    ));
    let env = env_of(&alice, &aws);
    for k in ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
        secrets.insert(
            env[k]
                .as_str()
                .unwrap_or_else(|| panic!("{k}: {env}"))
                .into(),
        );
    }
    // PostgreSQL: the password.
    let db = id_of(&request(
        &alice,
        &["prod-db", "--ttl", "10m", "--reason", "INC-1"],
    ));
    let env = env_of(&alice, &db);
    secrets.insert(
        env["PGPASSWORD"]
            .as_str()
            .unwrap_or_else(|| panic!("{env}"))
            .into(),
    );
    // An admin grant that needs bob: approved, then its token.
    let admin = id_of(&request(
        &alice,
        &[
            "prod-k8s",
            "--role",
            "admin",
            "--ttl",
            "10m",
            "--reason",
            "INC-1",
            "--no-wait",
        ],
    ));
    bob.run(&["approve", &admin]).ok();
    secrets.insert(kube_token(&alice, &admin));
    // Revokes end two of them at the broker.
    alice.run(&["revoke", &aws]).ok();
    alice.run(&["revoke", &admin]).ok();

    // A request of our own: its id comes back in x-request-id, and its log line names it.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let request_id = rt.block_on(async {
        let r = reqwest::get(format!("{}/.well-known/zt", broker.url))
            .await
            .unwrap();
        r.headers()["x-request-id"].to_str().unwrap().to_string()
    });
    assert!(request_id.len() >= 16, "{request_id:?}");

    drop(broker); // stopped: everything it will write is written
    let text = std::fs::read_to_string(&log_path).unwrap();
    (text, secrets, request_id)
}

/// Every secret, and every JWT's signature alone, is absent from `log`.
fn assert_no_secret(log: &str, secrets: &BTreeSet<String>) {
    assert!(
        secrets.len() >= 8,
        "too few secrets collected: {}",
        secrets.len()
    );
    for s in secrets {
        assert!(!s.is_empty());
        assert!(
            !log.contains(s.as_str()),
            "a secret is in the broker's log: {s}"
        );
        if let Some(sig) = s.rsplit('.').next().filter(|p| p.len() >= 16) {
            assert!(
                !log.contains(sig),
                "a token's signature is in the broker's log: {sig}"
            );
        }
    }
}

#[test]
fn a_debug_log_of_a_whole_journey_holds_no_secret_text() {
    let (log, secrets, id) = journey("text");
    assert_no_secret(&log, &secrets);
    // One line per request: method, route, status, latency and id.
    let line = log
        .lines()
        .find(|l| l.contains(&id))
        .unwrap_or_else(|| panic!("no line with request id {id}:\n{log}"));
    for part in ["GET", "route=/.well-known/zt", "status=200", "latency_ms="] {
        assert!(line.contains(part), "{part} not in {line}");
    }
    assert!(
        log.contains("route=/v1/grants/{id}/credentials"),
        "routes are logged by their pattern, not their path:\n{log}"
    );
    assert!(log.contains("DEBUG"), "debug level was asked for");
}

#[test]
fn a_debug_json_log_of_a_whole_journey_holds_no_secret_and_parses() {
    let (log, secrets, id) = journey("json");
    assert_no_secret(&log, &secrets);
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(!lines.is_empty(), "no JSON lines:\n{log}");
    let ours = lines
        .iter()
        .find(|v| v["span"]["request_id"] == id.as_str())
        .unwrap_or_else(|| panic!("no line with request id {id}:\n{log}"));
    assert_eq!(ours["span"]["method"], "GET", "{ours}");
    assert_eq!(ours["span"]["route"], "/.well-known/zt", "{ours}");
    assert_eq!(ours["fields"]["status"], 200, "{ours}");
    assert!(ours["fields"]["latency_ms"].is_number(), "{ours}");
    assert!(
        lines
            .iter()
            .any(|v| v["span"]["route"] == "/v1/requests/{id}/approve"),
        "the approval's request line:\n{log}"
    );
}

/// The client's side of the same issue: an error keeps its cause chain, and `--verbose` shows
/// it (text: `caused by:` lines; `--json`: a `causes` array); the default output and the exit
/// code do not change.
#[test]
fn verbose_prints_an_errors_cause_chain_and_nothing_else_changes() {
    let home = Home::new();
    let login = |extra: &[&str]| {
        let mut a = vec![
            "login",
            "--broker",
            "http://127.0.0.1:1",
            "--no-browser",
            "--insecure-storage",
        ];
        a.extend_from_slice(extra);
        let out = home.run(&a);
        out.code(7);
        out.stderr
    };
    let plain = login(&[]);
    assert!(!plain.contains("caused by"), "{plain}");
    let verbose = login(&["--verbose"]);
    assert!(
        verbose.starts_with(plain.lines().next().unwrap()),
        "{verbose}"
    );
    assert!(verbose.contains("  caused by: "), "{verbose}");
    assert!(verbose.contains("Connection refused"), "{verbose}");

    let json: serde_json::Value = serde_json::from_str(login(&["--json"]).trim()).unwrap();
    assert!(json["error"].get("causes").is_none(), "{json}");
    let json: serde_json::Value =
        serde_json::from_str(login(&["--json", "--verbose"]).trim()).unwrap();
    let causes = json["error"]["causes"].as_array().unwrap();
    assert!(
        causes
            .iter()
            .any(|c| c.as_str().unwrap().contains("Connection refused")),
        "{json}"
    );
    assert_eq!(json["error"]["exit_code"], 7);
}
