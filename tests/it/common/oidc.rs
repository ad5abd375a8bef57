//! The real OpenID provider for tests — `oidc-provider` (npm, OpenID Certified) with our
//! configuration, `tests/fixtures/oidc/provider.mjs` — on 127.0.0.1:0, killed on drop; a
//! person's browser walking its own HTML forms (cookies carried by hand); `zt login` as a
//! running process whose user code we read; and the broker that trusts the provider.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::broker::Broker;
use super::procs::{self, lines, read_all, until_line};
use super::{Home, Out, peer};

/// The audience (and RFC 8707 resource indicator) the provider mints broker tokens for by
/// default: oidc-provider accepts only absolute URIs as resource indicators.
pub(crate) const AUDIENCE: &str = "urn:zt:broker";

/// A broker that trusts `issuer` and sends `zt login` there.
///
/// This is `zt-broker dev --trust-issuer ISSUER --audience AUD`: the dev broker with a real IdP
/// (its own dev IdP stays trusted but is not advertised). `on_postgres.rs` signs in through the
/// same provider to a `zt-broker serve` configured with `[login]` and `[[trusted_issuer]]`.
pub(crate) fn external_broker(issuer: &str, audience: &str) -> Broker {
    Broker::start(&["--trust-issuer", issuer, "--audience", audience])
}

pub(crate) struct Provider {
    pub issuer: String,
    child: Child,
    _stdin: ChildStdin,
    /// Keeps reading stdout, so the provider never writes into a closed pipe.
    _stdout: mpsc::Receiver<String>,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Provider {
    /// Start the provider with extra environment (`ZT_OIDC_ACCESS_TTL`, …; see provider.mjs).
    /// `None` when the peer is not installed (a skip; a failure under `ZT_TEST_REQUIRE_PEERS=1`).
    pub(crate) fn start(env: &[(&str, &str)]) -> Option<Provider> {
        let script = peer("ZT_TEST_OIDC_PROVIDER")?;
        let node = peer("ZT_TEST_NODE")?;
        let dir = tempfile::Builder::new()
            .prefix("zt-oidc-")
            .tempdir()
            .unwrap();
        let log = dir.path().join("provider.log");
        let mut cmd = Command::new(node);
        cmd.arg(&script)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("PORT", "0")
            .env("ZT_OIDC_EXIT_WITH_STDIN", "1")
            .envs(env.iter().copied())
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap());
        let mut child = cmd.spawn().expect("start node with the provider script");
        let stdin = child.stdin.take().unwrap();
        let rx = lines(child.stdout.take().unwrap());
        let mut seen = String::new();
        let issuer = until_line(&rx, Duration::from_secs(30), &mut seen, |l| {
            l.starts_with("http://127.0.0.1:")
                .then(|| l.trim().to_string())
        });
        let Some(issuer) = issuer else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the OIDC provider did not start: {seen}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        Some(Provider {
            issuer,
            child,
            _stdin: stdin,
            _stdout: rx,
            log,
            _dir: dir,
        })
    }

    /// What the provider printed on stderr (warnings, server errors).
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The test-only hook: approve a pending user code as `sub`, without the HTML forms.
    pub(crate) fn approve(&self, user_code: &str, sub: &str) {
        let (status, body) = post_json(
            &format!("{}/test/approve", self.issuer),
            &serde_json::json!({"user_code": user_code, "sub": sub}),
        );
        assert_eq!(status, 200, "approve {user_code}: {body}");
    }

    /// [`Provider::approve`] at an authentication level: `acr` is one of the provider's ACR
    /// values (`urn:zt:acr:pwd`, `urn:zt:acr:mfa`), what the person's sign-in achieved.
    pub(crate) fn approve_at(&self, user_code: &str, sub: &str, acr: &str) {
        let (status, body) = post_json(
            &format!("{}/test/approve", self.issuer),
            &serde_json::json!({"user_code": user_code, "sub": sub, "acr": acr}),
        );
        assert_eq!(status, 200, "approve {user_code} at {acr}: {body}");
    }

    /// POST a form to one of the provider's endpoints: (status, JSON body or Null).
    pub(crate) fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let url = format!("{}{path}", self.issuer);
        block_on(async {
            let r = reqwest::Client::new()
                .post(&url)
                .form(form)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        })
    }

    pub(crate) fn discovery(&self) -> Value {
        get_json(&format!("{}/.well-known/openid-configuration", self.issuer))
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

pub(crate) fn get_json(url: &str) -> Value {
    block_on(async {
        reqwest::Client::new()
            .get(url)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    })
}

fn post_json(url: &str, body: &Value) -> (u16, String) {
    block_on(async {
        let r = reqwest::Client::new()
            .post(url)
            .timeout(Duration::from_secs(10))
            .json(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    })
}

/// A JWT's header and claims, decoded without any check (the broker does the checking).
pub(crate) fn jwt_parts(token: &str) -> (Value, Value) {
    let mut parts = token.split('.');
    let mut next = || {
        let p = parts.next().expect("a JWT has three parts");
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).expect("base64url")).expect("JSON")
    };
    (next(), next())
}

