//! Tombstones: what is left of a grant after zt wiped its entries — which resource and role it
//! was for, when and why it ended — so that a credential helper run for it later (kubectl's
//! exec plugin, `credential_process`) can still say what happened and which command restores
//! access, after the reaper removed the ledger entry. `state/tombstones.json`, 0600, no secret,
//! bounded (the newest [`MAX_KEPT`], none older than [`MAX_AGE_SECS`]); changed under its own
//! lock and written atomically; a damaged or hostile file reads as empty.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ledger::{Entry, IniFile, Target};
use crate::{fsutil, paths};

/// At most this many tombstones are kept (the newest).
pub const MAX_KEPT: usize = 256;
/// A tombstone older than this is dropped: nobody still runs a week-old context.
pub const MAX_AGE_SECS: i64 = 7 * 24 * 3600;
/// 256 tombstones are ~60 KiB; a larger file is not one zt wrote and is not read.
const MAX_FILE: u64 = 1 << 20;

/// Why a grant ended, as the helpers say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Why {
    /// Its time ran out.
    Expired,
    /// `zt revoke` on this machine.
    Revoked,
    /// Revoked at the broker by someone else (an admin, another machine).
    RevokedBySomeoneElse,
    /// The broker no longer knows the grant (restarted, restored).
    UnknownToBroker,
}

impl Why {
    pub fn describe(self) -> &'static str {
        match self {
            Why::Expired => "expired",
            Why::Revoked => "revoked",
            Why::RevokedBySomeoneElse => "revoked by someone else",
            Why::UnknownToBroker => "unknown to the broker",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    pub grant: String,
    pub profile: String,
    pub resource: String,
    pub role: String,
    /// `kubernetes`, `aws` or `postgres`.
    pub kind: String,
    /// Unix seconds.
    pub ended_at: i64,
    pub why: Why,
}

impl Tombstone {
    pub fn of(e: &Entry, ended_at: i64, why: Why) -> Tombstone {
        Tombstone {
            grant: e.grant.clone(),
            profile: e.profile.clone(),
            resource: e.resource.clone(),
            role: e.role.clone(),
            kind: kind_of(&e.target).into(),
            ended_at,
            why,
        }
    }

