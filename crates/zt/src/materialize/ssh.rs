//! An SSH grant's entries on disk and in the agent, written and wiped: zt's ssh config file
//! and the user's `Include` line change together under one lock of zt's (two zts never
//! interleave "last block gone, line removed" with "block added, line already there"), each
//! file through [`files::edit`] (re-read under its lock, atomic rename, links followed, mode
//! kept). The order makes every crash harmless: the block is written before the line and the
//! line removed before zt's file, so a line never includes a file with blocks nobody records.

use std::path::Path;

use base64::Engine;

use super::files::{self, Change, Lock};
use super::kubeconfig::refused;
use super::kubeyaml::Wiped;
use super::sshconfig::{self, HostBlock};
use crate::error::{Error, Result};
use crate::fsutil::{self, Flock, Keep};
use crate::ledger::Target;
use crate::paths;
use crate::ssh::agent::{self, AgentError};

fn lock() -> Result<Flock> {
    Flock::exclusive(&paths::state_dir()?.join("locks").join("ssh-config.lock"))
}

/// Put `block` into zt's file and make sure the user's config includes it.
pub fn apply(zt_file: &Path, config: &Path, block: &HostBlock) -> Result<()> {
    let _one_at_a_time = lock()?;
    let config_exists = fsutil::resolve_links(config)?.exists();
    files::edit(zt_file, Lock::Zt, Keep::Private, |text| {
        let mut f = sshconfig::parse(text.unwrap_or("")).map_err(|e| refused(zt_file, e))?;
        // The first block: whether the user had a config for zt's line to go into.
        if f.blocks.is_empty() {
            f.created = !config_exists;
        }
        f.put(block).map_err(|e| refused(zt_file, e))?;
        Ok(Change::Write(f.render(config)))
    })?;
    files::edit(config, Lock::Zt, Keep::ModeAndOwner, |text| {
        let new =
            sshconfig::add_include(text.unwrap_or(""), zt_file).map_err(|e| refused(config, e))?;
        Ok(Change::Write(new))
    })
}

/// Remove the `Host` blocks of `targets` from zt's file `zt_file`; with the last one, the
/// user's `Include` line (and a config zt created for it) and zt's file.
pub fn wipe_hosts(zt_file: &Path, targets: &[&Target]) -> Result<()> {
    let mut names = Vec::new();
    let mut config = None;
    for t in targets {
        if let Target::SshHost {
            name, config: c, ..
        } = t
        {
            names.push(name.as_str());
            config.get_or_insert(c.as_path());
        }
    }
    let Some(config) = config else { return Ok(()) };
    let _one_at_a_time = lock()?;
    let (mut left, mut created) = (0, false);
    files::edit(zt_file, Lock::Zt, Keep::Private, |text| {
        let Some(text) = text else {
            left = 0;
            return Ok(Change::Keep);
        };
        let mut f = sshconfig::parse(text).map_err(|e| refused(zt_file, e))?;
        f.remove(&names);
        (left, created) = (f.blocks.len(), f.created);
        // The last block: zt's file goes after the user's line (below).
        Ok(match left {
            0 => Change::Keep,
            _ => Change::Write(f.render(config)),
        })
    })?;
    if left > 0 {
        return Ok(());
    }
    files::edit(config, Lock::Zt, Keep::ModeAndOwner, |text| {
        let Some(text) = text else {
            return Ok(Change::Keep);
        };
        Ok(
            match sshconfig::remove_include(text, zt_file, created)
                .map_err(|e| refused(config, e))?
            {
                Wiped::Text(t) => Change::Write(t),
                Wiped::RemoveFile => Change::Remove,
            },
        )
    })?;
    fsutil::remove_file(zt_file)?;
    // zt's own directory, when zt's file was all it held (best effort: never the user's).
    if let Some(dir) = zt_file.parent() {
        let _ = std::fs::remove_dir(dir);
    }
    Ok(())
}

/// Take the grants' keys out of the agent at `socket`. An agent that is gone, or no longer
/// holds a key, has nothing to remove; an agent that misbehaves keeps the entry for a retry.
pub fn wipe_agent(socket: &Path, targets: &[&Target]) -> Result<()> {
    let b64 = base64::engine::general_purpose::STANDARD;
    for t in targets {
        let Target::SshAgent {
            certificate,
            public_key,
            ..
        } = t
        else {
            continue;
        };
        for blob in [certificate, public_key] {
            let Ok(blob) = b64.decode(blob) else { continue };
            match agent::remove(socket, &blob) {
                Ok(()) | Err(AgentError::Gone(_)) | Err(AgentError::Refused) => {}
                Err(e) => {
                    return Err(Error::other(format!(
                        "cannot remove a key from the ssh-agent at {}: {e}",
                        socket.display()
                    )));
                }
            }
        }
    }
    Ok(())
}
