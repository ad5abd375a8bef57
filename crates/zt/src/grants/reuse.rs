//! Before asking the broker again: an open request or a live grant of yours that already
//! covers what is asked (the same resource and role, and enough time) is used instead of a new
//! one, so running `zt request` again does not pile up grants — and picks up a request that
//! was still waiting for approval.

use crate::client::BrokerClient;
use crate::error::Result;
use crate::ledger::Ledger;
use zt_api::{self as api, State, Timestamp};

/// A grant with `left` seconds covers a request for `asked` seconds when it has at least 90% of
/// them left: asking again a minute later reuses it; asking for more time than it has left
/// mints a grant that ends later (and takes over the entries, see [`super::names`]).
pub fn covers(left: i64, asked: u64) -> bool {
    left > 0 && (left as u64).saturating_mul(10) >= asked.saturating_mul(9)
}

/// What the person asked for.
pub struct Ask<'a> {
    pub resource: &'a str,
    pub role: Option<&'a str>,
    pub ttl_secs: u64,
    pub break_glass: bool,
}

/// Your open request or live grant that covers `ask`: a live grant (the one ending last) before
/// a pending request. A grant this machine wrote under another profile stays that profile's.
pub async fn find(
    client: &BrokerClient,
    ask: &Ask<'_>,
    profile: &str,
) -> Result<Option<api::Request>> {
    let mine = client
        .list_requests("requester=me&state=pending,approved,active")
        .await?;
    let same: Vec<api::Request> = mine
        .requests
        .into_iter()
        .filter(|r| r.resource == ask.resource)
        .collect();
    if same.is_empty() {
        return Ok(None);
    }
    let role = match ask.role {
        Some(r) => r.to_string(),
        // No --role: the resource's default role is what the broker would grant.
        None => match client.catalog().await.ok().and_then(|c| {
            c.resources
                .into_iter()
                .find(|e| e.name == ask.resource)
                .map(|e| e.default_role)
        }) {
            Some(r) => r,
            None => return Ok(None),
        },
    };
    let ledger = Ledger::read()?;
    let foreign = |id: &str| {
        ledger
            .entries
            .iter()
            .any(|e| e.grant == id && e.profile != profile)
    };
    let now = Timestamp::now();
    Ok(same
        .into_iter()
        .filter(|r| r.role == role && !foreign(&r.id))
        // A grant or request for a later start is not access now.
        .filter(|r| {
            r.start_at.is_none() || !(r.state == State::Pending || r.is_scheduled_ahead(now))
        })
        .filter(|r| match r.state {
            // Not used yet: its whole TTL is still ahead of it.
            State::Approved if r.is_unclaimed() => covers(r.ttl_secs as i64, ask.ttl_secs),
            State::Approved | State::Active => r
                .expires_at
                .is_some_and(|t| covers(t.0 - now.0, ask.ttl_secs)),
            State::Pending => {
                r.break_glass == ask.break_glass && covers(r.ttl_secs as i64, ask.ttl_secs)
            }
            _ => false,
        })
        .max_by_key(|r| (r.state != State::Pending, r.expires_at)))
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn ninety_percent_of_the_asked_time_covers_it() {
        assert!(covers(3600, 3600));
        assert!(covers(3240, 3600));
        assert!(!covers(3239, 3600));
        assert!(covers(7200, 600));
        assert!(!covers(0, 0));
    }
}
