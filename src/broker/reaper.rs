//! The expiry reaper: marks every live grant `expired` when its window closes and revokes its
//! credential at the issuer. It works from the store, not from memory, so grants outlive a
//! restart; it sleeps until the next expiry or until told of a new grant — no fixed poll.
//! (Expiry is also enforced when credentials are read, so a late reaper never extends a grant.)

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::api::{State, Timestamp};
use crate::broker::lifecycle;
use crate::broker::state::Broker;

pub const ACTOR: &str = "zt-broker/reaper";

/// The longest the reaper sleeps without news (a safety net for clock jumps), and how long it
/// backs off after a store error.
const IDLE: Duration = Duration::from_secs(3600);
const BACKOFF: Duration = Duration::from_secs(5);

/// Run the reaper until the broker starts closing.
pub fn spawn(broker: Arc<Broker>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(broker))
}

/// One pass: expire what is due and retry revocations left undone. Returns how long to sleep.
pub async fn pass(b: &Broker) -> Duration {
    let now = Timestamp::now();
    match b.store.due_grants(now).await {
        Ok(due) => {
            for rec in due {
                let detail = match rec.request.expires_at {
                    Some(e) => format!("window closed at {e}"),
                    None => "window closed".into(),
                };
                // Refused means someone else (a revoke) ended it first: nothing to do.
                if let Err(e) = lifecycle::end_grant(b, &rec, State::Expired, ACTOR, detail).await {
                    if !matches!(e, crate::broker::store::StoreError::Refused { .. }) {
                        eprintln!("zt-broker: reaper: expiring {}: {e}", rec.id());
                    }
                }
            }
        }
        Err(e) => {
            eprintln!("zt-broker: reaper: {e}");
            return BACKOFF;
        }
    }
    let mut retry_soon = false;
    match b.store.ended_with_live_credentials().await {
        Ok(ids) => {
            for id in ids {
                if let Ok(rec) = b.store.get(&id).await {
                    retry_soon |= !lifecycle::revoke_at_target(b, &rec).await;
                }
            }
        }
        Err(e) => {
            eprintln!("zt-broker: reaper: {e}");
            retry_soon = true;
        }
    }
    let next = match b.store.next_expiry().await {
        Ok(Some(t)) => t
            .to_system_time()
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
            .min(IDLE),
        Ok(None) => IDLE,
        Err(e) => {
            eprintln!("zt-broker: reaper: {e}");
            BACKOFF
        }
    };
    if retry_soon { next.min(BACKOFF) } else { next }
}

async fn run(b: Arc<Broker>) {
    let mut closing = b.closing.subscribe();
    loop {
        if *closing.borrow_and_update() {
            return;
        }
        let sleep = pass(&b).await;
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = b.reaper_wake.notified() => {}
            _ = closing.changed() => return,
        }
    }
}
