//! Step-up on the review page (RFC 9470 in a browser), in a real headless Chromium against the
//! real `oidc-provider` with its own login page (`ZT_OIDC_LOGIN_PAGE=1`: a user name and the
//! level, a password or a password and a second factor) in front of `zt-broker serve`, whose
//! policy says approving needs MFA (`@step_up("acr=urn:zt:acr:mfa")` on `approve`).
//!
//! bob signs in to the page with a password and presses Approve: the page says what is needed
//! and what his sign-in shows, and nothing is decided. "Sign
//! in again" sends him to the provider asking for `acr_values=urn:zt:acr:mfa`; the provider's
//! login page asks again and preselects MFA; back on the request he approves, and the grant is
//! approved by him.
//!
//! And over plain HTTP with `zt-broker dev` (its IdP has one level, so a step-up there asks for
//! a fresh sign-in): approving needs a sign-in at most 2 seconds old; bob's older session gets
//! the step-up answer, its link asks the dev IdP for `max_age=2`, and after signing in again he
//! approves.

use std::time::Duration;

use super::{alice_at, ask, ask_link, dev_world_with, free_port, oidc_serve_config, request_of};
use crate::common::Home;
use crate::common::browser::{Chromium, WebClient, field, review_base, review_link, step};
use crate::common::oidc::Provider;
use crate::common::serve::Replica;

const PWD: &str = "urn:zt:acr:pwd";
const MFA: &str = "urn:zt:acr:mfa";

const POLICY: &str = r#"
@id("engineers-ask") @outcome("approval") @approvers("sre-leads")
permit (principal in Group::"engineering", action == Action::"request", resource);

@id("approve-with-mfa") @outcome("grant") @step_up("acr=urn:zt:acr:mfa")
permit (principal, action == Action::"approve", resource);
"#;

#[test]
fn bob_signed_in_with_a_password_steps_up_to_mfa_on_the_page_and_approves() {
    let Some(chromium) = Chromium::find() else {
        return;
    };
    let port = free_port();
    let base = format!("http://localhost:{port}");
    let redirect = format!("{base}/review/callback");
    let Some(idp) = Provider::start(&[
        ("ZT_OIDC_REVIEW_REDIRECT", redirect.as_str()),
        ("ZT_OIDC_LOGIN_PAGE", "1"),
    ]) else {
        return;
    };
    let home = Home::new();
    let dir = home.path().join("policies");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("step-up.cedar"), POLICY).unwrap();
    let config = oidc_serve_config(
        &home,
        port,
        &idp.issuer,
        &format!("acr_values = [\"{PWD}\", \"{MFA}\"]"),
        "[policy]\ndir = \"policies\"",
    );
    let broker = Replica::start(&home, &config, &[]);
    let alice = alice_at(&idp, &broker.url, PWD);
    let (id, link) = ask_link(
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

    let seen = chromium.run(vec![
        step::open(&link),
        step::sign_in_login_page("bob", Some(PWD)),
        step::approve(""),
        step::shot("review-step-up-needed.png"),
        step::follow("Sign in again"),
        step::shot("review-step-up-login.png"),
        step::sign_in_login_page("bob", None),
        step::approve(""),
    ]);
    // Signed in with a password: the request's page.
    assert_eq!(seen[1].url, link, "{}", idp.log());
    // Approving: what is needed, what the session shows; nothing decided.
    let needed = &seen[2];
    assert_eq!(needed.h1, "A stronger sign-in is needed", "{}", needed.text);
    assert!(
        needed.text.contains(&format!("an authentication of {MFA}"))
            && needed.text.contains(&format!("signed in at level {PWD}"))
            && needed.text.contains("Nothing was decided"),
        "{}",
        needed.text
    );
    // "Sign in again": the provider's login page asks again, for MFA, preselected.
    let login = &seen[4];
    assert!(login.url.starts_with(&idp.issuer), "{login:?}");
    assert!(
        login.text.contains(&format!("it asks for {MFA}")),
        "{}",
        login.text
    );
    // Back on the request with an MFA session: approved by bob.
    assert_eq!(seen[6].url, link, "{:?}", seen[6]);
    assert!(seen[7].url.ends_with("?done=approved"), "{:?}", seen[7]);
    let r = request_of(&alice, &id);
    assert_eq!(
        (r["state"].as_str(), r["decided_by"].as_str()),
        (Some("approved"), Some("bob@idp.example.org"))
    );
}

#[test]
fn on_the_dev_broker_an_old_session_signs_in_again_for_a_max_age_and_approves() {
    let home = Home::new();
    let demo = include_str!("../../../crates/zt-broker/src/dev/demo/demo.cedar");
    let fresh = "\n@id(\"approve-fresh\") @outcome(\"grant\") @step_up(\"max_age=2\")\n\
                 permit (principal, action == Action::\"approve\", resource);\n";
    std::fs::write(home.path().join("demo.cedar"), format!("{demo}{fresh}")).unwrap();
    let (broker, alice) = dev_world_with(&["--policies", home.path().to_str().unwrap()]);
    let id = ask(
        &alice,
        &[
            "prod-k8s", "--role", "admin", "--ttl", "30m", "--reason", "r",
        ],
    );
    let link = review_link(&broker.url, &id);
    let origin = review_base(&broker.url);
    let mut bob = WebClient::new();
    let page = bob.sign_in_dev(&link, "bob");
    assert_eq!(page.status, 200, "{}", page.body);
    std::thread::sleep(Duration::from_secs(3));

    let csrf = field(&page.body, "csrf").unwrap();
    let approve = format!("{link}/approve");
    let a = bob.post(&approve, &[("csrf", &csrf)], &[("origin", &origin)]);
    assert_eq!(a.status, 401, "{}", a.body);
    assert!(
        a.body.contains("at most 2 seconds old")
            && a.body.contains("signed in at level urn:zt:dev:sign-in")
            && a.body.contains("Nothing was decided"),
        "{}",
        a.body
    );
    assert_eq!(request_of(&alice, &id)["state"], "pending");
    let again = format!("/review/{id}/step-up?max_age=2");
    assert!(a.body.contains(&again), "{}", a.body);
    // The link asks the IdP for max_age; a link asking for nothing is refused.
    let to_idp = bob.get(&format!("{origin}{again}"));
    assert_eq!(to_idp.status, 303, "{to_idp:?}");
    assert!(
        to_idp.location.as_deref().unwrap().contains("max_age=2"),
        "{to_idp:?}"
    );
    let bad = bob.get(&format!("{link}/step-up"));
    assert_eq!(bad.status, 400, "{}", bad.body);

    // Signing in again: back on the request, approving goes through.
    let page = bob.sign_in_dev(&format!("{origin}{again}"), "bob");
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = field(&page.body, "csrf").unwrap();
    let a = bob.post(&approve, &[("csrf", &csrf)], &[("origin", &origin)]);
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(request_of(&alice, &id)["state"], "approved");
}
