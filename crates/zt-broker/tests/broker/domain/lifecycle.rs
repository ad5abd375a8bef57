//! Grant lifecycles ([`zt_broker::domain::lifecycle`]) on a whole broker (SQLite store, demo
//! catalog and policies) with test issuers that fail, overshoot, or mint short credentials,
//! and the reaper retrying what they left undone.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use zt_api::{self as api, Credential, State, Timestamp};
use zt_broker::auth::Verifier;
use zt_broker::dev::demo::{self, DemoPolicy};
use zt_broker::domain::lifecycle::{credential, end_grant};
use zt_broker::issuers::{Grant, IssueError, IssueFuture, Issuer, Issuers};
use zt_broker::problem::ApiError;
use zt_broker::state::Broker;
use zt_broker::store::Store;

/// An issuer that fails `issue` (or mints past the grant) and fails the first `revoke`s.
struct Flaky {
    issue_fails: bool,
    overshoot: bool,
    revoke_failures_left: AtomicUsize,
    revokes: AtomicUsize,
}

impl Issuer for Flaky {
    fn issue<'a>(&'a self, g: &'a Grant) -> IssueFuture<'a, Credential> {
        Box::pin(async move {
            if self.issue_fails {
                return Err(IssueError("target unreachable".into()));
            }
            let extra = if self.overshoot { 3600 } else { 0 };
            Ok(Credential::Postgres {
                host: "h".into(),
                port: 1,
                dbname: "d".into(),
                user: "u".into(),
                password: "p".into(),
                sslmode: "prefer".into(),
                expires_at: g.expires_at.add_secs(extra),
            })
        })
    }

    fn revoke<'a>(&'a self, _g: &'a Grant) -> IssueFuture<'a, ()> {
        Box::pin(async move {
            self.revokes.fetch_add(1, Ordering::SeqCst);
            let left = self.revoke_failures_left.load(Ordering::SeqCst);
            if left > 0 {
                self.revoke_failures_left.store(left - 1, Ordering::SeqCst);
                return Err(IssueError("target unreachable".into()));
            }
            Ok(())
        })
    }
}

async fn broker(issuer: Arc<Flaky>) -> (tempfile::TempDir, Arc<Broker>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).await.unwrap();
    let mut issuers = Issuers::default();
    issuers.insert("prod-db", issuer);
    let discovery = api::Discovery {
        issuer: "http://idp".into(),
        client_id: "c".into(),
        scopes: vec![],
        audience: "a".into(),
        broker_version: "0".into(),
    };
    let verifier = Verifier::new(vec![], reqwest::Client::new());
    let b = Broker::new(
        store,
        demo::catalog().unwrap(),
        Box::new(DemoPolicy),
        issuers,
        verifier,
        discovery,
    );
    (dir, b)
}

async fn approved_grant(b: &Broker, id: &str) {
    zt_testkit::broker::insert_approved(
        &b.store,
        id,
        "prod-db",
        api::ResourceKind::Postgres,
        "readonly",
        600,
    )
    .await;
}

fn flaky(issue_fails: bool, overshoot: bool, revoke_failures: usize) -> Arc<Flaky> {
    Arc::new(Flaky {
        issue_fails,
        overshoot,
        revoke_failures_left: AtomicUsize::new(revoke_failures),
        revokes: AtomicUsize::new(0),
    })
}

/// Mints credentials that end a minute from now, well before the grant (an STS session
/// shorter than its grant), counting the mints.
struct Short {
    issues: AtomicUsize,
}

impl Issuer for Short {
    fn issue<'a>(&'a self, _g: &'a Grant) -> IssueFuture<'a, Credential> {
        Box::pin(async move {
            let n = self.issues.fetch_add(1, Ordering::SeqCst);
            Ok(Credential::Postgres {
                host: "h".into(),
                port: 1,
                dbname: "d".into(),
                user: format!("u{n}"),
                password: "p".into(),
                sslmode: "prefer".into(),
                expires_at: Timestamp::now().add_secs(60),
            })
        })
    }

    fn revoke<'a>(&'a self, _g: &'a Grant) -> IssueFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn a_credential_ending_before_its_grant_is_minted_afresh_near_its_end() {
    let (_dir, b) = broker(Arc::new(Flaky {
        issue_fails: false,
        overshoot: false,
        revoke_failures_left: AtomicUsize::new(0),
        revokes: AtomicUsize::new(0),
    }))
    .await;
    let short = Arc::new(Short {
        issues: AtomicUsize::new(0),
    });
    let mut issuers = Issuers::default();
    issuers.insert("prod-db", short.clone());
    let b = Broker::new(
        b.store.clone(),
        demo::catalog().unwrap(),
        Box::new(DemoPolicy),
        issuers,
        Verifier::new(vec![], reqwest::Client::new()),
        b.discovery.clone(),
    );
    approved_grant(&b, "g1").await;
    let first = credential(&b, "g1", "alice").await.unwrap();
    // One minute left of a ten-minute grant: inside the margin, so a fresh one.
    let second = credential(&b, "g1", "alice").await.unwrap();
    assert_eq!(short.issues.load(Ordering::SeqCst), 2);
    assert_ne!(first, second);
}

