//! Bundles (issue 16): one request for several resources, with one TTL, reason and ticket.
//! Each item is checked and decided by policy on its own ([`super::create::decide_item`]: a
//! policy may deny one item and grant another, and the bundle says which), and all are
//! stored together or not at all — an unknown resource or role, a TTL over a maximum, a
//! resource named twice, too many items refuse the whole bundle, and nothing is created.
//! Idempotent like a single create: item `i` is stored under the key `{key}#bundle-item-{i}`
//! with the bundle body's hash, so a retry finds the first item and answers the bundle again.
//!
//! Approval is of the bundle as a whole ([`decide`]): approving (or denying) any pending item
//! approves (denies) all its pending items in one transaction. So that a bundle is never half
//! approved, a bundle whose pending items would need a passkey or different numbers of
//! approvals is refused at creation; an approver must be allowed to decide every pending item
//! (their approver groups may differ), else the decision is refused, naming the item.

use super::create::{decide_item, record};
use super::{DomainError, lifecycle};
use crate::auth::Principal;
use crate::crypto::{new_id, sha256_hex};
use crate::state::Broker;
use crate::store::{AuditEntry, Record, StoreError};
use zt_api::{self as api, BundleItem, CreateBundle, CreateRequest, Timestamp};

pub mod decide;

/// A bundle create's answer: a new bundle, or the original one of a retried create.
#[derive(Debug)]
pub enum Created {
    New(api::Bundle),
    Replay(api::Bundle),
}

/// The idempotency key item `i` of a bundle created under `key` is stored with (zero-padded:
/// the store reads a bundle's items back in this order).
fn item_key(key: &str, i: usize) -> String {
    format!("{key}#bundle-item-{i:02}")
}

/// The items `body` asks for: its own, or those of the catalog bundle it names; bounded, and
/// no resource twice.
fn items(b: &Broker, body: &CreateBundle) -> Result<Vec<BundleItem>, DomainError> {
    let items = match (&body.name, body.items.is_empty()) {
        (Some(_), false) => {
            return Err(DomainError::Invalid(
                "a bundle gives either items or the name of a catalog bundle, not both".into(),
            ));
        }
        (Some(name), true) => b
            .catalog
            .bundle(name)
            .ok_or_else(|| {
                DomainError::NotFound(format!("there is no bundle {name:?} in the catalog"))
            })?
            .items
            .clone(),
        (None, true) => {
            return Err(DomainError::Invalid(
                "a bundle needs at least one item (or the name of a catalog bundle)".into(),
            ));
        }
        (None, false) => body.items.clone(),
    };
    if items.len() > api::MAX_BUNDLE_ITEMS {
        return Err(DomainError::Invalid(format!(
            "a bundle has at most {} items; this one has {}",
            api::MAX_BUNDLE_ITEMS,
            items.len()
        )));
    }
    // An unknown resource is "not found" (404) as for a single request, before the bundle's
    // own rules (a resource named twice).
    if let Some(unknown) = items
        .iter()
        .find(|i| b.catalog.resource(&i.resource).is_none())
    {
        return Err(DomainError::NotFound(format!(
            "there is no resource {:?} in the catalog",
            unknown.resource
        )));
    }
    for (i, item) in items.iter().enumerate() {
        if items[..i].iter().any(|o| o.resource == item.resource) {
            return Err(DomainError::Invalid(format!(
                "the bundle names {:?} twice; ask for each resource once",
                item.resource
            )));
        }
    }
    Ok(items)
}

/// Refuse a bundle that one approval could not approve whole: a pending item that needs a
/// passkey, or pending items that need different numbers of approvals.
fn approvable(new: &[(Record, AuditEntry)]) -> Result<(), DomainError> {
    let pending: Vec<&api::Request> = new
        .iter()
        .map(|(r, _)| &r.request)
        .filter(|r| r.state == api::State::Pending)
        .collect();
    if let Some(r) = pending
        .iter()
        .find(|r| r.decision.approval_assurance.is_some())
    {
        return Err(DomainError::Invalid(format!(
            "{}/{} needs an approval confirmed with a passkey, which a bundle cannot take; request it on its own",
            r.resource, r.role
        )));
    }
    let needed: Vec<u32> = pending
        .iter()
        .map(|r| r.decision.approvals_needed())
        .collect();
    if needed.windows(2).any(|w| w[0] != w[1]) {
        let each: Vec<String> = pending
            .iter()
            .map(|r| {
                format!(
                    "{}/{}: {}",
                    r.resource,
                    r.role,
                    api::approvals_phrase(r.decision.approvals_needed())
                )
            })
            .collect();
        return Err(DomainError::Invalid(format!(
            "the bundle's items need different numbers of approvals ({}); request them separately",
            each.join(", ")
        )));
    }
    Ok(())
}

