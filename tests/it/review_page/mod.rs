//! The review page approvers open in a browser (`/review/{id}`, `/review`), end to end against
//! the real binaries:
//! - `browser`: a real headless Chromium (WebDriver, Python selenium) signs in through the dev
//!   IdP of `zt-broker dev` and through the real OpenID provider (npm oidc-provider) in front of
//!   `zt-broker serve` with `[review]`, opens review links, approves, denies with a comment of
//!   several lines; screenshots in `target/test-artefacts/review-*.png`. A waiting `zt request`
//!   ends when the browser approves, and the page's decisions are audited as the API's are.
//! - `step_up`: approving needs MFA (a `@step_up` on `approve`); bob signed in with a password
//!   is shown what is needed, signs in again at the real provider's own login page, which asks
//!   for MFA, and approves.
//! - `forms`: what needs no browser, over plain HTTP: a form without the CSRF token, from
//!   another site, without a session, and the requester approving their own request are all
//!   refused and leave the request pending; the sign-in's redirect (PKCE, state, nonce), the
//!   cookies' flags, the page's headers, escaping of hostile text, a forged session or sign-in.

mod browser;
mod forms;
mod step_up;

use crate::common::broker::Broker;
use crate::common::{Home, Out};

/// A dev broker where `zt login` signs in as alice (or the `--login-hint` user) by itself,
/// and alice logged in.
pub(super) fn dev_world() -> (Broker, Home) {
    dev_world_with(&[])
}

/// [`dev_world`] with more arguments for `zt-broker dev` (`--policies DIR`).
pub(super) fn dev_world_with(extra: &[&str]) -> (Broker, Home) {
    let mut args = vec!["--auto-login", "alice"];
    args.extend_from_slice(extra);
    let broker = Broker::start(&args);
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

/// A free port on 127.0.0.1 (bound, noted, let go) for a broker whose review page's origin must
/// be known before it starts.
pub(super) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `zt-broker serve` configuration in `home` on `127.0.0.1:port` (the page at
/// `http://localhost:port`) that signs people in at the real provider `issuer` — `zt login`
/// with the device flow, the review page (`[review]`, the provider's client `zt-review`) with
/// the authorization code flow — with app-db's roles (readonly granted at once, readwrite and
/// owner approved by sre-leads). `trusted` is added to the `[[trusted_issuer]]`, `extra` to the
/// file (a `[policy]`).
pub(super) fn oidc_serve_config(
    home: &Home,
    port: u16,
    issuer: &str,
    trusted: &str,
    extra: &str,
) -> std::path::PathBuf {
    let redirect = format!("http://localhost:{port}/review/callback");
    let config = home.path().join("broker.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[server]
listen = "127.0.0.1:{port}"

[store]
url = "sqlite://broker.sqlite"

[login]
issuer = "{issuer}"
client_id = "zt-cli"
audience = "urn:zt:broker"

[[trusted_issuer]]
issuer = "{issuer}"
audience = "urn:zt:broker"
{trusted}

[review]
client_id = "zt-review"
redirect_uri = "{redirect}"
scopes = ["openid", "email", "profile", "groups"]

{extra}

[[catalog.resource]]
name = "app-db"
kind = "postgres"
default_role = "readonly"
max_ttl = "4h"
requester_groups = ["engineering"]
settings = {{ issuer = "dev", host = "127.0.0.1", port = 5432, dbname = "app" }}

[[catalog.resource.role]]
name = "readonly"
auto_approve_groups = ["engineering"]

[[catalog.resource.role]]
name = "readwrite"
approver_groups = ["sre-leads"]

[[catalog.resource.role]]
name = "owner"
approver_groups = ["sre-leads"]
"#
        ),
    )
    .unwrap();
    config
}

/// alice logged in at `broker` (a `zt-broker serve` whose `[login]` is the real provider
/// `idp`), her device-flow sign-in approved at the provider at level `acr`.
pub(super) fn alice_at(idp: &crate::common::oidc::Provider, broker: &str, acr: &str) -> Home {
    let alice = Home::new();
    let pending = crate::common::oidc::start_login(alice.zt(&[
        "login",
        "--broker",
        broker,
        "--no-browser",
        "--insecure-storage",
    ]));
    idp.approve_at(&pending.user_code, "alice", acr);
    pending.finish(std::time::Duration::from_secs(60)).ok();
    alice
}
