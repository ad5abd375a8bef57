//! Passkey-confirmed approvals against a real `zt-broker dev --policies DIR` whose approval
//! policy says `@approval_assurance("passkey")`:
//! - `zt approve` of such a request does not approve it: it prints the review link on stdout
//!   and exits 5 (the request still pending; `--json`: the error's hint carries the link);
//! - in a real headless Chromium with a WebDriver virtual authenticator (user verification
//!   on), bob enrols a passkey on the review page and approves with it; an assertion made for
//!   another request, one made under a challenge since replaced, and a used one replayed are
//!   refused and leave the request as it was; the audit log says which passkey approved and
//!   that it verified bob. Screenshots: `target/test-artefacts/passkey-*.png`.

use serde_json::{Value, json};

use crate::common::Home;
use crate::common::broker::Broker;
use crate::common::browser::{Chromium, Seen, artefact, review_base, review_link};
use crate::common::oidc::{block_on, stored_tokens};

/// The demo policies with the approval permit asking for a passkey, in a directory.
fn passkey_policies() -> tempfile::TempDir {
    let demo = include_str!("../../crates/zt-broker/src/dev/demo/demo.cedar");
    let marked = demo.replace(
        "@approvers(\"sre-leads\")",
        "@approvers(\"sre-leads\")\n@approval_assurance(\"passkey\")",
    );
    assert_ne!(demo, marked);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("demo.cedar"), marked).unwrap();
    dir
}

/// A dev broker deciding with [`passkey_policies`], alice and bob logged in.
fn world() -> (Broker, Home, Home, tempfile::TempDir) {
    let policies = passkey_policies();
    let dir = policies.path().to_str().unwrap().to_owned();
    let broker = Broker::start(&["--auto-login", "alice", "--policies", &dir]);
    let login = |user: &str| {
        let home = Home::new();
        home.run(&[
            "login",
            "--broker",
            &broker.url,
            "--insecure-storage",
            "--no-browser",
            "--login-hint",
            user,
        ])
        .ok();
        home
    };
    let (alice, bob) = (login("alice"), login("bob"));
    (broker, alice, bob, policies)
}

/// alice asks for `resource`/`role` without waiting; the request id.
#[track_caller]
fn ask(alice: &Home, resource: &str, role: &str) -> String {
    let out = alice.run(&[
        "request",
        resource,
        "--role",
        role,
        "--ttl",
        "30m",
        "--reason",
        "INC-7",
        "--no-wait",
        "--json",
    ]);
    let v = out.ok().json();
    v.get("request").unwrap_or(&v)["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no request id: {out:#?}"))
        .to_owned()
}

/// The request as alice sees it (`zt status --json`).
#[track_caller]
fn request_of(alice: &Home, id: &str) -> Value {
    let v = alice.run(&["status", "--json"]).ok().json();
    v.as_array()
        .and_then(|l| l.iter().find(|r| r["id"] == id))
        .cloned()
        .unwrap_or_else(|| panic!("{id} not in zt status: {v}"))
}

#[test]
fn zt_approve_of_a_passkey_only_request_prints_its_review_link_and_exits_5() {
    let (broker, alice, bob, _policies) = world();
    let id = ask(&alice, "prod-k8s", "admin");
    let link = review_link(&broker.url, &id);

    let out = bob.run(&["approve", &id]);
    assert_eq!(out.code, 5, "{out:#?}");
    assert_eq!(out.stdout.trim(), link, "{out:#?}");
    assert!(
        out.stderr
            .contains("needs an approval confirmed with a passkey")
            && out.stderr.contains(&link),
        "{}",
        out.stderr
    );
    // --json: nothing on stdout, the error (kind pending) names the link.
    let out = bob.run(&["approve", &id, "--json"]);
    assert_eq!(out.code, 5, "{out:#?}");
    assert_eq!(out.stdout, "", "{out:#?}");
    let e: Value = serde_json::from_str(out.stderr.trim()).unwrap();
    assert_eq!(e["error"]["kind"], "pending");
    assert!(e["error"]["hint"].as_str().unwrap().contains(&link), "{e}");
    // Still pending, no approval counted.
    let r = request_of(&alice, &id);
    assert_eq!(r["state"], "pending");
    assert_eq!(r["approvals"].as_array().map(Vec::len).unwrap_or(0), 0);
    // Denying needs no passkey.
    bob.run(&["deny", &id, "--comment", "no"]).ok();
    assert_eq!(request_of(&alice, &id)["state"], "denied");
}

