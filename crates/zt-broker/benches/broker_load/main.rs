//! The broker under load, end to end over HTTP: the throughput and latency of
//! `POST /v1/requests` (bearer-token check, Cedar decision, durable write with its audit row)
//! with many concurrent keep-alive clients, and how soon a long-poll returns after an approval.
//! The budget (tracker issue): on a 2-core machine with the SQLite store, ≥ 2,000 creates/s
//! with p99 ≤ 25 ms at 64 clients, and wake-up ≤ 10 ms.
//!
//! Two runs of creates. Flat out: each client sends its next request as soon as the last one
//! is answered, which finds the most the broker does per second (and, by Little's law, puts
//! the mean latency at clients ÷ throughput). At a fixed rate: the clients together send
//! 2,000 requests a second on a schedule, and each latency counts from when its request was
//! due, not from when it went out, so a slow answer that delays the next send is not hidden
//! (wrk2's way).
//!
//! The broker is the real dev wiring ([`zt_testkit::broker::TestBroker`]: SQLite file in a
//! temp dir, dev IdP, demo catalog and policies, reaper) on 127.0.0.1:0, on its own runtime;
//! the load client runs in this process on another runtime, on the same cores, and its CPU
//! time is counted apart (per-thread times from `/proc/self/task`).
//!
//! Run with `cargo bench -p zt-broker --bench broker_load`. `ZT_BENCH_CLIENTS` (64),
//! `ZT_BENCH_SECS` (10), `ZT_BENCH_WARMUP_SECS` (2), `ZT_BENCH_RATE` (2000; 0 skips that run)
//! and `ZT_BENCH_WAKEUPS` (200; 0 skips that part) change it. `ZT_BENCH_STORE_URL=postgres://…` keeps the
//! state in that PostgreSQL database instead (a server you started; the budget is SQLite's).

use std::time::{Duration, Instant};

use zt_testkit::broker::TestBroker;

mod usage;
use usage::{Usage, usage};

/// Engineers in the demo catalog's `engineering` group: `prod-k8s/view` is granted at once.
const REQUESTERS: [&str; 4] = ["alice", "bob", "dave", "mallory"];
/// Thread names, to tell the client's CPU time from the broker's.
const CLIENT_THREADS: &str = "zt-load";
const BROKER_THREADS: &str = "zt-broker";

struct Config {
    clients: usize,
    warmup: Duration,
    measure: Duration,
    /// Requests per second, all clients together, for the fixed-rate run.
    rate: f64,
    wakeups: usize,
}

impl Config {
    fn from_env(full: bool) -> Result<Self, String> {
        let var = |name: &str, full_default: f64, smoke: f64| -> Result<f64, String> {
            match std::env::var(name) {
                Ok(v) => v.parse().map_err(|e| format!("{name}={v:?}: {e}")),
                Err(_) => Ok(if full { full_default } else { smoke }),
            }
        };
        Ok(Self {
            clients: var("ZT_BENCH_CLIENTS", 64.0, 4.0)? as usize,
            warmup: Duration::from_secs_f64(var("ZT_BENCH_WARMUP_SECS", 2.0, 0.2)?),
            measure: Duration::from_secs_f64(var("ZT_BENCH_SECS", 10.0, 1.0)?),
            rate: var("ZT_BENCH_RATE", 2000.0, 100.0)?,
            wakeups: var("ZT_BENCH_WAKEUPS", 200.0, 5.0)? as usize,
        })
    }
}

/// One client's tally over the measured window.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    /// At a fixed rate: due before the end but never sent (the broker fell behind).
    unsent: usize,
    errors: usize,
    first_error: Option<String>,
}

/// One client's part of a run: its own keep-alive connection, its own idempotency keys.
struct Client {
    url: String,
    token: String,
    /// Unique across runs and clients: `<process>-<run>-<client>` (a PostgreSQL store outlives
    /// the process).
    name: String,
    /// `None`: flat out. `Some((first, every))`: the first request is due at `first`, and one
    /// more every `every`.
    schedule: Option<(Instant, Duration)>,
    measure_from: Instant,
    end: Instant,
}

