//! Creating a request: the catalog's resource and role, the role's TTL maximum, policy's
//! decision and TTL cap, then the record with its audit text — once per idempotency key, so a
//! retried create never makes a second request (the body's hash tells a retry from another
//! request under the same key). The body's form (lengths, free text, the TTL's bounds in the
//! document) was checked by the route before.

use super::{DomainError, lifecycle, schedule};
use crate::auth::Principal;
use crate::catalog::human_ttl;
use crate::crypto::{new_id, sha256_hex};
use crate::policy::{Action, PolicyInput};
use crate::state::Broker;
use crate::store::{AuditEntry, Record, StoreError};
use zt_api::{self as api, CreateRequest, Outcome, Timestamp};

/// A create's answer: a new request, or the original one of a retried create.
#[derive(Debug)]
pub enum Created {
    New(Record),
    Replay(Record),
}

/// The original request for a reused key: the same body answers it again, another body is a
/// conflict.
pub(super) fn replay(
    existing: Record,
    body_sha256: &str,
    key: &str,
) -> Result<Created, DomainError> {
    if existing.body_sha256 == body_sha256 {
        return Ok(Created::Replay(existing));
    }
    Err(DomainError::Conflict(format!(
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

/// What identifies a create's body, so a retry under the same key with another body is told
/// apart: the SHA-256 of its JSON, taken after the route normalized its free text (a retry
/// with CR LF and one with LF are the same request).
fn hash_body(body: &CreateRequest) -> Result<String, DomainError> {
    let json = serde_json::to_vec(body).map_err(|e| DomainError::Internal(e.to_string()))?;
    Ok(sha256_hex(&json))
}

/// Create `body` for `p` under idempotency `key`, once: a retry with the same body answers
/// the original again ([`Created::Replay`]), one with another body is a conflict.
pub async fn create(
    b: &Broker,
    p: &Principal,
    key: &str,
    body: &CreateRequest,
) -> Result<Created, DomainError> {
    let body_sha256 = &hash_body(body)?;
    let now = Timestamp::now();
    // One read: a retried request's original, or else whether the requester holds a live
    // grant on the resource, which policy may treat differently (e.g. no stacking).
    let found = b
        .store
        .find_for_create(&p.issuer, &p.sub, key, &body.resource, now)
        .await?;
    if let Some(existing) = found.existing {
        return replay(existing, body_sha256, key);
    }
    let request = decide_item(b, p, body, found.holds_grant, now).await?;
    let (rec, audit) = record(b, p, request, key, body_sha256, body, "")?;
    match b.store.insert_request(&rec, audit).await {
        Ok(stored) => {
            lifecycle::created(b, &stored);
            Ok(Created::New(stored))
        }
        // The same key raced in from a concurrent retry: answer as for a replay.
        Err(StoreError::Duplicate) => match b.store.find_by_key(&p.issuer, &p.sub, key).await? {
            Some(existing) => replay(existing, body_sha256, key),
            None => Err(DomainError::Internal("idempotency key vanished".into())),
        },
        Err(e) => Err(e.into()),
    }
}

/// One request checked and decided, not yet stored: the catalog's resource and role, the
/// role's TTL maximum, policy's decision and TTL cap. Its state follows the decision (a
/// policy's deny is a denied request, not an error). Also each item of a bundle
/// ([`super::bundle`]).
pub(super) async fn decide_item(
    b: &Broker,
    p: &Principal,
    body: &CreateRequest,
    holds_grant: bool,
    now: Timestamp,
) -> Result<api::Request, DomainError> {
    let res = b.catalog.resource(&body.resource).ok_or_else(|| {
        DomainError::NotFound(format!(
            "there is no resource {:?} in the catalog",
            body.resource
        ))
    })?;
    let role_name = body.role.as_deref().unwrap_or(&res.default_role);
    let role = res.role(role_name).ok_or_else(|| {
        DomainError::UnknownRole(format!(
            "{} has no role {role_name:?} (roles: {})",
            res.name,
            res.role_names().join(", ")
        ))
    })?;
    if body.ttl_secs > role.max_ttl.as_secs() {
        return Err(DomainError::TtlExceeded(format!(
            "the longest {}/{} grant is {}",
            res.name,
            role.name,
            human_ttl(role.max_ttl)
        )));
    }

    let start = schedule::start(b, body.start_at, now)?;
    let verdict = b.policy.decide(&PolicyInput {
        principal: p,
        action: Action::for_request(body.break_glass),
        resource: res,
        role,
        ttl_secs: body.ttl_secs,
        reason: body.reason.as_deref(),
        ticket: body.ticket.as_deref(),
        break_glass: body.break_glass,
        context: &body.context,
        holds_grant,
        now,
        oncall: &crate::oncall::names(p),
        starts_in_secs: schedule::starts_in_secs(start, now),
    });
    let what = format!("{}/{}", res.name, role.name);
    super::step_up::demand(b, p, &verdict, "request", &what, None).await?;
    // Policy may cap the TTL below the catalog's role maximum (checked above).
    if verdict.decision.outcome != Outcome::Deny && !verdict.allows_ttl(body.ttl_secs) {
        return Err(DomainError::TtlExceeded(format!(
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
    Ok(api::Request {
        id: new_id().map_err(DomainError::Internal)?,
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
        review_url: None,
        bundle_id: None,
        start_at: None,
        activation: None,
        claim_by: None,
    })
}

/// A decided `request` as stored under `key`, with its `request.create` audit row (whose
/// detail ends with `more`, e.g. the bundle it belongs to), and its clock
/// ([`schedule::shape`]: a start, a first-use role's claim window, the window when granted at
/// once).
pub(super) fn record(
    b: &Broker,
    p: &Principal,
    request: api::Request,
    key: &str,
    body_sha256: &str,
    body: &CreateRequest,
    more: &str,
) -> Result<(Record, AuditEntry), DomainError> {
    let start = schedule::start(b, body.start_at, request.created_at)?;
    let role = b
        .catalog
        .resource(&request.resource)
        .and_then(|res| res.role(&request.role))
        .ok_or_else(|| DomainError::Internal("a decided request's role vanished".into()))?;
    let outcome = serde_json::to_value(request.decision.outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let mut audit = AuditEntry::new(p.display(), "request.create", Some(&request.id))
        .decision(outcome, &request.decision.policy_ids)
        .detail(audit_detail(p, &request, &body.context) + more);
    let mut rec = Record {
        request,
        requester_issuer: p.issuer.clone(),
        requester_sub: p.sub.clone(),
        idempotency_key: key.to_owned(),
        body_sha256: body_sha256.to_owned(),
        context: body.context.clone(),
        comment: None,
        approvals: vec![],
        claim_secs: None,
    };
    schedule::shape(b, &mut rec, role, start);
    audit.detail.push_str(&schedule::audit_words(&rec));
    Ok((rec, audit))
}
