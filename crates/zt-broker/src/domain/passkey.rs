//! Approvals confirmed with a passkey, the domain's side (the WebAuthn ceremony itself is the
//! review page's, `review/passkey/`): the per-request nonce the challenge is derived from —
//! made fresh for each approver and request when they start, used once by the approval that
//! carries it ([`crate::store::Store::approve_with_passkey`]) — and refusals, each audited as
//! `request.approve.refused` with why (a replayed assertion, one made for another request,
//! another person's passkey), leaving the request as it was.

use super::DomainError;
use super::decide::{self, Verdict};
use crate::auth::Principal;
use crate::crypto::{hex, random_bytes};
use crate::state::Broker;
use crate::store::{AuditEntry, PasskeyProof, Record};
use zt_api::Timestamp;

/// How long an approver's nonce is good for, in seconds: a person at the page, not an
/// assertion kept for later.
pub const NONCE_SECS: i64 = 10 * 60;

/// The audit action of a refused passkey approval.
pub const REFUSED: &str = "request.approve.refused";

/// `p` starts approving request `id` with a passkey: they may approve it now (the checks of
/// any decision), and get a fresh nonce for it, replacing any earlier one of theirs.
pub async fn start(b: &Broker, p: &Principal, id: &str) -> Result<(Record, String), DomainError> {
    let rec = decide::ready(b, p, id, "approve").await?;
    let nonce = hex(&random_bytes(32).map_err(DomainError::Internal)?);
    b.store
        .put_approval_nonce(id, &p.issuer, &p.sub, &nonce, Timestamp::now())
        .await?;
    Ok((rec, nonce))
}

/// The nonce `p`'s assertion for request `id` must have been made under: their current one,
/// if still fresh. Without one the approval is refused (and audited): started on another
/// page long ago, or already used.
pub async fn current_nonce(b: &Broker, p: &Principal, id: &str) -> Result<String, DomainError> {
    // An assertion sent for a request no longer open (a replay once it was approved), or by
    // someone who may not approve it, is refused and audited like any other.
    match decide::ready(b, p, id, "approve").await {
        Ok(_) => {}
        Err(
            e @ (DomainError::Conflict(_)
            | DomainError::RequestExpired(_)
            | DomainError::Forbidden(_)
            | DomainError::SelfApproval(_)),
        ) => {
            let audited = refuse(b, p, id, e.to_string()).await;
            return Err(match audited {
                DomainError::PasskeyRefused(_) => e,
                failed => failed,
            });
        }
        Err(e) => return Err(e),
    }
    match b.store.approval_nonce(id, &p.issuer, &p.sub).await? {
        Some((nonce, at)) if Timestamp::now().0 - at.0 <= NONCE_SECS => Ok(nonce),
        Some(_) => Err(refuse(b, p, id, "the passkey challenge is more than 10 minutes old; start again".into()).await),
        None => Err(refuse(
            b,
            p,
            id,
            format!("no passkey challenge of request {id} is open for you: it was used already (a replayed assertion), or never started"),
        )
        .await),
    }
}

/// `p` approves request `id` with a verified assertion (`proof`). A nonce used meanwhile (a
/// replay racing the first use) is refused and audited, and nothing changes.
pub async fn approve(
    b: &Broker,
    p: &Principal,
    id: &str,
    comment: Option<String>,
    proof: PasskeyProof,
) -> Result<(Record, Option<&'static str>), DomainError> {
    match decide::decide_with(b, p, id, comment, Verdict::Approve, Some(proof)).await {
        Err(DomainError::PasskeyRefused(why)) => Err(refuse(b, p, id, why).await),
        other => other,
    }
}

/// Audit a refused passkey approval of request `id` by `p`, and answer the refusal (or the
/// store's failure to audit it).
pub async fn refuse(b: &Broker, p: &Principal, id: &str, why: String) -> DomainError {
    let audit = AuditEntry::new(p.display(), REFUSED, Some(id))
        .decision("refuse", &[])
        .detail(format!("passkey approval refused: {why}"));
    match b.store.append_audit(audit).await {
        Ok(_) => DomainError::PasskeyRefused(why),
        Err(e) => e.into(),
    }
}

/// The refusal of an approval of request `id` without a passkey, naming where to give it.
pub(super) fn required(b: &Broker, id: &str) -> DomainError {
    let page = crate::review_link::url_for(b, id).unwrap_or_else(|| format!("/review/{id}"));
    DomainError::PasskeyRequired(format!(
        "request {id} needs an approval confirmed with a passkey: approve it on its review \
         page, {page}, with a passkey you enrolled there"
    ))
}

/// What an approval's audit row says of the passkey that confirmed it.
pub(super) fn audit_words(proof: &PasskeyProof) -> String {
    format!(
        "; confirmed with passkey {} (user verified: {}, sign count {})",
        proof.credential_id,
        if proof.user_verified { "yes" } else { "no" },
        proof.counter
    )
}
