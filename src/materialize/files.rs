//! The one way zt edits a user's file: lock → read → compute the change → atomic write (or
//! remove). kubeconfigs take kubectl's own `<file>.lock`; other files (AWS, libpq) have no
//! shared convention, so zt serialises its own writers with an `flock` kept in its state dir
//! (no lock files littering ~/.aws).

use std::path::Path;
use std::time::Duration;

use crate::error::Result;
use crate::{fsutil, paths};

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

pub fn edit(file: &Path, lock: Lock, f: impl FnOnce(Option<&str>) -> Result<Change>) -> Result<()> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        paths::ensure_private_dir(dir)?;
    }
    let _guard: Box<dyn std::any::Any> = match lock {
        Lock::Kubectl => Box::new(fsutil::LockFile::acquire(file, LOCK_WAIT)?),
        Lock::Zt => Box::new(fsutil::Flock::exclusive(&zt_lock_path(file)?)?),
    };
    fsutil::remove_dead_temps(file);
    let current = fsutil::read_optional(file)?;
    match f(current.as_deref())? {
        Change::Keep => Ok(()),
        Change::Write(new) if current.as_deref() == Some(new.as_str()) => Ok(()),
        Change::Write(new) => fsutil::atomic_write(file, new.as_bytes(), 0o600),
        Change::Remove => fsutil::remove_file(file),
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