/// The tokens `zt login --insecure-storage` left for `profile`.
pub(crate) fn stored_tokens(home: &Home, profile: &str) -> Value {
    let p = home
        .path()
        .join(format!(".config/zt/tokens/{profile}.json"));
    let text = std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("no token file {}: {e}", p.display()));
    serde_json::from_str(&text).unwrap()
}

/// Every regular file under `dir` whose bytes contain `needle`.
pub(crate) fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file()
                && let Ok(bytes) = std::fs::read(&p)
                && bytes
                    .windows(needle.len().max(1))
                    .any(|w| w == needle.as_bytes())
            {
                found.push(p);
            }
        }
    }
    found
}

/// `zt login` running, with its user code read from stderr.
pub(crate) struct PendingLogin {
    child: Child,
    pub user_code: String,
    pub verification_uri: String,
    pub seen: String,
    err: mpsc::Receiver<String>,
    out: mpsc::Receiver<String>,
}

/// Start `cmd` (a `zt login …`) and read its stderr until it shows the user code and the
/// verification URL; panics with what it printed when it ends or stalls before that.
pub(crate) fn start_login(mut cmd: Command) -> PendingLogin {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start zt login");
    let out = read_all(child.stdout.take().unwrap());
    let err = lines(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut code = None;
    let uri = until_line(&err, Duration::from_secs(30), &mut seen, |l| {
        if let Some(c) = l.trim().strip_prefix("First copy your one-time code: ") {
            code = Some(c.to_string());
        }
        l.trim()
            .strip_prefix("Then open ")
            .and_then(|r| r.strip_suffix(" in a browser and confirm."))
            .map(str::to_owned)
    });
    let (Some(user_code), Some(verification_uri)) = (code, uri) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("zt login showed no user code and URL:\n{seen}");
    };
    PendingLogin {
        child,
        user_code,
        verification_uri,
        seen,
        err,
        out,
    }
}

impl PendingLogin {
    /// Wait for `zt login` to end (killed after `limit`).
    #[track_caller]
    pub(crate) fn finish(mut self, limit: Duration) -> Out {
        let code = procs::wait_for(&mut self.child, limit).unwrap_or_else(|| {
            let _ = self.child.kill();
            let _ = self.child.wait();
            panic!("zt login did not finish within {limit:?}:\n{}", self.seen)
        });
        let mut stderr = self.seen;
        while let Ok(l) = self.err.recv_timeout(Duration::from_secs(5)) {
            stderr.push_str(&l);
            stderr.push('\n');
        }
        Out {
            code,
            stdout: self
                .out
                .recv_timeout(Duration::from_secs(5))
                .unwrap_or_default(),
            stderr,
        }
    }
}

/// What the person does on the provider's pages.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Choice {
    /// Sign in as this login and consent.
    Approve(&'static str),
    /// Follow the "abort" link on the sign-in page.
    Abort,
}