#[tokio::test]
async fn an_issuer_failure_is_a_502_and_the_grant_stays_approved() {
    let (_d, b) = broker(flaky(true, false, 0)).await;
    approved_grant(&b, "g1").await;
    let e = ApiError::from(credential(&b, "g1", "alice").await.unwrap_err());
    assert_eq!((e.status.as_u16(), e.slug), (502, "issuer-failed"));
    assert!(e.detail.unwrap().contains("target unreachable"));
    assert_eq!(b.store.get("g1").await.unwrap().state(), State::Approved);
    let rows = b.store.audit_rows(0, 10).await.unwrap();
    assert!(
        rows.iter()
            .any(|r| r.entry.action == "credential.issue.failed")
    );
}

#[tokio::test]
async fn a_credential_outliving_its_grant_is_refused_and_revoked() {
    let issuer = flaky(false, true, 0);
    let (_d, b) = broker(issuer.clone()).await;
    approved_grant(&b, "g1").await;
    let e = ApiError::from(credential(&b, "g1", "alice").await.unwrap_err());
    assert_eq!(e.status.as_u16(), 502);
    assert_eq!(issuer.revokes.load(Ordering::SeqCst), 1);
    assert_eq!(b.store.get("g1").await.unwrap().state(), State::Approved);
}

#[tokio::test]
async fn a_failed_revoke_at_the_target_is_retried_by_the_reaper() {
    let issuer = flaky(false, false, 2);
    let (_d, b) = broker(issuer.clone()).await;
    approved_grant(&b, "g1").await;
    credential(&b, "g1", "alice").await.unwrap();
    let rec = b.store.get("g1").await.unwrap();
    assert_eq!(rec.state(), State::Active);
    let (_, revoked) = end_grant(&b, &rec, State::Revoked, "alice", "test".into())
        .await
        .unwrap();
    assert!(!revoked);
    assert_eq!(b.store.ended_with_live_credentials().await.unwrap(), ["g1"]);
    // The reaper retries, and retries again soon while the target keeps failing.
    let sleep = zt_broker::reaper::pass(&b).await;
    assert!(sleep <= std::time::Duration::from_secs(5), "{sleep:?}");
    assert_eq!(b.store.ended_with_live_credentials().await.unwrap(), ["g1"]);
    zt_broker::reaper::pass(&b).await;
    assert!(
        b.store
            .ended_with_live_credentials()
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(issuer.revokes.load(Ordering::SeqCst), 3);
    let actions: Vec<_> = b
        .store
        .audit_rows(0, 20)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.entry.action)
        .collect();
    assert!(
        actions.contains(&"credential.revoke.failed".to_string()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"credential.revoke".to_string()),
        "{actions:?}"
    );
}

#[tokio::test]
async fn failed_revocations_are_told_with_backoff_and_retried_until_done() {
    let issuer = flaky(false, false, 4);
    let (_d, b) = broker(issuer.clone()).await;
    approved_grant(&b, "g1").await;
    credential(&b, "g1", "alice").await.unwrap();
    let rec = b.store.get("g1").await.unwrap();
    end_grant(&b, &rec, State::Revoked, "alice", "test".into())
        .await
        .unwrap();
    for _ in 0..4 {
        zt_broker::reaper::pass(&b).await;
    }
    assert_eq!(issuer.revokes.load(Ordering::SeqCst), 5);
    assert!(
        b.store
            .ended_with_live_credentials()
            .await
            .unwrap()
            .is_empty()
    );
    let rows = b.store.audit_rows(0, 50).await.unwrap();
    let failed: Vec<_> = rows
        .iter()
        .filter(|r| r.entry.action == "credential.revoke.failed")
        .map(|r| r.entry.detail.split(':').next().unwrap().to_string())
        .collect();
    // Four failures, told on the 1st, 2nd and 4th: retried every time, alerted less often.
    assert_eq!(failed, ["attempt 1", "attempt 2", "attempt 4"]);
    assert_eq!(
        rows.iter()
            .filter(|r| r.entry.action == "credential.revoke")
            .count(),
        1
    );
}
