//! When a grant's clock starts (issue 16). A request may ask for a set start (`start_at`,
//! `zt request --start-at/--start-in`): approved ahead of it, the grant opens then and ends
//! `ttl` later, and no credential is handed out before. A role with `activation =
//! "first_use"` makes an approved grant wait up to the broker's claim window (`[grants]
//! claim_window`); its TTL starts at the first credential fetch ([`claim`]), and unclaimed it
//! lapses ([`lapse`], the reaper). Both are `approved` grants on the wire, told apart by
//! `activation`, `start_at` and `claim_by`.
//!
//! [`start`] checks a create's `start_at` and is what every create calls (a single request and,
//! with the same body field, a bundle).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{DomainError, lifecycle};
use crate::catalog::{Role, human_ttl};
use crate::issuers::Grant;
use crate::state::Broker;
use crate::store::{AuditEntry, Claimed, Record, grant_window};
use crate::webhooks;
use zt_api::{Activation, Credential, State, Timestamp};

/// `[grants] claim_window` when the configuration says nothing.
pub const DEFAULT_CLAIM_WINDOW: Duration = Duration::from_secs(3600);
/// `[grants] max_start_ahead` when the configuration says nothing: a week.
pub const DEFAULT_MAX_START_AHEAD: Duration = Duration::from_secs(7 * 24 * 3600);
/// A `start_at` this little in the past (clock skew between zt and the broker) starts now.
const SKEW_SECS: i64 = 30;

/// The broker's `[grants]` windows, set at wiring.
#[derive(Debug)]
pub struct Windows {
    claim_secs: AtomicU64,
    max_ahead_secs: AtomicU64,
}

impl Default for Windows {
    fn default() -> Self {
        Self {
            claim_secs: AtomicU64::new(DEFAULT_CLAIM_WINDOW.as_secs()),
            max_ahead_secs: AtomicU64::new(DEFAULT_MAX_START_AHEAD.as_secs()),
        }
    }
}

impl Windows {
    /// How long an approved first-use grant waits for its first use.
    pub fn claim_window(&self) -> Duration {
        Duration::from_secs(self.claim_secs.load(Ordering::Relaxed))
    }

    /// How far ahead a grant may be scheduled.
    pub fn max_start_ahead(&self) -> Duration {
        Duration::from_secs(self.max_ahead_secs.load(Ordering::Relaxed))
    }

    pub fn set(&self, claim_window: Duration, max_start_ahead: Duration) {
        self.claim_secs
            .store(claim_window.as_secs().max(1), Ordering::Relaxed);
        self.max_ahead_secs
            .store(max_start_ahead.as_secs().max(1), Ordering::Relaxed);
    }
}

