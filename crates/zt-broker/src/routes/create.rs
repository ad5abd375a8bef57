//! `POST /v1/requests`: check the request against the catalog, ask policy, store it with its
//! decision — once per `Idempotency-Key`, so a retried POST never makes a second request.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

use super::extract::{ApiJson, Caller};
use super::text;
use crate::auth::Principal;
use crate::catalog::human_ttl;
use crate::crypto::{new_id, sha256_hex};
use crate::lifecycle;
use crate::policy::{Action, PolicyInput};
use crate::problem::ApiError;
use crate::state::AppState;
use crate::store::{AuditEntry, Record, StoreError};
use zt_api::{self as api, CreateRequest, Outcome, Timestamp};

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

const MAX_SHORT: usize = 256;
/// The longest TTL the API takes at all (openapi.yaml `TtlSecs`): a larger one does not
/// match the document (400); one within it but over the role's maximum is a 422.
pub const MAX_TTL_SECS: u64 = 365 * 24 * 3600;

fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .ok_or_else(|| ApiError::invalid("the Idempotency-Key header is required"))?
        .to_str()
        .map_err(|_| ApiError::invalid("the Idempotency-Key header must be visible ASCII"))?
        .trim();
    // Printable ASCII, as the document's pattern says (to_str also lets a tab through).
    if !key.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return Err(ApiError::invalid(
            "the Idempotency-Key header must be printable ASCII",
        ));
    }
    if key.is_empty() || key.len() > 255 {
        return Err(ApiError::invalid(
            "the Idempotency-Key header must have 1 to 255 characters",
        ));
    }
    Ok(key.to_owned())
}

/// `ttl_secs` as the document bounds it (1 to [`MAX_TTL_SECS`]).
pub fn check_ttl_form(ttl_secs: u64) -> Result<(), ApiError> {
    if ttl_secs == 0 {
        return Err(ApiError::invalid("ttl_secs must be at least 1"));
    }
    if ttl_secs > MAX_TTL_SECS {
        return Err(ApiError::invalid(format!(
            "ttl_secs must be at most {MAX_TTL_SECS} (a year)"
        )));
    }
    Ok(())
}

fn check_lengths(body: &CreateRequest) -> Result<(), ApiError> {
    let too_long = |what: &str, v: &str, max: usize| {
        (v.chars().count() > max)
            .then(|| ApiError::invalid(format!("{what} is longer than {max} characters")))
    };
    let c = &body.context;
    [
        too_long("context.hostname", &c.hostname, MAX_SHORT),
        too_long("context.platform", &c.platform, MAX_SHORT),
        too_long("context.client_version", &c.client_version, MAX_SHORT),
    ]
    .into_iter()
    .flatten()
    .next()
    .map_or(Ok(()), Err)
}

/// The original request for a reused key: the same body answers it again (200), another body
/// is a conflict.
fn replay(
    existing: Record,
    body_sha256: &str,
    key: &str,
) -> Result<(StatusCode, Json<api::Request>), ApiError> {
    if existing.body_sha256 == body_sha256 {
        return Ok((StatusCode::OK, Json(existing.request)));
    }
    Err(ApiError::conflict(format!(
        "Idempotency-Key {key:?} was already used for a different request ({})",
        existing.id()
    )))
}

fn audit_detail(p: &Principal, r: &api::Request, ctx: &api::ClientContext) -> String {
    let mut d = format!(
        "{}/{} for {}s by {}",
        r.resource,
        r.role,
        r.ttl_secs,
        p.display()
    );
    if let Some(reason) = &r.reason {
        d.push_str(&format!("; reason: {reason}"));
    }
    if let Some(ticket) = &r.ticket {
        d.push_str(&format!("; ticket: {ticket}"));
    }
    if r.break_glass {
        d.push_str("; BREAK-GLASS");
    }
    d.push_str(&format!(
        "; client: {} {} zt/{}",
        ctx.hostname, ctx.platform, ctx.client_version
    ));
    d
}

