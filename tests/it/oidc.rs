//! `zt login` against a real OpenID provider, and a broker that trusts it.
//!
//! Real peers: the provider is `oidc-provider` (npm, by panva, OpenID Certified), run by node
//! with our configuration (`tests/fixtures/oidc/provider.mjs`): the device flow, its HTML
//! sign-in and consent pages, refresh-token rotation, revocation and the RS256 JWT access tokens
//! are all its own. The broker is a real `zt-broker dev --trust-issuer URL --audience AUD`
//! (`common::external_broker`), which finds the provider's keys through its discovery document.
//!
//! Stand-ins, and why: the misbehaving "identity providers" of the bad-input tests are a tiny
//! local HTTP server (`common/tinyhttp.rs`) — no real provider answers HTML or 2 MiB on
//! purpose; the browser is a script that records its calls (zt must never open one here).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::oidc::{
    AUDIENCE, Choice, Provider, approve_via_forms, jwt_parts, start_login, stored_tokens,
};
use crate::common::procs::run_for;
use crate::common::tinyhttp::{Reply, TinyServer, dead_url};
use crate::common::{Home, Out, eventually, external_broker};

const LIMIT: Duration = Duration::from_secs(60);

/// `zt login --broker URL --no-browser --insecure-storage` (the tests' HOMEs have no keyring).
fn login_cmd(home: &Home, broker: &str, env: &[(&str, String)]) -> std::process::Command {
    let mut c = home.zt(&[
        "login",
        "--broker",
        broker,
        "--no-browser",
        "--insecure-storage",
    ]);
    c.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    c
}

fn zt(home: &Home, args: &[&str], env: &[(&str, String)]) -> Out {
    let mut c = home.zt(args);
    c.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    run_for(c, LIMIT)
}

fn now() -> i64 {
    zt_api::Timestamp::now().0
}

/// Sleep until the unix time `t` (bounded: never more than `max`).
/// zt's refresh margin for a stored token: a quarter of its life, at most 60 s.
fn margin(t: &serde_json::Value) -> i64 {
    let (exp, iat) = (
        t["expires_at"].as_i64().unwrap(),
        t["issued_at"].as_i64().unwrap_or(0),
    );
    if iat > 0 { 60.min((exp - iat) / 4) } else { 60 }
}

fn sleep_until(t: i64, max: Duration) {
    let wait = Duration::from_secs(t.saturating_sub(now()).max(0) as u64);
    assert!(wait <= max, "would wait {wait:?}");
    std::thread::sleep(wait + Duration::from_millis(200));
}

/// A browser that only writes down that it was asked to open something.
struct RecordingBrowser {
    dir: tempfile::TempDir,
}

impl RecordingBrowser {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("browser");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$@\" >> '{}'\n",
                dir.path().join("calls").display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        RecordingBrowser { dir }
    }

    /// BROWSER and a DISPLAY, so that zt would open it if it ever tried.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "BROWSER",
                self.dir.path().join("browser").display().to_string(),
            ),
            ("DISPLAY", ":99".into()),
            // No background reaper refreshing tokens behind the test's back.
            ("ZT_REAPER", "0".into()),
        ]
    }

    fn calls(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("calls")).unwrap_or_default()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

fn creds_cache(home: &Home, grant: &str) -> PathBuf {
    home.path().join(format!("run/creds/{grant}.json"))
}

// ---------------------------------------------------------------------------------------------
// The provider alone: what zt can count on from it.