/// A create's `start_at`, checked at `now`: `None` when it starts at approval (none asked,
/// or one within clock skew of now); refused when in the past or beyond the horizon.
pub fn start(
    b: &Broker,
    start_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<Option<Timestamp>, DomainError> {
    let Some(at) = start_at else {
        return Ok(None);
    };
    if at.0 < now.0 - SKEW_SECS {
        return Err(DomainError::InvalidStart(format!(
            "start_at {at} is in the past (the broker's time is {now})"
        )));
    }
    let ahead = b.schedule.max_start_ahead();
    if at.0 - now.0 > ahead.as_secs() as i64 {
        return Err(DomainError::InvalidStart(format!(
            "start_at {at} is more than {} ahead (the broker's limit)",
            human_ttl(ahead)
        )));
    }
    Ok((at > now).then_some(at))
}

/// Seconds until `start` (0 without one): policy's `context.starts_in_secs`.
pub fn starts_in_secs(start: Option<Timestamp>, now: Timestamp) -> u64 {
    start.map_or(0, |s| u64::try_from(s.0 - now.0).unwrap_or(0))
}

/// Fill in a new request's clock: its start, how it activates, a first-use role's claim
/// window; and when it is granted at once (`approved`), its window.
pub fn shape(b: &Broker, rec: &mut Record, role: &Role, start: Option<Timestamp>) {
    let r = &mut rec.request;
    r.start_at = start;
    if role.first_use {
        r.activation = Some(Activation::FirstUse);
        rec.claim_secs = Some(b.schedule.claim_window().as_secs());
    } else if start.is_some() {
        r.activation = Some(Activation::Scheduled);
    }
    if r.state == State::Approved {
        // Granted at once: approved when created.
        let (nb, end, claim_by) = grant_window(rec, rec.request.created_at);
        let r = &mut rec.request;
        (r.not_before, r.expires_at, r.claim_by) = (Some(nb), Some(end), claim_by);
    }
}

/// What a create's audit row adds about the clock: "; starts at …", "; first use within …".
pub fn audit_words(rec: &Record) -> String {
    let mut s = String::new();
    if let Some(at) = rec.request.start_at {
        s.push_str(&format!("; starts at {at}"));
    }
    if let Some(claim) = rec.claim_secs {
        s.push_str(&format!(
            "; TTL from first use, within {}",
            human_ttl(Duration::from_secs(claim))
        ));
    }
    s
}

/// Refused while an approved grant has not started yet: the time it starts.
pub fn not_started(rec: &Record, now: Timestamp) -> Result<(), DomainError> {
    match rec.request.not_before {
        Some(nb) if rec.state() == State::Approved && now < nb => {
            Err(DomainError::NotStarted(format!(
                "grant {} starts at {nb} (in {}); no credential before then",
                rec.id(),
                human_secs(nb.0 - now.0)
            )))
        }
        _ => Ok(()),
    }
}

/// "1h 59m", "45s": how long until something.
fn human_secs(secs: i64) -> String {
    let s = secs.max(0);
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, _) => format!("{m}m"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

/// A credential fetch on an unclaimed first-use grant starts its TTL, once across replicas
/// (the store's conditional update), audited `grant.claimed`; the grant as it is now.
pub async fn claim(b: &Broker, rec: Record, actor: &str) -> Result<Record, DomainError> {
    if !rec.request.is_unclaimed() {
        return Ok(rec);
    }
    let now = Timestamp::now();
    let r = &rec.request;
    let audit = AuditEntry::new(actor, "grant.claimed", Some(rec.id())).detail(format!(
        "{}/{}: first use; its {} start now, until {}",
        r.resource,
        r.role,
        human_ttl(Duration::from_secs(r.ttl_secs)),
        now.add_secs(r.ttl_secs as i64)
    ));
    let rec = match b.store.claim(rec.id(), now, audit).await? {
        Claimed::Now(rec) => {
            b.notifier.notify(rec.id());
            b.reaper_wake.notify_one();
            rec
        }
        Claimed::Not(rec) => rec,
    };
    // A claim that came too late (the deadline passed, the reaper not there yet) is over.
    if rec.request.is_unclaimed() {
        return Err(DomainError::NotLive(format!(
            "grant {} lapsed: it was not used by {}",
            rec.id(),
            rec.request.claim_by.unwrap_or(now)
        )));
    }
    lifecycle::ensure_live(&rec, now)?;
    Ok(rec)
}

/// The reaper found `rec` due: an unclaimed first-use grant lapses (`grant.lapsed`), and
/// `true` says it was one (whoever ended it); `false`: an ordinary end, the caller's.
pub async fn lapse(b: &Broker, rec: &Record, actor: &str) -> bool {
    if !rec.request.is_unclaimed() {
        return false;
    }
    let r = &rec.request;
    let by = r.claim_by.unwrap_or(Timestamp::now());
    let audit = AuditEntry::new(actor, "grant.lapsed", Some(rec.id())).detail(format!(
        "{}/{} requested by {} was not used by {by}",
        r.resource, r.role, r.requester
    ));
    match b.store.lapse(rec.id(), Timestamp::now(), audit).await {
        Ok(Some(ended)) => {
            b.notifier.notify(ended.id());
            if let Some(event) = webhooks::transition_event(State::Approved, State::Expired) {
                b.announce(event, &ended.request);
            }
        }
        Ok(None) => {}
        Err(e) => tracing::error!("reaper: lapsing {}: {e}", rec.id()),
    }
    true
}

/// Where an unclaimed first-use grant will connect (its issuer's
/// [`crate::issuers::Issuer::connection`]), minting nothing and starting nothing; a conflict
/// when its issuer cannot tell without minting (the client then fetches, which claims).
pub fn connection(b: &Broker, rec: &Record) -> Result<Credential, DomainError> {
    let id = rec.id();
    let (Some(grant), Some(issuer)) = (
        Grant::from_record(rec, &b.catalog),
        b.issuers.get(&rec.request.resource),
    ) else {
        return Err(DomainError::Internal(format!("grant {id} has no issuer")));
    };
    issuer.connection(&grant).ok_or_else(|| {
        DomainError::Conflict(format!(
            "the issuer of {} cannot say where to connect before minting; fetch the credential \
             (which starts grant {id}'s TTL)",
            rec.request.resource
        ))
    })
}

/// `c` with its secret parts emptied: what [`connection`] answers (`None` for a kind whose
/// entries hold the secret itself).
pub fn without_secrets(c: Credential) -> Option<Credential> {
    match c {
        Credential::Kubernetes {
            server,
            certificate_authority_data,
            namespace,
            expires_at,
            ..
        } => Some(Credential::Kubernetes {
            server,
            certificate_authority_data,
            namespace,
            token: String::new(),
            expires_at,
        }),
        Credential::Aws {
            region, expires_at, ..
        } => Some(Credential::Aws {
            access_key_id: String::new(),
            secret_access_key: String::new(),
            session_token: String::new(),
            expires_at,
            region,
        }),
        _ => None,
    }
}

/// A grant whose TTL has not started (scheduled ahead, or first-use unclaimed) has none
/// running to extend: a conflict (409), like any act on a request in the wrong state.
pub fn extendable(rec: &Record, now: Timestamp) -> Result<(), DomainError> {
    if rec.request.is_scheduled_ahead(now) {
        return Err(DomainError::Conflict(format!(
            "grant {} has not started yet (it starts at {}); extend it once it has",
            rec.id(),
            rec.request.not_before.unwrap_or(now)
        )));
    }
    if rec.request.is_unclaimed() {
        return Err(DomainError::Conflict(format!(
            "grant {} has not been used yet; its TTL starts at first use",
            rec.id()
        )));
    }
    Ok(())
}
