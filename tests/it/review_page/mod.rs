//! The review page approvers open in a browser (`/review/{id}`, `/review`), end to end against
//! the real binaries:
//! - `browser`: a real headless Chromium (WebDriver, Python selenium) signs in through the dev
//!   IdP of `zt-broker dev` and through the real OpenID provider (npm oidc-provider) in front of
//!   `zt-broker serve` with `[review]`, opens review links, approves, denies with a comment of
//!   several lines; screenshots in `target/test-artefacts/review-*.png`. A waiting `zt request`
//!   ends when the browser approves, and the page's decisions are audited as the API's are.
//! - `forms`: what needs no browser, over plain HTTP: a form without the CSRF token, from
//!   another site, without a session, and the requester approving their own request are all
//!   refused and leave the request pending; the sign-in's redirect (PKCE, state, nonce), the
//!   cookies' flags, the page's headers, escaping of hostile text, a forged session or sign-in.

mod browser;
mod forms;

use crate::common::broker::Broker;
use crate::common::{Home, Out};

/// A dev broker where `zt login` signs in as alice (or the `--login-hint` user) by itself,
/// and alice logged in.
pub(super) fn dev_world() -> (Broker, Home) {
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
    (broker, alice)
}

/// `zt request … --no-wait --json` that must succeed; the request id.
#[track_caller]
pub(super) fn ask(home: &Home, args: &[&str]) -> String {
    ask_link(home, args).0
}

/// [`ask`], and the review link the broker gave the pending request (`review_url`).
#[track_caller]
pub(super) fn ask_link(home: &Home, args: &[&str]) -> (String, String) {
    let mut a = vec!["request"];
    a.extend_from_slice(args);
    a.extend(["--no-wait", "--json"]);
    let out = home.run(&a);
    let v = out.ok().json();
    let r = v.get("request").unwrap_or(&v);
    let field = |k: &str| {
        r.get(k)
            .and_then(|i| i.as_str())
            .unwrap_or_else(|| panic!("no {k}: {out:#?}"))
            .to_string()
    };
    (field("id"), field("review_url"))
}

/// The request as its requester sees it now (`zt status --json`).
#[track_caller]
pub(super) fn request_of(home: &Home, id: &str) -> serde_json::Value {
    let out: Out = home.run(&["status", "--json"]);
    let v = out.ok().json();
    v.as_array()
        .and_then(|l| l.iter().find(|r| r["id"] == id))
        .cloned()
        .unwrap_or_else(|| panic!("request {id} not in zt status: {v}"))
}