/// A person's browser on the provider's own HTML pages (oidc-provider's devInteractions):
/// enter the code, confirm, sign in, consent — as `device_flow_curl.sh` does with curl.
/// Cookies are carried by hand (this crate's reqwest has no cookie store); redirects are
/// followed by hand so every hop's cookies are kept. Returns the last page.
pub(crate) fn approve_via_forms(verification_uri: &str, user_code: &str, choice: Choice) -> String {
    block_on(async {
        let mut b = FormBrowser::new(verification_uri);
        let mut next = enter_code(&mut b, verification_uri, user_code).await;
        // login, then consent: each an /interaction/… page whose form resumes at /device/….
        for _ in 0..6 {
            let Hop::Redirect(loc) = next else { break };
            if !loc.contains("/interaction/") {
                next = b.get(&loc).await;
                continue;
            }
            let page = b.get(&loc).await.expect_page();
            next = if page.contains(r#"name="prompt" value="login""#) {
                match choice {
                    Choice::Approve(login) => {
                        b.post(
                            &loc,
                            &[("prompt", "login"), ("login", login), ("password", "x")],
                        )
                        .await
                    }
                    Choice::Abort => b.get(&format!("{loc}/abort")).await,
                }
            } else {
                assert!(
                    page.contains(r#"name="prompt" value="consent""#),
                    "neither a sign-in nor a consent page:\n{page}"
                );
                b.post(&loc, &[("prompt", "consent")]).await
            };
        }
        match next {
            Hop::Page(_, body) => body,
            Hop::Redirect(loc) => panic!("still redirected to {loc} after the forms"),
        }
    })
}

/// The device flow's verification page: enter the code, confirm it. Returns where that leads.
async fn enter_code(b: &mut FormBrowser, verification_uri: &str, user_code: &str) -> Hop {
    let page = b.get(verification_uri).await.expect_page();
    let xsrf = field(&page, "xsrf").unwrap_or_else(|| panic!("no xsrf field:\n{page}"));
    let confirm = b
        .post(
            verification_uri,
            &[("xsrf", &xsrf), ("user_code", user_code)],
        )
        .await
        .expect_page();
    let xsrf =
        field(&confirm, "xsrf").unwrap_or_else(|| panic!("the code was not taken:\n{confirm}"));
    b.post(
        verification_uri,
        &[
            ("xsrf", &xsrf),
            ("user_code", user_code),
            ("confirm", "yes"),
        ],
    )
    .await
}

/// A person on the provider's own login page (`ZT_OIDC_LOGIN_PAGE=1`, the fixture's
/// `login_page.mjs`): the verification page, the code, then the sign-in as `login` at the
/// authentication level `acr` picked on the page, then consent when asked. The browser's
/// cookies are `jar` (kept from one call to the next, so the provider's session is too).
/// Asserts the login page was shown, offered `acr` and preselected `preselected`; returns the
/// last page.
pub(crate) fn sign_in_on_login_page(
    jar: &mut BTreeMap<String, String>,
    verification_uri: &str,
    user_code: &str,
    login: &str,
    acr: &str,
    preselected: &str,
) -> String {
    block_on(async {
        let mut b = FormBrowser::new(verification_uri);
        b.cookies = std::mem::take(jar);
        let last =
            login_page_hops(&mut b, verification_uri, user_code, login, acr, preselected).await;
        *jar = std::mem::take(&mut b.cookies);
        last
    })
}

async fn login_page_hops(
    b: &mut FormBrowser,
    verification_uri: &str,
    user_code: &str,
    login: &str,
    acr: &str,
    preselected: &str,
) -> String {
    let mut next = enter_code(b, verification_uri, user_code).await;
    let mut signed_in = false;
    for _ in 0..6 {
        let Hop::Redirect(loc) = next else { break };
        if !loc.contains("/login/") {
            next = b.get(&loc).await;
            continue;
        }
        let page = b.get(&loc).await.expect_page();
        next = if page.contains(r#"name="prompt" value="login""#) {
            assert!(!signed_in, "asked to sign in twice:\n{page}");
            assert!(
                page.contains(&format!(r#"name="acr" value="{acr}""#)),
                "no level {acr} on the login page:\n{page}"
            );
            assert!(
                page.contains(&format!(r#"name="acr" value="{preselected}" checked"#)),
                "{preselected} is not preselected:\n{page}"
            );
            signed_in = true;
            b.post(
                &loc,
                &[
                    ("prompt", "login"),
                    ("login", login),
                    ("password", "x"),
                    ("acr", acr),
                ],
            )
            .await
        } else {
            assert!(
                page.contains(r#"name="prompt" value="consent""#),
                "neither the login page nor consent:\n{page}"
            );
            b.post(&loc, &[("prompt", "consent")]).await
        };
    }
    assert!(signed_in, "the login page was never shown");
    match next {
        Hop::Page(_, body) => body,
        Hop::Redirect(loc) => panic!("still redirected to {loc} after the forms"),
    }
}

enum Hop {
    Page(u16, String),
    Redirect(String),
}

impl Hop {
    fn expect_page(self) -> String {
        match self {
            Hop::Page(200, body) => body,
            Hop::Page(status, body) => panic!("HTTP {status}:\n{body}"),
            Hop::Redirect(loc) => panic!("unexpected redirect to {loc}"),
        }
    }
}

struct FormBrowser {
    http: reqwest::Client,
    origin: String,
    cookies: BTreeMap<String, String>,
}

impl FormBrowser {
    fn new(any_url: &str) -> Self {
        let origin = any_url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
        FormBrowser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
            origin,
            cookies: BTreeMap::new(),
        }
    }

    async fn get(&mut self, url: &str) -> Hop {
        let req = self.http.get(url);
        self.send(req).await
    }

    async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Hop {
        let req = self.http.post(url).form(form);
        self.send(req).await
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Hop {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let req = if cookie.is_empty() {
            req
        } else {
            req.header("cookie", cookie)
        };
        let resp = req.send().await.unwrap();
        for h in resp.headers().get_all("set-cookie") {
            let h = h.to_str().unwrap_or_default();
            let mut attrs = h.split(';');
            let Some((name, value)) = attrs.next().and_then(|kv| kv.split_once('=')) else {
                continue;
            };
            let gone = value.is_empty()
                || attrs.any(|a| {
                    let a = a.trim().to_ascii_lowercase();
                    a == "max-age=0" || a.starts_with("expires=thu, 01 jan 1970")
                });
            if gone {
                self.cookies.remove(name.trim());
            } else {
                self.cookies
                    .insert(name.trim().to_string(), value.trim().to_string());
            }
        }
        let status = resp.status().as_u16();
        if resp.status().is_redirection() {
            let loc = resp.headers()["location"].to_str().unwrap().to_string();
            let loc = if loc.starts_with('/') {
                format!("{}{loc}", self.origin)
            } else {
                loc
            };
            return Hop::Redirect(loc);
        }
        Hop::Page(status, resp.text().await.unwrap())
    }
}

/// The value of the first `<input name="NAME" value="…">` on a page.
fn field(page: &str, name: &str) -> Option<String> {
    let key = format!(r#"name="{name}" value=""#);
    let start = page.find(&key)? + key.len();
    let len = page[start..].find('"')?;
    Some(page[start..start + len].to_string())
}
