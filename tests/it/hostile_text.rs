//! Text from someone else (issue 11, items 2, 14, 15, 17 and the reply cap of 1): a
//! requester's reason full of terminal escapes is refused by the real broker; a broker that
//! answers with escapes, bidi controls and megabytes of text anyway (a fake one, standing for
//! a compromised or buggy broker) reaches the terminal inert and capped; errors keep their
//! documented exit codes and, under `--json`, are JSON.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use crate::common::broker::Broker;
use crate::common::tinyhttp::{Reply, TinyServer};
use crate::common::{Home, Out};

/// What must never reach a terminal raw: ESC, CR, other C0 (bar newline), DEL, C1, bidi.
fn hostile(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[track_caller]
fn assert_inert(out: &Out) {
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        if let Some(c) = text.chars().find(|c| hostile(*c)) {
            panic!("{name} carries U+{:04X} raw: {out:#?}", c as u32);
        }
    }
}

/// A reason that, printed raw, erases the line and shows an admin request as a view request.
const EVIL: &str = "view only\x1b[2K\r\x1b[1A\u{202e}nimda\u{202c}\u{9b}31m\x7f";

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
fn the_broker_refuses_control_characters_in_free_text() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let alice = logged_in(&broker);
    let ask = |extra: &[&str]| {
        let mut args = vec!["request", "prod-k8s", "--role", "admin", "--no-wait"];
        args.extend_from_slice(extra);
        alice.run(&args)
    };
    for (flag, value) in [
        ("--reason", EVIL),
        ("--reason", "lone\rcarriage return"),
        ("--reason", "a\ttab"),
        ("--ticket", "INC-1\x1b]8;;http://evil\x07"),
    ] {
        let out = ask(&[flag, value]);
        out.code(2);
        assert!(
            out.stderr.contains("control character") && out.stderr.contains(&flag[2..]),
            "{flag} {value:?}: {}",
            out.stderr
        );
        assert_inert(&out);
    }
    // The limits: reason 1000 characters, ticket 200.
    let out = ask(&["--reason", &"é".repeat(1001)]);
    out.code(2);
    assert!(out.stderr.contains("longer than 1000"), "{}", out.stderr);
    let out = ask(&["--ticket", &"t".repeat(201)]);
    out.code(2);
    assert!(out.stderr.contains("longer than 200"), "{}", out.stderr);
    assert!(!alice.kubeconfig().exists(), "nothing was granted");

    // Newlines are text; CR LF becomes LF; exactly 1000 characters pass.
    let out = ask(&["--reason", "two\r\nlines", "--json"]);
    let id = out.ok().json()["id"].as_str().unwrap().to_string();
    assert_eq!(out.json()["reason"], "two\nlines");
    ask(&["--reason", &"é".repeat(1000), "--ticket", &"t".repeat(200)]).ok();

    // A decision's comment and an extension's reason are held to the same rule.
    let out = alice.run(&["deny", &id, "--comment", EVIL]);
    out.code(2);
    assert!(out.stderr.contains("comment"), "{}", out.stderr);
    let out = alice.run(&["deny", &id, "--comment", &"c".repeat(1001)]);
    out.code(2);
    let out = alice.run(&["revoke", &id]);
    assert_inert(&out);
}

