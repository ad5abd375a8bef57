//! A grant's end on this machine: which of its entries stay for the grace period and which go
//! at once, the tombstone that outlives them all, and the wipe when the grace is over.
//!
//! Kept: entries that hold no secret and whose use runs zt's helper, which then explains the
//! end — a kubeconfig context (and a grant's own kubeconfig for `zt env`), an AWS profile
//! with `credential_process`. Gone at once: static AWS keys (and the region-only profile
//! beside them), PostgreSQL services and passwords, the cached credential. Only an end the
//! user did not ask for is explained this way (time, someone else's revoke); `zt revoke` and
//! `zt logout` wipe everything at once ([`super::wipe_where`]).

use std::collections::BTreeMap;

use super::wipe_entries;
use crate::error::Result;
use crate::ledger::{Ended, Entry, IniFile, Ledger, Target};
use crate::output::Printer;
use crate::tombstone::{self, Tombstone, Why};
use crate::{credcache, settings};
use zt_api::Timestamp;

/// What a sweep did: entries wiped, and entries kept for their grace period.
#[derive(Debug, Default)]
pub struct Swept {
    pub wiped: Vec<Entry>,
    pub kept: Vec<Ended>,
}

impl Swept {
    pub fn is_empty(&self) -> bool {
        self.wiped.is_empty() && self.kept.is_empty()
    }
}

/// End the grants of the live entries `why` names (with when they ended): record a tombstone
/// each, keep their harmless entries until the end plus the grace (with `grace` and an end
/// the user did not ask for), wipe the rest; and wipe every kept entry whose grace is over.
pub fn end_where(
    printer: &Printer,
    dry_run: bool,
    grace: bool,
    why: impl Fn(&Entry) -> Option<(Why, i64)>,
) -> Result<Swept> {
    let now = Timestamp::now().0;
    let due = |l: &Ledger| {
        l.entries.iter().any(|e| why(e).is_some()) || l.ended.iter().any(|e| e.until <= now)
    };
    // Fast path, no lock: most runs find nothing to do.
    let ledger = Ledger::read()?;
    if !due(&ledger) {
        return Ok(Swept::default());
    }
    if dry_run {
        let over = ledger.ended.into_iter().filter(|e| e.until <= now);
        return Ok(Swept {
            wiped: (ledger.entries.into_iter().filter(|e| why(e).is_some()))
                .chain(over.map(|e| e.entry))
                .collect(),
            kept: vec![],
        });
    }
    let grace_secs = if grace { settings::grace_secs() } else { 0 };
    let mut tombs = Vec::new();
    let swept = Ledger::modify(|l| {
        let (ending, live): (Vec<Entry>, Vec<Entry>) =
            l.entries.drain(..).partition(|e| why(e).is_some());
        l.entries = live;
        let (over, in_grace): (Vec<Ended>, Vec<Ended>) =
            l.ended.drain(..).partition(|e| e.until <= now);
        l.ended = in_grace;
        let mut by_grant: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
        for e in &ending {
            by_grant.entry(&e.grant).or_default().push(e);
        }
        let mut kept = Vec::new();
        let mut to_wipe: Vec<Entry> = over.iter().map(|e| e.entry.clone()).collect();
        // Where each entry of `to_wipe` goes back if its file cannot be edited.
        let mut back: Vec<Option<Ended>> = over.into_iter().map(Some).collect();
        for e in &ending {
            let Some((why, ended_at)) = why(e) else {
                continue;
            };
            tombs.push(Tombstone::of(e, ended_at, why));
            let until = ended_at.saturating_add(grace_secs);
            let explains = matches!(why, Why::Expired | Why::RevokedBySomeoneElse);
            if grace_secs > 0 && explains && until > now && harmless(e, &by_grant[e.grant.as_str()])
            {
                kept.push(Ended {
                    entry: e.clone(),
                    ended_at,
                    until,
                    why,
                });
            } else {
                to_wipe.push(e.clone());
                back.push(None);
            }
        }
        // The grant is over: its cached credential goes whatever stays.
        for e in &kept {
            let _ = credcache::remove(&e.entry.grant);
        }
        let gone = wipe_entries(printer, &to_wipe);
        let mut wiped = Vec::new();
        for ((e, g), back) in to_wipe.into_iter().zip(gone).zip(back) {
            match (g, back) {
                (true, _) => wiped.push(e),
                (false, Some(b)) => l.ended.push(b),
                (false, None) => l.entries.push(e),
            }
        }
        l.ended.extend(kept.iter().cloned());
        Ok(Swept { wiped, kept })
    })?;
    if let Err(e) = tombstone::record(tombs) {
        printer.warn(&format!("could not record why grants ended: {}", e.message));
    }
    Ok(swept)
}

/// An entry that holds no secret and explains the end when used: a kubeconfig context (or a
/// grant's own kubeconfig), an AWS profile with `credential_process` — not the region-only
/// profile of a grant written with static keys.
fn harmless(e: &Entry, of_grant: &[&Entry]) -> bool {
    match &e.target {
        Target::Kubeconfig { .. } | Target::File { .. } => true,
        Target::Ini {
            dialect: IniFile::AwsConfig,
            ..
        } => !of_grant.iter().any(|x| {
            matches!(
                x.target,
                Target::Ini {
                    dialect: IniFile::AwsCredentials,
                    ..
                }
            )
        }),
        // An SSH grant's block, key files and agent entry go at its end: ssh explains nothing.
        Target::Ini { .. }
        | Target::Pgpass { .. }
        | Target::SshHost { .. }
        | Target::SshKey { .. }
        | Target::SshAgent { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Target;

    fn entry(target: Target) -> Entry {
        Entry {
            grant: "g1".into(),
            profile: "default".into(),
            resource: "r".into(),
            role: "view".into(),
            expires_at: 0,
            target,
        }
    }

    fn ini(dialect: IniFile) -> Target {
        Target::Ini {
            file: "/f".into(),
            header: "profile zt-r".into(),
            dialect,
            undo: Default::default(),
        }
    }

    #[test]
    fn only_what_holds_no_secret_and_explains_is_kept() {
        let kube = entry(Target::Kubeconfig {
            file: "/k".into(),
            name: "zt-r".into(),
            undo: Default::default(),
        });
        let own = entry(Target::File { file: "/f".into() });
        let profile = entry(ini(IniFile::AwsConfig));
        let keys = entry(ini(IniFile::AwsCredentials));
        let service = entry(ini(IniFile::PgService));
        let pgpass = entry(Target::Pgpass {
            file: "/p".into(),
            grant: "g1".into(),
            undo: Default::default(),
        });
        assert!(harmless(&kube, &[&kube]));
        assert!(harmless(&own, &[&own, &kube]));
        assert!(harmless(&profile, &[&profile]));
        // The region-only profile beside static keys explains nothing: both go.
        assert!(!harmless(&profile, &[&keys, &profile]));
        assert!(!harmless(&keys, &[&keys, &profile]));
        assert!(!harmless(&service, &[&service, &pgpass]));
        assert!(!harmless(&pgpass, &[&service, &pgpass]));
    }
}