#[test]
fn the_provider_mints_rs256_jwts_only_for_a_named_resource() {
    let Some(idp) = Provider::start(&[]) else {
        return;
    };
    let disco = idp.discovery();
    assert_eq!(disco["issuer"], idp.issuer.as_str());
    assert!(disco["revocation_endpoint"].is_string());
    let path = |key: &str| {
        let url = disco[key].as_str().unwrap();
        url.strip_prefix(&idp.issuer).unwrap().to_string()
    };
    let (device_ep, token_ep) = (
        path("device_authorization_endpoint"),
        path("token_endpoint"),
    );
    let scope = "openid offline_access email profile";
    let is_jwt = |t: &serde_json::Value| t.as_str().unwrap().split('.').count() == 3;

    // A device login for the broker's resource, as `zt login` starts it; `poll` names the
    // resource again at the token endpoint, or not.
    let device_login = |sub: &str, name_resource_again: bool| {
        let (status, auth) = idp.post_form(
            &device_ep,
            &[
                ("client_id", "zt-cli"),
                ("scope", scope),
                ("resource", AUDIENCE),
            ],
        );
        assert_eq!(status, 200, "{auth}");
        // oidc-provider sends no `interval`: RFC 8628 says 5 s then (zt's tests shorten it).
        assert!(auth.get("interval").is_none(), "{auth}");
        let device_code = auth["device_code"].as_str().unwrap().to_string();
        let mut poll = vec![
            ("client_id", "zt-cli"),
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", device_code.as_str()),
        ];
        if name_resource_again {
            poll.push(("resource", AUDIENCE));
        }
        let (status, pending) = idp.post_form(&token_ep, &poll);
        assert_eq!(
            (status, pending["error"].as_str()),
            (400, Some("authorization_pending"))
        );
        idp.approve(auth["user_code"].as_str().unwrap(), sub);
        let (status, tokens) = idp.post_form(&token_ep, &poll);
        assert_eq!(status, 200, "{tokens}");
        tokens
    };

    // Without `resource` at the token endpoint (oidc-provider's default configuration) the
    // access token is an opaque one for userinfo — useless to the broker.
    let tokens = device_login("alice", false);
    assert!(!is_jwt(&tokens["access_token"]), "{tokens}");
    let rt = tokens["refresh_token"].as_str().unwrap();
    let (status, refreshed) = idp.post_form(
        &token_ep,
        &[
            ("client_id", "zt-cli"),
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
        ],
    );
    assert_eq!(status, 200, "{refreshed}");
    assert!(!is_jwt(&refreshed["access_token"]), "{refreshed}");

    // Named again: an RS256 JWT for the broker, with the claims the broker reads.
    let tokens = device_login("bob", true);
    let check = |tokens: &serde_json::Value| {
        let (header, claims) = jwt_parts(tokens["access_token"].as_str().unwrap());
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["typ"], "at+jwt");
        assert_eq!(claims["aud"], AUDIENCE);
        assert_eq!(claims["iss"], idp.issuer.as_str());
        assert_eq!(claims["sub"], "bob");
        assert_eq!(claims["email"], "bob@idp.example.org");
        assert_eq!(
            claims["groups"],
            serde_json::json!(["engineering", "sre-leads"])
        );
        assert!(tokens["refresh_token"].is_string());
    };
    check(&tokens);
    assert!(tokens["id_token"].is_string());
    let (status, refreshed) = idp.post_form(
        &token_ep,
        &[
            ("client_id", "zt-cli"),
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("resource", AUDIENCE),
        ],
    );
    assert_eq!(status, 200, "{refreshed}");
    check(&refreshed);

    // A resource indicator must be an absolute URI: a bare audience is refused outright,
    // which is why zt sends `resource` only for URIs.
    let (status, refused) = idp.post_form(
        &device_ep,
        &[
            ("client_id", "zt-cli"),
            ("scope", scope),
            ("resource", "zt-broker"),
        ],
    );
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_target"))
    );
}

// ---------------------------------------------------------------------------------------------
// The journey: a person logs in on the provider's pages; refresh; revocation.

