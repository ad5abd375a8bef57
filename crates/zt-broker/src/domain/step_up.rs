//! Step-up authentication, the domain's side (RFC 9470): when policy lets an act through only
//! with a stronger or fresher authentication than the caller's token shows (a matched
//! permit's `@step_up`, see [`crate::policy::step_up`]), the act is not done; the refusal is
//! audited as `auth.step_up_required` and answered 401 `insufficient_user_authentication`
//! with what to ask the IdP for (`routes/errors.rs`). Checked on request create, approve/deny
//! and extend; a bundle create calls [`demand`] per item the same way.

use super::DomainError;
use crate::auth::Principal;
use crate::policy::Verdict;
use crate::policy::step_up::Missing;
use crate::state::Broker;
use crate::store::AuditEntry;
use zt_api::Outcome;

/// The audit action of a refused act that needs a step-up.
pub const REQUIRED: &str = "auth.step_up_required";

/// What the caller's authentication lacks for `verdict`, if anything: a deny needs no
/// step-up (stronger authentication would not change it).
pub fn missing(verdict: &Verdict) -> Option<&Missing> {
    match verdict.decision.outcome {
        Outcome::Deny => None,
        _ => verdict.step_up.as_ref(),
    }
}

/// Refuse `act` (`"request"`, `"approve"`, `"deny"`, `"extend"`) of `p` on `what` (e.g.
/// `prod-db/admin`, or a request id) when `verdict` needs a step-up: audited (under `id`, the
/// request's, when there is one), answered [`DomainError::StepUp`]. `Ok` when none is needed.
pub async fn demand(
    b: &Broker,
    p: &Principal,
    verdict: &Verdict,
    act: &str,
    what: &str,
    id: Option<&str>,
) -> Result<(), DomainError> {
    match missing(verdict) {
        None => Ok(()),
        Some(m) => Err(refuse(b, p, m.clone(), &verdict.decision.policy_ids, act, what, id).await),
    }
}

/// Audit the refusal and answer it (or the store's failure to audit it).
pub async fn refuse(
    b: &Broker,
    p: &Principal,
    missing: Missing,
    policy_ids: &[String],
    act: &str,
    what: &str,
    id: Option<&str>,
) -> DomainError {
    let need = missing.describe();
    let shown = match (&p.auth.acr, p.auth.auth_time.map(zt_api::Timestamp)) {
        (Some(acr), Some(t)) => format!("the token shows {acr}, authenticated at {t}"),
        (Some(acr), None) => format!("the token shows {acr}, no authentication time"),
        (None, Some(t)) => format!("the token shows no acr, authenticated at {t}"),
        (None, None) => "the token shows no acr and no authentication time".to_string(),
    };
    let detail = format!(
        "to {act} {what}, policy {} needs {need}; {shown}: sign in again with that (zt does \
         so on a terminal)",
        policy_ids.join(", ")
    );
    let audit = AuditEntry::new(p.display(), REQUIRED, id)
        .decision("step-up", policy_ids)
        .detail(format!(
            "{act} {what} by {}: needs {need}; {shown}",
            p.display()
        ));
    match b.store.append_audit(audit).await {
        Ok(_) => DomainError::StepUp { missing, detail },
        Err(e) => e.into(),
    }
}
