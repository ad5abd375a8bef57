//! The life of a login through the real binaries: a stored login the broker no longer accepts
//! is noticed and replaced (not "Already logged in"); a login the broker refuses is never
//! stored and its refresh token is revoked; logout ends the profile's grants and empties the
//! credential cache, and a second logout is not an error; a hung identity provider ends with
//! exit 7 instead of stalling for the HTTP client's 90 s.

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

use crate::common::broker::Broker;
use crate::common::procs::run_for;
use crate::common::{Home, Out};

const LIMIT: Duration = Duration::from_secs(60);

fn login(home: &Home, broker: &Broker, extra: &[&str]) -> Out {
    let mut c = home.zt(&[
        "login",
        "--broker",
        &broker.url,
        "--insecure-storage",
        "--no-browser",
    ]);
    c.args(extra);
    run_for(c, LIMIT)
}

fn token_file(home: &Home) -> PathBuf {
    home.path().join(".config/zt/tokens/default.json")
}

fn config(home: &Home) -> String {
    std::fs::read_to_string(home.path().join(".config/zt/config.toml")).unwrap_or_default()
}

/// Rewrite the stored tokens of the default profile.
fn edit_tokens(home: &Home, f: impl FnOnce(&mut serde_json::Value)) {
    let path = token_file(home);
    let mut t: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    f(&mut t);
    std::fs::write(&path, serde_json::to_vec(&t).unwrap()).unwrap();
}

/// The broker refuses the stored access token (as after a broker restart with a new key or a
/// changed audience) and the IdP refuses the refresh token, while the token still looks fresh
/// locally. `zt login` must see that and log in again, not answer "Already logged in".
#[test]
fn a_login_the_broker_no_longer_accepts_is_replaced() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = Home::new();
    login(&home, &broker, &[]).ok();
    edit_tokens(&home, |t| {
        t["access_token"] = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.x".into();
        t["refresh_token"] = "spent".into();
        t["expires_at"] = (zt_api::Timestamp::now().0 + 3600).into();
    });
    let who = home.run(&["whoami"]);
    who.code(4);
    assert!(who.stderr.contains("zt login"), "{}", who.stderr);

    let again = login(&home, &broker, &[]);
    again.ok();
    assert!(
        !again.stderr.contains("Already logged in"),
        "a dead login is not a login: {}",
        again.stderr
    );
    assert!(
        again.stderr.contains("no longer works") && again.stderr.contains("✓ Logged in"),
        "{}",
        again.stderr
    );
    assert_eq!(home.run(&["whoami", "--json"]).ok().json()["sub"], "alice");

    // A live login is still recognised, with whom.
    let third = login(&home, &broker, &[]);
    third.ok();
    assert!(
        third.stderr.contains("Already logged in") && third.stderr.contains("alice@example.com"),
        "{}",
        third.stderr
    );
}

