//! Step-up authentication (RFC 9470) through the real binaries against the real
//! `oidc-provider` (`tests/fixtures/oidc/provider.mjs`), configured with two ACR values:
//! `urn:zt:acr:pwd` and `urn:zt:acr:mfa`. The broker (`zt-broker dev --trust-issuer`, its
//! known ACR values read from the provider's discovery document) decides with a policy whose
//! prod-k8s permit says `@step_up("acr=urn:zt:acr:mfa max_age=300")`.
//!
//! alice signs in with a password (the provider's test approval at `urn:zt:acr:pwd`). Without
//! a terminal her request is refused: exit 4, the assurance named (also in `--json`'s error
//! object), nothing requested. On a terminal (bash under tmux) zt explains, runs the device
//! flow again asking for `acr_values`/`max_age`, she approves it with MFA, zt stores the new
//! tokens and the request goes through — once. A step-up approved at the weaker level again
//! is not retried a second time: exit 4.
//!
//! The same through the provider's own login page (`ZT_OIDC_LOGIN_PAGE=1`, the fixture's
//! `login_page.mjs`), walked as a browser would: the device flow's verification page, the
//! code, the login page's level (password or MFA), consent.

use std::time::Duration;

use crate::common::oidc::{
    AUDIENCE, Provider, jwt_parts, sign_in_on_login_page, start_login, stored_tokens,
};
use crate::common::procs::run_for;
use crate::common::tmux::{Shell, Tmux};
use crate::common::{Home, broker::Broker};

const LIMIT: Duration = Duration::from_secs(60);
const PWD: &str = "urn:zt:acr:pwd";
const MFA: &str = "urn:zt:acr:mfa";

pub(crate) const POLICY: &str = r#"
@id("engineers-view")
@outcome("grant")
permit (principal in Group::"engineering", action in [Action::"request", Action::"extend"], resource)
when { context.role == "view" || context.role == "readonly" };

@id("prod-k8s-mfa")
@outcome("cap")
@max_ttl("8h")
@step_up("acr=urn:zt:acr:mfa max_age=300")
permit (principal, action in [Action::"request", Action::"extend"], resource == Resource::"prod-k8s");
"#;

/// The provider, a dev broker trusting it with [`POLICY`], and alice logged in with a
/// password; `None` when the provider is not installed.
fn setup() -> Option<(Provider, Broker, Home, tempfile::TempDir)> {
    setup_signing_in(&[], |provider, code, _| {
        provider.approve_at(code, "alice", PWD)
    })
}