/// `GET {broker}{path}` as bob (an approver, and an admin on the dev broker).
fn get_as(broker: &str, bob: &Home, path: &str) -> Value {
    let token = stored_tokens(bob, "default")["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    block_on(async {
        reqwest::Client::new()
            .get(format!("{broker}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    })
}

/// The audit rows of request `id`.
fn audit_of(broker: &str, bob: &Home, id: &str) -> Vec<Value> {
    get_as(broker, bob, &format!("/v1/audit?request_id={id}"))["rows"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[track_caller]
fn refused(seen: &Seen, why: &str) {
    let said = seen.result["refused"]
        .as_str()
        .unwrap_or_else(|| panic!("expected a refusal, the broker answered {}", seen.result));
    assert!(said.contains(why), "{why:?} not in {said:?}");
}

#[test]
fn bob_enrols_a_passkey_in_chromium_and_approves_with_it_and_nothing_else_counts() {
    let Some(chromium) = Chromium::find_with("passkey.py") else {
        return;
    };
    let (broker, alice, bob, _policies) = world();
    let (r1, r2, r3) = (
        ask(&alice, "prod-k8s", "admin"),
        ask(&alice, "prod-k8s", "edit"),
        ask(&alice, "prod-db", "readwrite"),
    );
    let base = review_base(&broker.url);
    let open = |id: &str| json!({ "open": review_link(&broker.url, id) });
    let shot = |name: &str| json!({ "shot": artefact(name) });
    let capture = |id: &str, name: &str| json!({ "capture": { "id": id, "as": name } });
    let send = |id: &str, name: &str| json!({ "send": { "id": id, "name": name } });
    let steps = vec![
        open(&r1),                                            // 0
        json!({ "signin": { "idp": "dev", "user": "bob" } }), // 1
        json!({ "authenticator": true }),                     // 2
        shot("passkey-request.png"),                          // 3
        json!({ "open": format!("{base}/review/passkeys") }), // 4
        shot("passkey-enrol.png"),                            // 5
        json!({ "click": "passkey-enrol" }),                  // 6
        shot("passkey-enrolled.png"),                         // 7
        open(&r2),                                            // 8
        capture(&r3, "for-r3"),                               // 9
        capture(&r2, "old"),                                  // 10
        capture(&r2, "fresh"),                                // 11
        send(&r2, "for-r3"),                                  // 12: made for another request
        send(&r2, "old"),                                     // 13: its challenge was replaced
        open(&r2),                                            // 14
        shot("passkey-still-pending.png"),                    // 15
        json!({ "click": "passkey-approve" }),                // 16: the button, as a person
        shot("passkey-approved.png"),                         // 17
        open(&r3),                                            // 18 (a page with the script)
        send(&r2, "fresh"),                                   // 19: too late, r2 is approved
        capture(&r3, "r3"),                                   // 20
        send(&r3, "r3"),                                      // 21: approves r3
        send(&r3, "r3"),                                      // 22: the same, replayed
    ];
    let seen = chromium.run(steps);

    // The request page offers the passkey approval (and says so).
    assert!(
        seen[3]
            .text
            .contains("needs an approval confirmed with a passkey")
            && seen[3].text.contains("Approve with passkey"),
        "{}",
        seen[3].text
    );
    // Enrolled: the page lists one passkey.
    assert!(
        seen[5].text.contains("You have no passkey yet"),
        "{}",
        seen[5].text
    );
    assert!(seen[7].url.ends_with("/review/passkeys"), "{}", seen[7].url);
    assert!(
        !seen[7].text.contains("You have no passkey yet"),
        "{}",
        seen[7].text
    );
    assert!(seen[7].text.contains("never"), "{}", seen[7].text);

    refused(&seen[12], "another request");
    refused(&seen[13], "replayed");
    assert!(seen[15].text.contains("0 of 1"), "{}", seen[15].text);
    assert!(seen[17].url.ends_with("?done=approved"), "{}", seen[17].url);
    assert!(
        seen[17].text.contains("Approved: the request is granted."),
        "{}",
        seen[17].text
    );
    assert!(
        seen[17].text.contains("with passkey") && seen[17].text.contains("user verified"),
        "the approval says how it was given: {}",
        seen[17].text
    );
    assert!(
        seen[19].result.get("refused").is_some(),
        "{}",
        seen[19].result
    );
    assert!(
        seen[21].result["ok"]["location"]
            .as_str()
            .unwrap()
            .ends_with("?done=approved")
    );
    assert!(
        seen[22].result.get("refused").is_some(),
        "{}",
        seen[22].result
    );

    // r2 and r3 approved by bob with his passkey, r1 still pending.
    for id in [&r2, &r3] {
        let r = get_as(&broker.url, &bob, &format!("/v1/requests/{id}"));
        assert_eq!(r["state"], "approved", "{r}");
        assert_eq!(r["approvals"].as_array().unwrap().len(), 1, "{r}");
        assert_eq!(r["approvals"][0]["passkey"]["user_verified"], true, "{r}");
    }
    assert_eq!(request_of(&alice, &r1)["state"], "pending");

    // The audit log: how r2 was approved, and the refusals, each with why.
    let rows = audit_of(&broker.url, &bob, &r2);
    let approve: Vec<&Value> = rows
        .iter()
        .filter(|r| r["action"] == "request.approve")
        .collect();
    assert_eq!(approve.len(), 1, "{rows:#?}");
    let detail = approve[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("confirmed with passkey ") && detail.contains("user verified: yes"),
        "{detail}"
    );
    let refusals: Vec<&str> = rows
        .iter()
        .filter(|r| r["action"] == "request.approve.refused")
        .map(|r| r["detail"].as_str().unwrap())
        .collect();
    assert!(refusals.len() >= 2, "{rows:#?}");
    assert!(
        refusals.iter().any(|d| d.contains("another request")),
        "{refusals:?}"
    );
    let r3_rows = audit_of(&broker.url, &bob, &r3);
    assert!(
        r3_rows
            .iter()
            .any(|r| r["action"] == "request.approve.refused"),
        "the replay on r3 is audited: {r3_rows:#?}"
    );
}
