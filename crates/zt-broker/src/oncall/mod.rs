//! On-call schedules (`[oncall.NAME]`, README "On-call schedules"): iCalendar feeds — PagerDuty
//! and Opsgenie export them — read in the background, so that policy can weigh whether the
//! caller is on call now.
//!
//! What the rest of the broker sees is one thing: on every authenticated call (the API's
//! bearer token, the review page's session) the caller's groups gain `oncall:NAME` for each
//! schedule they are on call for at that moment ([`OnCall::enrich`]), and lose any such group
//! their token claimed — the broker alone says who is on call. From there:
//! - Cedar's `context.oncall` is those names ([`names`]), so a policy may grant at once, or
//!   allow break-glass, only to whoever is on call;
//! - `principal in Group::"oncall:NAME"` holds in Cedar, and the catalog's group rules
//!   (`auto_approve_groups`, `approver_groups`) may name `oncall:NAME`;
//! - an approver group `oncall:NAME` (`@approvers("oncall:sre-lead")`) routes approval to
//!   whoever is on call for NAME when they approve: checked at the approval, like any group.
//!
//! Data older than a schedule's `stale_after` (a feed that keeps failing) counts as nobody on
//! call, and the change is audited once (`oncall.stale`, then `oncall.fresh` when it recovers);
//! a feed that fails to fetch or parse keeps the last good data (`oncall.refresh.failed`, once
//! per failing spell). [`ics`] reads the feeds, [`fetch`] gets them, [`schedule`] holds what
//! was read, [`refresh`] keeps it current; the time comes from a [`clock::Clock`] tests set.

pub mod check;
pub mod clock;
pub mod fetch;
pub mod ics;
pub mod refresh;
pub mod schedule;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::auth::Principal;
use clock::Clock;
pub use schedule::{MatchClaim, Schedule, Settings, Source};
use zt_api::Timestamp;

/// The prefix of the groups the broker gives whoever is on call: `oncall:primary`.
pub const GROUP_PREFIX: &str = "oncall:";

/// Every configured schedule, and the clock they are read by.
#[derive(Debug)]
pub struct OnCall {
    pub schedules: Vec<Schedule>,
    pub clock: Arc<dyn Clock>,
    pub(crate) http: reqwest::Client,
}

impl OnCall {
    pub fn new(settings: Vec<Settings>, clock: Arc<dyn Clock>) -> Arc<Self> {
        Arc::new(Self {
            schedules: settings.into_iter().map(Schedule::new).collect(),
            clock,
            http: fetch::client(),
        })
    }

    /// On-call time now.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The schedule called `name`.
    pub fn schedule(&self, name: &str) -> Option<&Schedule> {
        self.schedules.iter().find(|s| s.settings.name == name)
    }

    /// The names of the schedules `p` is on call for at `now`, in configuration order.
    pub fn names_at(&self, p: &Principal, now: Timestamp) -> Vec<String> {
        self.schedules
            .iter()
            .filter(|s| {
                let who = match s.settings.match_claim {
                    MatchClaim::Email => p.email.as_deref().unwrap_or(""),
                    MatchClaim::Sub => p.sub.as_str(),
                };
                s.on_call(who, now)
            })
            .map(|s| s.settings.name.clone())
            .collect()
    }

    /// `p`'s groups as the broker sees them: without any `oncall:` group the token claimed,
    /// with `oncall:NAME` for each schedule `p` is on call for now.
    pub fn enrich(&self, p: &mut Principal) {
        strip(p);
        let now = self.now();
        for name in self.names_at(p, now) {
            p.groups.push(format!("{GROUP_PREFIX}{name}"));
        }
    }
}

/// Drop the `oncall:` groups a token claims: only the broker says who is on call.
pub fn strip(p: &mut Principal) {
    p.groups.retain(|g| !g.starts_with(GROUP_PREFIX));
}

/// The schedules `p` is on call for, as [`OnCall::enrich`] found them: what Cedar sees as
/// `context.oncall`. Empty for a principal that was not enriched.
pub fn names(p: &Principal) -> Vec<String> {
    p.groups
        .iter()
        .filter_map(|g| g.strip_prefix(GROUP_PREFIX))
        .map(str::to_owned)
        .collect()
}

/// The broker's view of `p`: on-call groups from its schedules (stripped of claimed ones even
/// when it has none). Every extractor of an authenticated caller calls this.
pub fn enrich(b: &crate::state::Broker, p: &mut Principal) {
    match b.oncall() {
        Some(oc) => oc.enrich(p),
        None => strip(p),
    }
}
