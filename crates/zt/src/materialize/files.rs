//! The one way zt edits a user's file: read → compute the change → lock → check the file did
//! not change meanwhile → atomic write (or remove). kubeconfigs take kubectl's own
//! `<file>.lock`; other files (AWS, libpq) have no shared convention, so zt serialises its own
//! writers with an `flock` kept in its state dir (no lock files littering ~/.aws).
//!
//! The parse runs before the lock is taken: it is the part a hostile file can make slow or
//! fail, and kubectl must never find its lock held (or left behind by a zt killed mid-parse)
//! because of it. The lock covers only the re-read and the write — and, for a kubeconfig that
//! did not parse, one more (bounded) parse: kubectl writes in place, so an unlocked read may
//! catch its write halfway. A symlinked file (dotfile
//! managers) is written at its final target, so the link stays a link.

use std::path::Path;
use std::time::Duration;

use crate::error::Result;
use crate::fsutil::{self, Keep};
use crate::paths;

pub enum Lock {
    /// `<file>.lock`, O_EXCL, as client-go does.
    Kubectl,
    /// An flock in zt's state dir, keyed by the file's path.
    Zt,
}

pub enum Change {
    Keep,
    Write(String),
    Remove,
}

/// kubectl gives up at once on a held lock; zt waits a little for it instead.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// Edit `file` with `f`, which gets the current text (None: no file) and may be called twice
/// (again under the lock when another writer changed the file after the first read). `keep`:
/// whether the file keeps its mode and owner or holds a secret and is always 0600.
pub fn edit(
    file: &Path,
    lock: Lock,
    keep: Keep,
    mut f: impl FnMut(Option<&str>) -> Result<Change>,
) -> Result<()> {
    let target = fsutil::resolve_links(file)?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        paths::ensure_private_dir(dir)?;
    }
    let read = || fsutil::read_optional_max(&target, fsutil::MAX_USER_FILE);
    let first = read()?;
    let change = match f(first.as_deref()) {
        Ok(change) if unchanged(&change, first.as_deref()) => return Ok(()),
        Ok(change) => Some(change),
        // kubectl does not write its file atomically: what failed to parse may be one caught
        // halfway. Read it again under kubectl's lock, where no kubectl writes; a file that is
        // truly broken fails there the same way (the lock held for that one bounded parse).
        Err(_) if matches!(lock, Lock::Kubectl) => None,
        Err(e) => return Err(e),
    };
    let _guard: Box<dyn std::any::Any> = match lock {
        // kubectl locks the path it was given (not the link's target): so does zt.
        Lock::Kubectl => Box::new(fsutil::LockFile::acquire(file, LOCK_WAIT)?),
        Lock::Zt => Box::new(fsutil::Flock::exclusive(&zt_lock_path(&target)?)?),
    };
    fsutil::remove_dead_temps(file);
    if target != file {
        fsutil::remove_dead_temps(&target);
    }
    let current = read()?;
    let change = match change {
        Some(change) if current == first => change,
        _ => f(current.as_deref())?,
    };
    match change {
        Change::Keep => Ok(()),
        Change::Write(new) if current.as_deref() == Some(new.as_str()) => Ok(()),
        Change::Write(new) => fsutil::write_user_file(&target, new.as_bytes(), keep),
        // Only a file zt created is removed: its target, so a dangling link is left as found.
        Change::Remove => fsutil::remove_file(&target),
    }
}

fn unchanged(change: &Change, current: Option<&str>) -> bool {
    match change {
        Change::Keep => true,
        Change::Write(new) => current == Some(new.as_str()),
        Change::Remove => current.is_none(),
    }
}

fn zt_lock_path(file: &Path) -> Result<std::path::PathBuf> {
    // FNV-1a of the path: stable, no dependency, collisions only cost extra serialisation.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in file.as_os_str().as_encoded_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    Ok(paths::state_dir()?
        .join("locks")
        .join(format!("{h:016x}.lock")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    /// A kubeconfig that did not parse on the unlocked read (kubectl caught writing it) is
    /// read and parsed again under kubectl's lock, and the edit goes through; the lock is gone
    /// after.
    #[test]
    fn a_kubeconfig_caught_halfway_is_parsed_again_under_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        std::fs::write(&file, "apiVersion: v1\n").unwrap();
        let mut calls = 0;
        edit(&file, Lock::Kubectl, Keep::ModeAndOwner, |_| {
            calls += 1;
            match calls {
                1 => Err(Error::other("not valid YAML")),
                _ => Ok(Change::Write("apiVersion: v1\nkind: Config\n".into())),
            }
        })
        .unwrap();
        assert_eq!(calls, 2);
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "apiVersion: v1\nkind: Config\n"
        );
        assert!(!dir.path().join("config.lock").exists());
    }

    /// A file that is broken fails the same under the lock, is left as it was, and no lock
    /// is left behind.
    #[test]
    fn a_broken_file_fails_and_leaves_no_lock() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        std::fs::write(&file, "{{{").unwrap();
        let mut calls = 0;
        let err = edit(&file, Lock::Kubectl, Keep::ModeAndOwner, |_| {
            calls += 1;
            Err::<Change, _>(Error::other("not valid YAML"))
        });
        assert!(err.is_err());
        assert_eq!(calls, 2);
        assert!(!dir.path().join("config.lock").exists());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "{{{");
    }
}