/// Create requests until `end`; those due (flat out: sent) after `measure_from` count.
async fn client(c: Client) -> Tally {
    let http = reqwest::Client::new();
    let body = br#"{"resource":"prod-k8s","role":"view","ttl_secs":3600,"reason":"load test"}"#;
    let mut tally = Tally::default();
    for seq in 0u32.. {
        let due = match c.schedule {
            Some((first, every)) => {
                let due = first + every * seq;
                tokio::time::sleep_until(due.into()).await;
                due
            }
            None => Instant::now(),
        };
        if due >= c.end {
            break;
        }
        if let (Some((first, every)), true) = (c.schedule, Instant::now() >= c.end) {
            // Fallen behind: what was due and never sent counts with its wait so far.
            let now = Instant::now();
            for late in seq.. {
                let due = first + every * late;
                if due >= c.end {
                    break;
                }
                if due >= c.measure_from {
                    tally.latencies.push(now - due);
                    tally.unsent += 1;
                }
            }
            break;
        }
        let sent = http
            .post(format!("{}/v1/requests", c.url))
            .bearer_auth(&c.token)
            .header("Idempotency-Key", format!("load-{}-{seq}", c.name))
            .header("Content-Type", "application/json")
            .body(&body[..])
            .send()
            .await;
        let outcome = match sent {
            Ok(r) => {
                let status = r.status().as_u16();
                match r.bytes().await {
                    Ok(b) if status == 201 && contains(&b, br#""state":"approved""#) => Ok(()),
                    Ok(b) => Err(format!("{status}: {}", String::from_utf8_lossy(&b))),
                    Err(e) => Err(e.to_string()),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        if due < c.measure_from {
            continue;
        }
        match outcome {
            Ok(()) => tally.latencies.push(due.elapsed()),
            Err(e) => {
                tally.errors += 1;
                tally.first_error.get_or_insert(e);
            }
        }
    }
    tally
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn pct(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One run of creates: flat out (`rate` `None`) or at `rate` requests a second.
async fn load(url: &str, tokens: &[String], cfg: &Config, rate: Option<f64>) -> Result<(), String> {
    let started = Instant::now();
    let measure_from = started + cfg.warmup;
    let end = measure_from + cfg.measure;
    let run = if rate.is_some() { "rate" } else { "flat" };
    let process = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let clients: Vec<_> = (0..cfg.clients)
        .map(|n| {
            // Each client sends every clients/rate seconds, the clients evenly staggered.
            let schedule = rate.map(|r| {
                let every = Duration::from_secs_f64(cfg.clients as f64 / r);
                (started + every * n as u32 / cfg.clients as u32, every)
            });
            tokio::spawn(client(Client {
                url: url.to_owned(),
                token: tokens[n % tokens.len()].clone(),
                name: format!("{process}-{run}-{n}"),
                schedule,
                measure_from,
                end,
            }))
        })
        .collect();
    tokio::time::sleep_until(measure_from.into()).await;
    let before = usage();
    let mut all = Tally::default();
    for c in clients {
        let t = c.await.map_err(|e| e.to_string())?;
        all.latencies.extend(t.latencies);
        all.errors += t.errors;
        all.unsent += t.unsent;
        if all.first_error.is_none() {
            all.first_error = t.first_error;
        }
    }
    let after = usage();
    // The clients finish their last request a little after `end`.
    let window = Instant::now() - measure_from;
    let mut lat = all.latencies;
    lat.sort_unstable();
    let secs = window.as_secs_f64();
    let per_sec = |f: fn(&Usage) -> f64| (f(&after) - f(&before)) / secs;
    let client_cpu = per_sec(|u| u.client_cpu);
    let broker_cpu = per_sec(|u| u.broker_cpu);
    let how = match rate {
        None => "flat out".to_owned(),
        Some(r) => format!("at {r:.0}/s (latency from when each was due)"),
    };
    println!(
        "POST /v1/requests {how} — {} clients, keep-alive, auto-granted prod-k8s/view by {} \
         users, {:.1} s measured after {:.1} s warm-up:",
        cfg.clients,
        tokens.len(),
        secs,
        cfg.warmup.as_secs_f64()
    );
    let created = lat.len() - all.unsent;
    println!(
        "  throughput   {:.0} requests/s ({created} created, {} errors)",
        created as f64 / secs,
        all.errors
    );
    if all.unsent > 0 {
        println!(
            "  fell behind  {} due but never sent (in the latencies with their wait so far)",
            all.unsent
        );
    }
    println!(
        "  latency      p50 {:.1} ms · p90 {:.1} ms · p99 {:.1} ms · max {:.1} ms",
        ms(pct(&lat, 0.5)),
        ms(pct(&lat, 0.9)),
        ms(pct(&lat, 0.99)),
        ms(pct(&lat, 1.0))
    );
    println!(
        "  CPU          broker {broker_cpu:.2} cores · load client {client_cpu:.2} cores \
         ({:.0}% of the busy time) · {} cores here",
        100.0 * client_cpu / (client_cpu + broker_cpu).max(f64::EPSILON),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "  CPU wait     runnable but waiting for a core, summed over threads: broker {:.2} s/s \
         · load client {:.2} s/s",
        per_sec(|u| u.broker_wait),
        per_sec(|u| u.client_wait)
    );
    if let Some(e) = all.first_error {
        println!("  first error  {e}");
    }
    Ok(())
}

/// Create a pending request as alice, long-poll it, have bob approve it: how long after the
/// approval the long-poll answers.
async fn wakeups(t: &TestBroker, n: usize) -> Result<(), String> {
    let url = t.url.clone();
    let (alice, bob) = (t.token("alice"), t.token("bob"));
    let (poller, approver) = (reqwest::Client::new(), reqwest::Client::new());
    let mut after_sent = Vec::with_capacity(n);
    // Signed: the long-poll may answer before the approval's own response arrives.
    let mut after_answer: Vec<f64> = Vec::with_capacity(n);
    for _ in 0..n {
        let created = t.create("alice", "prod-k8s", "edit", 600).await;
        if created.status != 201 || created.body["state"] != "pending" {
            return Err(format!("create: {} {}", created.status, created.body));
        }
        let id = created.id();
        let poll = {
            let (http, url, alice, id) = (poller.clone(), url.clone(), alice.clone(), id.clone());
            tokio::spawn(async move {
                let r = http
                    .get(format!("{url}/v1/requests/{id}?wait=30s"))
                    .bearer_auth(alice)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let body = r.text().await.map_err(|e| e.to_string())?;
                Ok::<_, String>((Instant::now(), body))
            })
        };
        // Let the long-poll reach its wait (if it has not, it reads `approved` at once).
        tokio::time::sleep(Duration::from_millis(20)).await;
        let sent = Instant::now();
        let r = approver
            .post(format!("{url}/v1/requests/{id}/approve"))
            .bearer_auth(&bob)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let answered = Instant::now();
        if r.status() != 200 {
            return Err(format!("approve: {}", r.status()));
        }
        let (woke, body) = poll.await.map_err(|e| e.to_string())??;
        if !body.contains(r#""state":"approved""#) {
            return Err(format!("long-poll answered {body}"));
        }
        after_sent.push(woke - sent);
        after_answer.push(if woke >= answered {
            ms(woke - answered)
        } else {
            -ms(answered - woke)
        });
    }
    after_sent.sort_unstable();
    after_answer.sort_unstable_by(f64::total_cmp);
    let q = |v: &[f64], q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    println!("long-poll wake-up — {n} approvals, broker otherwise idle:");
    println!(
        "  after the approve response   median {:.2} ms · p99 {:.2} ms · max {:.2} ms \
         (negative: the long-poll answered first)",
        q(&after_answer, 0.5),
        q(&after_answer, 0.99),
        q(&after_answer, 1.0)
    );
    println!(
        "  after the approve was sent   median {:.2} ms · p99 {:.2} ms · max {:.2} ms",
        ms(pct(&after_sent, 0.5)),
        ms(pct(&after_sent, 0.99)),
        ms(pct(&after_sent, 1.0))
    );
    Ok(())
}

fn main() -> Result<(), String> {
    // `cargo test --all-targets` runs this binary without `--bench`: a short smoke run.
    let full = std::env::args().any(|a| a == "--bench");
    let cfg = Config::from_env(full)?;
    let broker_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(BROKER_THREADS)
        .build()
        .map_err(|e| e.to_string())?;
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(CLIENT_THREADS)
        .build()
        .map_err(|e| e.to_string())?;
    let store_url = std::env::var("ZT_BENCH_STORE_URL").ok();
    let t = broker_rt.block_on(async {
        match &store_url {
            Some(url) => TestBroker::start_on_postgres(url).await,
            None => TestBroker::start().await,
        }
    });
    let tokens: Vec<String> = REQUESTERS.iter().map(|u| t.token(u)).collect();
    let store = if store_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("== zt-broker load: {store} store, dev wiring, {} ==", t.url);
    client_rt.block_on(load(&t.url, &tokens, &cfg, None))?;
    if cfg.rate > 0.0 {
        client_rt.block_on(load(&t.url, &tokens, &cfg, Some(cfg.rate)))?;
    }
    if cfg.wakeups > 0 {
        client_rt.block_on(wakeups(&t, cfg.wakeups))?;
    }
    let verified = broker_rt.block_on(t.broker.store.verify_audit_chain())?;
    println!("audit chain: {verified} rows, verified");
    broker_rt.block_on(t.stop());
    Ok(())
}
