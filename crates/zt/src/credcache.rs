//! Minted credentials, cached so the credential helpers answer in milliseconds without the
//! keyring or the network: one 0600 file per grant in a 0700 directory under the user's runtime
//! dir (`$XDG_RUNTIME_DIR`: memory-backed, gone at logout). Never the refresh token.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::{fsutil, paths};
use zt_api::Credential;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cached {
    pub profile: String,
    pub resource: String,
    pub credential: Credential,
}

fn path(grant: &str) -> Result<PathBuf> {
    // A grant id is a file name here: `zt credential kube ../../x` must not reach outside.
    if !zt_api::valid_name(grant) {
        return Err(
            crate::error::Error::usage(format!("{grant:?} is not a grant id"))
                .with_hint("see `zt status` for your grants"),
        );
    }
    Ok(paths::runtime_dir()?
        .join("creds")
        .join(format!("{grant}.json")))
}

/// The cached credential, if any and readable. A damaged file is treated as absent.
pub fn load(grant: &str) -> Option<Cached> {
    // (An invalid id has no path, so nothing is cached for it.)
    let bytes = std::fs::read(path(grant).ok()?).ok()?;
    serde_json::from_slice(&bytes).ok()
}

pub fn store(grant: &str, cached: &Cached) -> Result<()> {
    let p = path(grant)?;
    if let Some(dir) = p.parent() {
        paths::ensure_private_dir(dir)?;
    }
    let bytes = serde_json::to_vec(cached)
        .map_err(|e| crate::error::Error::other(format!("cannot encode a credential: {e}")))?;
    fsutil::atomic_write(&p, &bytes, 0o600)
}

/// A marker whose mtime is when a helper last warned that `grant` is about to end.
pub fn warned_path(grant: &str) -> Result<PathBuf> {
    Ok(path(grant)?.with_extension("warned"))
}

/// Held while one process fetches `grant`'s credential from the broker.
pub fn fetch_lock(grant: &str) -> Result<crate::fsutil::Flock> {
    let p = path(grant)?.with_extension("lock");
    crate::fsutil::Flock::exclusive(&p)
}

pub fn remove(grant: &str) -> Result<()> {
    let _ = fsutil::remove_file(&path(grant)?.with_extension("lock"));
    let _ = fsutil::remove_file(&warned_path(grant)?);
    fsutil::remove_file(&path(grant)?)
}

/// Remove every cached credential of `profile` (at logout): the grant ids removed. A file that
/// cannot be read or decoded names no profile and is left for its own grant's wipe.
pub fn remove_profile(profile: &str) -> Result<Vec<String>> {
    let dir = paths::runtime_dir()?.join("creds");
    let entries = match std::fs::read_dir(&dir) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => {
            return Err(crate::error::Error::other(format!(
                "cannot list the credential cache {}: {e}",
                dir.display()
            )));
        }
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(grant) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
            continue;
        };
        if load(grant).is_some_and(|c| c.profile == profile) {
            remove(grant)?;
            removed.push(grant.to_string());
        }
    }
    removed.sort();
    Ok(removed)
}

/// Remove every cached credential whose time is up: the grant ids removed. A grant used only
/// through `zt exec` has no ledger entry whose wipe would take its credential along, so without
/// this its password would stay here after the grant ended. An expired credential is useless
/// anyway (the helpers fetch a fresh one while the grant lives).
pub fn remove_expired(now: zt_api::Timestamp) -> Vec<String> {
    let Ok(dir) = paths::runtime_dir().map(|d| d.join("creds")) else {
        return vec![];
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return vec![];
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(grant) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
            continue;
        };
        if load(grant).is_some_and(|c| c.credential.expires_at() <= now) && remove(grant).is_ok() {
            removed.push(grant.to_string());
        }
    }
    removed
}
