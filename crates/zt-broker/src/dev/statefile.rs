//! `<state_dir>/dev-broker.json`: where the running dev broker listens, its pid and data
//! directory — written once it listens, removed at clean shutdown — and the checks that
//! tell a live dev broker from a stale file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use zt_api as api;

pub const FILE: &str = "dev-broker.json";
pub const LOG: &str = "dev-broker.log";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DevBrokerFile {
    pub url: String,
    pub pid: u32,
    pub data_dir: PathBuf,
}

pub fn path(state_dir: &Path) -> PathBuf {
    state_dir.join(FILE)
}

/// The file's contents; `None` when missing or unreadable (a stale half-written file is
/// treated as no broker).
pub fn read(state_dir: &Path) -> Option<DevBrokerFile> {
    let text = std::fs::read_to_string(path(state_dir)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Write atomically (temp file + rename) with mode 0600.
pub fn write(state_dir: &Path, f: &DevBrokerFile) -> Result<()> {
    zt_files::ensure_private_dir(state_dir).map_err(|e| Error::other(e.to_string()))?;
    let json = serde_json::to_vec_pretty(f).map_err(|e| Error::other(e.to_string()))?;
    zt_files::atomic_write(&path(state_dir), &json, 0o600).map_err(|e| Error::other(e.to_string()))
}

/// Remove the file if it still names `pid` (a newer broker may have replaced it).
pub fn remove_if_ours(state_dir: &Path, pid: u32) {
    if read(state_dir).is_some_and(|f| f.pid == pid) {
        let _ = std::fs::remove_file(path(state_dir));
    }
}

pub fn remove(state_dir: &Path) {
    let _ = std::fs::remove_file(path(state_dir));
}

/// The process exists (signal 0; EPERM still means it exists) and is not a zombie waiting
/// for its parent to reap it (which, for a detached broker, is init and may take a while).
pub fn pid_alive(pid: u32) -> bool {
    if is_zombie(pid) {
        return false;
    }
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 sends nothing; it only checks the pid.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Linux: the state field of `/proc/<pid>/stat` (after the parenthesised command) is `Z`.
/// Elsewhere, and when the file cannot be read, assume not.
fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// The URL answers `GET /.well-known/zt` with a discovery document.
pub async fn answers(url: &str) -> bool {
    let Ok(client) = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
    else {
        return false;
    };
    match client.get(format!("{url}/.well-known/zt")).send().await {
        Ok(r) if r.status().is_success() => r.json::<api::Discovery>().await.is_ok(),
        _ => false,
    }
}

/// The dev broker the file names, if its process is alive and answers at its URL.
pub async fn running(state_dir: &Path) -> Option<DevBrokerFile> {
    let f = read(state_dir)?;
    (pid_alive(f.pid) && answers(&f.url).await).then_some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_file_round_trips_and_pids_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).is_none());
        let f = DevBrokerFile {
            url: "http://127.0.0.1:1".into(),
            pid: std::process::id(),
            data_dir: "/d".into(),
        };
        write(dir.path(), &f).unwrap();
        assert_eq!(read(dir.path()), Some(f.clone()));
        remove_if_ours(dir.path(), f.pid + 1);
        assert!(
            read(dir.path()).is_some(),
            "another pid's file is left alone"
        );
        remove_if_ours(dir.path(), f.pid);
        assert!(read(dir.path()).is_none());
        assert!(pid_alive(std::process::id()));
        assert!(!pid_alive(0) && !pid_alive(u32::MAX));
        // A child that exited but was not reaped yet is a zombie: not alive.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(!pid_alive(child.id()));
        child.wait().unwrap();
    }
}