pub async fn create(
    State(s): State<AppState>,
    Caller(p): Caller,
    headers: HeaderMap,
    ApiJson(mut body): ApiJson<CreateRequest>,
) -> Result<(StatusCode, Json<api::Request>), ApiError> {
    let b = &s.broker;
    let key = idempotency_key(&headers)?;
    // The body's form first (400), whatever the key or the catalog would say about it.
    check_ttl_form(body.ttl_secs)?;
    check_lengths(&body)?;
    // Before the body is hashed: a retry with CR LF and one with LF are the same request.
    body.reason = text::free_text("reason", body.reason.take(), text::MAX_REASON)?;
    body.ticket = text::free_text("ticket", body.ticket.take(), text::MAX_TICKET)?;
    let body_sha256 = sha256_hex(&serde_json::to_vec(&body).map_err(ApiError::internal)?);
    let now = Timestamp::now();
    // One read: a retried request's original, or else whether the requester holds a live
    // grant on the resource, which policy may treat differently (e.g. no stacking).
    let found = b
        .store
        .find_for_create(&p.issuer, &p.sub, &key, &body.resource, now)
        .await?;
    if let Some(existing) = found.existing {
        return replay(existing, &body_sha256, &key);
    }

    let res = b.catalog.resource(&body.resource).ok_or_else(|| {
        ApiError::not_found(format!(
            "there is no resource {:?} in the catalog",
            body.resource
        ))
    })?;
    let role_name = body.role.as_deref().unwrap_or(&res.default_role);
    let role = res.role(role_name).ok_or_else(|| {
        ApiError::unknown_role(format!(
            "{} has no role {role_name:?} (roles: {})",
            res.name,
            res.role_names().join(", ")
        ))
    })?;
    if body.ttl_secs > role.max_ttl.as_secs() {
        return Err(ApiError::ttl_exceeded(format!(
            "the longest {}/{} grant is {}",
            res.name,
            role.name,
            human_ttl(role.max_ttl)
        )));
    }

    let verdict = b.policy.decide(&PolicyInput {
        principal: &p,
        action: Action::for_request(body.break_glass),
        resource: res,
        role,
        ttl_secs: body.ttl_secs,
        reason: body.reason.as_deref(),
        ticket: body.ticket.as_deref(),
        break_glass: body.break_glass,
        context: &body.context,
        holds_grant: found.holds_grant,
        now,
    });
    // Policy may cap the TTL below the catalog's role maximum (checked above).
    if verdict.decision.outcome != Outcome::Deny && !verdict.allows_ttl(body.ttl_secs) {
        return Err(ApiError::ttl_exceeded(format!(
            "the longest {}/{} grant is {}{}",
            res.name,
            role.name,
            human_ttl(verdict.max_ttl),
            verdict
                .max_ttl_by
                .as_deref()
                .map(|id| format!(" (policy {id})"))
                .unwrap_or_default()
        )));
    }
    let decision = verdict.decision;
    let (state, window) = match decision.outcome {
        Outcome::Grant => (
            api::State::Approved,
            Some((now, now.add_secs(body.ttl_secs as i64))),
        ),
        Outcome::RequireApproval => (api::State::Pending, None),
        Outcome::Deny => (api::State::Denied, None),
    };
    let request = api::Request {
        id: new_id().map_err(ApiError::internal)?,
        requester: p.display().to_owned(),
        resource: res.name.clone(),
        kind: res.kind,
        role: role.name.clone(),
        ttl_secs: body.ttl_secs,
        reason: body.reason.clone(),
        ticket: body.ticket.clone(),
        break_glass: body.break_glass,
        state,
        decision,
        decided_by: None,
        decision_comment: None,
        approvals: vec![],
        created_at: now,
        not_before: window.map(|w| w.0),
        expires_at: window.map(|w| w.1),
    };
    let outcome = serde_json::to_value(request.decision.outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let audit = AuditEntry::new(p.display(), "request.create", Some(&request.id))
        .decision(outcome, &request.decision.policy_ids)
        .detail(audit_detail(&p, &request, &body.context));
    let rec = Record {
        request,
        requester_issuer: p.issuer.clone(),
        requester_sub: p.sub.clone(),
        idempotency_key: key.clone(),
        body_sha256: body_sha256.clone(),
        context: body.context.clone(),
        comment: None,
        approvals: vec![],
    };
    match b.store.insert_request(&rec, audit).await {
        Ok(stored) => {
            lifecycle::created(b, &stored);
            Ok((StatusCode::CREATED, Json(stored.request)))
        }
        // The same key raced in from a concurrent retry: answer as for a replay.
        Err(StoreError::Duplicate) => match b.store.find_by_key(&p.issuer, &p.sub, &key).await? {
            Some(existing) => replay(existing, &body_sha256, &key),
            None => Err(ApiError::internal("idempotency key vanished")),
        },
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests;
