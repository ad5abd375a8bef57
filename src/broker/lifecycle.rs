//! State changes with their consequences, shared by the handlers and the reaper: every
//! transition wakes its long-polls (and the reaper when a grant starts); ending a grant takes
//! its credential back at the issuer; minting activates the grant only once the issuer has
//! succeeded and never hands out a credential that outlives the grant.

use crate::api::{Credential, State, Timestamp};
use crate::broker::crypto::sha256_hex;
use crate::broker::issuers::Grant;
use crate::broker::problem::ApiError;
use crate::broker::state::Broker;
use crate::broker::store::{AuditEntry, Change, Record, StoreError};

/// The actor named in audit rows for what the broker does by itself.
pub const BROKER_ACTOR: &str = "zt-broker";

/// One edge of the state machine, audited, then the wake-ups.
pub async fn transition(
    b: &Broker,
    id: &str,
    from: State,
    to: State,
    change: Change,
    audit: AuditEntry,
) -> Result<Record, StoreError> {
    let rec = b.store.transition(id, from, to, change, audit).await?;
    b.notifier.notify(id);
    if to.is_live() {
        b.reaper_wake.notify_one();
    }
    Ok(rec)
}

/// End a live grant (`to` = expired or revoked) from the state it was seen in, then revoke
/// its credential at the target. The flag says whether that revoke is done (else the reaper
/// must retry it).
pub async fn end_grant(
    b: &Broker,
    rec: &Record,
    to: State,
    actor: &str,
    detail: String,
) -> Result<(Record, bool), StoreError> {
    let action = match to {
        State::Expired => "grant.expire",
        _ => "grant.revoke",
    };
    let audit = AuditEntry::new(actor, action, Some(rec.id())).detail(detail);
    let ended = transition(b, rec.id(), rec.state(), to, Change::default(), audit).await?;
    let revoked = revoke_at_target(b, &ended).await;
    Ok((ended, revoked))
}

/// Take an ended grant's credential back at its issuer, if one is still alive there. A
/// failure is logged and audited; the reaper retries it (it works from the store).
pub async fn revoke_at_target(b: &Broker, rec: &Record) -> bool {
    let id = rec.id();
    match b.store.has_unrevoked_credential(id).await {
        Ok(false) => return true,
        Ok(true) => {}
        Err(e) => {
            eprintln!("zt-broker: cannot check the credential of {id}: {e}");
            return false;
        }
    }
    let (Some(grant), Some(issuer)) = (
        Grant::from_record(rec, &b.catalog),
        b.issuers.get(&rec.request.resource),
    ) else {
        eprintln!(
            "zt-broker: grant {id}: {} has no issuer now; its credential cannot be revoked",
            rec.request.resource
        );
        return false;
    };
    let (ok, audit) = match issuer.revoke(&grant).await {
        Ok(()) => {
            let marked = b.store.mark_credential_revoked(id, Timestamp::now()).await;
            (
                marked.is_ok(),
                AuditEntry::new(BROKER_ACTOR, "credential.revoke", Some(id)).detail(format!(
                    "revoked at the {} issuer of {}",
                    grant.kind, grant.resource
                )),
            )
        }
        Err(e) => {
            eprintln!("zt-broker: revoking the credential of {id} failed (will retry): {e}");
            (
                false,
                AuditEntry::new(BROKER_ACTOR, "credential.revoke.failed", Some(id))
                    .detail(e.to_string()),
            )
        }
    };
    if let Err(e) = b.store.append_audit(audit).await {
        eprintln!("zt-broker: audit append failed: {e}");
    }
    ok
}

/// Why a request has no usable grant right now, or `Ok` when it does.
pub fn ensure_live(rec: &Record, now: Timestamp) -> Result<(), ApiError> {
    let id = rec.id();
    let exp = rec.request.expires_at;
    match rec.state() {
        State::Approved | State::Active if exp.is_some_and(|e| now < e) => Ok(()),
        State::Approved | State::Active | State::Expired => {
            Err(ApiError::grant_not_live(match exp {
                Some(e) => format!("grant {id} expired at {e}"),
                None => format!("grant {id} expired"),
            }))
        }
        State::Revoked => Err(ApiError::grant_not_live(format!("grant {id} was revoked"))),
        State::Denied => Err(ApiError::grant_not_live(format!("request {id} was denied"))),
        State::Cancelled => Err(ApiError::grant_not_live(format!(
            "request {id} was withdrawn"
        ))),
        State::Pending => Err(ApiError::conflict(format!(
            "request {id} is still waiting for approval"
        ))),
    }
}

/// The grant's credential: the stored one while it is valid, else minted now through the
/// resource's issuer. The grant becomes `active` only after the issuer succeeded.
/// A credential that ends before its grant does (an STS session shorter than the grant) is
/// minted afresh in its last minutes, so a client that asks then gets one that keeps working.
const REMINT_MARGIN_SECS: i64 = 300;