    /// Every name in it is one zt could have written (a hand-edited file cannot smuggle
    /// terminal control or shell syntax into the command the helpers print).
    fn sane(&self) -> bool {
        [&self.grant, &self.profile, &self.resource]
            .iter()
            .all(|n| zt_api::valid_name(n))
            && (self.role.is_empty() || zt_api::valid_name(&self.role))
            && matches!(
                self.kind.as_str(),
                "kubernetes" | "aws" | "postgres" | "ssh"
            )
    }
}

fn kind_of(t: &Target) -> &'static str {
    match t {
        Target::Kubeconfig { .. } | Target::File { .. } => "kubernetes",
        Target::Ini {
            dialect: IniFile::AwsConfig | IniFile::AwsCredentials,
            ..
        } => "aws",
        Target::Ini {
            dialect: IniFile::PgService,
            ..
        }
        | Target::Pgpass { .. } => "postgres",
        Target::SshHost { .. } | Target::SshKey { .. } | Target::SshAgent { .. } => "ssh",
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    #[serde(default)]
    tombstones: Vec<Tombstone>,
}

/// The tombstones on disk, sane ones only; empty when the file is missing or damaged.
pub fn all() -> Vec<Tombstone> {
    match paths::state_dir() {
        Ok(d) => read_from(&d.join("tombstones.json")),
        Err(_) => vec![],
    }
}

fn read_from(path: &std::path::Path) -> Vec<Tombstone> {
    let Ok(Some(text)) = fsutil::read_optional_max(path, MAX_FILE) else {
        return vec![];
    };
    serde_json::from_str::<File>(&text)
        .map(|f| f.tombstones.into_iter().filter(Tombstone::sane).collect())
        .unwrap_or_default()
}

/// The tombstone of `grant`, if zt keeps one.
pub fn find(grant: &str) -> Option<Tombstone> {
    all().into_iter().find(|t| t.grant == grant)
}

/// Remember that these grants ended. A grant that has a tombstone already keeps it (its first
/// end is the one that counts: an expired grant later revoked stays "expired"). Best effort
/// for the callers: a tombstone that cannot be written loses an explanation, nothing else.
pub fn record(new: impl IntoIterator<Item = Tombstone>) -> Result<()> {
    let new: Vec<Tombstone> = new.into_iter().collect();
    if new.is_empty() {
        return Ok(());
    }
    let dir = paths::state_dir()?;
    paths::ensure_private_dir(&dir)?;
    let path = dir.join("tombstones.json");
    let _lock = fsutil::Flock::exclusive(&dir.join("tombstones.lock"))?;
    let mut kept = all();
    let had = kept.len();
    for t in new {
        match kept.iter_mut().position(|k| k.grant == t.grant) {
            // One of this call's: an entry that knows the role (a grant's own kubeconfig
            // does not) says more.
            Some(i) if i >= had && kept[i].role.is_empty() => kept[i] = t,
            Some(_) => {}
            None => kept.push(t),
        }
    }
    let kept = bound(kept, zt_api::Timestamp::now().0);
    let text = serde_json::to_string_pretty(&File { tombstones: kept })
        .map_err(|e| crate::error::Error::other(format!("cannot encode tombstones: {e}")))?;
    fsutil::atomic_write(&path, text.as_bytes(), 0o600)
}

/// `zt revoke` wiped these entries: their grants ended now, revoked (best effort).
pub fn revoked(wiped: &[Entry]) {
    let now = zt_api::Timestamp::now().0;
    let _ = record(wiped.iter().map(|e| Tombstone::of(e, now, Why::Revoked)));
}

/// The newest [`MAX_KEPT`] of `list`, none older than [`MAX_AGE_SECS`] at `now`, newest last.
fn bound(mut list: Vec<Tombstone>, now: i64) -> Vec<Tombstone> {
    list.retain(|t| now.saturating_sub(t.ended_at) <= MAX_AGE_SECS && t.sane());
    list.sort_by_key(|t| t.ended_at);
    let extra = list.len().saturating_sub(MAX_KEPT);
    list.drain(..extra);
    list
}

/// A time for people, in the local time zone: "14:02" today, "2026-12-01 14:02" otherwise.
pub fn clock(at: i64, now: i64) -> String {
    let local = |t: i64| {
        let t = t as libc::time_t;
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        // localtime_r: thread-safe, honours TZ and /etc/localtime.
        let ok = !unsafe { libc::localtime_r(&t, &mut tm) }.is_null();
        ok.then_some((
            tm.tm_year + 1900,
            tm.tm_mon + 1,
            tm.tm_mday,
            tm.tm_hour,
            tm.tm_min,
        ))
    };
    match (local(at), local(now)) {
        (Some((y, mo, d, h, mi)), Some((ny, nmo, nd, _, _))) if (y, mo, d) == (ny, nmo, nd) => {
            format!("{h:02}:{mi:02}")
        }
        (Some((y, mo, d, h, mi)), _) => format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}"),
        _ => zt_api::Timestamp(at).to_rfc3339(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(grant: &str, ended_at: i64) -> Tombstone {
        Tombstone {
            grant: grant.into(),
            profile: "default".into(),
            resource: "prod-k8s".into(),
            role: "admin".into(),
            kind: "kubernetes".into(),
            ended_at,
            why: Why::Expired,
        }
    }

    #[test]
    fn keeps_the_newest_256_and_drops_the_week_old() {
        let now = 10_000_000;
        let list: Vec<Tombstone> = (0..400)
            .map(|i| t(&format!("g{i}"), now - 400 + i))
            .collect();
        let kept = bound(list, now);
        assert_eq!(kept.len(), MAX_KEPT);
        assert_eq!(kept.first().unwrap().grant, "g144");
        assert_eq!(kept.last().unwrap().grant, "g399");
        let old = vec![
            t("old", now - MAX_AGE_SECS - 1),
            t("edge", now - MAX_AGE_SECS),
            t("new", now),
        ];
        let kept: Vec<String> = bound(old, now).into_iter().map(|t| t.grant).collect();
        assert_eq!(kept, ["edge", "new"]);
    }

    #[test]
    fn hostile_names_are_dropped() {
        let mut evil = t("g1", 5);
        evil.resource = "x\u{1b}[2J; rm -rf ~".into();
        let mut kind = t("g2", 5);
        kind.kind = "\u{1b}".into();
        let mut role = t("g3", 5);
        role.role = "a b".into();
        assert!(bound(vec![evil, kind, role, t("g4", 5)], 6).len() == 1);
    }

    #[test]
    fn damaged_files_read_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tombstones.json");
        for junk in [
            &b"{"[..],
            b"\xff\xfe",
            b"[]",
            b"{\"tombstones\": 7}",
            b"{\"tombstones\": [{\"grant\": 1}]}",
        ] {
            std::fs::write(&p, junk).unwrap();
            assert!(read_from(&p).is_empty());
        }
        std::fs::write(&p, vec![b' '; (MAX_FILE + 1) as usize]).unwrap();
        assert!(read_from(&p).is_empty());
        let good = serde_json::to_string(&File {
            tombstones: vec![t("g1", 5)],
        })
        .unwrap();
        std::fs::write(&p, good).unwrap();
        assert_eq!(read_from(&p), vec![t("g1", 5)]);
    }

    #[test]
    fn clock_is_short_today_and_dated_before() {
        let now = zt_api::Timestamp::now().0;
        assert_eq!(clock(now, now).len(), 5);
        assert_eq!(clock(now - 3 * 86400, now).len(), 16);
    }
}
