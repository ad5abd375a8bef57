//! Workload login (a CI job with its platform's OIDC token, nothing secret stored) and
//! `zt doctor`, against a real `zt-broker dev`. The "platform token" here is a real JWT from
//! the dev broker's IdP, which that broker trusts, taken from another login.

use crate::common::Home;
use crate::common::broker::Broker;

fn token_of(home: &Home) -> String {
    let t = std::fs::read_to_string(home.path().join(".config/zt/tokens/default.json")).unwrap();
    serde_json::from_str::<serde_json::Value>(&t).unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Every file under `dir`, recursively.
fn all_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(all_files(&p))
        } else {
            out.push(p)
        }
    }
    out
}

#[test]
fn a_ci_job_logs_in_with_its_platform_token_and_stores_nothing() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let human = Home::new();
    human
        .run(&[
            "login",
            "--broker",
            &broker.url,
            "--insecure-storage",
            "--no-browser",
        ])
        .ok();
    let platform_token = token_of(&human);

    let ci = Home::new();
    let out = ci
        .zt(&[
            "login",
            "--broker",
            &broker.url,
            "--oidc-token-env",
            "CI_JOB_JWT",
            "--json",
        ])
        .env("CI_JOB_JWT", &platform_token)
        .output()
        .unwrap();
    let out = crate::common::Out::from(out);
    let v = out.ok().json();
    assert_eq!(v["me"]["sub"], "alice");
    assert_eq!(
        v["workload"]["exchange"], false,
        "the dev IdP offers no token exchange: presented as is"
    );
    for f in all_files(ci.path()) {
        let text = std::fs::read(&f).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&text).contains(&platform_token),
            "the token was stored in {}",
            f.display()
        );
    }
    // Later steps read the variable again; without it they fail with the not-logged-in code.
    let me = ci
        .zt(&["whoami", "--json"])
        .env("CI_JOB_JWT", &platform_token)
        .output()
        .unwrap();
    assert_eq!(crate::common::Out::from(me).ok().json()["sub"], "alice");
    let out = ci.run(&["whoami"]);
    out.code(4);
    assert!(out.stderr.contains("CI_JOB_JWT"), "{}", out.stderr);
    // A token file works the same way.
    let file = ci.path().join("jwt");
    std::fs::write(&file, format!("{platform_token}\n")).unwrap();
    let ci2 = Home::new();
    ci2.run(&[
        "login",
        "--broker",
        &broker.url,
        "--oidc-token-file",
        file.to_str().unwrap(),
    ])
    .ok();
    ci2.run(&["whoami"]).ok();
    std::fs::write(&file, "not a token at all").unwrap();
    ci2.run(&["whoami"]).code(4);
}

#[test]
fn doctor_reports_the_setup_and_problems() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = Home::new();
    let out = home.run(&["doctor"]);
    out.code(1);
    assert!(out.stdout.contains("✗ profile"), "{}", out.stdout);
    home.run(&[
        "login",
        "--broker",
        &broker.url,
        "--insecure-storage",
        "--no-browser",
    ])
    .ok();
    let out = home.run(&["doctor", "--json"]);
    let checks = out.ok().json();
    let by = |n: &str| {
        checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == n)
            .cloned()
            .unwrap_or_else(|| panic!("no check {n}: {checks}"))
    };
    assert!(
        by("token store")["detail"]
            .as_str()
            .unwrap()
            .starts_with("file:"),
        "{}",
        by("token store")
    );
    assert_eq!(by("login")["ok"], true);
    assert_eq!(by("broker")["ok"], true);
    drop(broker);
    let out = home.run(&["doctor"]);
    out.code(1);
    assert!(out.stdout.contains("✗ broker"), "{}", out.stdout);
}

/// RFC 8693: when the IdP advertises token exchange, zt trades the platform token for a broker
/// token on every call. The "IdP" here is a local stand-in (it answers discovery and the token
/// endpoint with a token the dev broker's own IdP minted); the broker is the real dev broker.
#[test]
fn a_ci_token_is_exchanged_when_the_idp_offers_token_exchange() {
    use crate::common::tinyhttp::{Reply, TinyServer};
    let broker = Broker::start(&["--auto-login", "alice"]);
    let human = Home::new();
    human
        .run(&[
            "login",
            "--broker",
            &broker.url,
            "--insecure-storage",
            "--no-browser",
        ])
        .ok();
    let broker_token = token_of(&human);
    let answer = serde_json::json!({"access_token": broker_token, "token_type": "Bearer", "expires_in": 300}).to_string();
    let idp = TinyServer::start(move |base, path| match path {
        "/.well-known/openid-configuration" => Reply::json(
            serde_json::json!({
                "issuer": base,
                "token_endpoint": format!("{base}/token"),
                "grant_types_supported": ["urn:ietf:params:oauth:grant-type:token-exchange"],
            })
            .to_string(),
        ),
        "/token" => Reply::json(answer.clone()),
        _ => Reply::new(404, "text/plain", "no"),
    });
    let ci = Home::new();
    let out = ci
        .zt(&[
            "login",
            "--broker",
            &broker.url,
            "--issuer",
            &idp.url,
            "--oidc-token-env",
            "CI_JOB_JWT",
            "--json",
        ])
        .env("CI_JOB_JWT", "platform.jwt.from-ci")
        .output()
        .unwrap();
    let out = crate::common::Out::from(out);
    let v = out.ok().json();
    assert_eq!(
        v["workload"]["exchange"], true,
        "the IdP offers token exchange"
    );
    assert_eq!(
        v["me"]["sub"], "alice",
        "the broker saw the exchanged token, not the platform's"
    );
    drop(idp);
    // Without the IdP the exchange fails: the not-logged-in code, not a crash.
    let out = ci
        .zt(&["whoami"])
        .env("CI_JOB_JWT", "platform.jwt.from-ci")
        .output()
        .unwrap();
    assert_ne!(crate::common::Out::from(out).code, 0);
}
