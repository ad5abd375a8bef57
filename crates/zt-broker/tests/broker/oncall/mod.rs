//! On-call schedules through the broker's HTTP API, on SQLite and PostgreSQL: feeds served on
//! loopback (PagerDuty- and Opsgenie-shaped, `tests/fixtures/oncall/`), read with a
//! [`ManualClock`] moved across the 2030-01-08 09:00Z hand-over — no sleeps. Before it alice is
//! on call for `primary` and granted at once, after it bob is; approval is routed to whoever is
//! on call for `sre-lead` when they approve; a malformed feed keeps the last good data, a stale
//! one puts nobody on call, each audited once.

mod feed;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;
use zt_api::Timestamp;
use zt_broker::oncall::clock::ManualClock;
use zt_broker::oncall::refresh::Outcome;
use zt_broker::oncall::{OnCall, Settings, Source};
use zt_testkit::broker::TestBroker;
use zt_testkit::pg::TestPg;

use feed::FeedServer;

const PAGERDUTY: &str = include_str!("../../../../../tests/fixtures/oncall/pagerduty-primary.ics");
const OPSGENIE: &str = include_str!("../../../../../tests/fixtures/oncall/opsgenie-sre-lead.ics");

/// 2030-01-08T09:00:00Z: primary hands over from alice to bob.
const HANDOVER: i64 = 1_893_456_000 + 7 * 86_400 + 9 * 3600;

const POLICIES: &str = r#"
@id("oncall-primary-grants")
@outcome("grant")
permit (principal, action == Action::"request", resource)
when { context.oncall.contains("primary") };

@id("approval-by-oncall-lead")
@outcome("approval")
@approvers("oncall:sre-lead")
permit (principal in Group::"engineering", action == Action::"request", resource);
"#;

struct World {
    t: TestBroker,
    clock: Arc<ManualClock>,
    oncall: Arc<OnCall>,
    primary: FeedServer,
    lead: FeedServer,
    _policies: TempDir,
}

async fn world(pg: Option<&TestPg>) -> World {
    let policies = tempfile::tempdir().unwrap();
    std::fs::write(policies.path().join("oncall.cedar"), POLICIES).unwrap();
    let t = TestBroker::start_with(
        tempfile::tempdir().unwrap(),
        Some(policies.path().to_owned()),
        None,
        pg.map(|pg| pg.superuser_url("postgres")),
    )
    .await;
    let (primary, lead) = (
        FeedServer::start(PAGERDUTY).await,
        FeedServer::start(OPSGENIE).await,
    );
    let schedule = |name: &str, url: &str| {
        let mut s = Settings::new(name, Source::Url(url.parse().unwrap()));
        s.stale_after = Duration::from_secs(3600);
        s
    };
    let clock = Arc::new(ManualClock::new(Timestamp(HANDOVER - 30)));
    let oncall = OnCall::new(
        vec![
            schedule("primary", &primary.url),
            schedule("sre-lead", &lead.url),
        ],
        clock.clone(),
    );
    t.broker.set_oncall(oncall.clone());
    assert_eq!(
        oncall.refresh_all(&t.broker.store).await,
        [Outcome::Read(2), Outcome::Read(2)]
    );
    World {
        t,
        clock,
        oncall,
        primary,
        lead,
        _policies: policies,
    }
}

impl World {
    /// The state of a new prod-k8s/view request by `user`.
    async fn asks(&self, user: &str) -> (String, Value) {
        let r = self.t.create(user, "prod-k8s", "view", 600).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        (r.id(), r.body)
    }

    async fn groups(&self, user: &str) -> Vec<String> {
        let me = self.t.get(user, "/v1/me").await;
        serde_json::from_value(me.body["groups"].clone()).unwrap()
    }

