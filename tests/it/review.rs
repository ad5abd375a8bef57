//! The review window against a real `zt-broker dev --review-window 2s`: a `zt request` waiting
//! for an approver that never comes ends with exit 6 and says the request expired.

use crate::common::Home;
use crate::common::broker::Broker;

#[test]
fn a_request_nobody_approves_expires_and_zt_request_says_so() {
    let broker = Broker::start(&["--auto-login", "alice", "--review-window", "2s"]);
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
    let out = alice.run(&["request", "prod-k8s", "--role", "admin", "--ttl", "10m"]);
    assert_eq!(out.code, 6, "{out:#?}");
    assert!(
        out.stderr.contains("expired") && out.stderr.contains("review window"),
        "{}",
        out.stderr
    );
    // It is no longer open: `zt status` lists no pending request.
    let status = alice.run(&["status", "--json"]);
    assert!(!status.ok().stdout.contains("pending"), "{}", status.stdout);
}
