//! The PostgreSQL issuer inside the broker's lifecycle, against a real server: a grant's
//! credential call creates a working login and makes the grant active; a target that is down
//! at issue time is a 502 and the grant stays approved; a revoke that fails while the target
//! is down is retried by the reaper once it is back, until the role is gone.

use std::sync::Arc;

use super::{Dev, env, login, user_of};
use zt_api::{self as api, State};
use zt_broker::auth::Verifier;
use zt_broker::dev::demo::DemoPolicy;
use zt_broker::dev::issuers::for_resource;
use zt_broker::domain::lifecycle;
use zt_broker::issuers::Issuers;
use zt_broker::state::Broker;
use zt_broker::store::{Record, Store};

/// An approved readwrite grant on `db` for ten minutes, as the store keeps it.
async fn approved(b: &Broker, id: &str) -> Record {
    zt_testkit::broker::insert_approved(
        &b.store,
        id,
        "db",
        api::ResourceKind::Postgres,
        "readwrite",
        600,
    )
    .await
}

#[tokio::test]
async fn the_lifecycle_issues_real_logins_and_the_reaper_retries_revokes_until_the_target_is_back()
{
    let Some(env) = env().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).await.unwrap();
    let mut issuers = Issuers::default();
    // Selected the way `zt-broker dev --catalog` selects it.
    let res = env.catalog.resource("db").unwrap();
    issuers.insert("db", for_resource(res, Arc::new(Dev)).unwrap());
    let discovery = api::Discovery {
        issuer: "http://idp".into(),
        client_id: "c".into(),
        scopes: vec![],
        audience: "a".into(),
        broker_version: "0".into(),
    };
    let b = Broker::new(
        store,
        env.catalog.clone(),
        Box::new(DemoPolicy),
        issuers,
        Verifier::new(vec![], reqwest::Client::new()),
        discovery,
    );

    approved(&b, "g1").await;
    let cred = lifecycle::credential(&b, "g1", "alice").await.unwrap();
    let user = user_of(&cred);
    let mut conn = login(&cred).await.unwrap();
    sqlx::query("INSERT INTO canary VALUES (7)")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(b.store.get("g1").await.unwrap().state(), State::Active);
    // A second call returns the stored credential: no second role.
    assert_eq!(
        lifecycle::credential(&b, "g1", "alice").await.unwrap(),
        cred
    );
    // Extended: the same login, valid at the target to the new end (what ~/.pgpass holds
    // keeps working), and the broker hands out that credential with its new end.
    let new_end = api::Timestamp::now().add_secs(1200);
    let audit = zt_broker::store::AuditEntry::new("alice", "grant.extend", Some("g1"));
    lifecycle::extend(&b, "g1", new_end, audit).await.unwrap();
    let extended = lifecycle::credential(&b, "g1", "alice").await.unwrap();
    assert_eq!(extended, cred.clone().with_expires_at(new_end));

    // The target goes down: issuing fails clearly, the grant stays approved.
    env.pg.pause();
    approved(&b, "g2").await;
    let e = zt_broker::problem::ApiError::from(
        lifecycle::credential(&b, "g2", "alice").await.unwrap_err(),
    );
    assert_eq!((e.status.as_u16(), e.slug), (502, "issuer-failed"));
    assert!(
        e.detail.as_deref().unwrap_or("").contains("cannot connect"),
        "{e:?}"
    );
    assert_eq!(b.store.get("g2").await.unwrap().state(), State::Approved);

    // Revoking while it is down fails and is left for the reaper.
    let rec = b.store.get("g1").await.unwrap();
    let (_, revoked) = lifecycle::end_grant(&b, &rec, State::Revoked, "alice", "done".into())
        .await
        .unwrap();
    assert!(!revoked);
    assert_eq!(b.store.ended_with_live_credentials().await.unwrap(), ["g1"]);
    let sleep = zt_broker::reaper::pass(&b).await;
    assert!(
        sleep <= std::time::Duration::from_secs(5),
        "retries soon: {sleep:?}"
    );
    assert_eq!(b.store.ended_with_live_credentials().await.unwrap(), ["g1"]);

    // Back up: the next pass (over a fresh pooled connection) finishes the revoke.
    env.pg.resume();
    zt_broker::reaper::pass(&b).await;
    assert!(
        b.store
            .ended_with_live_credentials()
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!env.role_exists(&user).await);
    assert!(login(&cred).await.is_err());
    let actions: Vec<_> = b
        .store
        .audit_rows(0, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.entry.action)
        .collect();
    for a in [
        "credential.extend",
        "credential.issue",
        "credential.issue.failed",
        "credential.revoke.failed",
        "credential.revoke",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}
