//! Wipe at TTL, client side. Three ways an expired entry goes: the sweep at the start of every
//! zt run, a detached `zt reap --daemon` (one per user) that sleeps until the next expiry, and
//! `zt revoke`/`zt logout`. The credential also dies at the target, so a missed wipe (laptop
//! asleep) leaves nothing usable — and the first run after waking removes it.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::client::BrokerClient;
use crate::error::{ErrorKind, Result};
use crate::ledger::{Entry, Ledger, Target};
use crate::materialize::kubeyaml::{self, KubeUndo};
use crate::output::Printer;
use crate::{credcache, env, fsutil, materialize, paths};
use zt_api::Timestamp;

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

/// Wipe the entries `pick` selects; the ones that could not be wiped stay in the ledger (and
/// are reported) so a later run retries them.
pub fn wipe_where(
    printer: &Printer,
    dry_run: bool,
    pick: impl Fn(&Entry) -> bool,
) -> Result<Vec<Entry>> {
    // Fast path, no lock: most runs find nothing to do.
    if !Ledger::read()?.entries.iter().any(&pick) {
        return Ok(vec![]);
    }
    if dry_run {
        return Ok(Ledger::read()?
            .entries
            .into_iter()
            .filter(|e| pick(e))
            .collect());
    }
    Ledger::modify(|l| {
        let (picked, mut keep): (Vec<Entry>, Vec<Entry>) =
            l.entries.drain(..).partition(|e| pick(e));
        let gone = wipe_entries(printer, &picked);
        let mut removed = Vec::new();
        for (e, g) in picked.into_iter().zip(gone) {
            if g { removed.push(e) } else { keep.push(e) }
        }
        l.entries = keep;
        Ok(removed)
    })
}

/// Wipe everything whose time is up.
pub fn sweep(printer: &Printer, dry_run: bool) -> Result<Vec<Entry>> {
    let now = Timestamp::now().0;
    wipe_where(printer, dry_run, |e| e.expires_at <= now)
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

/// Start the background reaper unless one runs already (or `ZT_REAPER=0`).
pub fn ensure_running() {
    if env::var(env::ZT_REAPER).as_deref() == Some("0") {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let Ok(state) = paths::state_dir() else {
        return;
    };
    if paths::ensure_private_dir(&state).is_err() {
        return;
    }
    // Cheap check first: if the lock is held, a reaper is alive.
    if matches!(
        fsutil::Flock::try_exclusive(&state.join("reaper.lock")),
        Ok(None)
    ) {
        return;
    }
    // 0600 like everything in the state directory (README): it logs grant ids and resources.
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(state.join("reaper.log"))
        .and_then(|l| {
            // One an older zt created 0644 is tightened too.
            l.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            Ok(l)
        });
    let mut cmd = Command::new(exe);
    cmd.args(["reap", "--daemon"]).stdin(Stdio::null());
    match log.and_then(|l| Ok((l.try_clone()?, l))) {
        Ok((a, b)) => cmd.stdout(a).stderr(b),
        Err(_) => cmd.stdout(Stdio::null()).stderr(Stdio::null()),
    };
    // A session of its own: Ctrl-C in the terminal or the shell exiting does not kill it.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let _ = cmd.spawn();
}

/// The daemon: hold the reaper lock, sleep until the next expiry, wipe, repeat; exit when the
/// ledger is empty. It re-reads the ledger at least every second, so a new earlier expiry is
/// never missed, and asks the broker now and then whether a grant ended early (revoked by an
/// admin, from another machine), so those are wiped too.
pub async fn daemon(printer: &Printer) -> Result<()> {
    let state = paths::state_dir()?;
    let Some(_lock) = fsutil::Flock::try_exclusive(&state.join("reaper.lock"))? else {
        return Ok(()); // another reaper is on duty
    };
    let check_every = Duration::from_secs(
        env::var(env::ZT_REAPER_CHECK_SECS)
            .and_then(|s| s.parse().ok())
            .unwrap_or(30)
            .max(1),
    );
    let mut last_check = std::time::Instant::now();
    loop {
        let ledger = match Ledger::read() {
            Ok(l) => l,
            Err(e) => {
                printer.warn(&e.message);
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
        };
        let Some(next) = ledger.next_expiry() else {
            return Ok(());
        };
        if last_check.elapsed() >= check_every {
            last_check = std::time::Instant::now();
            for name in sweep_orphans(printer, false).unwrap_or_default() {
                printer.note(format!("{} removed expired {name} that no ledger entry knew (brought back by another writer)", Timestamp::now()));
            }
            let ended = sweep_gone(printer, false, None).await?;
            for (e, why) in &ended {
                printer.note(format!(
                    "{} removed {} (grant {}: {})",
                    Timestamp::now(),
                    e.target.describe(),
                    e.grant,
                    why.describe()
                ));
            }
            if !ended.is_empty() {
                continue;
            }
        }
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let wait_ms = next * 1000 - now_ms;
        if wait_ms > 0 {
            tokio::time::sleep(Duration::from_millis(wait_ms.min(1000) as u64)).await;
            continue;
        }
        for e in sweep(printer, false)? {
            printer.note(format!(
                "{} removed {} (grant {})",
                Timestamp::now(),
                e.target.describe(),
                e.grant
            ));
        }
        // Entries that failed to wipe stay; don't spin on them.
        if Ledger::read()
            .ok()
            .and_then(|l| l.next_expiry())
            .is_some_and(|n| n <= Timestamp::now().0)
        {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }
}

/// Wipe the entries of grants the broker says are over before their time, or does not know
/// at all (a dev broker restarted, a database restored): `zt reap` and the daemon. With
/// `profile`, only that profile's grants are asked about.
pub async fn sweep_gone(
    printer: &Printer,
    dry_run: bool,
    profile: Option<&str>,
) -> Result<Vec<(Entry, Gone)>> {
    let ledger = Ledger::read()?;
    let gone = ended_early(&ledger, profile).await;
    if gone.is_empty() {
        return Ok(vec![]);
    }
    let removed = wipe_where(printer, dry_run, |e| gone.contains_key(&e.grant))?;
    Ok(removed
        .into_iter()
        .map(|e| {
            let why = gone[&e.grant];
            (e, why)
        })
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
