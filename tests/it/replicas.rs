//! Two `zt-broker serve` replicas on one real PostgreSQL database (Debian's server, started per
//! test), people signed in at a `zt-broker dev` whose OpenID provider both replicas trust:
//! - a request approved on one replica wakes a long-poll waiting on the other (LISTEN/NOTIFY);
//! - one replica SIGKILLed in the middle of a load of creates and credential calls: no request
//!   answered is lost or doubled (clients retry on the survivor with the same idempotency key),
//!   and every grant is still expired and its credential revoked exactly once;
//! - issue 16's stored kinds of request across the replicas: a bundle approved once on the
//!   other replica, a scheduled grant refused before its start, a first-use grant whose clock
//!   two replicas' first credential calls start once.
//!
//! The credentials come from the development issuers (real formats, nothing behind them): what
//! is under test is the broker's store, wake-ups, locks and reaper, not an issuer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::broker::Broker;
use crate::common::serve::{Login, PgStore, Replica, runtime};
use crate::common::{Home, Out, eventually};

/// The world: PostgreSQL with database `zt` owned by login role `zt`, the dev broker as the
/// OpenID provider, a config both replicas share, and a token for alice and one for bob.
struct World {
    pg: PgStore,
    _idp: Broker,
    home: Home,
    config: std::path::PathBuf,
    alice: String,
    bob: String,
}

fn world() -> Option<World> {
    let home = Home::new();
    let pg = PgStore::start(&home)?;
    let idp = Broker::start(&[]);
    let login = Login::discover(&idp.url);
    let alice = login.token("alice");
    let bob = login.token("bob");
    let config = home.path().join("broker.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[server]
listen = "127.0.0.1:0"

{store}
{login}
[[catalog.resource]]
name = "app-db"
kind = "postgres"
default_role = "readonly"
max_ttl = "1h"
requester_groups = ["engineering"]
settings = {{ issuer = "dev", host = "127.0.0.1", port = 5432, dbname = "app" }}

[[catalog.resource.role]]
name = "readonly"
auto_approve_groups = ["engineering"]

[[catalog.resource.role]]
name = "readwrite"
approver_groups = ["sre-leads"]

[[catalog.resource.role]]
name = "deploy"
auto_approve_groups = ["engineering"]
activation = "first_use"

[[catalog.resource]]
name = "app-cache"
kind = "postgres"
default_role = "readwrite"
max_ttl = "1h"
requester_groups = ["engineering"]
settings = {{ issuer = "dev", host = "127.0.0.1", port = 5432, dbname = "cache" }}

[[catalog.resource.role]]
name = "readwrite"
approver_groups = ["sre-leads"]
"#,
            store = pg.toml(),
            login = login.toml(),
        ),
    )
    .unwrap();
    Some(World {
        pg,
        _idp: idp,
        home,
        config,
        alice,
        bob,
    })
}

fn create_body(role: &str, ttl: u64) -> Value {
    json!({"resource": "app-db", "role": role, "ttl_secs": ttl, "reason": "replica test"})
}

impl World {
    /// Run SQL in database `zt`.
    fn sql(&self, sql: &str) -> String {
        self.pg.sql(sql)
    }

    fn count(&self, sql: &str) -> i64 {
        let out = self.sql(sql);
        out.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{sql}: {out:?}"))
    }
}

