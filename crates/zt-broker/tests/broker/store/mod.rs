//! Integration tests of `src/store`, through its API on SQLite and on a throwaway PostgreSQL
//! (`zt_testkit::pg`): the state machine refuses every illegal edge and every repeated one,
//! the idempotency key is unique per requester; the audit [`chain`] links and detects edits;
//! [`approvals`] counted in the store; credentials [`at_rest`]; two [`replicas`] on one
//! PostgreSQL database; the [`writes`] of the create path. (What needs the store's private
//! parts stays a unit test: `src/store/sqlite/tests.rs`.)

use std::ops::Deref;

use sqlx::Connection;
use zt_api::{self as api, ClientContext, Decision, Outcome, ResourceKind, State, Timestamp};
use zt_broker::store::{
    AuditEntry, Change, KEY_LEN, Record, Store, StoreError, StoreKey, legal_transition,
};
use zt_testkit::pg::TestPg;

mod at_rest;
mod replicas;
mod writes;

async fn sqlite() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("t.sqlite")).await.unwrap();
    (dir, s)
}

/// A throwaway PostgreSQL server and a store on it, or `None` (the test skips, or fails under
/// `ZT_TEST_REQUIRE_PEERS=1`) when PostgreSQL is not installed.
async fn postgres() -> Option<(TestPg, Store)> {
    let pg = TestPg::start()?;
    let s = Store::connect_postgres(&pg.superuser_url("postgres"), test_key())
        .await
        .unwrap();
    Some((pg, s))
}

/// The key every PostgreSQL store of the tests shares (replicas must).
fn test_key() -> StoreKey {
    StoreKey::from_bytes(&[7; KEY_LEN]).unwrap()
}

/// The sqlx URL of the SQLite database at `path`.
fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}", path.display())
}

/// A connection to the database at `url` of someone with access to it, outside the broker.
async fn outside(url: &str) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(url).await.unwrap()
}

/// A store under test (it derefs to it), and the URL of its database for [`outside`].
struct Db {
    store: Store,
    url: String,
}

impl Deref for Db {
    type Target = Store;

    fn deref(&self) -> &Store {
        &self.store
    }
}

/// Each test below runs on both stores: `<test>::sqlite` and `<test>::postgres`.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let (dir, store) = super::sqlite().await;
                let url = super::sqlite_url(&dir.path().join("t.sqlite"));
                super::$name(&super::Db { store, url }).await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some((pg, store)) = super::postgres().await else {
                    return;
                };
                let url = pg.superuser_url("postgres");
                let db = super::Db { store, url };
                super::$name(&db).await;
                db.close().await;
            }
        }
    )*};
}

mod approvals;
mod chain;
mod passkeys;

on_both_stores!(
    every_illegal_transition_is_refused_and_every_legal_one_happens_once,
    idempotency_keys_are_unique_per_requester,
    credentials_follow_their_grant
);

fn record(id: &str, key: &str, state: State) -> Record {
    Record {
        request: api::Request {
            id: id.into(),
            requester: "alice@example.com".into(),
            resource: "prod-k8s".into(),
            kind: ResourceKind::Kubernetes,
            role: "view".into(),
            ttl_secs: 60,
            reason: Some("why".into()),
            ticket: None,
            break_glass: false,
            state,
            decision: Decision {
                outcome: Outcome::RequireApproval,
                policy_ids: vec!["p".into()],
                reason: "r".into(),
                approver_groups: vec!["sre-leads".into()],
                approvals_required: 1,
                approval_assurance: None,
            },
            decided_by: None,
            decision_comment: None,
            approvals: vec![],
            created_at: Timestamp::now(),
            not_before: None,
            expires_at: None,
            review_url: None,
            bundle_id: None,
            start_at: None,
            activation: None,
            claim_by: None,
        },
        requester_issuer: "http://idp".into(),
        requester_sub: "alice".into(),
        idempotency_key: key.into(),
        body_sha256: "h".into(),
        context: ClientContext::default(),
        comment: None,
        approvals: vec![],
        claim_secs: None,
    }
}

fn audit(action: &str) -> AuditEntry {
    AuditEntry::new("tester", action, None)
}

/// Bring a fresh request into `state` along legal edges.
async fn in_state(s: &Store, id: &str, state: State) {
    s.insert_request(&record(id, id, State::Pending), audit("create"))
        .await
        .unwrap();
    let path: &[State] = match state {
        State::Pending => &[],
        State::Approved => &[State::Approved],
        State::Active => &[State::Approved, State::Active],
        State::Expired => &[State::Approved, State::Expired],
        State::Revoked => &[State::Approved, State::Active, State::Revoked],
        State::Denied => &[State::Denied],
        State::Cancelled => &[State::Cancelled],
    };
    let mut from = State::Pending;
    for &to in path {
        s.transition(id, from, to, Change::default(), audit("step"))
            .await
            .unwrap();
        from = to;
    }
    assert_eq!(s.get(id).await.unwrap().state(), state);
}

