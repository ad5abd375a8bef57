//! Benchmark: how soon a waiting `zt request` returns after the approval — a real
//! `zt-broker dev` (spawned), alice's `zt request prod-k8s --role edit` waiting on its
//! long-poll, bob approving through the API (`POST /v1/requests/{id}/approve`, the domain path
//! the review page's form takes too), and the time from bob's answer to the `zt` process's
//! exit (the grant fetched, the kubeconfig written, the ledger entry made). Prints median,
//! p95 and max over the runs; asserts nothing (target: issue 14, ≤ 100 ms).
//!
//! `cargo build --release -p zt-broker && cargo bench -p zt --bench approval` — the broker is
//! the `zt-broker` beside this `zt` (or `ZT_BENCH_BROKER`); `ZT_BENCH_RUNS` (default 30).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long the request waits before bob approves: its long-poll is surely in flight.
const SETTLE: Duration = Duration::from_millis(300);

struct Sealed {
    dir: tempfile::TempDir,
}

impl Sealed {
    fn cmd(&self, program: &Path) -> Command {
        let h = self.dir.path();
        let mut c = Command::new(program);
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", h)
            .env("ZT_CONFIG_DIR", h.join("config"))
            .env("ZT_STATE_DIR", h.join("state"))
            .env("ZT_RUNTIME_DIR", h.join("run"))
            .env("ZT_CACHE_DIR", h.join("cache"))
            .env("KUBECONFIG", h.join("kubeconfig"))
            // The background reaper is another process per run; not what is measured.
            .env("ZT_REAPER", "0");
        c
    }
}

fn broker_bin(zt: &Path) -> PathBuf {
    match std::env::var_os("ZT_BENCH_BROKER") {
        Some(p) => PathBuf::from(p),
        None => {
            let p = zt.with_file_name("zt-broker");
            assert!(
                p.exists(),
                "no {} — build it first: cargo build --release -p zt-broker (or set ZT_BENCH_BROKER)",
                p.display()
            );
            p
        }
    }
}

/// An access token for `user` from the dev broker's OpenID provider (`--auto-login` signs
/// the `login_hint` in at once).
async fn token(c: &reqwest::Client, broker: &str, user: &str) -> String {
    let disco: Value = get_json(c.get(format!("{broker}/.well-known/zt"))).await;
    let (issuer, client_id) = (
        disco["issuer"].as_str().unwrap(),
        disco["client_id"].as_str().unwrap(),
    );
    let auth = get_json(c.post(format!("{issuer}/device/auth")).form(&[
        ("client_id", client_id),
        ("scope", "openid"),
        ("login_hint", user),
    ]))
    .await;
    let t = get_json(c.post(format!("{issuer}/token")).form(&[
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", auth["device_code"].as_str().unwrap()),
        ("client_id", client_id),
    ]))
    .await;
    t["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {t}"))
        .into()
}

async fn get_json(req: reqwest::RequestBuilder) -> Value {
    let r = req.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// The first line of `zt-broker dev` on stdout ends with its URL.
fn start_broker(home: &Sealed, bin: &Path) -> (Child, String) {
    let mut child = home
        .cmd(bin)
        .args(["dev", "--port", "0", "--auto-login", "alice"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("http://"), "{line:?}");
    (child, url)
}

struct Run {
    /// Bob's approval answered → `zt request` exited.
    after_answer: Duration,
    /// Bob's approval answered → `zt request` said it was approved (its long-poll woke).
    woke: Duration,
    /// Bob's approval sent → answered.
    approve: Duration,
}

fn one_run(
    rt: &tokio::runtime::Runtime,
    c: &reqwest::Client,
    home: &Sealed,
    zt: &Path,
    broker: &str,
    bob: &str,
) -> Run {
    let mut child = home
        .cmd(zt)
        .args(["request", "prod-k8s", "--role", "edit", "--ttl", "10m"])
        .args(["--reason", "bench"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let id = line
        .split_whitespace()
        .nth(1)
        .filter(|_| line.starts_with("Request "))
        .unwrap_or_else(|| panic!("not waiting: {line:?}"))
        .to_string();
    // Keep reading stderr so it never blocks; note when zt says "✓ Approved by …": its
    // long-poll has answered (what follows is the credential and the files).
    let (told_tx, told) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        while err.read_line(&mut line).is_ok_and(|n| n > 0) {
            if line.contains("Approved by") {
                let _ = told_tx.send(Instant::now());
            }
            line.clear();
        }
    });
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let status = child.wait().unwrap();
        let _ = tx.send((Instant::now(), status));
    });
    std::thread::sleep(SETTLE);
    let sent = Instant::now();
    let r = rt.block_on(get_json(
        c.post(format!("{broker}/v1/requests/{id}/approve"))
            .bearer_auth(bob)
            .json(&serde_json::json!({})),
    ));
    let answered = Instant::now();
    assert_eq!(r["state"], "approved", "{r}");
    let (exited, status) = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    assert!(status.success(), "zt request failed: {status}");
    let told = told.recv_timeout(Duration::from_secs(5)).unwrap();
    // End the grant (bob is an admin) so the next run asks afresh.
    rt.block_on(get_json(
        c.post(format!("{broker}/v1/grants/{id}/revoke"))
            .bearer_auth(bob)
            .json(&serde_json::json!({})),
    ));
    Run {
        after_answer: exited.saturating_duration_since(answered),
        woke: told.saturating_duration_since(answered),
        approve: answered - sent,
    }
}

fn main() {
    let zt = PathBuf::from(env!("CARGO_BIN_EXE_zt"));
    let broker_bin = broker_bin(&zt);
    let runs: usize = std::env::var("ZT_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30)
        .max(2);
    let home = Sealed {
        dir: tempfile::tempdir().unwrap(),
    };
    let (mut broker, url) = start_broker(&home, &broker_bin);
    let login = home
        .cmd(&zt)
        .args([
            "login",
            "--broker",
            &url,
            "--insecure-storage",
            "--no-browser",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(login.success(), "zt login failed");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let c = reqwest::Client::new();
    let bob = rt.block_on(token(&c, &url, "bob"));

    one_run(&rt, &c, &home, &zt, &url, &bob); // warm-up
    let mut all: Vec<Run> = (0..runs)
        .map(|_| one_run(&rt, &c, &home, &zt, &url, &bob))
        .collect();
    let _ = broker.kill();
    let _ = broker.wait();

    let report = |label: &str, mut t: Vec<Duration>| {
        t.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let n = t.len();
        println!(
            "{label:<52} median {:7.2} ms   p95 {:7.2} ms   max {:7.2} ms   ({n} runs)",
            ms(t[n / 2]),
            ms(t[(n * 95 / 100).min(n - 1)]),
            ms(t[n - 1]),
        );
    };
    report(
        "approval answered → waiting `zt request` exited",
        all.iter().map(|r| r.after_answer).collect(),
    );
    report(
        "  of which: answered → zt printed \"Approved\" (wake-up)",
        all.iter().map(|r| r.woke).collect(),
    );
    report(
        "approval sent → answered (the API)",
        all.drain(..).map(|r| r.approve).collect(),
    );
    println!("target (issue 14): ≤ 100 ms after the approval");
}
