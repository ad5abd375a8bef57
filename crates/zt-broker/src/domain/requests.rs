//! Reading requests: one request as its requester, an approver or an admin sees it, waiting
//! while it stays in a state (the long-poll); the caller's own requests; and the approver
//! inbox — what the caller may decide.

use std::time::Duration;

use tokio::time::Instant;

use super::{DomainError, visible};
use crate::auth::Principal;
use crate::state::Broker;
use crate::store::Record;
use zt_api as api;

/// Request `id` as `p` may see it ([`visible`]), once it is no longer in `state`: at once if
/// it is not, else when it changes, after `wait`, or when the broker starts closing, whichever
/// comes first.
pub async fn wait_out(
    b: &Broker,
    p: &Principal,
    id: &str,
    state: api::State,
    wait: Duration,
) -> Result<Record, DomainError> {
    let deadline = Instant::now() + wait;
    // Subscribe before reading, so a change between the read and the wait is not missed.
    let mut sub = b.notifier.subscribe(id);
    let mut closing = b.closing.subscribe();
    let mut rec = visible(b, id, p).await?;
    while rec.state() == state && !*closing.borrow_and_update() {
        tokio::select! {
            _ = sub.changed() => rec = b.store.get(id).await?,
            _ = tokio::time::sleep_until(deadline) => break,
            _ = closing.changed() => break,
        }
    }
    Ok(rec)
}

/// `p`'s own requests in any of `states` (all of them when `states` is empty).
pub async fn mine(
    b: &Broker,
    p: &Principal,
    states: &[api::State],
) -> Result<Vec<Record>, DomainError> {
    let mine = b.store.list_by_requester(&p.issuer, &p.sub).await?;
    Ok(mine
        .into_iter()
        .filter(|r| states.is_empty() || states.contains(&r.state()))
        .collect())
}

/// The approver inbox: the requests in any of `states` (`pending` when empty) that `p` may
/// decide.
pub async fn inbox(
    b: &Broker,
    p: &Principal,
    states: Vec<api::State>,
) -> Result<Vec<Record>, DomainError> {
    let states = if states.is_empty() {
        vec![api::State::Pending]
    } else {
        states
    };
    let all = b.store.list_by_state(&states).await?;
    // What the caller may decide: never their own, and not a pending one they already
    // approved (it waits for the other approvers, not for them).
    Ok(all
        .into_iter()
        .filter(|r| r.is_approver(p) && !r.is_requester(p))
        .filter(|r| !(r.state() == api::State::Pending && r.approved_by(p)))
        .collect())
}
