//! State changes with their consequences, shared by the handlers and the reaper: every
//! transition wakes its long-polls (and the reaper when a grant starts) and is announced to
//! the webhooks that want it; ending a grant takes its credential back at the issuer; minting
//! activates the grant only once the issuer has succeeded and never hands out a credential
//! that outlives the grant.

use super::DomainError;
use crate::auth::Principal;
use crate::crypto::sha256_hex;
use crate::issuers::Grant;
use crate::issuers::ssh;
use crate::state::Broker;
use crate::store::{Approval, AuditEntry, Change, Extended, PasskeyProof, Record, StoreError};
use crate::webhooks;
use zt_api::{Credential, CredentialsRequest, ResourceKind, State, Timestamp};

/// The actor named in audit rows for what the broker does by itself.
pub use crate::store::BROKER_ACTOR;

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
    moved(b, from, to, &rec);
    Ok(rec)
}

/// The wake-ups and notifications of a request that just moved from `from` to `to`.
pub(super) fn moved(b: &Broker, from: State, to: State, rec: &Record) {
    b.notifier.notify(rec.id());
    if to.is_live() {
        b.reaper_wake.notify_one();
    }
    if let Some(event) = webhooks::transition_event(from, to) {
        b.announce(event, &rec.request);
    }
}

/// One approver's yes (see [`crate::store::Store::approve`]); when it is the last one
/// needed, the request is approved with the wake-ups of any transition. A counted approval
/// that leaves the request pending also wakes its long-polls: they see the new count.
pub async fn approve(
    b: &Broker,
    id: &str,
    p: &Principal,
    comment: Option<String>,
    audit: AuditEntry,
    proof: Option<&PasskeyProof>,
) -> Result<Approval, StoreError> {
    let done = b
        .store
        .approve_with_passkey(id, p, comment, audit, proof)
        .await?;
    approved(b, &done);
    Ok(done)
}

/// The wake-ups of an approval (also each of a bundle's, see `bundle::decide`).
pub(super) fn approved(b: &Broker, done: &Approval) {
    match done {
        Approval::Approved(rec) => moved(b, State::Pending, State::Approved, rec),
        Approval::Counted(rec) => b.notifier.notify(rec.id()),
        Approval::Already(_) => {}
    }
}

/// A request was just stored: the reaper learns its due time (a grant's end, a pending
/// request's review deadline) and the webhooks hear of it (and of break-glass).
pub fn created(b: &Broker, rec: &Record) {
    let r = &rec.request;
    match r.state {
        State::Pending => b.reaper_due(b.review_deadline(r.created_at)),
        s if s.is_live() => b.reaper_due(r.expires_at.unwrap_or(r.created_at)),
        _ => {}
    }
    b.announce("request.created", &rec.request);
    if rec.request.break_glass {
        b.announce("break_glass", &rec.request);
    }
}

/// Move a live grant's end later (see [`crate::store::Store::extend_grant`]), then
/// wake its long-polls and the reaper, whose next due time may have changed.
pub async fn extend(
    b: &Broker,
    id: &str,
    expires_at: Timestamp,
    audit: AuditEntry,
) -> Result<Extended, StoreError> {
    let done = b
        .store
        .extend_grant(id, expires_at, Timestamp::now(), audit)
        .await?;
    if let Extended::Done(rec) = &done {
        extend_at_target(b, rec).await;
        b.notifier.notify(id);
        b.reaper_wake.notify_one();
    }
    Ok(done)
}