/// Tokens from an identity provider the broker does not trust: exit 4 with the broker's reason,
/// no profile and no token file written, the refresh token revoked at the IdP.
#[test]
fn a_login_the_broker_refuses_is_not_stored() {
    let broker = Broker::start(&[]);
    let other = Broker::start(&["--auto-login", "alice"]);
    let home = Home::new();
    let out = login(
        &home,
        &broker,
        &["--issuer", &format!("{}/oidc", other.url)],
    );
    out.code(4);
    assert!(
        out.stderr.contains("the broker refused the login"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Revoked the tokens just issued"),
        "{}",
        out.stderr
    );
    assert!(!token_file(&home).exists(), "no tokens stored");
    assert!(
        !config(&home).contains("[profiles.default]"),
        "{}",
        config(&home)
    );
    home.run(&["whoami"]).code(4);
}

/// Logout revokes the profile's live grants at the broker (saying so) and removes the minted
/// credentials the runtime cache keeps; `--keep-grants` leaves the grants live; a second logout
/// exits 0 with nothing to do.
#[test]
fn logout_ends_grants_and_empties_the_credential_cache() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = Home::new();
    login(&home, &broker, &[]).ok();
    // `zt exec` caches the minted password and writes no file (so no ledger entry).
    let exec = home.run(&[
        "exec",
        "prod-db",
        "--",
        "sh",
        "-c",
        "test -n \"$PGPASSWORD\"",
    ]);
    exec.ok();
    let creds = home.path().join("run/creds");
    let cached = |dir: &PathBuf| -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".json"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let before = cached(&creds);
    assert_eq!(before.len(), 1, "one cached credential after zt exec");
    let grant = before[0].trim_end_matches(".json").to_string();

    let out = home.run(&["logout"]);
    out.ok();
    assert!(
        out.stderr.contains("Revoking your 1 live grant") && out.stderr.contains(&grant),
        "{}",
        out.stderr
    );
    assert!(
        cached(&creds).is_empty(),
        "the cache is empty: {:?}",
        cached(&creds)
    );

    let twice = home.run(&["logout"]);
    twice.ok();
    assert!(twice.stderr.contains("Nothing to do"), "{}", twice.stderr);

    // The grant is over at the broker: logged in again, it is not among the live ones.
    login(&home, &broker, &[]).ok();
    let status = home.run(&["status", "--json"]);
    assert!(
        !status.ok().stdout.contains(&grant),
        "the revoked grant is gone: {}",
        status.stdout
    );

    // --keep-grants: the grant stays live, only this machine's copy goes.
    let k8s = home.run(&["request", "prod-k8s", "--ttl", "10m", "--json"]);
    let kept = k8s.ok().json()["request"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    home.run(&["credential", "kube", &kept]).ok();
    let out = home.run(&["logout", "--keep-grants"]);
    out.ok();
    assert!(!out.stderr.contains("Revoking"), "{}", out.stderr);
    assert!(cached(&creds).is_empty());
    login(&home, &broker, &[]).ok();
    let status = home.run(&["status", "--json"]);
    assert!(
        status.ok().stdout.contains(&kept),
        "the kept grant is still live: {}",
        status.stdout
    );

    // --json: what happened, on stdout like every command's answer.
    let k8s = home.run(&["request", "prod-k8s", "--ttl", "10m", "--json"]);
    let id = k8s.ok().json()["request"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = home.run(&["logout", "--json"]);
    let v = out.ok().json();
    assert_eq!(v["logged_out"], true, "{v}");
    assert_eq!(v["profile"], "default");
    assert!(
        v["revoked"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == id.as_str()),
        "{v}"
    );
    assert!(
        v["removed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("zt-prod-k8s")),
        "{v}"
    );
    let again = home.run(&["logout", "--json"]);
    assert_eq!(again.ok().json()["logged_out"], false);
}

/// A listener that accepts connections and never answers.
fn hung_idp() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            held.push(s);
        }
    });
    url
}

/// Discovery at login and a token refresh against a provider that never answers: exit 7 with
/// "did not answer", well within the limit (ZT_IDP_TIMEOUT=1 here; 20 s by default).
#[test]
fn a_hung_identity_provider_ends_with_exit_7() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let hung = hung_idp();
    let home = Home::new();
    let mut c = home.zt(&[
        "login",
        "--broker",
        &broker.url,
        "--no-browser",
        "--insecure-storage",
        "--issuer",
        &hung,
    ]);
    c.env("ZT_IDP_TIMEOUT", "1");
    let out = run_for(c, Duration::from_secs(30));
    out.code(7);
    assert!(
        out.stderr.contains("identity provider did not answer"),
        "{}",
        out.stderr
    );

    // A refresh: the stored token has expired and the token endpoint hangs.
    login(&home, &broker, &[]).ok();
    edit_tokens(&home, |t| t["expires_at"] = 0.into());
    let cfg = home.path().join(".config/zt/config.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    let endpoint = format!("{}/oidc/token", broker.url);
    assert!(text.contains(&endpoint), "{text}");
    std::fs::write(&cfg, text.replace(&endpoint, &format!("{hung}/token"))).unwrap();
    let mut c = home.zt(&["whoami"]);
    c.env("ZT_IDP_TIMEOUT", "1");
    let out = run_for(c, Duration::from_secs(30));
    out.code(7);
    assert!(
        out.stderr.contains("identity provider did not answer"),
        "{}",
        out.stderr
    );
}
