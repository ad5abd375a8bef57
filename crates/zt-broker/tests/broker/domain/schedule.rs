//! When a grant's clock starts (issue 16), on a whole broker over real HTTP, each test on
//! SQLite and on a throwaway PostgreSQL: a scheduled grant's window and the credential refused
//! before its start; starts in the past or too far ahead refused; a first-use grant's
//! connection-only answer, its claim (once, however many fetch at once, and across two
//! replicas), and its lapse by the reaper, audited.

use std::time::Duration;

use serde_json::{Value, json};
use zt_api::{State, Timestamp};
use zt_broker::store::{AuditEntry, Claimed, Store};
use zt_testkit::broker::TestBroker;
use zt_testkit::pg::TestPg;

/// A catalog with a first-use role alice gets at once, and an ordinary one.
const CATALOG: &str = r#"
[[resource]]
name = "fu-k8s"
kind = "kubernetes"
default_role = "view"
max_ttl = "2h"
requester_groups = ["engineering"]

[[resource.role]]
name = "view"
auto_approve_groups = ["engineering"]
activation = "first_use"

[[resource.role]]
name = "edit"
approver_groups = ["sre-leads"]
activation = "first_use"

[[resource]]
name = "plain-k8s"
kind = "kubernetes"
default_role = "view"
max_ttl = "2h"
requester_groups = ["engineering"]

[[resource.role]]
name = "view"
auto_approve_groups = ["engineering"]

[[resource.role]]
name = "edit"
approver_groups = ["sre-leads"]
"#;

/// The broker under test, on SQLite or PostgreSQL (kept alive beside it).
struct On {
    t: TestBroker,
    _pg: Option<TestPg>,
    _dir: tempfile::TempDir,
}

async fn broker(pg: bool) -> Option<On> {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("catalog.toml");
    std::fs::write(&catalog, CATALOG).unwrap();
    let (pg, url) = if pg {
        let pg = TestPg::start()?;
        let url = pg.superuser_url("postgres");
        (Some(pg), Some(url))
    } else {
        (None, None)
    };
    let t = TestBroker::start_custom(Some(&catalog), url.as_deref()).await;
    Some(On {
        t,
        _pg: pg,
        _dir: dir,
    })
}

/// Each test on both stores.
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let on = super::broker(false).await.unwrap();
                super::$name(&on.t).await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(on) = super::broker(true).await else {
                    return;
                };
                super::$name(&on.t).await;
            }
        }
    )*};
}

both!(
    a_scheduled_grant_opens_at_its_start_and_refuses_credentials_before,
    a_scheduled_grant_approved_later_still_opens_at_its_start,
    starts_in_the_past_or_beyond_the_horizon_are_refused,
    a_first_use_grant_starts_at_its_first_fetch_once,
    an_unclaimed_first_use_grant_lapses_audited,
    concurrent_first_fetches_start_the_clock_once,
);

async fn create(
    t: &TestBroker,
    resource: &str,
    role: &str,
    ttl: u64,
    start: Option<Timestamp>,
) -> zt_testkit::broker::Resp {
    let mut body = json!({"resource": resource, "role": role, "ttl_secs": ttl, "reason": "test"});
    if let Some(s) = start {
        body["start_at"] = json!(s);
    }
    let key = zt_broker::crypto::new_id().unwrap();
    t.send(
        Some("alice"),
        reqwest::Method::POST,
        "/v1/requests",
        Some(body),
        Some(&key),
    )
    .await
}

fn ts(v: &Value) -> Timestamp {
    Timestamp::parse_rfc3339(v.as_str().unwrap_or_else(|| panic!("no time: {v}"))).unwrap()
}

async fn credentials(t: &TestBroker, id: &str, body: Option<Value>) -> zt_testkit::broker::Resp {
    t.post("alice", &format!("/v1/grants/{id}/credentials"), body)
        .await
}

async fn actions(t: &TestBroker, id: &str) -> Vec<(String, String)> {
    let rows = t.broker.store.audit_rows(0, 1000).await.unwrap();
    rows.into_iter()
        .filter(|r| r.entry.request_id.as_deref() == Some(id))
        .map(|r| (r.entry.action, r.entry.detail))
        .collect()
}

async fn wait_until(at: Timestamp) {
    let ms = (at.0 - Timestamp::now().0).max(0) * 1000 + 150;
    tokio::time::sleep(Duration::from_millis(ms as u64)).await;
}

