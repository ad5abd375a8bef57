//! Wipe at TTL, client side. Three ways an expired entry goes: the sweep at the start of every
//! zt run, a detached `zt reap --daemon` (one per user) that sleeps until the next expiry, and
//! `zt revoke`/`zt logout`. The credential also dies at the target, so a missed wipe (laptop
//! asleep) leaves nothing usable — and the first run after waking removes it.
//!
//! A grant that ends by time or by someone else's revoke keeps its harmless entries (a
//! kubeconfig context, an AWS `credential_process` profile) for a grace period ([`end`]), so
//! the next kubectl or aws call hears why from the helper instead of "context not found"; a
//! tombstone ([`crate::tombstone`]) keeps the explanation after that.

mod daemon;
mod end;

use std::collections::{BTreeMap, BTreeSet};

use crate::client::BrokerClient;
use crate::error::{ErrorKind, Result};
use crate::ledger::{Ended, Entry, Ledger, Target};
use crate::materialize::kubeyaml::{self, KubeUndo};
use crate::output::Printer;
use crate::tombstone::Why;
use crate::{credcache, fsutil, materialize, paths};
use zt_api::Timestamp;

pub use daemon::{daemon, ensure_running};
pub use end::{Swept, end_where};

/// Remove entries from their files and their cached credentials, one rewrite per file.
/// Returns, per entry, whether it is gone; an entry whose file could not be edited stays.
fn wipe_entries(printer: &Printer, entries: &[Entry]) -> Vec<bool> {
    let mut gone = vec![false; entries.len()];
    let mut by_file: BTreeMap<&std::path::Path, Vec<usize>> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        match e.target.file() {
            Some(f) => by_file.entry(f).or_default().push(i),
            None => gone[i] = true,
        }
    }
    for (file, idx) in by_file {
        let targets: Vec<&Target> = idx.iter().map(|&i| &entries[i].target).collect();
        match materialize::wipe(file, &targets) {
            Ok(()) => idx.iter().for_each(|&i| gone[i] = true),
            Err(err) => printer.warn(&format!(
                "could not remove {} zt entr{} from {}: {}",
                idx.len(),
                if idx.len() == 1 { "y" } else { "ies" },
                file.display(),
                err.message,
            )),
        }
    }
    // The cached credential goes in any case: the grant is over.
    for e in entries {
        let _ = credcache::remove(&e.grant);
    }
    gone
}

/// Wipe the entries `pick` selects, live or in their grace period, now; the ones that could not
/// be wiped stay in the ledger (and are reported) so a later run retries them.
pub fn wipe_where(
    printer: &Printer,
    dry_run: bool,
    pick: impl Fn(&Entry) -> bool,
) -> Result<Vec<Entry>> {
    wipe_picked(printer, dry_run, &pick, |e| pick(&e.entry))
}

/// Wipe every entry in its grace period now (`zt reap`).
pub fn wipe_ended(printer: &Printer, dry_run: bool) -> Result<Vec<Entry>> {
    wipe_picked(printer, dry_run, |_| false, |_| true)
}

fn wipe_picked(
    printer: &Printer,
    dry_run: bool,
    live: impl Fn(&Entry) -> bool,
    ended: impl Fn(&Ended) -> bool,
) -> Result<Vec<Entry>> {
    let picked = |l: Ledger| -> Vec<Entry> {
        let over = l.ended.into_iter().filter(|e| ended(e)).map(|e| e.entry);
        l.entries
            .into_iter()
            .filter(|e| live(e))
            .chain(over)
            .collect()
    };
    // Fast path, no lock: most runs find nothing to do.
    let now = picked(Ledger::read()?);
    if now.is_empty() || dry_run {
        return Ok(now);
    }
    Ledger::modify(|l| {
        let (picked, mut keep): (Vec<Entry>, Vec<Entry>) =
            l.entries.drain(..).partition(|e| live(e));
        let (over, mut keep_ended): (Vec<Ended>, Vec<Ended>) =
            l.ended.drain(..).partition(|e| ended(e));
        let n = picked.len();
        let all: Vec<Entry> = picked
            .into_iter()
            .chain(over.iter().map(|e| e.entry.clone()))
            .collect();
        let gone = wipe_entries(printer, &all);
        let mut removed = Vec::new();
        for (i, (e, g)) in all.into_iter().zip(gone).enumerate() {
            match (g, i < n) {
                (true, _) => removed.push(e),
                (false, true) => keep.push(e),
                (false, false) => keep_ended.push(over[i - n].clone()),
            }
        }
        l.entries = keep;
        l.ended = keep_ended;
        Ok(removed)
    })
}

/// End every grant whose time is up (its harmless entries into their grace period with
/// `grace`, the rest wiped) and wipe what has outlived its grace period.
pub fn sweep(printer: &Printer, dry_run: bool, grace: bool) -> Result<Swept> {
    let now = Timestamp::now().0;
    end_where(printer, dry_run, grace, |e| {
        (e.expires_at <= now).then_some((Why::Expired, e.expires_at))
    })
}

