//! The create path's shortcuts keep the store's word: one read finds a retry's original or a
//! live grant; a new request is answered as it reads back; SQLite's group commit refuses a
//! reused key on its own and answers only once durable; and the audit chain head SQLite keeps
//! in memory is never trusted over the table.

use super::{audit, postgres, record, sqlite};
use zt_api::{State, Timestamp};
use zt_broker::store::{ForCreate, Store, StoreError};

async fn new_requests_are_answered_as_they_read_back(s: &Store) {
    let mut rec = record("a", "k", State::Approved);
    rec.request.ticket = Some("OPS-1".into());
    rec.request.break_glass = true;
    rec.context.hostname = "laptop".into();
    rec.request.not_before = Some(rec.request.created_at);
    rec.request.expires_at = Some(rec.request.created_at.add_secs(60));
    let answered = s.insert_request(&rec, audit("create")).await.unwrap();
    assert_eq!(answered, rec);
    assert_eq!(answered, s.get("a").await.unwrap());
}

#[tokio::test]
async fn new_requests_are_answered_as_they_read_back_sqlite() {
    let (_dir, s) = sqlite().await;
    new_requests_are_answered_as_they_read_back(&s).await;
}

#[tokio::test]
async fn new_requests_are_answered_as_they_read_back_postgres() {
    let Some((_pg, s)) = postgres().await else {
        return;
    };
    new_requests_are_answered_as_they_read_back(&s).await;
    s.close().await;
}

/// Many creates at once, some reusing a key: SQLite commits them in groups, yet each key
/// makes one request, each refusal comes only when the original can be read, and every
/// stored request has its audit row in one unbroken chain.
#[tokio::test]
async fn concurrent_creates_commit_in_groups_and_each_key_once() {
    let (_dir, s) = sqlite().await;
    let tasks: Vec<_> = (0..300)
        .map(|i| {
            let s = s.clone();
            // Every third create reuses the key of the one before it.
            let key = format!("k{}", i - usize::from(i % 3 == 2));
            tokio::spawn(async move {
                let rec = record(&format!("r{i}"), &key, State::Pending);
                match s.insert_request(&rec, audit("request.create")).await {
                    Ok(stored) => Some(stored.request.id),
                    Err(StoreError::Duplicate) => {
                        let original = s.find_by_key("http://idp", "alice", &key).await.unwrap();
                        assert!(original.is_some(), "{key} refused before it was readable");
                        None
                    }
                    Err(e) => panic!("{e}"),
                }
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        if let Some(id) = t.await.unwrap() {
            assert_eq!(s.get(&id).await.unwrap().state(), State::Pending);
            created += 1;
        }
    }
    assert_eq!(created, 200);
    assert_eq!(s.list_by_state(&[]).await.unwrap().len(), 200);
    assert_eq!(s.verify_audit_chain().await, Ok(200));
}

/// Two stores on one SQLite file (not how the broker runs, but a second process may append):
/// a head cached by one is stale once the other appends, and the next row still links to the
/// real head.
#[tokio::test]
async fn a_stale_cached_chain_head_is_never_linked_to() {
    let (dir, a) = sqlite().await;
    let b = Store::open(&dir.path().join("t.sqlite")).await.unwrap();
    for (i, s) in [&a, &b, &a, &a, &b, &a].into_iter().enumerate() {
        let row = s
            .append_audit(audit("note").detail(format!("{i}")))
            .await
            .unwrap();
        assert_eq!(row.seq, i as i64 + 1);
    }
    assert_eq!(a.verify_audit_chain().await, Ok(6));
    b.close().await;
}

/// `POST /v1/requests` reads once: the original of a reused key, else whether a live grant on
/// the same resource is held — by this requester, in a window not yet closed.
async fn one_read_finds_the_original_or_a_live_grant(s: &Store) {
    let now = Timestamp::now();
    let find = |key: &'static str, resource: &'static str, at: Timestamp| async move {
        s.find_for_create("http://idp", "alice", key, resource, at)
            .await
            .unwrap()
    };
    assert_eq!(
        find("k1", "prod-k8s", now).await,
        ForCreate {
            existing: None,
            holds_grant: false
        }
    );
    let mut rec = record("g", "k1", State::Approved);
    rec.request.not_before = Some(now);
    rec.request.expires_at = Some(now.add_secs(60));
    s.insert_request(&rec, audit("create")).await.unwrap();
    let mut other = record("p", "k2", State::Pending);
    other.request.resource = "prod-db".into();
    s.insert_request(&other, audit("create")).await.unwrap();

    let again = find("k1", "prod-k8s", now).await;
    assert_eq!(again.existing.as_ref().map(|r| r.id()), Some("g"));
    assert_eq!(
        find("k2", "prod-k8s", now).await.existing.unwrap().id(),
        "p"
    );
    assert_eq!(
        find("k3", "prod-k8s", now).await,
        ForCreate {
            existing: None,
            holds_grant: true
        }
    );
    // Not on another resource (a pending request there is no grant), not once it has ended.
    assert!(!find("k3", "prod-db", now).await.holds_grant);
    assert!(!find("k3", "prod-k8s", now.add_secs(60)).await.holds_grant);
    let bob = s
        .find_for_create("http://idp", "bob", "k3", "prod-k8s", now)
        .await
        .unwrap();
    assert!(!bob.holds_grant && bob.existing.is_none());
}

#[tokio::test]
async fn one_read_finds_the_original_or_a_live_grant_sqlite() {
    let (_dir, s) = sqlite().await;
    one_read_finds_the_original_or_a_live_grant(&s).await;
}

#[tokio::test]
async fn one_read_finds_the_original_or_a_live_grant_postgres() {
    let Some((_pg, s)) = postgres().await else {
        return;
    };
    one_read_finds_the_original_or_a_live_grant(&s).await;
    s.close().await;
}

/// SQLite's readers are handed back as they are: reads dropped half-way leave none lost,
/// many more reads than connections all finish, and after `close` a read fails at once.
#[tokio::test]
async fn readers_come_back_and_close() {
    let (_dir, s) = sqlite().await;
    s.insert_request(&record("a", "k", State::Pending), audit("create"))
        .await
        .unwrap();
    for _ in 0..8 {
        let _ = tokio::time::timeout(std::time::Duration::ZERO, s.get("a")).await;
    }
    let reads: Vec<_> = (0..32)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.get("a").await })
        })
        .collect();
    for r in reads {
        assert_eq!(r.await.unwrap().unwrap().id(), "a");
    }
    s.close().await;
    assert!(matches!(s.get("a").await, Err(StoreError::Db(_))));
}
