//! Deciding a bundle: approving or denying any pending request of a bundle
//! (`POST /v1/requests/{id}/approve|deny`, the review page, `zt approve`) decides all its
//! pending items together, in one transaction, each audited as its own `request.approve` or
//! `request.deny`. The approver must be allowed to decide every pending item ([`ready`]:
//! their groups, not the requester, no policy `forbid`, within the review window), or nothing
//! is decided. Items policy granted or denied at creation keep their state.

use crate::auth::Principal;
use crate::domain::decide::{Verdict, ready};
use crate::domain::{DomainError, lifecycle};
use crate::state::Broker;
use crate::store::{Approval, AuditEntry, Change, PasskeyProof, Record};
use zt_api::State;

/// `p` decides bundle `bundle` through its request `rec`; the answer is `rec` as it is now
/// and, for an approval, what it did to `rec` (`counted`, `already-counted`, `approved`).
pub async fn decide(
    b: &Broker,
    p: &Principal,
    rec: &Record,
    bundle: &str,
    comment: Option<String>,
    verdict: Verdict,
    proof: Option<PasskeyProof>,
) -> Result<(Record, Option<&'static str>), DomainError> {
    if proof.is_some() {
        return Err(DomainError::Invalid(format!(
            "request {} is part of bundle {bundle}, which is approved as a whole without a passkey",
            rec.id()
        )));
    }
    let verb = verdict.verb();
    let mut items = Vec::new();
    for item in b.store.bundle(bundle).await? {
        if item.state() != State::Pending {
            continue;
        }
        let item = ready(b, p, item.id(), verb)
            .await
            .map_err(|e| of_bundle(e, bundle))?;
        let audit = AuditEntry::new(p.display(), format!("request.{verb}"), Some(item.id()))
            .decision(verb, &item.request.decision.policy_ids)
            .detail(detail(&item, comment.as_deref(), bundle));
        items.push((item.id().to_owned(), audit));
    }
    let answer = |recs: &[Record], said| {
        recs.iter()
            .find(|r| r.id() == rec.id())
            .cloned()
            .map(|r| (r, said))
            .ok_or_else(|| DomainError::Internal(format!("bundle {bundle} lost {}", rec.id())))
    };
    match verdict {
        Verdict::Approve => {
            let done = b.store.approve_bundle(items, p, comment).await?;
            for d in &done {
                lifecycle::approved(b, d);
            }
            let said = done
                .iter()
                .find(|d| d.record().id() == rec.id())
                .map(|d| match d {
                    Approval::Counted(_) => "counted",
                    Approval::Already(_) => "already-counted",
                    Approval::Approved(_) => "approved",
                });
            let recs: Vec<Record> = done.iter().map(|d| d.record().clone()).collect();
            answer(&recs, said)
        }
        Verdict::Deny => {
            let change = Change {
                decided_by: Some(p.display().to_owned()),
                comment,
                window: None,
            };
            let recs = b
                .store
                .transition_bundle(items, State::Pending, State::Denied, &change)
                .await?;
            for r in &recs {
                lifecycle::moved(b, State::Pending, State::Denied, r);
            }
            answer(&recs, None)
        }
    }
}

/// A refusal about one item, said of the bundle it is part of.
fn of_bundle(e: DomainError, bundle: &str) -> DomainError {
    let say = |m: String| format!("{m} (it is part of bundle {bundle}, decided as a whole)");
    match e {
        DomainError::Forbidden(m) => DomainError::Forbidden(say(m)),
        DomainError::SelfApproval(m) => DomainError::SelfApproval(say(m)),
        DomainError::Conflict(m) => DomainError::Conflict(say(m)),
        DomainError::RequestExpired(m) => DomainError::RequestExpired(say(m)),
        other => other,
    }
}

fn detail(rec: &Record, comment: Option<&str>, bundle: &str) -> String {
    let r = &rec.request;
    let mut d = format!(
        "{}/{} for {}s requested by {}; bundle {bundle}",
        r.resource, r.role, r.ttl_secs, r.requester
    );
    if let Some(c) = comment {
        d.push_str(&format!("; comment: {c}"));
    }
    d
}
