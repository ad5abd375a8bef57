//! The review page's two kinds of visitor:
//! - [`Chromium`]: a real headless Chromium driven through WebDriver by Python selenium
//!   (`tests/fixtures/browser/review.py`, installed by `scripts/peers.sh browser`, which the
//!   README's test command runs and names in `ZT_TEST_BROWSER_PY`), given a plan of steps and
//!   answering what the browser saw after each; screenshots go to `target/test-artefacts/`.
//! - [`WebClient`]: plain HTTP with cookies carried by hand and redirects followed one by one,
//!   for what needs no browser: forged forms, headers, the sign-in's redirects.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use super::peer;

/// The review link of request `id` on a dev broker at `http://127.0.0.1:PORT`: the page is
/// served on `http://localhost:PORT` (a host name, as WebAuthn needs).
pub(crate) fn review_link(broker_url: &str, id: &str) -> String {
    format!("{}/review/{id}", review_base(broker_url))
}

/// `http://localhost:PORT` for a broker URL `http://127.0.0.1:PORT`.
pub(crate) fn review_base(broker_url: &str) -> String {
    let port = broker_url.rsplit(':').next().unwrap();
    format!("http://localhost:{port}")
}

/// Where a test's screenshots go: `target/test-artefacts/` (made when missing).
pub(crate) fn artefact(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/it-… → target/
    let target = exe.ancestors().nth(3).expect("target/<profile>/deps/it-*");
    let dir = target.join("test-artefacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A headless Chromium session running one plan.
pub(crate) struct Chromium {
    python: String,
    script: PathBuf,
}

/// What the browser showed after a step.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub url: String,
    pub h1: String,
    pub text: String,
    /// What the step answered besides the page (passkey.py's WebAuthn results).
    pub result: Value,
}

impl Chromium {
    /// `None` when the peer is not installed (a skip; a failure under `ZT_TEST_REQUIRE_PEERS=1`).
    pub(crate) fn find() -> Option<Chromium> {
        Self::find_with("review.py")
    }

    /// The same with another plan runner of `tests/fixtures/browser/` (passkey.py).
    pub(crate) fn find_with(script: &str) -> Option<Chromium> {
        let python = peer("ZT_TEST_BROWSER_PY")?;
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/browser")
            .join(script);
        Some(Chromium { python, script })
    }

    /// Run `steps` (see review.py) in one browser session; panics with what the browser showed
    /// when a step fails.
    pub(crate) fn run(&self, steps: Vec<Value>) -> Vec<Seen> {
        let mut child = Command::new(&self.python)
            .arg(&self.script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start python with selenium");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(json!({ "steps": steps }).to_string().as_bytes())
            .unwrap();
        let code = super::procs::wait_for(&mut child, Duration::from_secs(240));
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<Value> = stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        if let Some(bad) = lines.iter().find(|l| !l["error"].is_null()) {
            panic!(
                "the browser failed at step {} ({}): {}\npage at {}:\n{}\n{stderr}",
                bad["step"],
                steps[bad["step"].as_u64().unwrap() as usize],
                bad["error"],
                bad["url"],
                bad["text"]
            );
        }
        assert!(
            code == Some(0) && lines.len() == steps.len(),
            "the browser script ended with {code:?} after {} of {} steps:\n{stdout}\n{stderr}",
            lines.len(),
            steps.len()
        );
        lines
            .iter()
            .map(|l| Seen {
                url: l["url"].as_str().unwrap_or_default().to_owned(),
                h1: l["h1"].as_str().unwrap_or_default().to_owned(),
                text: l["text"].as_str().unwrap_or_default().to_owned(),
                result: l["result"].clone(),
            })
            .collect()
    }
}

/// The plan's steps.
pub(crate) mod step {
    use serde_json::{Value, json};

    pub(crate) fn open(url: &str) -> Value {
        json!({ "open": url })
    }
    pub(crate) fn sign_in_dev(user: &str) -> Value {
        json!({ "signin": { "idp": "dev", "user": user } })
    }
    pub(crate) fn sign_in_oidc(user: &str) -> Value {
        json!({ "signin": { "idp": "oidc", "user": user } })
    }
    /// On the provider fixture's own login page: `user` at level `acr` (`None`: the level the
    /// page preselected from what the client asked for).
    pub(crate) fn sign_in_login_page(user: &str, acr: Option<&str>) -> Value {
        json!({ "signin": { "idp": "oidc-login", "user": user, "acr": acr } })
    }
    /// Click the link whose text is `text`.
    pub(crate) fn follow(text: &str) -> Value {
        json!({ "follow": text })
    }
    pub(crate) fn approve(comment: &str) -> Value {
        json!({ "decide": "approve", "comment": comment })
    }
    pub(crate) fn deny(comment: &str) -> Value {
        json!({ "decide": "deny", "comment": comment })
    }
    /// A screenshot into `target/test-artefacts/NAME`.
    pub(crate) fn shot(name: &str) -> Value {
        json!({ "shot": super::artefact(name) })
    }
}

/// One HTTP answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> String {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Plain HTTP as a browser would send it: cookies kept per host, redirects not followed.
pub(crate) struct WebClient {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    /// host:port → name → value.
    pub cookies: BTreeMap<String, BTreeMap<String, String>>,
}

fn host_of(url: &str) -> String {
    let u = reqwest::Url::parse(url).unwrap();
    format!(
        "{}:{}",
        u.host_str().unwrap(),
        u.port_or_known_default().unwrap()
    )
}

impl WebClient {
    pub(crate) fn new() -> WebClient {
        WebClient {
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    pub(crate) fn get(&mut self, url: &str) -> Answer {
        let req = self.http.get(url);
        self.send(url, req)
    }

    /// POST a form with extra headers (`Origin`, `Sec-Fetch-Site`, …).
    pub(crate) fn post(
        &mut self,
        url: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = self.http.post(url).form(form);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(url, req)
    }

    fn send(&mut self, url: &str, req: reqwest::RequestBuilder) -> Answer {
        let host = host_of(url);
        let jar = self.cookies.entry(host.clone()).or_default();
        let cookie = jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let req = if cookie.is_empty() {
            req
        } else {
            req.header("cookie", cookie)
        };
        let resp = self.rt.block_on(async { req.send().await }).unwrap();
        let headers = resp.headers().clone();
        for h in headers.get_all("set-cookie") {
            let h = h.to_str().unwrap_or_default();
            let (name, value) = h.split(';').next().unwrap().split_once('=').unwrap();
            let gone = h.contains("Max-Age=0");
            let jar = self.cookies.entry(host.clone()).or_default();
            if gone {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = resp.status().as_u16();
        let location = headers.get("location").map(|l| {
            let l = l.to_str().unwrap();
            reqwest::Url::parse(url)
                .unwrap()
                .join(l)
                .unwrap()
                .to_string()
        });
        let body = self.rt.block_on(resp.text()).unwrap();
        Answer {
            status,
            location,
            headers,
            body,
        }
    }

    /// Follow redirects from `answer` (at most 10) with GETs; the last answer.
    pub(crate) fn follow(&mut self, mut answer: Answer) -> Answer {
        for _ in 0..10 {
            match (answer.status, answer.location.clone()) {
                (301..=303 | 307 | 308, Some(loc)) => answer = self.get(&loc),
                _ => return answer,
            }
        }
        panic!("too many redirects: {answer:?}")
    }

    /// Open `link` anonymously and sign in as the dev user `user` on the dev IdP's page, the
    /// way a browser does: the page's 303 to the IdP, its form, the 303 back to the callback,
    /// the 303 to the link. Answers the page the link shows.
    pub(crate) fn sign_in_dev(&mut self, link: &str, user: &str) -> Answer {
        let to_idp = self.get(link);
        assert_eq!(to_idp.status, 303, "{to_idp:?}");
        let authorize = to_idp.location.clone().unwrap();
        let page = self.get(&authorize);
        assert_eq!(page.status, 200, "{}", page.body);
        let mut form: Vec<(String, String)> = hidden_fields(&page.body);
        form.push(("user".into(), user.into()));
        form.push(("action".into(), "signin".into()));
        let action = authorize.split('?').next().unwrap().to_owned();
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let back = self.post(&action, &pairs, &[]);
        assert_eq!(back.status, 303, "{}", back.body);
        self.follow(back)
    }
}

/// Every `<input type="hidden" name="N" value="V">` of a page (values unescaped).
pub(crate) fn hidden_fields(page: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in page.split("<input type=\"hidden\" ").skip(1) {
        let attr = |name: &str| {
            let key = format!("{name}=\"");
            let start = part.find(&key)? + key.len();
            let len = part[start..].find('"')?;
            Some(unescape(&part[start..start + len]))
        };
        if let (Some(n), Some(v)) = (attr("name"), attr("value")) {
            out.push((n, v));
        }
    }
    out
}

/// The value of the hidden field `name` on a page.
pub(crate) fn field(page: &str, name: &str) -> Option<String> {
    hidden_fields(page)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
