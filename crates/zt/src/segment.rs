//! What is live on this machine, read from the ledger alone: the segment `zt prompt` prints
//! into a shell prompt, and the grant ids and resource names shell completion offers.
//!
//! A prompt runs this on every redraw, so it takes no lock (the ledger is replaced by atomic
//! renames: a reader sees the old or the new file), sweeps nothing, asks no broker and no
//! keyring. The ledger is a file anyone with the user's rights can write: a damaged or
//! oversized one reads as "nothing live", and every name is made inert before it is shown.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use zt_api::Timestamp;

use crate::output::inert;

/// Under this much time left a grant is flagged `⚠` (the credential helpers warn from then on
/// too).
pub const WARN_SECS: i64 = 5 * 60;

/// A real ledger is a few hundred bytes per entry; a prompt reads no more than this (a larger
/// file shows nothing rather than slowing every prompt).
pub const MAX_READ_BYTES: u64 = 1 << 20;

/// At most this many grants are shown; the rest are counted (`+2`).
pub const MAX_SHOWN: usize = 3;

/// A name in the segment is cut after this many characters.
const NAME_MAX: usize = 40;

/// A grant's end further away than this is not one a broker gave: the entry is ignored.
const MAX_PLAUSIBLE_SECS: i64 = 10 * 366 * 24 * 3600;

/// What the grant gives access to, from where zt wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Kubernetes,
    Aws,
    Postgres,
    Ssh,
    Unknown,
}

impl Kind {
    pub fn icon(self) -> &'static str {
        match self {
            Kind::Kubernetes => "⎈",
            Kind::Aws => "☁",
            Kind::Postgres => "⛁",
            Kind::Ssh => "⇌",
            Kind::Unknown => "•",
        }
    }
}

/// One live grant: the union of its ledger entries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Live {
    pub grant: String,
    pub profile: String,
    pub resource: String,
    pub role: String,
    pub kind: Kind,
    pub expires_at: Timestamp,
    pub seconds_left: i64,
    /// Less than [`WARN_SECS`] left.
    pub ending_soon: bool,
}

/// Only the ledger fields this module needs: the ledger's own types may gain fields and kinds
/// without the prompt breaking, and nothing else in a hostile file is looked at.
#[derive(Deserialize)]
struct LedgerLite {
    #[serde(default)]
    entries: Vec<EntryLite>,
}

#[derive(Deserialize)]
struct EntryLite {
    grant: String,
    profile: String,
    resource: String,
    role: String,
    expires_at: i64,
    target: TargetLite,
}

#[derive(Deserialize)]
struct TargetLite {
    kind: String,
    #[serde(default)]
    dialect: Option<String>,
}

impl TargetLite {
    fn grant_kind(&self) -> Kind {
        match (self.kind.as_str(), self.dialect.as_deref()) {
            ("kubeconfig" | "file", _) => Kind::Kubernetes,
            ("ini", Some("aws-config" | "aws-credentials")) => Kind::Aws,
            ("ini", Some("pg-service")) | ("pgpass", _) => Kind::Postgres,
            ("ssh-host" | "ssh-key" | "ssh-agent", _) => Kind::Ssh,
            _ => Kind::Unknown,
        }
    }
}

/// The grants live at `now` in the ledger file at `path` (all profiles, or only `profile`),
/// soonest end first. Missing, unreadable, oversized or damaged: none.
pub fn live_in(path: &Path, now: Timestamp, profile: Option<&str>) -> Vec<Live> {
    let Some(bytes) = read_capped(path) else {
        return Vec::new();
    };
    let Ok(ledger) = serde_json::from_slice::<LedgerLite>(&bytes) else {
        return Vec::new();
    };
    let mut by_grant: BTreeMap<String, Live> = BTreeMap::new();
    for e in ledger.entries {
        let left = e.expires_at.saturating_sub(now.0);
        if left <= 0 || left > MAX_PLAUSIBLE_SECS || profile.is_some_and(|p| p != e.profile) {
            continue;
        }
        let kind = e.target.grant_kind();
        let live = by_grant.entry(e.grant.clone()).or_insert_with(|| Live {
            grant: e.grant,
            profile: e.profile,
            resource: e.resource,
            role: e.role,
            kind,
            expires_at: Timestamp(e.expires_at),
            seconds_left: left,
            ending_soon: false,
        });
        if live.kind == Kind::Unknown {
            live.kind = kind;
        }
        if e.expires_at > live.expires_at.0 {
            live.expires_at = Timestamp(e.expires_at);
            live.seconds_left = left;
        }
    }
    let mut live: Vec<Live> = by_grant.into_values().collect();
    for l in &mut live {
        l.ending_soon = l.seconds_left < WARN_SECS;
    }
    live.sort_by(|a, b| (a.expires_at, &a.grant).cmp(&(b.expires_at, &b.grant)));
    live
}

/// The grants live now in this user's ledger; none when its path cannot be known.
pub fn live(profile: Option<&str>) -> Vec<Live> {
    match crate::paths::ledger_file() {
        Ok(path) => live_in(&path, Timestamp::now(), profile),
        Err(_) => Vec::new(),
    }
}

fn read_capped(path: &Path) -> Option<Vec<u8>> {
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_READ_BYTES + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= MAX_READ_BYTES).then_some(bytes)
}

