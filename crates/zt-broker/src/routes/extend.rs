//! `POST /v1/grants/{id}/extend`: the requester asks for more time on a live grant. Policy is
//! asked again (Cedar action `extend`, with `holds_grant = true`): a deny is refused with its
//! policy ids and reason; a decision that needs an approval is refused too (an extension never
//! waits for a person — a new request does); a grant moves the end to now + `ttl_secs`, never
//! earlier than it already was, provided the whole grant (from `not_before`) stays within the
//! verdict's `max_ttl`.

use axum::Json;
use axum::extract::State;

use super::extract::{ApiJson, ApiPath, Caller};
use super::text;
use crate::catalog::human_ttl;
use crate::lifecycle;
use crate::policy::{Action, PolicyInput};
use crate::problem::ApiError;
use crate::state::AppState;
use crate::store::{AuditEntry, Extended};
use zt_api::{self as api, ExtendRequest, Outcome, Timestamp};

pub async fn extend(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(mut body): ApiJson<ExtendRequest>,
) -> Result<Json<api::Request>, ApiError> {
    let b = &s.broker;
    // The body's form first (400), before what the grant's state would say; its `reason`
    // was checked on the way in (`ApiJson`, `body::Wellformed`).
    super::create::check_ttl_form(body.ttl_secs)?;
    // Stored with CR LF as LF.
    body.reason = text::free_text("reason", body.reason.take(), text::MAX_REASON)?;
    let rec = b.store.get(&id).await?;
    if !rec.is_requester(&p) {
        return Err(ApiError::forbidden(format!(
            "only its requester may extend grant {id}"
        )));
    }
    let now = Timestamp::now();
    lifecycle::ensure_live(&rec, now)?;
    let r = &rec.request;
    let (Some(res), Some(nb), Some(end)) =
        (b.catalog.resource(&r.resource), r.not_before, r.expires_at)
    else {
        return Err(ApiError::conflict(format!(
            "grant {id}: {} is no longer in the catalog",
            r.resource
        )));
    };
    let Some(role) = res.role(&r.role) else {
        return Err(ApiError::conflict(format!(
            "grant {id}: {}/{} is no longer in the catalog",
            r.resource, r.role
        )));
    };
    let reason = body.reason.as_deref().or(r.reason.as_deref());
    let verdict = b.policy.decide(&PolicyInput {
        principal: &p,
        action: Action::Extend,
        resource: res,
        role,
        ttl_secs: body.ttl_secs,
        reason,
        ticket: r.ticket.as_deref(),
        break_glass: r.break_glass,
        context: &rec.context,
        holds_grant: true,
        now,
    });
    let d = &verdict.decision;
    let ids = d.policy_ids.join(", ");
    match d.outcome {
        Outcome::Deny => {
            return Err(ApiError::denied(
                "Extension denied by policy",
                format!("{} (policy {ids})", d.reason),
            ));
        }
        Outcome::RequireApproval => {
            return Err(ApiError::denied(
                "Extending needs an approval",
                format!(
                    "extending {}/{} needs an approval from {} (policy {ids}); an extension \
                     never waits for one: request a new grant instead",
                    r.resource,
                    r.role,
                    d.approver_groups.join(" or ")
                ),
            ));
        }
        Outcome::Grant => {}
    }
    let new_end = now.add_secs(body.ttl_secs as i64).max(end);
    let total = (new_end.0 - nb.0).max(0) as u64;
    if total > verdict.max_ttl.as_secs() {
        let room = (nb.0 + verdict.max_ttl.as_secs() as i64 - now.0).max(0);
        return Err(ApiError::ttl_exceeded(format!(
            "a {}/{} grant lasts at most {} in all{}; grant {id} started at {nb}, so it can \
             run at most {room}s from now",
            r.resource,
            r.role,
            human_ttl(verdict.max_ttl),
            verdict
                .max_ttl_by
                .as_deref()
                .map(|id| format!(" (policy {id})"))
                .unwrap_or_default(),
        )));
    }
    let mut detail = format!(
        "{}/{} until {new_end} (was {end}), {}s from now, by {}",
        r.resource,
        r.role,
        body.ttl_secs,
        p.display()
    );
    if let Some(reason) = &body.reason {
        detail.push_str(&format!("; reason: {reason}"));
    }
    let audit = AuditEntry::new(p.display(), "grant.extend", Some(&id))
        .decision("grant", &d.policy_ids)
        .detail(detail);
    match lifecycle::extend(b, &id, new_end, audit).await? {
        Extended::Done(rec) => Ok(Json(rec.request)),
        // It ended (or was revoked) while policy was asked.
        Extended::NotLive(rec) => {
            lifecycle::ensure_live(&rec, Timestamp::now())?;
            Err(ApiError::conflict(format!(
                "grant {id} changed while it was being extended; try again"
            )))
        }
    }
}

#[cfg(test)]
mod tests;
