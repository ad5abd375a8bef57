//! `POST /v1/requests/{id}/approve` and `/deny`: a member of the request's approver groups
//! decides a pending request — never its own requester (separation of duties). Approval
//! opens the grant window now: the TTL starts at approval, not at the request.

use axum::Json;
use axum::extract::State;

use super::extract::{ApiPath, Caller, OptionalJson};
use crate::api::{self, Comment, Timestamp};
use crate::broker::auth::Principal;
use crate::broker::lifecycle;
use crate::broker::problem::ApiError;
use crate::broker::state::AppState;
use crate::broker::store::{AuditEntry, Change, Record};

#[derive(Clone, Copy)]
enum Verdict {
    Approve,
    Deny,
}

fn authorize(rec: &Record, p: &Principal, verb: &str) -> Result<(), ApiError> {
    let id = rec.id();
    if rec.is_requester(p) {
        return Err(ApiError::self_approval(format!(
            "you requested {id}; someone else in {} must {verb} it",
            rec.request.decision.approver_groups.join(" or ")
        )));
    }
    if !rec.is_approver(p) {
        let groups = &rec.request.decision.approver_groups;
        return Err(ApiError::forbidden(if groups.is_empty() {
            format!("request {id} takes no approvals")
        } else {
            format!("only members of {} may {verb} request {id}", groups.join(" or "))
        }));
    }
    Ok(())
}

async fn decide(s: AppState, p: Principal, id: String, comment: Comment, verdict: Verdict) -> Result<Json<api::Request>, ApiError> {
    let b = &s.broker;
    let verb = match verdict {
        Verdict::Approve => "approve",
        Verdict::Deny => "deny",
    };
    let rec = b.store.get(&id).await?;
    authorize(&rec, &p, verb)?;
    if rec.state() != api::State::Pending {
        return Err(ApiError::conflict(format!("request {id} is {}, not pending", rec.state())));
    }
    let now = Timestamp::now();
    let (to, window) = match verdict {
        Verdict::Approve => (api::State::Approved, Some((now, now.add_secs(rec.request.ttl_secs as i64)))),
        Verdict::Deny => (api::State::Denied, None),
    };
    let r = &rec.request;
    let mut detail = format!("{}/{} for {}s requested by {}", r.resource, r.role, r.ttl_secs, r.requester);
    if let Some(c) = &comment.comment {
        detail.push_str(&format!("; comment: {c}"));
    }
    let audit = AuditEntry::new(p.display(), format!("request.{verb}"), Some(&id))
        .decision(verb, &r.decision.policy_ids)
        .detail(detail);
    let change = Change {
        decided_by: Some(p.display().to_owned()),
        comment: comment.comment,
        window,
    };
    // From `pending` only: a concurrent decision makes this one a 409, never a second change.
    let rec = lifecycle::transition(b, &id, api::State::Pending, to, change, audit).await?;
    Ok(Json(rec.request))
}

pub async fn approve(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<String>,
    OptionalJson(c): OptionalJson<Comment>,
) -> Result<Json<api::Request>, ApiError> {
    decide(s, p, id, c, Verdict::Approve).await
}

pub async fn deny(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<String>,
    OptionalJson(c): OptionalJson<Comment>,
) -> Result<Json<api::Request>, ApiError> {
    decide(s, p, id, c, Verdict::Deny).await
}