    async fn audited(&self, action: &str) -> Vec<String> {
        let r = self
            .t
            .get("root", &format!("/v1/audit?action={action}"))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["detail"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn refresh(&self) -> Vec<Outcome> {
        self.oncall.refresh_all(&self.t.broker.store).await
    }
}

async fn across_the_handover(w: &World) {
    // 08:59:30: alice is on call for primary (granted at once), bob is not (pending, for
    // whoever is on call for sre-lead).
    assert!(
        w.groups("alice")
            .await
            .contains(&"oncall:primary".to_string())
    );
    let (_, a) = w.asks("alice").await;
    assert_eq!(a["state"], "approved", "{a}");
    assert_eq!(a["decision"]["policy_ids"][0], "oncall-primary-grants");
    let (_, b) = w.asks("bob").await;
    assert_eq!(b["state"], "pending", "{b}");
    assert_eq!(
        b["decision"]["approver_groups"],
        serde_json::json!(["oncall:sre-lead"])
    );

    // 09:00:30: the other way round — the same data, only the clock moved.
    w.clock.advance(60);
    let (late, a) = w.asks("alice").await;
    assert_eq!(a["state"], "pending", "{a}");
    let (_, b) = w.asks("bob").await;
    assert_eq!(b["state"], "approved", "{b}");
    assert!(
        !w.groups("alice")
            .await
            .iter()
            .any(|g| g.starts_with("oncall:"))
    );

    // Approval goes to whoever is on call for sre-lead now: bob (since 2030-01-08 00:00), not
    // dave, although dave is an SRE lead and was on call until midnight.
    assert_eq!(
        w.groups("bob").await,
        [
            "engineering",
            "sre-leads",
            "oncall:primary",
            "oncall:sre-lead"
        ]
    );
    let r =
        w.t.post("dave", &format!("/v1/requests/{late}/approve"), None)
            .await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("oncall:sre-lead"),
        "{:?}",
        r.body
    );
    let r =
        w.t.post("bob", &format!("/v1/requests/{late}/approve"), None)
            .await;
    assert_eq!(
        (r.status, r.body["state"].as_str()),
        (200, Some("approved")),
        "{:?}",
        r.body
    );
    // Back before midnight, dave would have been the one.
    w.clock.set(Timestamp(HANDOVER - 9 * 3600 - 60));
    assert!(
        w.groups("dave")
            .await
            .contains(&"oncall:sre-lead".to_string())
    );

    // The feeds did not change: the next refresh is a conditional GET answered 304.
    assert_eq!(w.refresh().await, [Outcome::Unchanged, Outcome::Unchanged]);
    assert_eq!(w.primary.counts(), (1, 1));
    assert_eq!(w.lead.counts(), (1, 1));
}

#[tokio::test]
async fn the_handover_moves_auto_approval_and_approval_with_the_clock_sqlite() {
    let w = world(None).await;
    across_the_handover(&w).await;
    w.t.stop().await;
}

#[tokio::test]
async fn the_handover_moves_auto_approval_and_approval_with_the_clock_postgres() {
    let Some(pg) = TestPg::start() else { return };
    let w = world(Some(&pg)).await;
    across_the_handover(&w).await;
    w.t.stop().await;
}

async fn malformed_then_stale_then_fresh(w: &World) {
    // Hours before the hand-over (alice on call throughout), the data fetched now.
    w.clock.set(Timestamp(HANDOVER - 3 * 3600));
    assert_eq!(w.refresh().await, [Outcome::Unchanged, Outcome::Unchanged]);
    assert_eq!(w.asks("alice").await.1["state"], "approved");

    // A malformed feed: refused with its line, the last good data stays; audited once.
    w.primary
        .set(&PAGERDUTY.replace("DTSTART;VALUE=DATE-TIME:20300101T090000Z", "DTSTART:soon"));
    let out = w.refresh().await;
    let Outcome::Failed(why) = &out[0] else {
        panic!("{out:?}")
    };
    assert!(why.contains("line 8: DTSTART: \"soon\" is not"), "{why}");
    assert_eq!(
        w.asks("alice").await.1["state"],
        "approved",
        "the last good data stays"
    );
    w.primary.fail(503);
    assert!(matches!(&w.refresh().await[0], Outcome::Failed(e) if e.contains("503")));
    let failed = w.audited("oncall.refresh.failed").await;
    assert_eq!(failed.len(), 1, "once per failing spell: {failed:?}");
    assert!(
        failed[0].contains("schedule primary (http://127.0.0.1/…)"),
        "{failed:?}"
    );
    assert!(failed[0].contains("stays in use"), "{failed:?}");
    assert!(w.audited("oncall.stale").await.is_empty());

    // Past stale_after without a good fetch: nobody is on call for primary; audited once.
    w.clock.advance(3601);
    w.refresh().await;
    w.refresh().await;
    assert_eq!(
        w.asks("alice").await.1["state"],
        "pending",
        "stale data counts as not on call"
    );
    assert!(
        !w.groups("alice")
            .await
            .contains(&"oncall:primary".to_string())
    );
    let stale = w.audited("oncall.stale").await;
    assert_eq!(stale.len(), 1, "{stale:?}");
    assert!(
        stale[0].contains("schedule primary") && stale[0].contains("nobody counts as on call"),
        "{stale:?}"
    );
    // sre-lead kept being fetched (a 304 is fresh data): not stale.
    assert!(
        w.oncall
            .schedule("sre-lead")
            .unwrap()
            .is_fresh(w.clock_now())
    );

    // The feed is back: fresh again, audited once.
    w.primary.set(PAGERDUTY);
    assert_eq!(w.refresh().await[0], Outcome::Read(2));
    assert_eq!(w.asks("alice").await.1["state"], "approved");
    assert_eq!(w.audited("oncall.fresh").await.len(), 1);
    w.refresh().await;
    assert_eq!(w.audited("oncall.fresh").await.len(), 1);
    assert_eq!(w.audited("oncall.refresh.failed").await.len(), 1);
}

impl World {
    fn clock_now(&self) -> Timestamp {
        self.oncall.now()
    }
}

#[tokio::test]
async fn a_malformed_feed_keeps_the_last_good_data_and_a_stale_one_is_nobody_sqlite() {
    let w = world(None).await;
    malformed_then_stale_then_fresh(&w).await;
    w.t.stop().await;
}

#[tokio::test]
async fn a_malformed_feed_keeps_the_last_good_data_and_a_stale_one_is_nobody_postgres() {
    let Some(pg) = TestPg::start() else { return };
    let w = world(Some(&pg)).await;
    malformed_then_stale_then_fresh(&w).await;
    w.t.stop().await;
}