#[test]
fn the_deny_comment_reaches_the_requester() {
    let broker = Broker::start(&[]);
    let (alice, bob) = (Home::new(), Home::new());
    broker.login_via_page(&alice, "alice");
    broker.login_via_page(&bob, "bob");

    // alice waits; bob denies with a comment; her `zt request` says why (exit 3).
    let mut waiting = alice
        .zt(&[
            "request", "prod-k8s", "--role", "edit", "--ttl", "30m", "--reason", "deploy",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(waiting.stderr.take().unwrap());
    let id = crate::common::read_request_id(&mut err);
    let out = bob.run(&["deny", &id, "--comment", "use view\ninstead"]);
    // Who denied, and the TTL as written: "30m", never "30m 00s".
    assert!(
        out.ok().stderr.contains("Denied")
            && out.stderr.contains("by bob@example.com")
            && out.stderr.contains("(30m)"),
        "{}",
        out.stderr
    );
    let status = waiting.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert_eq!(status.code(), Some(3), "{rest}");
    // While it waited it gave the review link to pass on (the dev broker's base is
    // localhost, for passkeys); the denial shows the comment line by line, each line inert.
    let port = broker.url.rsplit(':').next().unwrap();
    assert!(
        rest.contains(&format!(
            "Approvers can review it at http://localhost:{port}/review/{id}\n"
        )),
        "{rest}"
    );
    assert!(
        rest.contains("by bob@example.com")
            && rest.contains("\n  comment:\n    use view\n    instead\n"),
        "the comment, on lines of its own: {rest}"
    );

    // `zt status` shows it too, and the API has it in full.
    let st = alice.run(&["status", "--json"]);
    let rows = st.ok().json();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.as_str())
        .unwrap_or_else(|| panic!("denied {id} not in status: {}", st.stdout));
    assert_eq!(row["state"], "denied");
    assert_eq!(row["decision_comment"], "use view\ninstead");
    let text = alice.run(&["status"]);
    assert!(
        text.ok()
            .stdout
            .contains("denied by bob@example.com: use view\\ninstead"),
        "{}",
        text.stdout
    );
}

#[test]
fn deciding_a_request_that_expired_undecided_exits_6() {
    let broker = Broker::start(&["--review-window", "2s"]);
    let (alice, bob) = (Home::new(), Home::new());
    broker.login_via_page(&alice, "alice");
    broker.login_via_page(&bob, "bob");
    let ask = || {
        let out = alice.run(&["request", "prod-k8s", "--role", "edit", "--no-wait"]);
        out.ok().stdout.trim().to_string()
    };
    let (first, second) = (ask(), ask());
    std::thread::sleep(std::time::Duration::from_millis(2600));
    for (verb, id) in [("approve", &first), ("deny", &second)] {
        let out = bob.run(&[verb, id]);
        out.code(6);
        assert!(out.stderr.contains("expired"), "{verb}: {}", out.stderr);
    }
    // Once the reaper has expired it, the answer is the same.
    let out = bob.run(&["approve", &first]);
    out.code(6);
}

#[test]
fn usage_errors_and_json_errors() {
    let home = Home::new();
    for args in [
        vec!["approve", ""],
        vec!["deny", "  "],
        vec!["revoke", ""],
        vec!["env", ""],
        vec!["credential", "kube", ""],
        vec!["extend", "", "--ttl", "1h"],
    ] {
        let out = home.run(&args);
        out.code(2);
        assert!(out.stderr.contains("empty"), "{args:?}: {}", out.stderr);
    }
    let out = home.run(&["request", "prod-k8s", "--ttl", "1500ms"]);
    out.code(2);
    assert!(
        out.stderr.contains("whole number of seconds"),
        "{}",
        out.stderr
    );
    // A bare number: the unit is what is missing, and the example offered is one zt takes.
    let out = home.run(&["request", "prod-k8s", "--ttl", "90"]);
    out.code(2);
    assert!(
        out.stderr.contains("90 has no unit; write 90s or 90m") && !out.stderr.contains("90ms"),
        "{}",
        out.stderr
    );
    // Under --json: one JSON object on stderr, nothing on stdout, the same exit code.
    let out = home.run(&["approve", "", "--json"]);
    out.code(2);
    assert_eq!(out.stdout, "");
    let v: serde_json::Value = serde_json::from_str(out.stderr.trim())
        .unwrap_or_else(|e| panic!("stderr is not JSON ({e}): {}", out.stderr));
    assert_eq!(v["error"]["kind"], "usage");
    assert_eq!(v["error"]["exit_code"], 2);
    assert!(v["error"]["message"].as_str().unwrap().contains("empty"));
    let out = home.run(&["whoami", "--json"]);
    out.code(4);
    let v: serde_json::Value = serde_json::from_str(out.stderr.trim())
        .unwrap_or_else(|e| panic!("stderr is not JSON ({e}): {}", out.stderr));
    assert_eq!(v["error"]["kind"], "auth_required");
    assert_eq!(v["error"]["exit_code"], 4);
    assert_eq!(v["error"]["hint"], "run `zt login`");
    // --help stays clap's text.
    home.run(&["approve", "--help", "--json"]).ok();
    // A complaint clap spreads over lines keeps what it is about: the missing argument.
    // (`zt approve` without an id is zt's own usage error now: tests/it/ask.rs.)
    let out = home.run(&["extend", "--json"]);
    out.code(2);
    let v: serde_json::Value = serde_json::from_str(out.stderr.trim())
        .unwrap_or_else(|e| panic!("stderr is not JSON ({e}): {}", out.stderr));
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("not provided") && message.contains("<GRANT|RESOURCE>"),
        "{message}"
    );
}