async fn a_scheduled_grant_opens_at_its_start_and_refuses_credentials_before(t: &TestBroker) {
    let start = Timestamp::now().add_secs(2);
    let r = create(t, "plain-k8s", "view", 600, Some(start)).await;
    assert_eq!(
        (r.status, r.body["state"].as_str()),
        (201, Some("approved")),
        "{:?}",
        r.body
    );
    assert_eq!(ts(&r.body["start_at"]), start);
    assert_eq!(ts(&r.body["not_before"]), start);
    assert_eq!(ts(&r.body["expires_at"]), start.add_secs(600));
    assert_eq!(r.body["activation"], "scheduled");
    assert!(r.body.get("claim_by").is_none());
    let id = r.id();
    let early = credentials(t, &id, None).await;
    assert_eq!(
        (early.status, early.slug()),
        (409, "grant-not-started"),
        "{:?}",
        early.body
    );
    let detail = early.body["detail"].as_str().unwrap();
    assert!(detail.contains(&start.to_string()), "{detail}");
    // The request reads back as written, the audit row says when it starts.
    let got = t.get("alice", &format!("/v1/requests/{id}")).await;
    assert_eq!(got.body["activation"], "scheduled");
    let audit = actions(t, &id).await;
    assert!(
        audit
            .iter()
            .any(|(a, d)| a == "request.create" && d.contains("starts at")),
        "{audit:?}"
    );
    wait_until(start).await;
    let now = credentials(t, &id, None).await;
    assert_eq!(now.status, 200, "{:?}", now.body);
    let rec = t.broker.store.get(&id).await.unwrap();
    assert_eq!(rec.state(), State::Active);
    assert_eq!(rec.request.expires_at, Some(start.add_secs(600)));
}

async fn a_scheduled_grant_approved_later_still_opens_at_its_start(t: &TestBroker) {
    let start = Timestamp::now().add_secs(3600);
    let r = create(t, "plain-k8s", "edit", 900, Some(start)).await;
    assert_eq!(r.body["state"], "pending", "{:?}", r.body);
    let id = r.id();
    let a = t
        .post("bob", &format!("/v1/requests/{id}/approve"), None)
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(ts(&a.body["not_before"]), start);
    assert_eq!(ts(&a.body["expires_at"]), start.add_secs(900));
    assert_eq!(credentials(t, &id, None).await.slug(), "grant-not-started");
    // No TTL runs yet to extend.
    let x = t
        .post(
            "alice",
            &format!("/v1/grants/{id}/extend"),
            Some(json!({"ttl_secs": 600})),
        )
        .await;
    assert_eq!((x.status, x.slug()), (409, "conflict"), "{:?}", x.body);
    // Revoked before it starts: it never does.
    let rv = t
        .post("alice", &format!("/v1/grants/{id}/revoke"), None)
        .await;
    assert_eq!(rv.status, 200, "{:?}", rv.body);
    assert_eq!(credentials(t, &id, None).await.slug(), "grant-not-live");
}

async fn starts_in_the_past_or_beyond_the_horizon_are_refused(t: &TestBroker) {
    let past = create(
        t,
        "plain-k8s",
        "view",
        600,
        Some(Timestamp::now().add_secs(-3600)),
    )
    .await;
    assert_eq!(
        (past.status, past.slug()),
        (422, "invalid-start"),
        "{:?}",
        past.body
    );
    assert!(
        past.body["detail"]
            .as_str()
            .unwrap()
            .contains("in the past")
    );
    t.broker
        .schedule
        .set(Duration::from_secs(3600), Duration::from_secs(86_400));
    let far = create(
        t,
        "plain-k8s",
        "view",
        600,
        Some(Timestamp::now().add_secs(2 * 86_400)),
    )
    .await;
    assert_eq!(
        (far.status, far.slug()),
        (422, "invalid-start"),
        "{:?}",
        far.body
    );
    assert!(far.body["detail"].as_str().unwrap().contains("ahead"));
    let bad = t
        .send(
            Some("alice"),
            reqwest::Method::POST,
            "/v1/requests",
            Some(json!({"resource": "plain-k8s", "ttl_secs": 60, "start_at": "at two"})),
            Some("k-bad-start"),
        )
        .await;
    assert_eq!(bad.status, 400, "{:?}", bad.body);
    // Nothing was made by any of them.
    let mine = t.get("alice", "/v1/requests?requester=me").await;
    assert_eq!(
        mine.body["requests"].as_array().unwrap().len(),
        0,
        "{:?}",
        mine.body
    );
}

async fn a_first_use_grant_starts_at_its_first_fetch_once(t: &TestBroker) {
    let r = create(t, "fu-k8s", "view", 1200, None).await;
    assert_eq!(r.body["state"], "approved", "{:?}", r.body);
    assert_eq!(r.body["activation"], "first_use");
    let claim_by = ts(&r.body["claim_by"]);
    assert_eq!(ts(&r.body["expires_at"]), claim_by);
    assert!((claim_by.0 - Timestamp::now().0 - 3600).abs() <= 2);
    let id = r.id();
    // Where it will connect, without starting it.
    let c = credentials(t, &id, Some(json!({"connection_only": true}))).await;
    assert_eq!(c.status, 200, "{:?}", c.body);
    assert_eq!(c.body["token"], "");
    assert!(c.body["server"].as_str().unwrap().starts_with("https://"));
    let rec = t.broker.store.get(&id).await.unwrap();
    assert!(rec.request.is_unclaimed());
    // Extending a grant whose TTL has not started is refused.
    let x = t
        .post(
            "alice",
            &format!("/v1/grants/{id}/extend"),
            Some(json!({"ttl_secs": 600})),
        )
        .await;
    assert_eq!(x.status, 409, "{:?}", x.body);
    // The first fetch claims it: its TTL runs from now.
    let before = Timestamp::now();
    let c = credentials(t, &id, None).await;
    assert_eq!(c.status, 200, "{:?}", c.body);
    assert!(!c.body["token"].as_str().unwrap().is_empty());
    let rec = t.broker.store.get(&id).await.unwrap();
    assert_eq!(rec.state(), State::Active);
    assert!(rec.request.claim_by.is_none());
    let nb = rec.request.not_before.unwrap();
    assert!(nb >= before && nb.0 <= Timestamp::now().0);
    assert_eq!(rec.request.expires_at, Some(nb.add_secs(1200)));
    // A second fetch does not move it.
    assert_eq!(credentials(t, &id, None).await.status, 200);
    assert_eq!(
        t.broker.store.get(&id).await.unwrap().request.not_before,
        Some(nb)
    );
    let claims = actions(t, &id)
        .await
        .into_iter()
        .filter(|(a, _)| a == "grant.claimed")
        .count();
    assert_eq!(claims, 1);
}

