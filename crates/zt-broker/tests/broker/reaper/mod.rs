//! Integration tests of `src/reaper`: on the dev broker, grants expire on time and their
//! credentials are revoked, across a restart too; [`review`]: pending requests nobody decided
//! expire at the end of the review window.

use std::time::{Duration, Instant};

use zt_api::State;
use zt_broker::reaper::ACTOR;
use zt_testkit::broker::TestBroker;

mod review;

async fn wait_for_state(t: &TestBroker, id: &str, state: State, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let rec = t.broker.store.get(id).await.unwrap();
        if rec.state() == state {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "{id} still {} after {within:?}",
            rec.state()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_two_second_grant_expires_on_time_and_its_credential_is_revoked() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-k8s", "view", 2).await.id();
    assert_eq!(
        t.post("alice", &format!("/v1/grants/{id}/credentials"), None)
            .await
            .status,
        200
    );
    let rec = t.broker.store.get(&id).await.unwrap();
    let took = wait_for_state(&t, &id, State::Expired, Duration::from_secs(5)).await;
    let late = zt_api::Timestamp::now().0 - rec.request.expires_at.unwrap().0;
    eprintln!("expired {took:?} after the credential call, {late}s after expires_at");
    assert!(late <= 1, "expired {late}s late");
    // The credential is revoked at its target right after.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!t.broker.store.has_unrevoked_credential(&id).await.unwrap());
    let rows = t.broker.store.audit_rows(0, 100).await.unwrap();
    assert!(
        rows.iter()
            .any(|r| r.entry.action == "grant.expire" && r.entry.actor == ACTOR)
    );
    assert!(rows.iter().any(|r| r.entry.action == "credential.revoke"));
}

#[tokio::test]
async fn a_pending_expiry_survives_a_restart() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-db", "readonly", 3).await.id();
    assert_eq!(
        t.post("alice", &format!("/v1/grants/{id}/credentials"), None)
            .await
            .status,
        200
    );
    let dir = t.stop().await;
    // A new store and reaper on the same SQLite file, nothing carried in memory.
    let t = TestBroker::start_in(dir).await;
    assert_eq!(
        t.broker.store.get(&id).await.unwrap().state(),
        State::Active
    );
    wait_for_state(&t, &id, State::Expired, Duration::from_secs(6)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!t.broker.store.has_unrevoked_credential(&id).await.unwrap());
    // The dev IdP key survived too: the same user's token still verifies.
    assert_eq!(t.get("alice", "/v1/me").await.status, 200);
}

#[tokio::test]
async fn grants_that_expired_while_down_are_expired_at_start() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-k8s", "view", 1).await.id();
    let dir = t.stop().await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let t = TestBroker::start_in(dir).await;
    wait_for_state(&t, &id, State::Expired, Duration::from_secs(2)).await;
}
