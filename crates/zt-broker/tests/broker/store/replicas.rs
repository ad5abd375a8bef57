//! Two stores on one PostgreSQL database, as two `serve` replicas have: change events reach
//! the other replica on commit (and only then), grant locks and the reaper's lease exclude
//! across replicas and free themselves when their holder goes, and concurrent writers on both
//! keep one unbroken audit chain.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use super::{audit, outside, postgres, record, test_key};
use zt_api::State;
use zt_broker::store::events::Events;
use zt_broker::store::{AuditEntry, Change, Store};
use zt_testkit::pg::TestPg;

/// Replica A (the returned pair's store) and replica B, a second store on the same database.
async fn two_replicas() -> Option<(TestPg, Store, Store)> {
    let (pg, a) = postgres().await?;
    let b = Store::connect_postgres(&pg.superuser_url("postgres"), test_key())
        .await
        .unwrap();
    Some((pg, a, b))
}

/// The ids B's listener has seen so far, and a way to wait for one.
struct Seen {
    ids: Arc<Mutex<Vec<Option<String>>>>,
    _stop: watch::Sender<bool>,
}

impl Seen {
    async fn listen(store: &Store) -> Self {
        let events = Events::listen(store)
            .await
            .unwrap()
            .expect("postgres listens");
        let ids = Arc::new(Mutex::new(Vec::new()));
        let (stop, closing) = watch::channel(false);
        let sink = Arc::clone(&ids);
        tokio::spawn(async move {
            events
                .run(
                    move |id| sink.lock().unwrap().push(id.map(str::to_owned)),
                    closing,
                )
                .await;
        });
        Self { ids, _stop: stop }
    }

    async fn wait_for(&self, id: &str) {
        for _ in 0..500 {
            if self.has(id) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no event for {id}: {:?}", self.ids.lock().unwrap());
    }

    fn has(&self, id: &str) -> bool {
        self.ids
            .lock()
            .unwrap()
            .iter()
            .any(|x| x.as_deref() == Some(id))
    }
}

#[tokio::test]
async fn a_change_on_one_replica_wakes_the_other_on_commit_only() {
    let Some((_pg, a, b)) = two_replicas().await else {
        return;
    };
    assert!(
        Events::listen(&super::sqlite().await.1)
            .await
            .unwrap()
            .is_none()
    );
    let seen = Seen::listen(&b).await;
    let create = |id: &str| AuditEntry::new("tester", "request.create", Some(id));
    a.insert_request(&record("r1", "k1", State::Pending), create("r1"))
        .await
        .unwrap();
    seen.wait_for("r1").await;
    a.transition(
        "r1",
        State::Pending,
        State::Approved,
        Change::default(),
        AuditEntry::new("tester", "request.approve", Some("r1")),
    )
    .await
    .unwrap();
    for _ in 0..500 {
        if seen.ids.lock().unwrap().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(seen.ids.lock().unwrap().len(), 2, "one event per change");

    // A refused insert (duplicate idempotency key) rolls back: its event is never sent.
    let dup = record("r2", "k1", State::Pending);
    assert!(a.insert_request(&dup, create("r2")).await.is_err());
    a.insert_request(&record("r3", "k3", State::Pending), create("r3"))
        .await
        .unwrap();
    seen.wait_for("r3").await;
    assert!(!seen.has("r2"), "a rolled-back change was announced");
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn grant_locks_exclude_across_replicas_and_go_with_their_holder() {
    let Some((_pg, a, b)) = two_replicas().await else {
        return;
    };
    let held = a.grant_lock("g").await.unwrap();
    let blocked = tokio::time::timeout(Duration::from_millis(300), b.grant_lock("g")).await;
    assert!(blocked.is_err(), "replica B locked a grant A holds");
    // Other grants are not held up.
    let other = tokio::time::timeout(Duration::from_secs(5), b.grant_lock("h"))
        .await
        .expect("another grant's lock")
        .unwrap();
    drop(held);
    let now_b = tokio::time::timeout(Duration::from_secs(5), b.grant_lock("g"))
        .await
        .expect("free once A let go")
        .unwrap();
    // (A pool closes once its connections are back: locks first.)
    drop((other, now_b));
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn one_reaper_lease_at_a_time_freed_when_its_replica_dies() {
    let Some((pg, a, b)) = two_replicas().await else {
        return;
    };
    let lease = a.reaper_lease().await.unwrap();
    assert!(lease.is_some());
    assert!(b.reaper_lease().await.unwrap().is_none(), "two reapers");
    // Replica A dies without a word (as under SIGKILL, its connection just ends): the server
    // drops the lease with the session.
    sqlx::query(
        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_locks \
         WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()",
    )
    .execute(&mut outside(&pg.superuser_url("postgres")).await)
    .await
    .unwrap();
    let mut got = None;
    for _ in 0..100 {
        got = b.reaper_lease().await.unwrap();
        if got.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(got.is_some(), "the lease of a dead replica was never freed");
    drop(lease);
    drop(got);
    b.close().await;
}

#[tokio::test]
async fn writers_on_two_replicas_keep_one_audit_chain() {
    let Some((_pg, a, b)) = two_replicas().await else {
        return;
    };
    let write = |s: Store, side: &'static str| {
        tokio::spawn(async move {
            for i in 0..40 {
                let id = format!("{side}{i}");
                s.insert_request(&record(&id, &id, State::Pending), audit("create"))
                    .await
                    .unwrap();
            }
        })
    };
    let (x, y) = (write(a.clone(), "a"), write(b.clone(), "b"));
    x.await.unwrap();
    y.await.unwrap();
    assert_eq!(a.verify_audit_chain().await, Ok(80));
    assert_eq!(b.list_by_state(&[State::Pending]).await.unwrap().len(), 80);
    a.close().await;
    b.close().await;
}
