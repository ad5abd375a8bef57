//! A real headless Chromium on the review page: signing in through the dev IdP and through the
//! real OpenID provider, approving, denying with a comment of several lines. The screenshots
//! (`target/test-artefacts/review-*.png`) are the page as a person sees it.

use std::io::BufReader;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use super::{alice_at, ask, ask_link, dev_world, free_port, oidc_serve_config, request_of};
use crate::common::browser::{Chromium, review_base, review_link, step};
use crate::common::oidc::{Provider, stored_tokens};
use crate::common::serve::Replica;
use crate::common::{Home, procs, read_request_id};

const APPROVAL: &str = "Looks right: INC-4211 is open.\nGo ahead, and post in #ops when done.";
const DENIAL: &str = "Not during the release freeze.\nAsk again on Monday — with a ticket.";

/// The audit rows of request `id`, read as bob (an admin on the dev broker).
fn audit_of(broker: &str, bob: &Home, id: &str) -> Vec<Value> {
    let token = stored_tokens(bob, "default")["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let page: Value = crate::common::oidc::block_on(async {
        reqwest::Client::new()
            .get(format!("{broker}/v1/audit"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["request_id"] == id)
        .cloned()
        .collect()
}

#[test]
fn bob_approves_and_denies_in_chromium_after_signing_in_at_the_dev_idp() {
    let Some(chromium) = Chromium::find() else {
        return;
    };
    let (broker, alice) = dev_world();
    // alice waits for an approval, as in the README's loop.
    let mut waiting = alice
        .zt(&[
            "request",
            "prod-k8s",
            "--role",
            "admin",
            "--ttl",
            "30m",
            "--ticket",
            "INC-4211",
            "--reason",
            "INC-4211: pods crash-looping\nneed to <b>restart</b> the deployment",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(waiting.stderr.take().unwrap());
    let first = read_request_id(&mut err);
    let (second, second_link) = ask_link(
        &alice,
        &[
            "prod-db",
            "--role",
            "readwrite",
            "--ttl",
            "1h",
            "--reason",
            "migration",
        ],
    );
    // The link the broker gives is the page's.
    assert_eq!(second_link, review_link(&broker.url, &second));

    let seen = chromium.run(vec![
        step::open(&review_link(&broker.url, &first)),
        step::shot("review-dev-signin.png"),
        step::sign_in_dev("bob"),
        step::shot("review-dev-request.png"),
        step::approve(APPROVAL),
        step::shot("review-dev-approved.png"),
        step::open(&format!("{}/review", review_base(&broker.url))),
        step::shot("review-dev-inbox.png"),
        step::open(&second_link),
        step::deny(DENIAL),
        step::shot("review-dev-denied.png"),
    ]);
    // Anonymous: straight to the dev IdP's sign-in page with the PKCE challenge.
    assert!(seen[0].url.contains("/oidc/authorize?"), "{:?}", seen[0]);
    for p in [
        "code_challenge_method=S256",
        "code_challenge=",
        "state=",
        "nonce=",
    ] {
        assert!(seen[0].url.contains(p), "{p} not in {}", seen[0].url);
    }
    assert!(seen[0].text.contains("Sign in as"), "{}", seen[0].text);
    // Back on the very page the link named, signed in as bob, with what alice asked.
    let page = &seen[2];
    assert_eq!(page.url, review_link(&broker.url, &first));
    assert_eq!(page.h1, "alice@example.com asks for prod-k8s/admin");
    for fact in [
        "Signed in as bob@example.com",
        "30m",
        "INC-4211",
        // The requester's markup is text, not markup.
        "need to <b>restart</b> the deployment",
        "catalog/prod-k8s/approval-admin",
        "0 of 1",
        "alice@example.com's recent requests",
    ] {
        assert!(
            page.text.contains(fact),
            "{fact:?} not on the page:\n{}",
            page.text
        );
    }
    let approved = &seen[4];
    assert!(approved.url.ends_with("?done=approved"), "{approved:?}");
    assert!(
        approved.text.contains("Approved: the request is granted."),
        "{}",
        approved.text
    );
    assert!(approved.text.contains(APPROVAL), "{}", approved.text);
    // The inbox: what is left for bob to decide.
    let inbox = &seen[6];
    assert_eq!(inbox.h1, "Waiting for your decision");
    assert!(
        inbox.text.contains(&second) && inbox.text.contains("prod-db/readwrite"),
        "{}",
        inbox.text
    );
    assert!(!inbox.text.contains(&first), "{}", inbox.text);
    let denied = &seen[9];
    assert!(denied.url.ends_with("?done=denied"), "{denied:?}");
    assert!(denied.text.contains(DENIAL), "{}", denied.text);

    // alice's waiting `zt request` got the approval.
    let code = procs::wait_for(&mut waiting, Duration::from_secs(30));
    assert_eq!(code, Some(0), "zt request did not end with the approval");
    let r = request_of(&alice, &second);
    assert_eq!(r["state"], "denied");
    assert_eq!(r["decided_by"], "bob@example.com");
    assert_eq!(r["decision_comment"], DENIAL);
    assert_eq!(request_of(&alice, &first)["decision_comment"], APPROVAL);

    // Audited exactly as the API's decisions: bob approves a third request with `zt approve`,
    // and its row has the same shape as the page's.
    let bob = Home::new();
    bob.run(&[
        "login",
        "--broker",
        &broker.url,
        "--insecure-storage",
        "--no-browser",
        "--login-hint",
        "bob",
    ])
    .ok();
    let third = ask(
        &alice,
        &[
            "prod-aws", "--role", "admin", "--ttl", "30m", "--reason", "r",
        ],
    );
    bob.run(&["approve", &third, "--comment", "via the CLI"])
        .ok();
    let by_page = audit_of(&broker.url, &bob, &first);
    let by_cli = audit_of(&broker.url, &bob, &third);
    let approval = |rows: &[Value]| {
        rows.iter()
            .find(|r| r["action"] == "request.approve")
            .cloned()
            .unwrap_or_else(|| panic!("no request.approve row: {rows:?}"))
    };
    let (p, c) = (approval(&by_page), approval(&by_cli));
    for k in ["actor", "decision"] {
        assert_eq!(p[k], c[k], "{k}: page {p} / cli {c}");
    }
    assert_eq!(p["actor"], "bob@example.com");
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("prod-k8s/admin for 1800s requested by alice@example.com")
            && detail.ends_with(&format!("; comment: {APPROVAL}")),
        "{detail}"
    );
    let denial = audit_of(&broker.url, &bob, &second);
    assert!(
        denial
            .iter()
            .any(|r| r["action"] == "request.deny" && r["actor"] == "bob@example.com"),
        "{denial:?}"
    );
}

/// A free TCP port on 127.0.0.1 (bound and let go: the broker binds it next).
#[test]
fn bob_signs_in_at_the_real_oidc_provider_and_approves_and_denies_in_chromium() {
    let Some(chromium) = Chromium::find() else {
        return;
    };
    let port = free_port();
    let base = format!("http://localhost:{port}");
    let redirect = format!("{base}/review/callback");
    let Some(idp) = Provider::start(&[("ZT_OIDC_REVIEW_REDIRECT", redirect.as_str())]) else {
        return;
    };
    let home = Home::new();
    let config = oidc_serve_config(&home, port, &idp.issuer, "", "");
    let check = home
        .cmd(crate::common::broker_bin())
        .args(["check", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success() && said.contains("review page"),
        "{said}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let broker = Replica::start(&home, &config, &[]);
    // alice logs in at the provider (device flow) and asks twice.
    let alice = alice_at(&idp, &broker.url, "urn:zt:acr:pwd");
    let (first, link) = ask_link(
        &alice,
        &[
            "app-db",
            "--role",
            "readwrite",
            "--ttl",
            "1h",
            "--reason",
            "backfill",
        ],
    );
    // serve's review links are on the page's origin (its redirect URI's), not 127.0.0.1.
    assert_eq!(link, format!("{base}/review/{first}"));
    let second = ask(
        &alice,
        &[
            "app-db",
            "--role",
            "owner",
            "--ttl",
            "1h",
            "--reason",
            "drop a table",
        ],
    );

    let seen = chromium.run(vec![
        step::open(&link),
        step::shot("review-oidc-signin.png"),
        step::sign_in_oidc("bob"),
        step::shot("review-oidc-request.png"),
        step::approve(""),
        step::open(&format!("{base}/review/{second}")),
        step::deny(DENIAL),
        step::shot("review-oidc-denied.png"),
    ]);
    assert!(
        seen[0].url.starts_with(&idp.issuer),
        "not sent to the provider: {:?}",
        seen[0]
    );
    let page = &seen[2];
    assert_eq!(page.url, format!("{base}/review/{first}"), "{}", idp.log());
    assert_eq!(page.h1, "alice@idp.example.org asks for app-db/readwrite");
    assert!(
        page.text.contains("Signed in as bob@idp.example.org"),
        "{}",
        page.text
    );
    assert!(seen[4].url.ends_with("?done=approved"), "{:?}", seen[4]);
    assert!(seen[6].text.contains(DENIAL), "{}", seen[6].text);

    let r = request_of(&alice, &first);
    assert_eq!(
        (r["state"].as_str(), r["decided_by"].as_str()),
        (Some("approved"), Some("bob@idp.example.org"))
    );
    let r = request_of(&alice, &second);
    assert_eq!(r["state"], "denied");
    assert_eq!(r["decision_comment"], DENIAL);
}