fn ends_before_grant(c: &Credential, rec: &crate::broker::store::Record) -> bool {
    rec.request
        .expires_at
        .is_some_and(|end| c.expires_at() < end)
}

pub async fn credential(b: &Broker, id: &str, actor: &str) -> Result<Credential, ApiError> {
    let _minting = b.mint_locks.lock(id).await;
    let rec = b.store.get(id).await?;
    let now = Timestamp::now();
    ensure_live(&rec, now)?;
    if let Some(c) = b.store.live_credential(id, now).await?
        && !(ends_before_grant(&c, &rec) && c.expires_at().0 - now.0 < REMINT_MARGIN_SECS)
    {
        return Ok(c);
    }
    let r = &rec.request;
    let (Some(grant), Some(issuer)) = (
        Grant::from_record(&rec, &b.catalog),
        b.issuers.get(&r.resource),
    ) else {
        return Err(ApiError::internal(format!(
            "grant {id}: {}/{} has no issuer",
            r.resource, r.role
        )));
    };
    let cred = match issuer.issue(&grant).await {
        Ok(c) => c,
        Err(e) => {
            let audit =
                AuditEntry::new(actor, "credential.issue.failed", Some(id)).detail(e.to_string());
            if let Err(e) = b.store.append_audit(audit).await {
                eprintln!("zt-broker: audit append failed: {e}");
            }
            return Err(ApiError::issuer_failed(format!(
                "the {} issuer of {} failed: {e}",
                r.kind, r.resource
            )));
        }
    };
    if cred.expires_at() > grant.expires_at {
        let _ = issuer.revoke(&grant).await;
        return Err(ApiError::issuer_failed(format!(
            "the {} issuer of {} minted a credential outliving the grant; it was revoked",
            r.kind, r.resource
        )));
    }
    let token_sha256 = match &cred {
        Credential::Kubernetes { token, .. } => Some(sha256_hex(token.as_bytes())),
        _ => None,
    };
    let audit = AuditEntry::new(actor, "credential.issue", Some(id)).detail(format!(
        "{} credential for {}/{} until {}",
        r.kind,
        r.resource,
        r.role,
        cred.expires_at()
    ));
    match b
        .store
        .save_credential(id, rec.state(), &cred, token_sha256, audit)
        .await
    {
        Ok(saved) => {
            if saved.state() != rec.state() {
                b.notifier.notify(id);
            }
            Ok(cred)
        }
        Err(e) => {
            // Not stored, so nobody will ever use it: take it back at once.
            let _ = issuer.revoke(&grant).await;
            match e {
                StoreError::Refused {
                    actual: Some(actual),
                    ..
                } => Err(ApiError::grant_not_live(format!(
                    "grant {id} became {actual} while its credential was minted"
                ))),
                other => Err(other.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::api::{self, ClientContext, Decision, Outcome};
    use crate::broker::auth::Verifier;
    use crate::broker::catalog::Catalog;
    use crate::broker::issuers::{IssueError, IssueFuture, Issuer, Issuers};
    use crate::broker::policy::DemoPolicy;
    use crate::broker::store::Store;

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
            Catalog::demo().unwrap(),
            Box::new(DemoPolicy),
            issuers,
            verifier,
            discovery,
        );
        (dir, b)
    }

    async fn approved_grant(b: &Broker, id: &str) {
        let now = Timestamp::now();
        let rec = Record {
            request: api::Request {
                id: id.into(),
                requester: "alice@example.com".into(),
                resource: "prod-db".into(),
                kind: api::ResourceKind::Postgres,
                role: "readonly".into(),
                ttl_secs: 600,
                reason: None,
                ticket: None,
                break_glass: false,
                state: State::Approved,
                decision: Decision {
                    outcome: Outcome::Grant,
                    policy_ids: vec![],
                    reason: String::new(),
                    approver_groups: vec![],
                },
                decided_by: None,
                created_at: now,
                not_before: Some(now),
                expires_at: Some(now.add_secs(600)),
            },
            requester_issuer: "http://idp".into(),
            requester_sub: "alice".into(),
            idempotency_key: id.into(),
            body_sha256: String::new(),
            context: ClientContext::default(),
            comment: None,
        };
        b.store
            .insert_request(&rec, AuditEntry::new("t", "create", Some(id)))
            .await
            .unwrap();
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
            Catalog::demo().unwrap(),
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
        let e = credential(&b, "g1", "alice").await.unwrap_err();
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
        let e = credential(&b, "g1", "alice").await.unwrap_err();
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
        let sleep = crate::broker::reaper::pass(&b).await;
        assert!(sleep <= std::time::Duration::from_secs(5), "{sleep:?}");
        assert_eq!(b.store.ended_with_live_credentials().await.unwrap(), ["g1"]);
        crate::broker::reaper::pass(&b).await;
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
}