#[test]
fn a_grant_approved_on_one_replica_wakes_a_long_poll_on_the_other() {
    let Some(w) = world() else { return };
    let a = Replica::start(&w.home, &w.config, &w.pg.env());
    let b = Replica::start(&w.home, &w.config, &w.pg.env());
    let rt = runtime();
    let c = reqwest::Client::new();
    let created: Value = rt.block_on(async {
        let r = c
            .post(format!("{}/v1/requests", a.url))
            .bearer_auth(&w.alice)
            .header("Idempotency-Key", "wake-1")
            .json(&create_body("readwrite", 600))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.json().await.unwrap()
    });
    assert_eq!(created["state"], "pending", "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let started = Instant::now();
    let waiter = {
        let (c, url, token, id) = (c.clone(), b.url.clone(), w.alice.clone(), id.clone());
        rt.spawn(async move {
            let r: Value = c
                .get(format!("{url}/v1/requests/{id}?wait=30s"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (r, Instant::now())
        })
    };
    // Let the waiter reach replica B before the approval (ordering, not a time budget).
    std::thread::sleep(Duration::from_millis(500));
    let approved_at = rt.block_on(async {
        let r = c
            .post(format!("{}/v1/requests/{id}/approve", a.url))
            .bearer_auth(&w.bob)
            .json(&json!({"comment": "ok"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        Instant::now()
    });
    let (seen, woke_at) = rt.block_on(waiter).unwrap();
    assert_eq!(seen["state"], "approved", "{seen}");
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "the waiter on replica B ran into its 30 s wait instead of being woken"
    );
    eprintln!(
        "long-poll on replica B woke {:?} after the approval answered on replica A",
        woke_at.saturating_duration_since(approved_at)
    );

    // `zt-broker audit verify` on the shared database: intact, then the newest row deleted
    // by someone with access to the database (not the key) is named.
    let verify = || {
        Out::from(
            w.home
                .cmd(crate::common::broker_bin())
                .envs(w.pg.env())
                .args(["audit", "verify", "--config", w.config.to_str().unwrap()])
                .output()
                .unwrap(),
        )
    };
    verify().ok();
    w.sql("DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)");
    let out = verify();
    assert_eq!(out.code, 3, "{out:#?}");
    assert!(
        out.stderr.contains("were deleted: the signed head is row"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_replica_killed_mid_load_loses_no_request_and_every_grant_is_revoked_once() {
    let Some(w) = world() else { return };
    let mut a = Replica::start(&w.home, &w.config, &w.pg.env());
    let b = Replica::start(&w.home, &w.config, &w.pg.env());
    let urls = [a.url.clone(), b.url.clone()];
    let rt = runtime();
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    const WORKERS: usize = 8;
    const EACH: usize = 20;
    let done = Arc::new(AtomicUsize::new(0));
    let answered: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let minted: Arc<Mutex<Vec<String>>> = Arc::default();

    /// POST to `first`, and on a dead connection or a 5xx to the survivor, as a client would.
    async fn post(
        c: &reqwest::Client,
        urls: &[String; 2],
        first: usize,
        path: &str,
        token: &str,
        key: Option<&str>,
        body: &Value,
    ) -> Value {
        for attempt in 0..6 {
            let url = &urls[if attempt == 0 { first } else { 1 }];
            let mut req = c.post(format!("{url}{path}")).bearer_auth(token).json(body);
            if let Some(k) = key {
                req = req.header("Idempotency-Key", k);
            }
            match req.send().await {
                Ok(r) if r.status().is_success() => return r.json().await.unwrap(),
                Ok(r) if r.status().is_server_error() => {}
                Ok(r) => panic!("{path}: {} {}", r.status(), r.text().await.unwrap()),
                Err(_) => {}
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{path}: no replica answered");
    }

    rt.block_on(async {
        let mut tasks = Vec::new();
        for worker in 0..WORKERS {
            let (c, urls, token) = (c.clone(), urls.clone(), w.alice.clone());
            let (done, answered, minted) = (done.clone(), answered.clone(), minted.clone());
            tasks.push(tokio::spawn(async move {
                for i in 0..EACH {
                    let key = format!("w{worker}-{i}");
                    let first = (worker + i) % 2;
                    let r = post(
                        &c,
                        &urls,
                        first,
                        "/v1/requests",
                        &token,
                        Some(&key),
                        &create_body("readonly", 3),
                    )
                    .await;
                    let id = r["id"].as_str().unwrap().to_string();
                    answered.lock().unwrap().insert(key, id.clone());
                    if r["state"] == "approved" || r["state"] == "active" {
                        let path = format!("/v1/grants/{id}/credentials");
                        // A grant that already ended (3 s is short under load) answers 4xx:
                        // then there is nothing to mint, which is fine here.
                        let resp = c
                            .post(format!("{}{path}", urls[first]))
                            .bearer_auth(&token)
                            .send()
                            .await;
                        let ok = match resp {
                            Ok(r) if r.status().is_success() => true,
                            Ok(r) if r.status().is_client_error() => false,
                            _ => {
                                post(&c, &urls, 1, &path, &token, None, &json!({})).await;
                                true
                            }
                        };
                        if ok {
                            minted.lock().unwrap().push(id);
                        }
                    }
                    done.fetch_add(1, Ordering::SeqCst);
                }
            }));
        }
        // SIGKILL replica A a third of the way in, while requests are in flight on it.
        while done.load(Ordering::SeqCst) < WORKERS * EACH / 3 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        a.sigkill();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let answered = answered.lock().unwrap().clone();
    assert_eq!(answered.len(), WORKERS * EACH);

    // No request lost, none doubled: one row per idempotency key, each the id its client got.
    assert_eq!(
        w.count("SELECT count(*) FROM requests"),
        (WORKERS * EACH) as i64
    );
    for (key, id) in &answered {
        assert_eq!(
            w.sql(&format!(
                "SELECT id FROM requests WHERE idempotency_key = '{key}'"
            )),
            *id
        );
    }

    // Replica B's reaper ends every grant, A's included, and takes every credential back.
    let ended = eventually(Duration::from_secs(60), || {
        w.count("SELECT count(*) FROM requests WHERE state IN ('approved', 'active')") == 0
            && w.count("SELECT count(*) FROM credentials WHERE revoked_at IS NULL") == 0
    });
    assert!(
        ended.is_some(),
        "grants left: {}; credentials unrevoked: {}",
        w.sql("SELECT string_agg(id || ':' || state, ' ') FROM requests WHERE state IN ('approved', 'active')"),
        w.sql("SELECT string_agg(grant_id, ' ') FROM credentials WHERE revoked_at IS NULL"),
    );
    // Exactly once: one expiry and (per minted credential) one revocation per grant.
    let twice = |action: &str| {
        w.sql(&format!(
            "SELECT coalesce(string_agg(request_id, ' '), '') FROM (SELECT request_id FROM audit \
             WHERE action = '{action}' GROUP BY request_id HAVING count(*) > 1) AS t"
        ))
    };
    assert_eq!(twice("grant.expire"), "", "grants expired twice");
    assert_eq!(twice("credential.revoke"), "", "credentials revoked twice");
    // A revoked credential's row is gone; the audit log says which grants had one.
    assert_eq!(w.count("SELECT count(*) FROM credentials"), 0);
    let credentials =
        w.count("SELECT count(DISTINCT request_id) FROM audit WHERE action = 'credential.issue'");
    assert_eq!(
        w.count("SELECT count(*) FROM audit WHERE action = 'credential.revoke'"),
        credentials
    );
    assert!(
        credentials as usize >= minted.lock().unwrap().len() / 2,
        "few credentials were minted: the test did not test revocation"
    );
    eprintln!(
        "{} requests, {credentials} credentials minted and revoked once; replica A killed at {}",
        answered.len(),
        WORKERS * EACH / 3
    );
    drop(b);
}

/// One JSON call to a replica: (status, body).
async fn call(
    c: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = c.request(method, url).bearer_auth(token);
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[test]
fn bundles_scheduled_and_first_use_grants_hold_across_replicas() {
    use reqwest::Method;
    let Some(w) = world() else { return };
    let a = Replica::start(&w.home, &w.config, &w.pg.env());
    let b = Replica::start(&w.home, &w.config, &w.pg.env());
    let rt = runtime();
    let c = reqwest::Client::new();

    // A bundle made on A, approved once on B: both items approved, one audit row each.
    let body = json!({"items": [{"resource": "app-db", "role": "readwrite"},
        {"resource": "app-cache"}], "ttl_secs": 600, "reason": "INC-16"});
    let (st, bundle) = rt.block_on(call(
        &c,
        Method::POST,
        format!("{}/v1/bundles", a.url),
        &w.alice,
        Some("bundle-1"),
        Some(body),
    ));
    assert_eq!(st, 201, "{bundle}");
    let ids: Vec<String> = bundle["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let (st, r) = rt.block_on(call(
        &c,
        Method::POST,
        format!("{}/v1/requests/{}/approve", b.url, ids[1]),
        &w.bob,
        None,
        None,
    ));
    assert_eq!(st, 200, "{r}");
    let (st, seen) = rt.block_on(call(
        &c,
        Method::GET,
        format!("{}/v1/bundles/{}", a.url, bundle["id"].as_str().unwrap()),
        &w.alice,
        None,
        None,
    ));
    assert_eq!(st, 200, "{seen}");
    for r in seen["requests"].as_array().unwrap() {
        assert_eq!(r["state"], "approved", "{r}");
    }
    assert_eq!(
        w.count("SELECT COUNT(*) FROM audit WHERE action = 'request.approve'"),
        2
    );

    // A grant scheduled an hour ahead on A: B refuses its credential until then.
    let start = zt_api::Timestamp::now().add_secs(3600);
    let body = json!({"resource": "app-db", "role": "readonly", "ttl_secs": 600,
        "start_at": start});
    let (st, sched) = rt.block_on(call(
        &c,
        Method::POST,
        format!("{}/v1/requests", a.url),
        &w.alice,
        Some("sched-1"),
        Some(body),
    ));
    assert_eq!(st, 201, "{sched}");
    assert_eq!(
        (sched["state"].as_str(), sched["activation"].as_str()),
        (Some("approved"), Some("scheduled")),
        "{sched}"
    );
    assert_eq!(sched["not_before"], json!(start));
    let (st, r) = rt.block_on(call(
        &c,
        Method::POST,
        format!(
            "{}/v1/grants/{}/credentials",
            b.url,
            sched["id"].as_str().unwrap()
        ),
        &w.alice,
        None,
        None,
    ));
    assert_eq!(
        (st, r["type"].as_str()),
        (409, Some("https://zt.dev/problems/grant-not-started")),
        "{r}"
    );

    // A first-use grant: its first credential calls, on both replicas at once, start its
    // clock once (one grant.claimed row), and it then ends ttl after that claim.
    let body = json!({"resource": "app-db", "role": "deploy", "ttl_secs": 600});
    let (st, fu) = rt.block_on(call(
        &c,
        Method::POST,
        format!("{}/v1/requests", a.url),
        &w.alice,
        Some("first-use-1"),
        Some(body),
    ));
    assert_eq!(st, 201, "{fu}");
    assert_eq!(fu["activation"], "first_use", "{fu}");
    assert!(fu["claim_by"].is_string(), "{fu}");
    let id = fu["id"].as_str().unwrap().to_owned();
    let answers = rt.block_on(async {
        let one = call(
            &c,
            Method::POST,
            format!("{}/v1/grants/{id}/credentials", a.url),
            &w.alice,
            None,
            None,
        );
        let two = call(
            &c,
            Method::POST,
            format!("{}/v1/grants/{id}/credentials", b.url),
            &w.alice,
            None,
            None,
        );
        tokio::join!(one, two)
    });
    assert_eq!((answers.0.0, answers.1.0), (200, 200), "{answers:?}");
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM audit WHERE action = 'grant.claimed' AND request_id = '{id}'"
        )),
        1
    );
    let (_, now) = rt.block_on(call(
        &c,
        Method::GET,
        format!("{}/v1/requests/{id}", b.url),
        &w.alice,
        None,
        None,
    ));
    assert!(now["claim_by"].is_null(), "{now}");
    let end = zt_api::Timestamp::parse_rfc3339(now["expires_at"].as_str().unwrap()).unwrap();
    assert!(
        (end.0 - zt_api::Timestamp::now().0 - 600).abs() <= 30,
        "{now}"
    );
}