/// Ask the grant's issuer to move its live credential's end to the grant's new end, and when
/// it did, store the credential with that end. A failure leaves the old end in place (the
/// broker mints afresh near it) and is audited; the extension itself stands.
async fn extend_at_target(b: &Broker, rec: &Record) {
    let id = rec.id();
    let Ok(_held) = b.store.grant_lock(id).await else {
        return;
    };
    let Ok(Some(cred)) = b.store.live_credential(id, Timestamp::now()).await else {
        return;
    };
    let (Some(grant), Some(issuer)) = (
        Grant::from_record(rec, &b.catalog),
        b.issuers.get(&rec.request.resource),
    ) else {
        return;
    };
    let audit = match issuer.extend(&grant).await {
        Ok(false) => return,
        Ok(true) => match b
            .store
            .replace_credential(id, &cred.with_expires_at(grant.expires_at))
            .await
        {
            Ok(()) => AuditEntry::new(BROKER_ACTOR, "credential.extend", Some(id))
                .detail(format!("valid at the target until {}", grant.expires_at)),
            Err(e) => {
                tracing::error!("grant {id}: extended credential not stored: {e}");
                return;
            }
        },
        Err(e) => AuditEntry::new(BROKER_ACTOR, "credential.extend.failed", Some(id)).detail(
            format!("{e}; a fresh credential will be minted near its old end"),
        ),
    };
    if let Err(e) = b.store.append_audit(audit).await {
        tracing::error!("audit append failed: {e}");
    }
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
    // One replica at a time revokes (or mints) for a grant: the check below is then the truth.
    let _held = match b.store.grant_lock(id).await {
        Ok(held) => held,
        Err(e) => {
            tracing::warn!("cannot lock grant {id}: {e}");
            return false;
        }
    };
    match b.store.has_unrevoked_credential(id).await {
        Ok(false) => return true,
        Ok(true) => {}
        Err(e) => {
            tracing::warn!("cannot check the credential of {id}: {e}");
            return false;
        }
    }
    let (Some(grant), Some(issuer)) = (
        Grant::from_record(rec, &b.catalog),
        b.issuers.get(&rec.request.resource),
    ) else {
        tracing::error!(
            "grant {id}: {} has no issuer now; its credential cannot be revoked",
            rec.request.resource
        );
        return false;
    };
    let audit = match issuer.revoke(&grant).await {
        Ok(()) => {
            b.revoke_succeeded(id);
            let marked = b.store.mark_credential_revoked(id, Timestamp::now()).await;
            if let Err(e) = &marked {
                tracing::warn!("grant {id}: revoked, but not recorded (will retry): {e}");
            }
            let audit = AuditEntry::new(BROKER_ACTOR, "credential.revoke", Some(id)).detail(
                format!("revoked at the {} issuer of {}", grant.kind, grant.resource),
            );
            (marked.is_ok(), Some(audit))
        }
        Err(e) => {
            tracing::warn!("revoking the credential of {id} failed (will retry): {e}");
            // Told (audited, announced) on the 1st, 2nd, 4th, … failure: retries continue
            // every few seconds without flooding the log or the webhooks.
            let told = b.revoke_failed(id).map(|attempt| {
                b.announce("credential.revoke_failed", &rec.request);
                AuditEntry::new(BROKER_ACTOR, "credential.revoke.failed", Some(id))
                    .detail(format!("attempt {attempt}: {e}"))
            });
            (false, told)
        }
    };
    let (ok, audit) = audit;
    if let Some(audit) = audit
        && let Err(e) = b.store.append_audit(audit).await
    {
        tracing::error!("audit append failed: {e}");
    }
    ok
}

/// Why a request has no usable grant right now, or `Ok` when it does.
pub fn ensure_live(rec: &Record, now: Timestamp) -> Result<(), DomainError> {
    let id = rec.id();
    let exp = rec.request.expires_at;
    match rec.state() {
        State::Approved | State::Active if exp.is_some_and(|e| now < e) => {
            super::schedule::not_started(rec, now)
        }
        State::Approved | State::Active | State::Expired => Err(DomainError::NotLive(match exp {
            Some(e) => format!("grant {id} expired at {e}"),
            None => format!("grant {id} expired"),
        })),
        State::Revoked => Err(DomainError::NotLive(format!("grant {id} was revoked"))),
        State::Denied => Err(DomainError::NotLive(format!("request {id} was denied"))),
        State::Cancelled => Err(DomainError::NotLive(format!("request {id} was withdrawn"))),
        State::Pending => Err(DomainError::Conflict(format!(
            "request {id} is still waiting for approval"
        ))),
    }
}