fn hash_body(body: &CreateBundle) -> Result<String, DomainError> {
    let json = serde_json::to_vec(body).map_err(|e| DomainError::Internal(e.to_string()))?;
    Ok(sha256_hex(&json))
}

/// The bundle of `first` (its first item), for a retry under the same key: the same body
/// answers it again, another body is a conflict.
async fn replay(
    b: &Broker,
    first: Record,
    body_sha256: &str,
    key: &str,
    name: Option<String>,
) -> Result<Created, DomainError> {
    match &first.request.bundle_id {
        Some(id) if first.body_sha256 == body_sha256 => Ok(Created::Replay(api::Bundle {
            requests: records(b, id).await?,
            id: id.clone(),
            name,
        })),
        _ => Err(DomainError::Conflict(format!(
            "Idempotency-Key {key:?} was already used for a different request ({})",
            first.id()
        ))),
    }
}

async fn records(b: &Broker, id: &str) -> Result<Vec<api::Request>, DomainError> {
    Ok(b.store
        .bundle(id)
        .await?
        .into_iter()
        .map(|r| r.request)
        .collect())
}

/// Create the bundle `body` for `p` under idempotency `key`, once (see the module's doc).
pub async fn create(
    b: &Broker,
    p: &Principal,
    key: &str,
    body: &CreateBundle,
) -> Result<Created, DomainError> {
    let body_sha256 = &hash_body(body)?;
    let first_key = item_key(key, 0);
    if let Some(first) = b.store.find_by_key(&p.issuer, &p.sub, &first_key).await? {
        return replay(b, first, body_sha256, key, body.name.clone()).await;
    }
    let items = items(b, body)?;
    let now = Timestamp::now();
    let id = new_id().map_err(DomainError::Internal)?;
    let mut new = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let one = CreateRequest {
            resource: item.resource.clone(),
            role: item.role.clone(),
            ttl_secs: body.ttl_secs,
            reason: body.reason.clone(),
            ticket: body.ticket.clone(),
            break_glass: body.break_glass,
            context: body.context.clone(),
            start_at: body.start_at,
        };
        let k = item_key(key, i);
        let found = b
            .store
            .find_for_create(&p.issuer, &p.sub, &k, &item.resource, now)
            .await?;
        let mut request = decide_item(b, p, &one, found.holds_grant, now).await?;
        request.bundle_id = Some(id.clone());
        let more = format!("; bundle {id}, item {} of {}", i + 1, items.len());
        new.push(record(b, p, request, &k, body_sha256, &one, &more)?);
    }
    approvable(&new)?;
    let audit =
        AuditEntry::new(p.display(), "bundle.create", None).detail(audit_detail(&id, body, &new));
    match b.store.insert_bundle(&new, audit).await {
        Ok(stored) => {
            for rec in &stored {
                lifecycle::created(b, rec);
            }
            Ok(Created::New(api::Bundle {
                id,
                name: body.name.clone(),
                requests: stored.into_iter().map(|r| r.request).collect(),
            }))
        }
        // A concurrent retry stored it first (or a key was reused): answer as for a replay.
        Err(StoreError::Duplicate) => {
            match b.store.find_by_key(&p.issuer, &p.sub, &first_key).await? {
                Some(first) => replay(b, first, body_sha256, key, body.name.clone()).await,
                None => Err(DomainError::Conflict(format!(
                    "Idempotency-Key {key:?} was already used for a different request"
                ))),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// `bundle {id} (incident-db-access): prod-k8s/view → grant, prod-db/ro → deny`.
fn audit_detail(id: &str, body: &CreateBundle, new: &[(Record, AuditEntry)]) -> String {
    let name = body
        .name
        .as_deref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    let each: Vec<String> = new
        .iter()
        .map(|(r, a)| {
            let r = &r.request;
            format!(
                "{}/{} {} → {}",
                r.resource,
                r.role,
                r.id,
                a.decision.as_deref().unwrap_or("")
            )
        })
        .collect();
    format!("bundle {id}{name}: {}", each.join(", "))
}

/// Bundle `id`, if `p` may see it: its requester, an approver of one of its items, or an
/// admin.
pub async fn get(b: &Broker, p: &Principal, id: &str) -> Result<api::Bundle, DomainError> {
    let recs = b.store.bundle(id).await?;
    if recs.is_empty() {
        return Err(DomainError::NotFound(format!("no bundle {id}")));
    }
    let may = recs.iter().any(|r| r.is_requester(p) || r.is_approver(p)) || b.is_admin(p);
    if !may {
        return Err(DomainError::Forbidden(format!(
            "bundle {id} is neither yours nor yours to approve"
        )));
    }
    Ok(api::Bundle {
        id: id.to_owned(),
        name: None,
        requests: recs.into_iter().map(|r| r.request).collect(),
    })
}