/// The shapes a broker answers with, every free-text field hostile.
fn evil_request(id: &str) -> serde_json::Value {
    let long = format!("{EVIL} {}", "x".repeat(100_000));
    serde_json::json!({
        "id": id,
        "requester": format!("mallory{EVIL}"),
        "resource": format!("prod{EVIL}"),
        "kind": "kubernetes",
        "role": format!("view\r\n{EVIL}"),
        "ttl_secs": 1800,
        "reason": long,
        "ticket": EVIL,
        "state": "pending",
        "decision": {
            "outcome": "require_approval",
            "policy_ids": [EVIL],
            "reason": EVIL,
            "approver_groups": [EVIL],
        },
        "decided_by": EVIL,
        "decision_comment": EVIL,
        "created_at": "2026-01-01T00:00:00Z",
    })
}

/// A logged-in HOME whose profile points at `server` instead of the real broker (the token
/// stays valid; the fake broker ignores it).
fn pointed_at(broker: &Broker, server: &TinyServer) -> Home {
    let home = logged_in(broker);
    let cfg = home.path().join(".config/zt/config.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(text.contains(&broker.url), "{text}");
    std::fs::write(&cfg, text.replace(&broker.url, &server.url)).unwrap();
    home
}

#[test]
fn a_hostile_broker_reaches_the_terminal_inert_and_capped() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let server = TinyServer::start(|_, path| {
        // A problem whose JSON is about `size` bytes (escaped controls take six bytes each).
        let problem = |size: usize| {
            let one = serde_json::to_string(EVIL).unwrap().len();
            let detail = EVIL.repeat(size / one);
            let body = serde_json::json!({
                "type": "https://zt.dev/problems/invalid-request",
                "title": EVIL,
                "status": 400,
                "detail": detail,
            });
            Reply::new(400, "application/problem+json", body.to_string())
        };
        if path == "/v1/requests" {
            Reply::json(serde_json::json!({"requests": [evil_request("r1")]}).to_string())
        } else if path.starts_with("/v1/catalog") {
            Reply::json(
                serde_json::json!({"resources": [{
                    "name": format!("db{EVIL}"),
                    "kind": "postgres",
                    "description": format!("{EVIL}{}", "d".repeat(50_000)),
                    "roles": [{"name": format!("ro{EVIL}"), "auto_approve": true, "max_ttl_secs": 3600}],
                    "default_role": "ro",
                    "max_ttl_secs": 3600,
                }]})
                .to_string(),
            )
        } else if path.starts_with("/v1/me") {
            Reply::json(
                serde_json::json!({
                    "sub": EVIL, "issuer": EVIL, "email": EVIL, "groups": [EVIL],
                })
                .to_string(),
            )
        } else if path.ends_with("/approve") {
            Reply::json(evil_request("r1").to_string())
        } else if path.ends_with("/deny") {
            // Just under the 1 MiB cap: all of it escapes.
            problem(1_000_000)
        } else {
            Reply::new(404, "text/plain", "no")
        }
    });
    let home = pointed_at(&broker, &server);

    for args in [
        vec!["inbox"],
        vec!["catalog"],
        vec!["whoami"],
        vec!["status"],
        vec!["approve", "r1"],
    ] {
        let out = home.run(&args);
        out.ok();
        assert_inert(&out);
        for line in out.stdout.lines().chain(out.stderr.lines()) {
            assert!(
                line.chars().count() < 2000,
                "{args:?}: a line of {} characters",
                line.chars().count()
            );
        }
        if args[0] == "inbox" {
            assert!(
                out.stdout.contains("\\u{1b}[2K\\r"),
                "shown escaped: {}",
                out.stdout
            );
        }
    }
    // --json keeps the full values, JSON-escaped.
    let out = home.run(&["inbox", "--json"]);
    let v = out.ok().json();
    assert_eq!(v["requests"][0]["ticket"], EVIL);
    assert!(!out.stdout.contains('\x1b'));

    // A problem of 900 kB of escapes: the exit code of its type, a few lines, inert.
    let out = home.run(&["deny", "r1"]);
    out.code(2);
    assert_inert(&out);
    assert!(
        out.stderr.len() < 8_000,
        "{} bytes on stderr",
        out.stderr.len()
    );
    assert!(out.stderr.contains("more characters)"), "{}", out.stderr);
    let out = home.run(&["deny", "r1", "--json"]);
    out.code(2);
    assert_inert(&out);
    let v: serde_json::Value = serde_json::from_str(out.stderr.trim()).unwrap();
    assert_eq!(v["error"]["exit_code"], 2);
}

