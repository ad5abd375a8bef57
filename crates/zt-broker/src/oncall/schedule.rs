//! One on-call schedule (`[oncall.NAME]`): where its feed comes from and how it is read
//! ([`Settings`]), and what the broker last read of it ([`Schedule`]): the shifts, when they
//! were fetched, the HTTP validators for the next conditional request, and whether the feed is
//! failing or stale right now (so each change is audited once).

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::ics::{Calendar, PeopleFrom};
use zt_api::Timestamp;

/// `refresh` when the configuration says nothing: how often the feed is fetched.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(5 * 60);
/// `stale_after` when the configuration says nothing: data older than this counts as nobody
/// on call.
pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(60 * 60);

/// Where a feed comes from.
#[derive(Clone, PartialEq)]
pub enum Source {
    /// A file, re-read at every refresh.
    File(PathBuf),
    /// An `https://` URL (`webcal://` is read as `https://`; plain `http://` only on loopback).
    /// Such URLs carry the feed's secret token (PagerDuty's path, Opsgenie's `webcalToken`):
    /// only [`Source::describe`] is ever shown.
    Url(reqwest::Url),
}

impl Source {
    /// For people and logs: the file, or the URL's scheme and host only.
    pub fn describe(&self) -> String {
        match self {
            Self::File(p) => p.display().to_string(),
            Self::Url(u) => format!("{}://{}/…", u.scheme(), u.host_str().unwrap_or("?")),
        }
    }
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Which claim of the caller's token is compared with the addresses a feed names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchClaim {
    /// The token's email (the default).
    Email,
    /// The token's subject (IdPs whose `sub` is the address).
    Sub,
}

/// A schedule as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `NAME` of `[oncall.NAME]`: what `context.oncall` holds, and the group `oncall:NAME`.
    pub name: String,
    pub source: Source,
    pub refresh: Duration,
    pub stale_after: Duration,
    /// Where events name people, in order; the first that names anyone wins.
    pub people_from: Vec<PeopleFrom>,
    pub match_claim: MatchClaim,
}

impl Settings {
    /// A schedule read from `source` with every default.
    pub fn new(name: impl Into<String>, source: Source) -> Self {
        Self {
            name: name.into(),
            source,
            refresh: DEFAULT_REFRESH,
            stale_after: DEFAULT_STALE_AFTER,
            people_from: PeopleFrom::ALL.iter().map(|(_, p)| *p).collect(),
            match_claim: MatchClaim::Email,
        }
    }
}

/// What the broker last read of a feed.
#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) calendar: Arc<Calendar>,
    /// The clock's time of the last fetch that succeeded (a 304 counts): `None` until one did.
    pub(super) fetched_at: Option<Timestamp>,
    pub(super) etag: Option<String>,
    pub(super) last_modified: Option<String>,
    /// Why the last fetch failed, while it keeps failing.
    pub(super) failing: Option<String>,
    /// `oncall.stale` was audited and `oncall.fresh` was not since.
    pub(super) stale_told: bool,
}

/// A schedule and what was last read of it.
#[derive(Debug)]
pub struct Schedule {
    pub settings: Settings,
    pub(super) state: RwLock<State>,
}

impl Schedule {
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            state: RwLock::default(),
        }
    }

    pub(super) fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the data is younger than `stale_after` at `now` (never fetched: no).
    pub fn is_fresh(&self, now: Timestamp) -> bool {
        let limit = i64::try_from(self.settings.stale_after.as_secs()).unwrap_or(i64::MAX);
        self.read()
            .fetched_at
            .is_some_and(|at| now.0.saturating_sub(at.0) <= limit)
    }

    /// Whether `who` (an address, any case) is on call at `now` — never on stale data.
    pub fn on_call(&self, who: &str, now: Timestamp) -> bool {
        if who.is_empty() || !self.is_fresh(now) {
            return false;
        }
        let who = who.to_lowercase();
        let cal = Arc::clone(&self.read().calendar);
        cal.shifts
            .iter()
            .take_while(|s| s.start <= now.0)
            .any(|s| now.0 < s.end && s.people.contains(&who))
    }

    /// Who is on call at `now` (empty on stale data), for logs and `check`.
    pub fn on_call_now(&self, now: Timestamp) -> Vec<String> {
        if !self.is_fresh(now) {
            return Vec::new();
        }
        let cal = Arc::clone(&self.read().calendar);
        let mut out: Vec<String> = cal
            .shifts
            .iter()
            .filter(|s| s.start <= now.0 && now.0 < s.end)
            .flat_map(|s| s.people.iter().cloned())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// When the data was last fetched, and why fetching fails now (if it does).
    pub fn health(&self) -> (Option<Timestamp>, Option<String>) {
        let s = self.read();
        (s.fetched_at, s.failing.clone())
    }
}
