//! The requester is told where approvers review the request: `zt request --no-wait` prints the
//! review link on stderr (the id alone stays on stdout), `--json` carries it as `review_url`
//! in the request it prints. (The waiting `zt request` and a denial's comment:
//! `hostile_text::the_deny_comment_reaches_the_requester`; the link leaving the API once the
//! request is decided: `webhooks::`.)

use crate::common::Home;
use crate::common::broker::Broker;

#[test]
fn no_wait_prints_the_review_link_and_json_carries_it() {
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
    let port = broker.url.rsplit(':').next().unwrap();

    let out = alice.run(&[
        "request",
        "prod-k8s",
        "--role",
        "edit",
        "--ttl",
        "30m",
        "--reason",
        "deploy",
        "--no-wait",
    ]);
    let id = out.ok().stdout.trim().to_string();
    assert!(
        !id.is_empty() && !id.contains(char::is_whitespace),
        "{out:?}"
    );
    let link = format!("http://localhost:{port}/review/{id}");
    assert!(
        out.stderr
            .contains(&format!("Approvers can review it at {link}\n")),
        "{}",
        out.stderr
    );

    // `--json`: the request as the broker has it, the link a field of it.
    let out = alice.run(&[
        "request",
        "prod-k8s",
        "--role",
        "admin",
        "--ttl",
        "30m",
        "--reason",
        "deploy",
        "--no-wait",
        "--json",
    ]);
    let r = out.ok().json();
    let id2 = r["id"].as_str().unwrap();
    assert_eq!(r["state"], "pending");
    assert_eq!(
        r["review_url"],
        format!("http://localhost:{port}/review/{id2}").as_str()
    );
}