/// The prompt segment: `⎈ prod-k8s/admin 42m · ☁ billing/read ⚠4m +1`; empty when nothing
/// is live. Plain text (no colour codes: the prompt framework colours it).
pub fn render(live: &[Live]) -> String {
    let parts: Vec<String> = live
        .iter()
        .take(MAX_SHOWN)
        .map(|l| {
            let warn = if l.ending_soon { "⚠" } else { "" };
            format!(
                "{} {}/{} {warn}{}",
                l.kind.icon(),
                inert(&l.resource, NAME_MAX),
                inert(&l.role, NAME_MAX),
                left(l.seconds_left)
            )
        })
        .collect();
    let mut text = parts.join(" · ");
    if live.len() > MAX_SHOWN {
        text.push_str(&format!(" +{}", live.len() - MAX_SHOWN));
    }
    text
}

/// Time left, as short as a prompt needs: `45s`, `42m`, `3h05m` (whole units, rounded down).
pub fn left(secs: i64) -> String {
    let secs = secs.max(0);
    match (secs / 3600, (secs % 3600) / 60) {
        (0, 0) => format!("{secs}s"),
        (0, m) => format!("{m}m"),
        (h, m) => format!("{h}h{m:02}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp(1_800_000_000);

    fn entry(grant: &str, profile: &str, resource: &str, left: i64, target: &str) -> String {
        format!(
            r#"{{"grant":"{grant}","profile":"{profile}","resource":"{resource}","role":"admin","expires_at":{},"target":{target}}}"#,
            NOW.0 + left
        )
    }

    const KUBE: &str = r#"{"kind":"kubeconfig","file":"/k","name":"zt-x","undo":{}}"#;
    const AWS: &str =
        r#"{"kind":"ini","file":"/a","header":"profile zt-x","dialect":"aws-config","undo":{}}"#;
    const PG: &str = r#"{"kind":"pgpass","file":"/p","grant":"g","undo":{}}"#;

    fn ledger(entries: &[String]) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            f.path(),
            format!(r#"{{"entries":[{}]}}"#, entries.join(",")),
        )
        .unwrap();
        f
    }

    #[test]
    fn durations_are_short() {
        assert_eq!(left(45), "45s");
        assert_eq!(left(60), "1m");
        assert_eq!(left(42 * 60 + 59), "42m");
        assert_eq!(left(3 * 3600 + 5 * 60), "3h05m");
        assert_eq!(left(-5), "0s");
    }

    #[test]
    fn grants_are_merged_sorted_and_kind_aware() {
        let f = ledger(&[
            entry("g1", "default", "prod-k8s", 42 * 60, KUBE),
            // A second entry of the same grant (its own kubeconfig) ending later wins.
            entry(
                "g1",
                "default",
                "prod-k8s",
                43 * 60,
                r#"{"kind":"file","file":"/f"}"#,
            ),
            entry("g2", "default", "billing", 4 * 60, AWS),
            entry("g3", "other", "orders-db", 2 * 3600, PG),
            entry("g4", "default", "gone", -1, KUBE),
        ]);
        let live = live_in(f.path(), NOW, None);
        let ids: Vec<&str> = live.iter().map(|l| l.grant.as_str()).collect();
        assert_eq!(ids, ["g2", "g1", "g3"]);
        assert_eq!(live[1].seconds_left, 43 * 60);
        assert_eq!(
            render(&live),
            "☁ billing/admin ⚠4m · ⎈ prod-k8s/admin 43m · ⛁ orders-db/admin 2h00m"
        );
        let only = live_in(f.path(), NOW, Some("other"));
        assert_eq!(render(&only), "⛁ orders-db/admin 2h00m");
        assert_eq!(render(&live_in(f.path(), NOW, Some("nobody"))), "");
    }

    #[test]
    fn more_than_fit_are_counted() {
        let entries: Vec<String> = (0..5)
            .map(|i| entry(&format!("g{i}"), "default", &format!("r{i}"), 600 + i, KUBE))
            .collect();
        let shown = render(&live_in(ledger(&entries).path(), NOW, None));
        assert!(shown.ends_with("r2/admin 10m +2"), "{shown}");
    }

    #[test]
    fn hostile_ledgers_show_nothing_or_inert_names() {
        let evil = entry("g1", "default", "pr\\u001b[2Jod\\n\\u202e", 600, KUBE);
        let shown = render(&live_in(ledger(&[evil]).path(), NOW, None));
        assert!(!shown.chars().any(crate::output::is_hostile), "{shown:?}");
        assert!(shown.contains("pr\\u{1b}[2Jod"), "{shown:?}");

        let long = entry("g1", "default", &"x".repeat(5000), 600, KUBE);
        assert!(render(&live_in(ledger(&[long]).path(), NOW, None)).len() < 200);

        let far = entry("g1", "default", "r", i64::MAX / 2, KUBE);
        assert!(live_in(ledger(&[far]).path(), NOW, None).is_empty());

        let f = tempfile::NamedTempFile::new().unwrap();
        for garbage in [
            &b"\x00\xff not json"[..],
            b"{\"entries\": 7}",
            b"[[[[[[[[[[",
        ] {
            std::fs::write(f.path(), garbage).unwrap();
            assert!(live_in(f.path(), NOW, None).is_empty());
        }
        let mut huge = format!(
            r#"{{"entries":[{}]"#,
            entry("g1", "default", "r", 600, KUBE)
        );
        huge.push_str(&" ".repeat(MAX_READ_BYTES as usize));
        huge.push('}');
        std::fs::write(f.path(), huge).unwrap();
        assert!(live_in(f.path(), NOW, None).is_empty());
        assert!(live_in(Path::new("/nonexistent/ledger.json"), NOW, None).is_empty());
    }
}