async fn every_illegal_transition_is_refused_and_every_legal_one_happens_once(s: &Store) {
    let mut n = 0;
    for from in State::ALL {
        for to in State::ALL {
            n += 1;
            let id = format!("r{n}");
            in_state(s, &id, from).await;
            let res = s
                .transition(&id, from, to, Change::default(), audit("try"))
                .await;
            if legal_transition(from, to) {
                assert_eq!(res.unwrap().state(), to, "{from} -> {to}");
                // The same edge again starts from a state the request is no longer in.
                let again = s
                    .transition(&id, from, to, Change::default(), audit("again"))
                    .await;
                assert!(
                    matches!(again, Err(StoreError::Refused { actual: Some(a), .. }) if a == to),
                    "{from} -> {to} twice: {again:?}"
                );
            } else {
                assert!(
                    matches!(res, Err(StoreError::Refused { .. })),
                    "{from} -> {to} allowed"
                );
                assert_eq!(
                    s.get(&id).await.unwrap().state(),
                    from,
                    "{from} -> {to} changed the state"
                );
            }
        }
    }
    // A transition from a state the request is not in is refused with the actual state.
    in_state(s, "x", State::Pending).await;
    let res = s
        .transition(
            "x",
            State::Approved,
            State::Active,
            Change::default(),
            audit("skip"),
        )
        .await;
    assert!(matches!(
        res,
        Err(StoreError::Refused {
            actual: Some(State::Pending),
            ..
        })
    ));
    assert!(matches!(
        s.transition(
            "nope",
            State::Pending,
            State::Approved,
            Change::default(),
            audit("x")
        )
        .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        s.verify_audit_chain().await,
        Ok(s.audit_rows(0, 100_000).await.unwrap().len())
    );
}

async fn idempotency_keys_are_unique_per_requester(s: &Store) {
    let a = record("a", "k", State::Pending);
    s.insert_request(&a, audit("create")).await.unwrap();
    let dup = record("b", "k", State::Pending);
    assert!(matches!(
        s.insert_request(&dup, audit("create")).await,
        Err(StoreError::Duplicate)
    ));
    let mut other = record("c", "k", State::Pending);
    other.requester_sub = "bob".into();
    s.insert_request(&other, audit("create")).await.unwrap();
    let found = s
        .find_by_key("http://idp", "alice", "k")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, s.get("a").await.unwrap());
    // The refused insert left no audit row behind.
    assert_eq!(s.audit_rows(0, 100).await.unwrap().len(), 2);
}

async fn credentials_follow_their_grant(s: &Store) {
    in_state(s, "g", State::Approved).await;
    let exp = Timestamp::now().add_secs(60);
    let cred = api::Credential::Kubernetes {
        server: "http://k".into(),
        certificate_authority_data: None,
        namespace: None,
        token: "t".into(),
        expires_at: exp,
    };
    let rec = s
        .save_credential(
            "g",
            State::Approved,
            &cred,
            Some("hash".into()),
            audit("issue"),
        )
        .await
        .unwrap();
    assert_eq!(rec.state(), State::Active);
    let now = Timestamp::now();
    assert_eq!(
        s.live_credential("g", now).await.unwrap(),
        Some(cred.clone())
    );
    assert_eq!(
        s.live_credential("g", exp).await.unwrap(),
        None,
        "not at expires_at"
    );
    // The grant window was never set here, so the token does not open the dev API.
    assert_eq!(s.live_grant_by_token("hash", now).await.unwrap(), None);
    // A grant that ended meanwhile stores nothing.
    s.transition(
        "g",
        State::Active,
        State::Revoked,
        Change::default(),
        audit("revoke"),
    )
    .await
    .unwrap();
    let res = s
        .save_credential("g", State::Active, &cred, None, audit("issue"))
        .await;
    assert!(matches!(
        res,
        Err(StoreError::Refused {
            actual: Some(State::Revoked),
            ..
        })
    ));
    assert_eq!(s.ended_with_live_credentials().await.unwrap(), ["g"]);
    // Ended: the secret is gone already; the row only says a revoke is owed.
    assert_eq!(s.live_credential("g", now).await.unwrap(), None);
    assert!(s.mark_credential_revoked("g", now).await.unwrap());
    assert!(!s.mark_credential_revoked("g", now).await.unwrap());
    assert!(s.ended_with_live_credentials().await.unwrap().is_empty());
}

/// What the broker says of a PostgreSQL error is the server's message and code, never sqlx's
/// "at line N" suffix (a line of the server's C source, meaningless to an operator).
#[tokio::test]
async fn database_errors_name_no_source_line() {
    let Some(pg) = TestPg::start() else {
        return;
    };
    let e = Store::connect_postgres(&pg.superuser_url("no_such_database"), test_key())
        .await
        .err()
        .expect("no such database");
    let said = e.to_string();
    assert!(said.contains("no_such_database"), "{said}");
    assert!(!said.contains(" at line "), "{said}");
    assert!(said.contains("code 3D000"), "{said}");
}