/// Broker answers are bounded: over 1 MiB (streamed, no Content-Length) is refused, and JSON
/// nested deeper than serde_json's recursion limit (128) is an error, not a stack overflow.
#[test]
fn oversized_or_deeply_nested_broker_answers_are_refused() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let server = TinyServer::start(|_, path| {
        if path == "/v1/catalog" {
            let depth = 500_000;
            return Reply::json(format!("{}{}", "[".repeat(depth), "]".repeat(depth)));
        }
        let mut body = b"{\"sub\":\"".to_vec();
        body.resize(2 << 20, b'x');
        body.extend_from_slice(b"\"}");
        Reply {
            chunked: true,
            ..Reply::json(body)
        }
    });
    let home = pointed_at(&broker, &server);
    let out = home.run(&["whoami"]);
    out.code(1);
    assert!(
        out.stderr.contains("larger than 1024 KiB"),
        "{}",
        out.stderr
    );
    let out = home.run(&["catalog"]);
    out.code(1);
    assert!(out.stderr.contains("not JSON"), "{}", out.stderr);
}

#[test]
fn a_login_denied_in_the_browser_is_not_logged_in() {
    let broker = Broker::start(&[]);
    let home = Home::new();
    let mut child = home
        .zt(&[
            "login",
            "--broker",
            &broker.url,
            "--insecure-storage",
            "--no-browser",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut code = None;
    for _ in 0..20 {
        let mut line = String::new();
        if err.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(c) = line.trim().strip_prefix("First copy your one-time code: ") {
            code = Some(c.to_string());
            break;
        }
    }
    let code = code.expect("a user code");
    let page = format!("{}/oidc/device", broker.url);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        reqwest::Client::new()
            .post(&page)
            .form(&[
                ("user_code", code.as_str()),
                ("user", "alice"),
                ("action", "deny"),
            ])
            .send()
            .await
            .unwrap();
    });
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert_eq!(status.code(), Some(4), "{rest}");
    assert!(rest.contains("denied in the browser"), "{rest}");
}

#[test]
fn reaper_log_is_private_and_a_self_signed_broker_names_the_certificate() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let alice = Home::new();
    let mut login = alice.zt(&[
        "login",
        "--broker",
        &broker.url,
        "--insecure-storage",
        "--no-browser",
    ]);
    assert!(login.status().unwrap().success());
    let out = Out::from(
        alice
            .zt(&["request", "prod-k8s", "--ttl", "5m"])
            .output()
            .unwrap(),
    );
    out.ok();
    let log = alice.state().join("reaper.log");
    assert!(
        crate::common::eventually(std::time::Duration::from_secs(5), || log.exists()).is_some(),
        "no reaper.log"
    );
    let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "reaper.log is {mode:o}");

    // The dev broker's Kubernetes API serves HTTPS with a certificate of its own CA: as a
    // broker URL, zt refuses it and says why.
    let kubeconfig = std::fs::read_to_string(alice.kubeconfig()).unwrap();
    let server = kubeconfig
        .lines()
        .find_map(|l| l.trim().strip_prefix("server: "))
        .expect("a server in the kubeconfig")
        .trim_matches('"')
        .to_string();
    assert!(server.starts_with("https://"), "{server}");
    let other = Home::new();
    let out = other.run(&[
        "login",
        "--broker",
        &server,
        "--insecure-storage",
        "--no-browser",
    ]);
    out.code(7);
    assert!(
        out.stderr.contains("certificate") && !out.stderr.contains("is the broker running"),
        "{}",
        out.stderr
    );
    // End the grant, so its reaper has nothing left to wait for.
    let st = alice.run(&["status", "--json"]);
    for row in st.ok().json().as_array().unwrap() {
        alice.run(&["revoke", row["id"].as_str().unwrap()]).ok();
    }
}

/// Deciding your own request: the broker's words say who may, and the hint adds the way out
/// instead of repeating them (with "approve" where a deny was asked).
#[test]
fn deciding_your_own_request_gives_a_useful_hint() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let alice = logged_in(&broker);
    let out = alice.run(&["request", "prod-k8s", "--role", "admin", "--no-wait"]);
    let id = out.ok().stdout.trim().to_string();
    for verb in ["approve", "deny"] {
        let out = alice.run(&[verb, &id]);
        out.code(9);
        assert!(
            out.stderr.contains(&format!("must {verb} it"))
                && out.stderr.contains("zt revoke")
                && !out
                    .stderr
                    .contains(if verb == "deny" { "approve" } else { "deny" }),
            "{verb}: {}",
            out.stderr
        );
    }
}
