//! The background reaper: one detached `zt reap --daemon` per user that sleeps until the next
//! expiry (or the end of a grace period), wipes, and asks the broker now and then whether a
//! grant ended early.

use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::{sweep, sweep_gone, sweep_orphans};
use crate::error::Result;
use crate::ledger::Ledger;
use crate::output::Printer;
use crate::{env, fsutil, paths};
use zt_api::Timestamp;

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

/// The daemon: hold the reaper lock, sleep until the next expiry or end of a grace period,
/// wipe, repeat; exit when the ledger is empty. It re-reads the ledger at least every second, so a new earlier expiry is
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
        // A scheduled grant's start has come: write it (retried a little later on failure).
        let due = |l: &Ledger| {
            l.scheduled
                .iter()
                .any(|s| s.starts_at <= Timestamp::now().0)
        };
        if due(&ledger) {
            crate::grants::scheduled::activate_due(printer).await;
            if Ledger::read().is_ok_and(|l| due(&l)) {
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            continue;
        }
        if last_check.elapsed() >= check_every {
            last_check = std::time::Instant::now();
            for name in sweep_orphans(printer, false).unwrap_or_default() {
                printer.note(format!("{} removed expired {name} that no ledger entry knew (brought back by another writer)", Timestamp::now()));
            }
            let ended = sweep_gone(printer, false, None, true).await?;
            for (e, why) in &ended {
                printer.note(format!(
                    "{} ended {} (grant {}: {})",
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
        let wait_ms = next.saturating_mul(1000).saturating_sub(now_ms);
        if wait_ms > 0 {
            tokio::time::sleep(Duration::from_millis(wait_ms.min(1000) as u64)).await;
            continue;
        }
        let swept = sweep(printer, false, true)?;
        for e in &swept.wiped {
            printer.note(format!(
                "{} removed {} (grant {})",
                Timestamp::now(),
                e.target.describe(),
                e.grant
            ));
        }
        for k in &swept.kept {
            printer.note(format!(
                "{} grant {} ended; {} stays until {} to say so",
                Timestamp::now(),
                k.entry.grant,
                k.entry.target.describe(),
                Timestamp(k.until)
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