#[test]
fn login_on_the_providers_pages_refresh_and_revocation() {
    // Access tokens live 20 s; zt refreshes when less than a quarter of a token's life (at
    // most 60 s) is left — here 5 s — so the refresh comes ~15 s after each login or refresh.
    let Some(idp) = Provider::start(&[("ZT_OIDC_ACCESS_TTL", "20")]) else {
        return;
    };
    let broker = external_broker(&idp.issuer, AUDIENCE);
    let browser = RecordingBrowser::new();
    let env = browser.env();
    let home = Home::new();

    // 1. zt login shows a code; alice enters it on the provider's pages, signs in, consents.
    let pending = start_login(login_cmd(&home, &broker.url, &env));
    assert!(
        pending.verification_uri.starts_with(&idp.issuer),
        "zt sends the person to the provider: {}",
        pending.verification_uri
    );
    let last = approve_via_forms(
        &pending.verification_uri,
        &pending.user_code,
        Choice::Approve("alice"),
    );
    assert!(last.contains("Sign-in Success"), "{last}");
    let out = pending.finish(LIMIT);
    assert_eq!(out.code, 0, "{out:#?}\nprovider log:\n{}", idp.log());
    assert!(
        out.stderr.contains("as alice@idp.example.org"),
        "{}",
        out.stderr
    );
    let logged_in_at = Instant::now();
    let t1 = stored_tokens(&home, "default");
    let (header, claims) = jwt_parts(t1["access_token"].as_str().unwrap());
    assert_eq!(
        (header["alg"].as_str(), claims["aud"].as_str()),
        (Some("RS256"), Some(AUDIENCE))
    );
    assert!(
        t1["refresh_token"].is_string(),
        "offline_access gave a refresh token"
    );
    let cfg = std::fs::read_to_string(home.path().join(".config/zt/config.toml")).unwrap();
    assert!(
        cfg.contains(&format!("issuer = \"{}\"", idp.issuer)),
        "{cfg}"
    );

    // 2. The broker sees the provider's subject, email and groups.
    let me = zt(&home, &["whoami", "--json"], &env);
    let me = me.ok().json();
    assert_eq!(me["sub"], "alice");
    assert_eq!(me["email"], "alice@idp.example.org");
    assert_eq!(me["groups"], serde_json::json!(["engineering"]));
    assert_eq!(me["issuer"], idp.issuer.as_str());
    if logged_in_at.elapsed() < Duration::from_secs(2) {
        assert_eq!(
            stored_tokens(&home, "default")["access_token"],
            t1["access_token"],
            "no refresh while the token has more than its margin left"
        );
    }

    // 3. Less than a minute left: the next call refreshes silently.
    let t1_exp = t1["expires_at"].as_i64().unwrap();
    sleep_until(t1_exp - margin(&t1) + 1, Duration::from_secs(20));
    zt(&home, &["whoami"], &env).ok();
    let t2 = stored_tokens(&home, "default");
    assert_ne!(t2["access_token"], t1["access_token"], "a new access token");
    assert_ne!(
        t2["refresh_token"], t1["refresh_token"],
        "oidc-provider rotates refresh tokens of public clients"
    );
    assert!(t2["expires_at"].as_i64() > t1["expires_at"].as_i64());
    assert_eq!(
        jwt_parts(t2["access_token"].as_str().unwrap()).1["sub"],
        "alice"
    );

    // 4. A grant, and its kubectl credential.
    let out = zt(
        &home,
        &[
            "request",
            "prod-k8s",
            "--ttl",
            "10m",
            "--reason",
            "oidc test",
            "--json",
        ],
        &env,
    );
    let grant = out.ok().json()["request"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    zt(&home, &["credential", "kube", &grant], &env).ok();
    assert!(creds_cache(&home, &grant).exists());

    // 5. The refresh token is revoked at the provider: `zt logout` in a copy of this HOME.
    let copy = Home::new();
    copy_dir(
        &home.path().join(".config/zt"),
        &copy.path().join(".config/zt"),
    );
    let out = zt(&copy, &["logout"], &env);
    out.ok();
    assert!(
        out.stderr
            .contains("Revoked the refresh token at the identity provider"),
        "{}",
        out.stderr
    );
    let (status, refused) = idp.post_form(
        "/token",
        &[
            ("client_id", "zt-cli"),
            ("grant_type", "refresh_token"),
            ("refresh_token", t2["refresh_token"].as_str().unwrap()),
        ],
    );
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_grant")),
        "the provider no longer honours it"
    );

    // 6. Once the access token is nearly spent and the credential cache has run out, the
    //    kubectl helper and whoami say "log in again" — one line for kubectl — and never
    //    open a browser.
    sleep_until(
        t2["expires_at"].as_i64().unwrap() - margin(&t2) + 1,
        Duration::from_secs(20),
    );
    std::fs::remove_file(creds_cache(&home, &grant)).unwrap();
    let out = zt(&home, &["credential", "kube", &grant], &env);
    out.code(4);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line for kubectl: {:?}", out.stderr);
    assert!(
        lines[0].starts_with("zt: ") && lines[0].contains("zt login"),
        "{}",
        lines[0]
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let out = zt(&home, &["whoami"], &env);
    out.code(4);
    assert!(
        out.stderr
            .contains("could not be refreshed (invalid_grant)")
            && out.stderr.contains("hint: run `zt login`"),
        "{}",
        out.stderr
    );
    assert_eq!(browser.calls(), "", "zt opened a browser");

    // 7. And `zt login` (no --force) does log in again — it does not claim to be logged in
    //    with a dead refresh token. This time with a browser allowed: it is opened on the
    //    provider's page with the code filled in.
    let mut again = home.zt(&["login", "--insecure-storage"]);
    again.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let pending = start_login(again);
    let opened = eventually(Duration::from_secs(10), || !browser.calls().is_empty());
    assert!(opened.is_some(), "the browser was opened: {}", pending.seen);
    assert!(
        browser.calls().contains(&pending.user_code),
        "with the code filled in: {}",
        browser.calls()
    );
    idp.approve(&pending.user_code, "alice");
    pending.finish(LIMIT).ok();
    zt(&home, &["whoami"], &env).ok();
    assert_ne!(
        stored_tokens(&home, "default")["refresh_token"],
        t2["refresh_token"]
    );
}

// ---------------------------------------------------------------------------------------------
// Faster paths through the test hook.

#[test]
fn a_bare_audience_is_not_sent_as_a_resource_indicator() {
    // The provider puts `aud: zt-broker` in by its own configuration (a default resource), as
    // IdPs with an audience setting do; zt must not send `resource=zt-broker`, which
    // oidc-provider refuses (not an absolute URI).
    let Some(idp) = Provider::start(&[
        ("ZT_OIDC_AUDIENCE", "zt-broker"),
        ("ZT_OIDC_DEFAULT_RESOURCE", "1"),
    ]) else {
        return;
    };
    let broker = external_broker(&idp.issuer, "zt-broker");
    let home = Home::new();
    let pending = start_login(login_cmd(&home, &broker.url, &[]));
    idp.approve(&pending.user_code, "bob");
    pending.finish(LIMIT).ok();
    let t = stored_tokens(&home, "default");
    assert_eq!(
        jwt_parts(t["access_token"].as_str().unwrap()).1["aud"],
        "zt-broker"
    );
    let me = zt(&home, &["whoami", "--json"], &[]);
    assert_eq!(
        me.ok().json()["groups"],
        serde_json::json!(["engineering", "sre-leads"])
    );
}

#[test]
fn aborting_on_the_providers_page_is_not_logged_in() {
    let Some(idp) = Provider::start(&[]) else {
        return;
    };
    let broker = external_broker(&idp.issuer, AUDIENCE);
    let home = Home::new();
    let pending = start_login(login_cmd(&home, &broker.url, &[]));
    approve_via_forms(&pending.verification_uri, &pending.user_code, Choice::Abort);
    let out = pending.finish(LIMIT);
    // Not logged in (4), which is not a denial by policy (3).
    out.code(4);
    assert!(out.stderr.contains("denied"), "{}", out.stderr);
    nothing_stored(&home);
}

#[test]
fn a_code_nobody_confirms_expires() {
    let Some(idp) = Provider::start(&[("ZT_OIDC_DEVICE_TTL", "2")]) else {
        return;
    };
    let broker = external_broker(&idp.issuer, AUDIENCE);
    let home = Home::new();
    let started = Instant::now();
    let out = start_login(login_cmd(&home, &broker.url, &[])).finish(LIMIT);
    out.code(4);
    assert!(out.stderr.contains("expired"), "{}", out.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    nothing_stored(&home);
}

#[test]
fn the_providers_groups_drive_the_brokers_policy() {
    let Some(idp) = Provider::start(&[]) else {
        return;
    };
    let broker = external_broker(&idp.issuer, AUDIENCE);
    // carol has no groups at the provider: nothing to request.
    let carol = Home::new();
    let pending = start_login(login_cmd(&carol, &broker.url, &[]));
    idp.approve(&pending.user_code, "carol");
    pending.finish(LIMIT).ok();
    let me = zt(&carol, &["whoami", "--json"], &[]).ok().json();
    assert_eq!(me["groups"], serde_json::json!([]));
    let out = zt(&carol, &["request", "prod-k8s", "--ttl", "5m"], &[]);
    out.code(3);
    // alice (engineering) gets view at once.
    let alice = Home::new();
    let pending = start_login(login_cmd(&alice, &broker.url, &[]));
    idp.approve(&pending.user_code, "alice");
    pending.finish(LIMIT).ok();
    let out = zt(
        &alice,
        &["request", "prod-k8s", "--ttl", "5m", "--json"],
        &[],
    );
    assert_eq!(out.ok().json()["request"]["state"], "active");
}

// ---------------------------------------------------------------------------------------------
// Bad input: the broker names an identity provider that is down or misbehaves. Each gets a
// clear error and its exit code, and nothing is stored.

fn nothing_stored(home: &Home) {
    assert!(
        !home.path().join(".config/zt/tokens").exists(),
        "no token file"
    );
    assert!(
        !home.path().join(".config/zt/config.toml").exists(),
        "no profile"
    );
}

/// `zt login` through a broker that sends it to `issuer`.
fn login_via(issuer: &str) -> (Home, Out) {
    let broker = external_broker(issuer, AUDIENCE);
    let home = Home::new();
    let out = run_for(login_cmd(&home, &broker.url, &[]), LIMIT);
    (home, out)
}

#[test]
fn an_identity_provider_that_is_down() {
    let dead = dead_url();
    let started = Instant::now();
    let (home, out) = login_via(&dead);
    out.code(7);
    assert!(
        out.stderr.contains(&format!(
            "cannot reach the identity provider at {dead}/.well-known/openid-configuration"
        )),
        "{}",
        out.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    nothing_stored(&home);
}

#[test]
fn discovery_answering_html_garbage_or_an_error() {
    let cases: [(Reply, i32, &str); 4] = [
        (
            Reply::new(200, "text/html", "<!doctype html><title>Sign in</title>"),
            1,
            "with an HTML page",
        ),
        (
            Reply::json("{\"issuer\": "),
            1,
            "something that is not JSON",
        ),
        (Reply::json("{\"hello\": 1}"), 1, "JSON of another shape"),
        (
            Reply::new(503, "text/plain", "down for maintenance"),
            7,
            "answered HTTP 503",
        ),
    ];
    for (reply, code, says) in cases {
        let reply = std::sync::Mutex::new(Some(reply));
        let server = TinyServer::start(move |_, _| {
            reply
                .lock()
                .unwrap()
                .take()
                .unwrap_or_else(|| Reply::new(500, "text/plain", "asked twice"))
        });
        let (home, out) = login_via(&server.url);
        out.code(code);
        assert!(
            out.stderr.contains(says),
            "expected {says:?}: {}",
            out.stderr
        );
        assert!(out.stderr.contains("hint:"), "{}", out.stderr);
        nothing_stored(&home);
    }
}

#[test]
fn discovery_without_a_device_endpoint_names_the_device_grant() {
    let server = TinyServer::start(|base, _| {
        Reply::json(
            serde_json::json!({
                "issuer": base,
                "authorization_endpoint": format!("{base}/authorize"),
                "token_endpoint": format!("{base}/token"),
                "jwks_uri": format!("{base}/jwks"),
            })
            .to_string(),
        )
    });
    let (home, out) = login_via(&server.url);
    out.code(1);
    assert!(
        out.stderr.contains("device authorization grant")
            && out.stderr.contains("no device_authorization_endpoint"),
        "{}",
        out.stderr
    );
    nothing_stored(&home);
}

#[test]
fn discovery_naming_another_issuer_is_refused() {
    let server = TinyServer::start(|_, _| {
        Reply::json(
            serde_json::json!({
                "issuer": "https://evil.example",
                "token_endpoint": "https://evil.example/token",
                "device_authorization_endpoint": "https://evil.example/device",
            })
            .to_string(),
        )
    });
    let (home, out) = login_via(&server.url);
    out.code(1);
    assert!(
        out.stderr.contains("calls itself \"https://evil.example\""),
        "{}",
        out.stderr
    );
    nothing_stored(&home);
}

#[test]
fn an_oversized_discovery_document_is_refused() {
    // Over 1 MiB, announced by Content-Length and, separately, streamed without one.
    for chunked in [false, true] {
        let server = TinyServer::start(move |base, _| {
            let mut body = format!("{{\"issuer\":\"{base}\",\"pad\":\"").into_bytes();
            body.resize(2 << 20, b'x');
            body.extend_from_slice(b"\"}");
            Reply {
                chunked,
                ..Reply::json(body)
            }
        });
        let (home, out) = login_via(&server.url);
        out.code(1);
        assert!(
            out.stderr.contains("larger than 1024 KiB"),
            "chunked={chunked}: {}",
            out.stderr
        );
        nothing_stored(&home);
    }
}

/// Point the profile's token endpoint elsewhere and make the stored access token due for a
/// refresh.
fn refresh_through(home: &Home, token_endpoint: &str) {
    let cfg_path = home.path().join(".config/zt/config.toml");
    let cfg = std::fs::read_to_string(&cfg_path).unwrap();
    let cfg: String = cfg
        .lines()
        .map(|l| {
            if l.starts_with("token_endpoint = ") {
                format!("token_endpoint = \"{token_endpoint}\"\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(&cfg_path, cfg).unwrap();
    let tokens_path = home.path().join(".config/zt/tokens/default.json");
    let mut t = stored_tokens(home, "default");
    t["expires_at"] = now().into();
    std::fs::write(&tokens_path, t.to_string()).unwrap();
}

#[test]
fn a_refresh_the_provider_cannot_answer_keeps_the_login() {
    let Some(idp) = Provider::start(&[]) else {
        return;
    };
    let broker = external_broker(&idp.issuer, AUDIENCE);
    let home = Home::new();
    let pending = start_login(login_cmd(&home, &broker.url, &[]));
    idp.approve(&pending.user_code, "alice");
    pending.finish(LIMIT).ok();
    let real_endpoint = idp.discovery()["token_endpoint"]
        .as_str()
        .unwrap()
        .to_string();
    let before = stored_tokens(&home, "default");

    // The provider is unwell (HTTP 503): "unavailable", not "log in again".
    let unwell = TinyServer::start(|_, _| Reply::new(503, "text/plain", "overloaded"));
    refresh_through(&home, &format!("{}/token", unwell.url));
    let out = zt(&home, &["whoami"], &[]);
    out.code(7);
    assert!(
        out.stderr.contains("answered HTTP 503 to a token refresh"),
        "{}",
        out.stderr
    );
    // The provider is down.
    refresh_through(&home, &format!("{}/token", dead_url()));
    let out = zt(&home, &["whoami"], &[]);
    out.code(7);
    assert!(
        out.stderr.contains("cannot reach the identity provider"),
        "{}",
        out.stderr
    );
    assert_eq!(
        stored_tokens(&home, "default")["refresh_token"],
        before["refresh_token"],
        "the login is kept"
    );
    // Back: the kept refresh token works.
    refresh_through(&home, &real_endpoint);
    zt(&home, &["whoami"], &[]).ok();
    assert_ne!(
        stored_tokens(&home, "default")["access_token"],
        before["access_token"]
    );
}

/// The token endpoint goes away while the person is still confirming: the login ends at the
/// first failed poll with exit 7 — not after the code's ten minutes of silent retries, which is
/// what the oauth2 crate's polling loop alone would do — and nothing is stored.
#[test]
fn a_token_endpoint_that_goes_away_during_the_wait_ends_the_login() {
    let dead = dead_url();
    let token_endpoint = format!("{dead}/token");
    let answered = token_endpoint.clone();
    let server = TinyServer::start(move |base, path| {
        let body = if path.starts_with("/device") {
            serde_json::json!({
                "device_code": "d",
                "user_code": "WDJB-MJHT",
                "verification_uri": format!("{base}/verify"),
                "expires_in": 600,
                "interval": 1,
            })
        } else {
            serde_json::json!({
                "issuer": base,
                "token_endpoint": answered,
                "device_authorization_endpoint": format!("{base}/device"),
            })
        };
        Reply::json(body.to_string())
    });
    let started = Instant::now();
    let (home, out) = login_via(&server.url);
    out.code(7);
    assert!(
        out.stderr
            .contains("First copy your one-time code: WDJB-MJHT")
            && out.stderr.contains(&format!(
                "cannot reach the identity provider at {token_endpoint}"
            )),
        "{}",
        out.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    nothing_stored(&home);
}