async fn an_unclaimed_first_use_grant_lapses_audited(t: &TestBroker) {
    t.broker
        .schedule
        .set(Duration::from_secs(2), Duration::from_secs(86_400));
    let r = create(t, "fu-k8s", "edit", 600, None).await;
    let id = r.id();
    let a = t
        .post("bob", &format!("/v1/requests/{id}/approve"), None)
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let claim_by = ts(&a.body["claim_by"]);
    wait_until(claim_by).await;
    for _ in 0..100 {
        if t.broker.store.get(&id).await.unwrap().state() == State::Expired {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        t.broker.store.get(&id).await.unwrap().state(),
        State::Expired
    );
    let audit = actions(t, &id).await;
    assert!(audit.iter().any(|(a, _)| a == "grant.lapsed"), "{audit:?}");
    assert!(
        !audit
            .iter()
            .any(|(a, _)| a == "grant.claimed" || a == "grant.expire")
    );
    let late = credentials(t, &id, None).await;
    assert_eq!(
        (late.status, late.slug()),
        (410, "grant-not-live"),
        "{:?}",
        late.body
    );
}

async fn concurrent_first_fetches_start_the_clock_once(t: &TestBroker) {
    let r = create(t, "fu-k8s", "view", 600, None).await;
    let id = r.id();
    let mut fetches = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let (url, token) = (
            format!("{}/v1/grants/{id}/credentials", t.url),
            t.token("alice"),
        );
        fetches.spawn(async move {
            let r = reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .json(&json!({}));
            r.send().await.unwrap().status().as_u16()
        });
    }
    while let Some(status) = fetches.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    let claims = actions(t, &id)
        .await
        .into_iter()
        .filter(|(a, _)| a == "grant.claimed")
        .count();
    assert_eq!(claims, 1);
    // The store's claim itself, raced directly: one wins, the others see it claimed.
    let r = create(t, "fu-k8s", "view", 600, None).await;
    let id = r.id();
    let s = &t.broker.store;
    let now = Timestamp::now();
    let mut tries = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (s, id) = (s.clone(), id.clone());
        tries.spawn(async move {
            let audit = AuditEntry::new("t", "grant.claimed", Some(&id));
            matches!(s.claim(&id, now, audit).await.unwrap(), Claimed::Now(_))
        });
    }
    let mut won = 0;
    while let Some(w) = tries.join_next().await {
        won += usize::from(w.unwrap());
    }
    assert_eq!(won, 1);
    // After its claim, a lapse is refused: it is in use.
    let late = now.add_secs(7200);
    assert!(
        s.lapse(&id, late, AuditEntry::new("t", "grant.lapsed", Some(&id)))
            .await
            .unwrap()
            .is_none()
    );
}

/// Two replicas on one PostgreSQL database claim the same grant at once: one clock start.
#[tokio::test]
async fn two_replicas_claim_a_first_use_grant_once() {
    let Some(on) = broker(true).await else {
        return;
    };
    let pg = on._pg.as_ref().unwrap();
    let key = zt_broker::store::StoreKey::from_bytes(&[0; zt_broker::store::KEY_LEN]).unwrap();
    // The second replica needs the first's key only to read credentials; claims need none.
    let b = Store::connect_postgres(&pg.superuser_url("postgres"), key)
        .await
        .unwrap();
    for _ in 0..5 {
        let id = create(&on.t, "fu-k8s", "view", 600, None).await.id();
        let now = Timestamp::now();
        let a =
            on.t.broker
                .store
                .claim(&id, now, AuditEntry::new("a", "grant.claimed", Some(&id)));
        let bb = b.claim(&id, now, AuditEntry::new("b", "grant.claimed", Some(&id)));
        let (x, y) = tokio::join!(a, bb);
        let won = [x.unwrap(), y.unwrap()]
            .iter()
            .filter(|c| matches!(c, Claimed::Now(_)))
            .count();
        assert_eq!(won, 1);
        let claims = actions(&on.t, &id)
            .await
            .into_iter()
            .filter(|(a, _)| a == "grant.claimed")
            .count();
        assert_eq!(claims, 1);
    }
    b.close().await;
}
