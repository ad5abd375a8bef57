//! Approving or denying a pending request: a member of its approver groups decides — never its
//! own requester (separation of duties), and not when a policy `forbid` on `approve` says no. A
//! decision that needs N approvals takes N distinct approvers: each approval is counted once and
//! the request stays pending until the last; one deny ends it. The last approval opens the grant
//! window: the TTL starts then, not at the request. Past the review window it is over.

use super::{DomainError, lifecycle};
use crate::auth::Principal;
use crate::policy::Action;
use crate::policy::acts::{self, Word};
use crate::state::Broker;
use crate::store::{Approval, AuditEntry, Change, PasskeyProof, Record, StoreError};
use zt_api::{self as api, Timestamp};

/// Which way the approver decides.
#[derive(Clone, Copy, Debug)]
pub enum Verdict {
    Approve,
    Deny,
}

impl Verdict {
    pub(crate) fn verb(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Deny => "deny",
        }
    }
}

fn authorize(rec: &Record, p: &Principal, verb: &str) -> Result<(), DomainError> {
    let id = rec.id();
    if rec.is_requester(p) {
        return Err(DomainError::SelfApproval(format!(
            "you requested {id}; someone else in {} must {verb} it",
            rec.request.decision.approver_groups.join(" or ")
        )));
    }
    if !rec.is_approver(p) {
        let groups = &rec.request.decision.approver_groups;
        return Err(DomainError::Forbidden(if groups.is_empty() {
            format!("request {id} takes no approvals")
        } else {
            format!(
                "only members of {} may {verb} request {id}",
                groups.join(" or ")
            )
        }));
    }
    Ok(())
}

/// `p` decides request `id` with an optional `comment`. The answer is the request and, for an
/// approval, whether it was `counted`, `already-counted`, or `approved` the request. A request
/// whose decision asks for a passkey is approved only through [`super::passkey`].
pub async fn decide(
    b: &Broker,
    p: &Principal,
    id: &str,
    comment: Option<String>,
    verdict: Verdict,
) -> Result<(Record, Option<&'static str>), DomainError> {
    decide_with(b, p, id, comment, verdict, None).await
}

/// [`decide`], an approval confirmed by a verified passkey assertion when `proof` is given.
pub(super) async fn decide_with(
    b: &Broker,
    p: &Principal,
    id: &str,
    comment: Option<String>,
    verdict: Verdict,
    proof: Option<PasskeyProof>,
) -> Result<(Record, Option<&'static str>), DomainError> {
    let verb = verdict.verb();
    let rec = ready(b, p, id, verb).await?;
    // A bundle's requests are decided together (see `bundle::decide`).
    if let Some(bundle) = rec.request.bundle_id.clone() {
        return super::bundle::decide::decide(b, p, &rec, &bundle, comment, verdict, proof).await;
    }
    if let (Verdict::Approve, Some(_), None) =
        (verdict, rec.request.decision.approval_assurance, &proof)
    {
        return Err(super::passkey::required(b, id));
    }
    let r = &rec.request;
    let mut detail = format!(
        "{}/{} for {}s requested by {}",
        r.resource, r.role, r.ttl_secs, r.requester
    );
    if let Some(c) = &comment {
        detail.push_str(&format!("; comment: {c}"));
    }
    if let Some(proof) = &proof {
        detail.push_str(&super::passkey::audit_words(proof));
    }
    detail.push_str(&super::schedule::audit_words(&rec));
    let audit = AuditEntry::new(p.display(), format!("request.{verb}"), Some(id))
        .decision(verb, &r.decision.policy_ids)
        .detail(detail);
    match verdict {
        // Counted once per approver; the last one needed approves (and opens the window).
        Verdict::Approve => {
            let done = lifecycle::approve(b, id, p, comment, audit, proof.as_ref()).await?;
            let said = match &done {
                Approval::Counted(_) => "counted",
                Approval::Already(_) => "already-counted",
                Approval::Approved(_) => "approved",
            };
            Ok((done.record().clone(), Some(said)))
        }
        // One approver's no is enough. From `pending` only: a concurrent decision makes this
        // one a conflict, never a second change.
        Verdict::Deny => {
            let change = Change {
                decided_by: Some(p.display().to_owned()),
                comment,
                window: None,
            };
            let rec = lifecycle::transition(
                b,
                id,
                api::State::Pending,
                api::State::Denied,
                change,
                audit,
            )
            .await?;
            Ok((rec, None))
        }
    }
}

/// Request `id` as it is, if `p` may `verb` it now: an approver who is not its requester,
/// not forbidden by policy, and the request pending within its review window.
pub(crate) async fn ready(
    b: &Broker,
    p: &Principal,
    id: &str,
    verb: &str,
) -> Result<Record, DomainError> {
    let rec = b.store.get(id).await?;
    authorize(&rec, p, verb)?;
    // Policy may forbid a decision the groups allow (never allow one they do not).
    match acts::ask(&*b.policy, &b.catalog, p, Action::Approve, &rec) {
        Word::Forbids(d) => return Err(DomainError::Forbidden(Word::refusal(&d, verb, id))),
        Word::StepUp(m, ids) => {
            let what = format!("request {id}");
            return Err(super::step_up::refuse(b, p, m, &ids, verb, &what, Some(id)).await);
        }
        Word::Permits | Word::Silent => {}
    }
    // Expired before anyone decided (the reaper got there first): over, not a conflict.
    if rec.state() == api::State::Expired && rec.request.not_before.is_none() {
        return Err(DomainError::RequestExpired(format!(
            "request {id} expired: nobody decided it within the review window"
        )));
    }
    if rec.state() != api::State::Pending {
        return Err(DomainError::Conflict(format!(
            "request {id} is {}, not pending",
            rec.state()
        )));
    }
    let now = Timestamp::now();
    // Past the review window the request is over, whether or not the reaper got to it yet.
    let deadline = b.review_deadline(rec.request.created_at);
    if now >= deadline {
        let actor = lifecycle::BROKER_ACTOR;
        match super::expire::expire_pending(b, &rec, actor).await {
            Ok(_) | Err(StoreError::Refused { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        return Err(DomainError::RequestExpired(format!(
            "request {id} expired at {deadline}: nobody decided it within the review window"
        )));
    }
    Ok(rec)
}