/// [`setup`] with the provider's environment `env`, alice's first sign-in done by `sign_in`
/// (the provider, the user code, the verification URL).
fn setup_signing_in(
    env: &[(&str, &str)],
    sign_in: impl FnOnce(&Provider, &str, &str),
) -> Option<(Provider, Broker, Home, tempfile::TempDir)> {
    let provider = Provider::start(env)?;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("step-up.cedar"), POLICY).unwrap();
    let broker = Broker::start(&[
        "--trust-issuer",
        &provider.issuer,
        "--audience",
        AUDIENCE,
        "--policies",
        dir.path().to_str().unwrap(),
    ]);
    let home = Home::new();
    let login = start_login(home.zt(&[
        "login",
        "--broker",
        &broker.url,
        "--no-browser",
        "--insecure-storage",
    ]));
    sign_in(&provider, &login.user_code, &login.verification_uri);
    let out = login.finish(LIMIT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (_, claims) = jwt_parts(
        stored_tokens(&home, "default")["access_token"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(claims["acr"], PWD, "{claims}");
    assert!(claims["auth_time"].as_i64().is_some(), "{claims}");
    Some((provider, broker, home, dir))
}

fn request_line() -> [&'static str; 8] {
    [
        "request", "prod-k8s", "--role", "view", "--ttl", "10m", "--reason", "INC-7",
    ]
}

#[test]
fn without_a_terminal_a_weak_sign_in_exits_4_naming_the_assurance() {
    let Some((_provider, _broker, home, _dir)) = setup() else {
        return;
    };
    let out = run_for(home.zt(&request_line()), LIMIT);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stderr.contains(MFA), "{}", out.stderr);
    assert!(out.stderr.contains("step-up"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("First copy your one-time code"),
        "{}",
        out.stderr
    );
    let mut json = request_line().to_vec();
    json.insert(0, "--json");
    let out = run_for(home.zt(&json), LIMIT);
    assert_eq!(out.code, 4, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim())
        .or_else(|_| serde_json::from_str(out.stderr.trim()))
        .unwrap_or_else(|e| panic!("no JSON error ({e}): {} / {}", out.stdout, out.stderr));
    assert_eq!(v["error"]["kind"], "auth_required", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains(MFA), "{v}");
    // Nothing was requested: the list is empty.
    let out = run_for(home.zt(&["--json", "status"]), LIMIT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains("prod-k8s"), "{}", out.stdout);
    // A resource no policy asks a step-up for is granted with the same token.
    let out = run_for(
        home.zt(&[
            "request", "prod-aws", "--role", "readonly", "--ttl", "10m", "--reason", "x",
        ]),
        LIMIT,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// The user code the (second) device flow shows on the screen.
fn code_on(screen: &str) -> Option<String> {
    screen
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("First copy your one-time code: "))
        .map(|c| c.trim().to_string())
}

#[test]
fn on_a_terminal_zt_steps_up_and_retries_once() {
    let Some((provider, _broker, home, _dir)) = setup() else {
        return;
    };
    let Some(t) = Tmux::start(&home, Shell::Bash) else {
        return;
    };
    let line = format!("zt {}", request_line().join(" "));
    t.send_line(&line);
    let screen = t.wait_for("the step-up's device code", LIMIT, |s| code_on(s).is_some());
    assert!(screen.contains("step-up authentication"), "{screen}");
    assert!(screen.contains(MFA), "{screen}");
    provider.approve_at(&code_on(&screen).unwrap(), "alice", MFA);
    let done = t.wait_text("✓ Granted prod-k8s/view", LIMIT);
    assert!(done.contains("Signed in again; retrying."), "{done}");
    // The new tokens are stored as `zt login` stores them: the next call needs no step-up.
    let (_, claims) = jwt_parts(
        stored_tokens(&home, "default")["access_token"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(claims["acr"], MFA, "{claims}");
    let out = run_for(home.zt(&request_line()), LIMIT);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// The verification URL the (second) device flow shows on the screen.
fn uri_on(screen: &str) -> Option<String> {
    screen.lines().rev().find_map(|l| {
        l.trim()
            .strip_prefix("Then open ")
            .and_then(|r| r.strip_suffix(" in a browser and confirm."))
            .map(str::to_owned)
    })
}

/// Every sign-in on the provider's login page. alice first picks "password" there (no
/// `acr_values` asked, so it is preselected): the request is refused without a terminal. On a
/// terminal the step-up's device flow asks for MFA (preselected now); picking "password"
/// again leaves the request refused (exit 4, no second retry); picking MFA lets zt's retry
/// succeed.
#[test]
fn the_providers_login_page_picks_the_level_of_the_step_up() {
    // One browser throughout: its provider session (a password sign-in) does not meet the
    // step-up's `acr_values`, so the provider shows its login page again.
    let mut jar = std::collections::BTreeMap::new();
    let sign_in_pwd = |_: &Provider, code: &str, uri: &str| {
        let last = sign_in_on_login_page(&mut jar, uri, code, "alice", PWD, PWD);
        assert!(last.contains("Sign-in Success"), "{last}");
    };
    let Some((_provider, _broker, home, _dir)) =
        setup_signing_in(&[("ZT_OIDC_LOGIN_PAGE", "1")], sign_in_pwd)
    else {
        return;
    };
    let out = run_for(home.zt(&request_line()), LIMIT);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stderr.contains(MFA), "{}", out.stderr);
    let Some(t) = Tmux::start(&home, Shell::Bash) else {
        return;
    };
    let line = format!("clear; zt {}; echo exit=$?", request_line().join(" "));
    for (picked, ends) in [(PWD, "exit=4"), (MFA, "✓ Granted prod-k8s/view")] {
        t.send_line(&line);
        let screen = t.wait_for("the step-up's device code", LIMIT, |s| {
            !s.contains("exit=") && code_on(s).is_some() && uri_on(s).is_some()
        });
        assert!(screen.contains("step-up authentication"), "{screen}");
        let last = sign_in_on_login_page(
            &mut jar,
            &uri_on(&screen).unwrap(),
            &code_on(&screen).unwrap(),
            "alice",
            picked,
            MFA,
        );
        assert!(last.contains("Sign-in Success"), "{last}");
        let end = t.wait_text(ends, LIMIT);
        let stored = stored_tokens(&home, "default");
        let (_, claims) = jwt_parts(stored["access_token"].as_str().unwrap());
        if picked == PWD {
            t.wait_text("exit=4", LIMIT);
            assert_eq!(
                end.matches("First copy your one-time code").count(),
                1,
                "{end}"
            );
        } else {
            assert!(end.contains("Signed in again; retrying."), "{end}");
            assert_eq!(claims["acr"], MFA, "{claims}");
            assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp"]), "{claims}");
            t.wait_text("exit=0", LIMIT);
        }
    }
    let out = run_for(home.zt(&["--json", "status"]), LIMIT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("prod-k8s"), "{}", out.stdout);
}

#[test]
fn a_step_up_signed_in_at_the_weak_level_again_is_not_retried_twice() {
    let Some((provider, _broker, home, _dir)) = setup() else {
        return;
    };
    let Some(t) = Tmux::start(&home, Shell::Bash) else {
        return;
    };
    t.send_line(&format!("zt {}; echo exit=$?", request_line().join(" ")));
    let screen = t.wait_for("the step-up's device code", LIMIT, |s| code_on(s).is_some());
    provider.approve_at(&code_on(&screen).unwrap(), "alice", PWD);
    let end = t.wait_text("exit=4", LIMIT);
    assert_eq!(
        end.matches("First copy your one-time code").count(),
        1,
        "{end}"
    );
    assert!(end.contains(MFA), "{end}");
}

/// `zt-broker check` (as `serve`) with a `[[trusted_issuer]]` listing its ACR values: a
/// `@step_up` naming one of them loads; one naming another stops it with the policy's
/// `file:line:column`.
#[test]
fn check_refuses_a_step_up_naming_an_acr_no_issuer_lists() {
    let home = Home::new();
    let dir = home.path().join("policies");
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = home.path().join("broker.toml");
    std::fs::write(
        &cfg,
        r#"
[server]
listen = "127.0.0.1:0"

[store]
url = "sqlite://zt.db"

[policy]
dir = "policies"

[login]
issuer = "https://id.example.com"
client_id = "zt-cli"
audience = "zt-broker"

[[trusted_issuer]]
issuer = "https://id.example.com"
audience = "zt-broker"
acr_values = ["urn:zt:acr:pwd", "urn:zt:acr:mfa"]

[[catalog.resource]]
name = "prod-k8s"
kind = "kubernetes"
default_role = "view"
max_ttl = "1h"
settings = { issuer = "dev", server = "https://k8s.example.com:6443" }

[[catalog.resource.role]]
name = "view"
"#,
    )
    .unwrap();
    let check = || {
        let out = home
            .cmd(crate::common::broker_bin())
            .args(["check", "--config"])
            .arg(&cfg)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    std::fs::write(dir.join("p.cedar"), POLICY).unwrap();
    let (code, err) = check();
    assert_eq!(code, Some(0), "{err}");
    std::fs::write(dir.join("p.cedar"), POLICY.replace(MFA, "urn:zt:acr:hwk")).unwrap();
    let (code, err) = check();
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("p.cedar:10:1:"), "{err}");
    assert!(
        err.contains("unknown ACR value \"urn:zt:acr:hwk\""),
        "{err}"
    );
    assert!(
        err.contains("known: urn:zt:acr:pwd, urn:zt:acr:mfa"),
        "{err}"
    );
}
