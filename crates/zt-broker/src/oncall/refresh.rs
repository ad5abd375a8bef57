//! Keeping the schedules current: each feed fetched every `refresh` (every replica on its
//! own), parsed, and swapped in whole only when it reads — a feed that fails keeps the last
//! good data. After each attempt the schedule's health is compared with what was last said and
//! each change is audited once: `oncall.refresh.failed` when fetching or parsing starts
//! failing, `oncall.stale` when the data grows older than `stale_after` (from then on nobody
//! is on call for it), `oncall.fresh` when fresh data is back.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::fetch::{self, Fetched};
use super::ics::{self, LIMITS};
use super::{OnCall, Schedule};
use crate::state::Broker;
use crate::store::{AuditEntry, BROKER_ACTOR, Store};
use zt_api::Timestamp;

/// What one attempt did, for callers and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// New data read: this many shifts naming someone.
    Read(usize),
    /// `304 Not Modified`: the data read before still holds (and is fresh again).
    Unchanged,
    /// Fetching or parsing failed; the last good data stays.
    Failed(String),
}

impl OnCall {
    /// Refresh every schedule once, in turn, auditing changes in `store`.
    pub async fn refresh_all(&self, store: &Store) -> Vec<Outcome> {
        let mut out = Vec::new();
        for s in &self.schedules {
            out.push(self.refresh(s, store).await);
        }
        out
    }

    /// Refresh schedule `s` once.
    pub async fn refresh(&self, s: &Schedule, store: &Store) -> Outcome {
        let (etag, last_modified) = {
            let st = s.read();
            (st.etag.clone(), st.last_modified.clone())
        };
        let fetched = fetch::fetch(
            &self.http,
            &s.settings.source,
            etag.as_deref(),
            last_modified.as_deref(),
            LIMITS.max_bytes,
        )
        .await;
        // The clock's time after the fetch: what the data is as fresh as.
        let now = self.now();
        let outcome = match fetched {
            Ok(Fetched::NotModified) => {
                s.write().fetched_at = Some(now);
                Outcome::Unchanged
            }
            Ok(Fetched::Body {
                bytes,
                etag,
                last_modified,
            }) => match ics::parse(&bytes, &s.settings.people_from, &LIMITS) {
                Ok(cal) => {
                    let n = cal.shifts.len();
                    let mut st = s.write();
                    st.calendar = Arc::new(cal);
                    st.fetched_at = Some(now);
                    st.etag = etag;
                    st.last_modified = last_modified;
                    Outcome::Read(n)
                }
                Err(e) => Outcome::Failed(format!("the feed is not a usable iCalendar feed: {e}")),
            },
            Err(e) => Outcome::Failed(e),
        };
        tell(s, &outcome, now, store).await;
        outcome
    }
}

/// Audit (and log) what changed about `s`'s health with this `outcome`.
async fn tell(s: &Schedule, outcome: &Outcome, now: Timestamp, store: &Store) {
    let name = &s.settings.name;
    let from = s.settings.source.describe();
    let mut said: Vec<AuditEntry> = Vec::new();
    let fresh = s.is_fresh(now);
    {
        let mut st = s.write();
        match outcome {
            Outcome::Failed(why) => {
                tracing::warn!(schedule = %name, "on-call feed {from}: {why}");
                if st.failing.is_none() {
                    let kept = match st.fetched_at {
                        Some(at) => format!("the data fetched at {} stays in use", at.to_rfc3339()),
                        None => "there is no data yet: nobody is on call for it".into(),
                    };
                    said.push(entry(
                        "oncall.refresh.failed",
                        format!("schedule {name} ({from}): {why}; {kept}"),
                    ));
                }
                st.failing = Some(why.clone());
            }
            Outcome::Read(_) | Outcome::Unchanged => {
                if let Some(was) = st.failing.take() {
                    tracing::info!(schedule = %name, "on-call feed {from} reads again (was: {was})");
                }
            }
        }
        if !fresh && !st.stale_told {
            st.stale_told = true;
            let since = match st.fetched_at {
                Some(at) => format!("last fetched at {}", at.to_rfc3339()),
                None => "never fetched".into(),
            };
            tracing::warn!(schedule = %name, "on-call schedule is stale ({since}): nobody counts as on call for it");
            said.push(entry(
                "oncall.stale",
                format!(
                    "schedule {name} ({from}) is stale: {since}, older than stale_after {}s; \
                     nobody counts as on call for it until it is fetched again",
                    s.settings.stale_after.as_secs()
                ),
            ));
        } else if fresh && st.stale_told {
            st.stale_told = false;
            said.push(entry(
                "oncall.fresh",
                format!("schedule {name} ({from}) is fresh again"),
            ));
        }
    }
    for e in said {
        if let Err(e) = store.append_audit(e).await {
            tracing::error!("audit append failed: {e}");
        }
    }
}

fn entry(action: &str, detail: String) -> AuditEntry {
    AuditEntry::new(BROKER_ACTOR, action, None).detail(detail)
}

/// Refresh every schedule of `b` in the background, each at its own interval, until the broker
/// closes. `None` when it has none.
pub fn spawn(b: &Arc<Broker>) -> Option<JoinHandle<()>> {
    let oncall = b.oncall()?.clone();
    let b = Arc::clone(b);
    Some(tokio::spawn(async move {
        let mut tasks = Vec::new();
        for i in 0..oncall.schedules.len() {
            let (oc, b) = (Arc::clone(&oncall), Arc::clone(&b));
            tasks.push(tokio::spawn(async move {
                let mut closing = b.closing.subscribe();
                let every = oc.schedules[i].settings.refresh.max(Duration::from_secs(1));
                loop {
                    if *closing.borrow_and_update() {
                        break;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(every) => {}
                        _ = closing.changed() => break,
                    }
                    oc.refresh(&oc.schedules[i], &b.store).await;
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
    }))
}
