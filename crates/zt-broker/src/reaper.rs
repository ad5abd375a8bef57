//! The expiry reaper: marks every live grant `expired` when its window closes and revokes its
//! credential at the issuer, and expires pending requests nobody decided within the review
//! window. It works from the store, not from memory, so grants outlive a
//! restart; it sleeps until the next expiry or until told of a new grant — no fixed poll.
//! (Expiry is also enforced when credentials are read, so a late reaper never extends a grant.)

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::domain::{expire, lifecycle, schedule};
use crate::state::Broker;
use zt_api::{State, Timestamp};

pub const ACTOR: &str = "zt-broker/reaper";

/// The longest the reaper sleeps without news (a safety net for clock jumps), and how long it
/// backs off after a store error.
const IDLE: Duration = Duration::from_secs(3600);
const BACKOFF: Duration = Duration::from_secs(5);
/// How soon a replica that found the lease taken looks again at grants already due (the
/// holder is on them; this one stands by in case the holder dies).
const LEASE_BUSY: Duration = Duration::from_secs(1);

/// Run the reaper until the broker starts closing.
pub fn spawn(broker: Arc<Broker>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(broker))
}

/// One pass: expire what is due and retry revocations left undone. Returns how long to sleep.
/// With several replicas on one PostgreSQL database only the holder of the reaper's lease
/// works; the others only note when to look again (the lease frees itself when its holder
/// dies, even by SIGKILL, so a replica that survives takes over at its next pass).
pub async fn pass(b: &Broker) -> Duration {
    let _lease = match b.store.reaper_lease().await {
        Ok(Some(lease)) => lease,
        Ok(None) => return next_look(b).await.max(LEASE_BUSY),
        Err(e) => {
            tracing::error!("reaper: {e}");
            return BACKOFF;
        }
    };
    let now = Timestamp::now();
    let mut retry_soon = false;
    match b.store.due_grants(now).await {
        Ok(due) => {
            for rec in due {
                // An unclaimed first-use grant lapses instead (audited `grant.lapsed`).
                if schedule::lapse(b, &rec, ACTOR).await {
                    continue;
                }
                let detail = match rec.request.expires_at {
                    Some(e) => format!("window closed at {e}"),
                    None => "window closed".into(),
                };
                // Refused means someone else (a revoke) ended it first: nothing to do.
                match lifecycle::end_grant(b, &rec, State::Expired, ACTOR, detail).await {
                    Ok((_, revoked)) => retry_soon |= !revoked,
                    Err(crate::store::StoreError::Refused { .. }) => {}
                    Err(e) => tracing::error!("reaper: expiring {}: {e}", rec.id()),
                }
            }
        }
        Err(e) => {
            tracing::error!("reaper: {e}");
            return BACKOFF;
        }
    }
    retry_soon |= !expire_pending(b, now).await;
    match b.store.ended_with_live_credentials().await {
        Ok(ids) => {
            for id in ids {
                if let Ok(rec) = b.store.get(&id).await {
                    retry_soon |= !lifecycle::revoke_at_target(b, &rec).await;
                }
            }
        }
        Err(e) => {
            tracing::error!("reaper: {e}");
            retry_soon = true;
        }
    }
    let next = next_look(b).await;
    if retry_soon { next.min(BACKOFF) } else { next }
}

/// How long until the next grant ends or the next pending request's review window closes.
async fn next_look(b: &Broker) -> Duration {
    let until = |t: Timestamp| {
        t.to_system_time()
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
    };
    match (b.store.next_expiry().await, b.store.oldest_pending().await) {
        (Ok(grant), Ok(pending)) => {
            let review = pending.map(|t| b.review_deadline(t));
            [grant, review]
                .into_iter()
                .flatten()
                .map(until)
                .fold(IDLE, Duration::min)
        }
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!("reaper: {e}");
            BACKOFF
        }
    }
}

/// Expire the pending requests whose review window has closed. `false`: a store error (retry
/// soon).
async fn expire_pending(b: &Broker, now: Timestamp) -> bool {
    let window = i64::try_from(b.review_window().as_secs()).unwrap_or(i64::MAX);
    match b.store.due_pending(now.add_secs(-window)).await {
        Ok(due) => {
            for rec in due {
                // Refused: decided or withdrawn meanwhile, nothing to do.
                match expire::expire_pending(b, &rec, ACTOR).await {
                    Ok(_) | Err(crate::store::StoreError::Refused { .. }) => {}
                    Err(e) => tracing::error!("reaper: expiring request {}: {e}", rec.id()),
                }
            }
            true
        }
        Err(e) => {
            tracing::error!("reaper: {e}");
            false
        }
    }
}

async fn run(b: Arc<Broker>) {
    let mut closing = b.closing.subscribe();
    loop {
        if *closing.borrow_and_update() {
            return;
        }
        b.reaper_looks(None);
        let sleep = pass(&b).await;
        b.reaper_looks(Some(sleep));
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = b.reaper_wake.notified() => {}
            _ = closing.changed() => return,
        }
    }
}