/// Remove zt-marked kubeconfig entries that no ledger entry accounts for and whose marker
/// says they have expired. kubectl reads a kubeconfig before taking its lock and writes back
/// what it read, so an entry zt wiped meanwhile can come back; the ledger no longer knows it.
/// Not part of the per-run sweep (it parses the kubeconfig): `zt reap` and the daemon run it.
pub fn sweep_orphans(printer: &Printer, dry_run: bool) -> Result<Vec<String>> {
    let file = paths::kubeconfig()?;
    let Some(text) = fsutil::read_optional_max(&file, fsutil::MAX_USER_FILE)? else {
        return Ok(vec![]);
    };
    let Ok(marked) = kubeyaml::zt_marked(&text) else {
        return Ok(vec![]);
    };
    let ledger = Ledger::read()?;
    let now = Timestamp::now();
    let orphans: Vec<String> = marked
        .into_iter()
        .filter(|m| !ledger.entries.iter().any(|e| e.grant == m.grant))
        .filter(|m| ledger.ended_of(&m.grant).next().is_none())
        .filter(|m| {
            m.expires
                .as_deref()
                .and_then(Timestamp::parse_rfc3339)
                .is_some_and(|t| t <= now)
        })
        .map(|m| m.name)
        .collect();
    if orphans.is_empty() || dry_run {
        return Ok(orphans);
    }
    let undo = KubeUndo::default();
    let list: Vec<(&str, &KubeUndo)> = orphans.iter().map(|n| (n.as_str(), &undo)).collect();
    if let Err(e) = materialize::kubeconfig::wipe(&file, &list) {
        printer.warn(&format!(
            "could not remove expired zt entries from {}: {}",
            file.display(),
            e.message
        ));
        return Ok(vec![]);
    }
    Ok(orphans)
}

/// End the grants the broker says are over before their time (revoked elsewhere: their
/// harmless entries into a grace period with `grace`), and wipe those it does not know at all
/// (a dev broker restarted, a database restored): `zt reap` and the daemon. With `profile`,
/// only that profile's grants are asked about. Each entry with why it went.
pub async fn sweep_gone(
    printer: &Printer,
    dry_run: bool,
    profile: Option<&str>,
    grace: bool,
) -> Result<Vec<(Entry, Gone)>> {
    let ledger = Ledger::read()?;
    let gone = ended_early(&ledger, profile).await;
    if gone.is_empty() {
        return Ok(vec![]);
    }
    let now = Timestamp::now().0;
    let swept = end_where(printer, dry_run, grace, |e| {
        gone.get(&e.grant).map(|g| match g {
            Gone::Ended => (Why::RevokedBySomeoneElse, now),
            Gone::Unknown => (Why::UnknownToBroker, now),
        })
    })?;
    Ok(swept
        .wiped
        .into_iter()
        .chain(swept.kept.into_iter().map(|k| k.entry))
        .filter_map(|e| gone.get(&e.grant).map(|&why| (e, why)))
        .collect())
}

/// Why a grant's entries went before its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gone {
    /// Revoked, or otherwise over at the broker.
    Ended,
    /// The broker answers that it has no such grant.
    Unknown,
}

impl Gone {
    pub fn describe(self) -> &'static str {
        match self {
            Gone::Ended => "ended early",
            Gone::Unknown => "the broker no longer knows it",
        }
    }
}

/// Grants in the ledger that the broker says are over before their time, or not known to it.
/// Best effort: a broker that cannot be reached or a login that cannot be refreshed changes
/// nothing (the credential dies at the target anyway, and the TTL wipe still comes).
async fn ended_early(ledger: &Ledger, only: Option<&str>) -> BTreeMap<String, Gone> {
    let mut by_profile: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in ledger
        .entries
        .iter()
        .filter(|e| only.is_none_or(|p| p == e.profile))
    {
        by_profile
            .entry(e.profile.as_str())
            .or_default()
            .insert(e.grant.as_str());
    }
    let mut ended = BTreeMap::new();
    for (profile, grants) in by_profile {
        let Ok((client, _)) = BrokerClient::for_profile(profile).await else {
            continue;
        };
        let Ok(live) = client
            .list_requests("requester=me&state=approved,active")
            .await
        else {
            continue;
        };
        for g in grants {
            if live.requests.iter().any(|r| r.id == g) {
                continue;
            }
            // Not live: make sure it is really over (and not, say, another user's).
            match client.get_request(g, None).await {
                Ok(r) if r.state.is_final() => {
                    ended.insert(g.to_string(), Gone::Ended);
                }
                Err(e) if e.kind == ErrorKind::NotFound => {
                    ended.insert(g.to_string(), Gone::Unknown);
                }
                _ => {}
            }
        }
    }
    ended
}
