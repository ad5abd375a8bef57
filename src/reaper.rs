//! Wipe at TTL, client side. Three ways an expired entry goes: the sweep at the start of every
//! zt run, a detached `zt reap --daemon` (one per user) that sleeps until the next expiry, and
//! `zt revoke`/`zt logout`. The credential also dies at the target, so a missed wipe (laptop
//! asleep) leaves nothing usable — and the first run after waking removes it.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::api::Timestamp;
use crate::error::Result;
use crate::ledger::{Entry, Ledger, Target};
use crate::materialize::kubeconfig;
use crate::output::Printer;
use crate::{credcache, env, fsutil, paths};

/// Remove one entry from its file and its cached credential. Idempotent.
pub fn wipe_entry(e: &Entry) -> Result<()> {
    credcache::remove(&e.grant)?;
    match &e.target {
        Target::Kubeconfig { file, name, undo } => kubeconfig::wipe(file, name, undo),
    }
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
        let mut gone = Vec::new();
        let mut keep = Vec::new();
        for e in l.entries.drain(..) {
            if !pick(&e) {
                keep.push(e);
                continue;
            }
            match wipe_entry(&e) {
                Ok(()) => gone.push(e),
                Err(err) => {
                    printer.warn(&format!(
                        "could not remove {}: {}",
                        e.target.describe(),
                        err.message
                    ));
                    keep.push(e);
                }
            }
        }
        l.entries = keep;
        Ok(gone)
    })
}

/// Wipe everything whose time is up.
pub fn sweep(printer: &Printer, dry_run: bool) -> Result<Vec<Entry>> {
    let now = Timestamp::now().0;
    wipe_where(printer, dry_run, |e| e.expires_at <= now)
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
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(state.join("reaper.log"));
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
/// never missed.
pub fn daemon(printer: &Printer) -> Result<()> {
    let state = paths::state_dir()?;
    let Some(_lock) = fsutil::Flock::try_exclusive(&state.join("reaper.lock"))? else {
        return Ok(()); // another reaper is on duty
    };
    loop {
        let ledger = match Ledger::read() {
            Ok(l) => l,
            Err(e) => {
                printer.warn(&e.message);
                std::thread::sleep(Duration::from_secs(5));
                continue;
            }
        };
        let Some(next) = ledger.next_expiry() else {
            return Ok(());
        };
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let wait_ms = next * 1000 - now_ms;
        if wait_ms > 0 {
            std::thread::sleep(Duration::from_millis(wait_ms.min(1000) as u64));
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
            std::thread::sleep(Duration::from_secs(2));
        }
    }
}