/// The grant's credential: the stored one while it is valid, else minted now through the
/// resource's issuer. The grant becomes `active` only after the issuer succeeded.
/// A credential that ends before its grant does (an STS session shorter than the grant) is
/// minted afresh in its last minutes, so a client that asks then gets one that keeps working.
const REMINT_MARGIN_SECS: i64 = 300;

fn ends_before_grant(c: &Credential, rec: &crate::store::Record) -> bool {
    rec.request
        .expires_at
        .is_some_and(|end| c.expires_at() < end)
}

pub async fn credential(b: &Broker, id: &str, actor: &str) -> Result<Credential, DomainError> {
    credential_with(b, id, actor, &CredentialsRequest::default()).await
}

/// [`credential`] with the client's body: an `ssh` grant needs its public key (else
/// [`DomainError::Invalid`]), and gets a certificate of that key — the stored one only when it
/// certifies the same key up to the grant's current end, else a new one.
pub async fn credential_with(
    b: &Broker,
    id: &str,
    actor: &str,
    req: &CredentialsRequest,
) -> Result<Credential, DomainError> {
    let _minting = b.mint_locks.lock(id).await;
    let _held = b.store.grant_lock(id).await?;
    let rec = b.store.get(id).await?;
    let now = Timestamp::now();
    ensure_live(&rec, now)?;
    if req.connection_only && rec.request.is_unclaimed() {
        return super::schedule::connection(b, &rec);
    }
    // A first-use grant's first fetch starts its TTL (under this grant's lock).
    let rec = super::schedule::claim(b, rec, actor).await?;
    let ssh_key = match rec.request.kind {
        ResourceKind::Ssh => Some(ssh::client_key(req).map_err(DomainError::Invalid)?),
        _ => None,
    };
    let stored = match b.store.live_credential(id, now).await {
        // This grant only: its credential cannot be read back (the key changed); minting
        // another would leave the first alive at its target, so the person is told.
        Err(StoreError::Unreadable(why)) => return Err(DomainError::Conflict(why)),
        other => other?,
    };
    if let Some(c) = stored {
        let reuse = match (&ssh_key, rec.request.expires_at) {
            (Some(key), Some(end)) => ssh::fits(&c, key, end),
            (Some(_), None) => false,
            (None, _) => {
                !(ends_before_grant(&c, &rec) && c.expires_at().0 - now.0 < REMINT_MARGIN_SECS)
            }
        };
        if reuse {
            return Ok(c);
        }
    }
    let r = &rec.request;
    let (Some(grant), Some(issuer)) = (
        Grant::from_record(&rec, &b.catalog),
        b.issuers.get(&r.resource),
    ) else {
        return Err(DomainError::Internal(format!(
            "grant {id}: {}/{} has no issuer",
            r.resource, r.role
        )));
    };
    let cred = match issuer.issue_with(&grant, req).await {
        Ok(c) => c,
        Err(e) => {
            let audit =
                AuditEntry::new(actor, "credential.issue.failed", Some(id)).detail(e.to_string());
            if let Err(e) = b.store.append_audit(audit).await {
                tracing::error!("audit append failed: {e}");
            }
            return Err(DomainError::Issuer(format!(
                "the {} issuer of {} failed: {e}",
                r.kind, r.resource
            )));
        }
    };
    if cred.expires_at() > grant.expires_at {
        let _ = issuer.revoke(&grant).await;
        return Err(DomainError::Issuer(format!(
            "the {} issuer of {} minted a credential outliving the grant; it was revoked",
            r.kind, r.resource
        )));
    }
    let token_sha256 = match &cred {
        Credential::Kubernetes { token, .. } => Some(sha256_hex(token.as_bytes())),
        _ => None,
    };
    let what = match ssh::describe(&cred) {
        Some(cert) => format!(" ({cert})"),
        None => String::new(),
    };
    let audit = AuditEntry::new(actor, "credential.issue", Some(id)).detail(format!(
        "{} credential for {}/{} until {}{what}",
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
                } => Err(DomainError::NotLive(format!(
                    "grant {id} became {actual} while its credential was minted"
                ))),
                other => Err(other.into()),
            }
        }
    }
}
