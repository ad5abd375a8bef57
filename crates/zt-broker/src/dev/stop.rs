//! `zt-broker dev stop`: SIGTERM the dev broker named by `dev-broker.json`, wait for it to
//! exit, remove the file. No broker running is not an error.

// What `zt-broker dev` says to the person who ran it is its answer, not a log line.
#![allow(clippy::print_stderr)]

use std::path::Path;
use std::time::{Duration, Instant};

use super::statefile;
use crate::error::{Error, Result};

const STOP_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn run(state_dir: &Path) -> Result<()> {
    let Some(f) = statefile::read(state_dir) else {
        eprintln!("zt-broker dev: no dev broker is running");
        return Ok(());
    };
    if !statefile::pid_alive(f.pid) {
        statefile::remove(state_dir);
        eprintln!(
            "zt-broker dev: no dev broker is running (removed a stale {})",
            statefile::FILE
        );
        return Ok(());
    }
    // The pid may have been reused by an unrelated process: only signal one that answers as a
    // dev broker at the recorded URL.
    if !statefile::answers(&f.url).await {
        return Err(Error::other(format!(
            "pid {} does not answer as a dev broker at {}; not stopping it",
            f.pid, f.url
        ))
        .with_hint(format!(
            "if it is stale, remove {}",
            statefile::path(state_dir).display()
        )));
    }
    let pid =
        libc::pid_t::try_from(f.pid).map_err(|_| Error::other("bad pid in the state file"))?;
    // SAFETY: sending SIGTERM to a pid we just checked; no memory is involved.
    if unsafe { libc::kill(pid, libc::SIGTERM) } != 0 {
        return Err(Error::io(
            format!("cannot signal pid {pid}"),
            std::io::Error::last_os_error(),
        ));
    }
    let deadline = Instant::now() + STOP_TIMEOUT;
    // We are not its parent, so there is nothing to wait on but the pid itself.
    while statefile::pid_alive(f.pid) {
        if Instant::now() >= deadline {
            return Err(Error::other(format!(
                "the dev broker (pid {pid}) did not stop within 10s"
            ))
            .with_hint(format!("kill -KILL {pid}")));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    statefile::remove_if_ours(state_dir, f.pid);
    eprintln!(
        "zt-broker dev: stopped the dev broker at {} (pid {pid})",
        f.url
    );
    Ok(())
}
