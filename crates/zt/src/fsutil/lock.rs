//! kubectl-compatible `<file>.lock` files and `flock` for zt's own state files: the two ways
//! zt keeps writers of one file from interleaving.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::parent;
use crate::error::{Error, Result};

/// The lock kubectl (client-go) takes while it edits a kubeconfig: `<file>.lock` created with
/// O_EXCL, removed when done. zt takes the same one, so the two never interleave.
///
/// A process killed while holding it leaves the file behind, and kubectl and zt would then
/// wait on it forever. So zt also holds an `flock` on its lock file and writes `zt <pid>` into
/// it: the kernel drops the flock when zt dies, and a later zt that finds a lock marked as
/// zt's with nobody holding its flock removes it. kubectl's own (empty) lock files are never
/// removed: their owner cannot be told alive or dead.
pub struct LockFile {
    path: PathBuf,
    /// Open (and flocked) until after the path is removed.
    _file: File,
}

/// What zt writes into its lock files (after taking their flock).
const LOCK_MARK: &str = "zt ";

impl LockFile {
    pub fn acquire(file: &Path, wait: Duration) -> Result<LockFile> {
        let mut lock = file.as_os_str().to_owned();
        lock.push(".lock");
        let path = PathBuf::from(lock);
        let start = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            match take(&path) {
                Ok(f) => return Ok(LockFile { path, _file: f }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if remove_if_dead_zt(&path) {
                        continue;
                    }
                    if start.elapsed() >= wait {
                        return Err(Error::other(format!(
                            "{} is locked: another kubectl or zt is writing it",
                            file.display()
                        ))
                        .with_hint(format!(
                            "if nothing is writing it, remove the stale lock: rm {}",
                            path.display()
                        )));
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(e) => return Err(Error::io(format!("cannot lock {}", file.display()), e)),
            }
        }
    }
}

/// Create the lock at `path` already flocked and marked: the mark goes into a hidden temp
/// file first, which is then hard-linked to `path` (link fails if `path` exists, as kubectl's
/// O_EXCL create does). So there is no moment when the lock exists unmarked — a zt killed at
/// any point leaves either no lock or one a later zt can recognise as dead. Without flock
/// support (some network file systems) the lock stays unmarked and is never taken for dead.
fn take(path: &Path) -> std::io::Result<File> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent(path).join(format!(
        ".{name}.zt-{}-{}",
        std::process::id(),
        zt_files::ids::random_hex(4)
    ));
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    if f.lock().is_ok() {
        f.write_all(format!("{LOCK_MARK}{}\n", std::process::id()).as_bytes())?;
    }
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    linked.map(|()| f)
}

/// Remove `path` if it is a lock a zt left when it died: marked as zt's, its flock free.
/// True when the path is gone (removed here or meanwhile), so the caller retries at once.
fn remove_if_dead_zt(path: &Path) -> bool {
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) => return e.kind() == std::io::ErrorKind::NotFound,
    };
    // Held: its owner is alive (or another zt is checking it right now).
    if f.try_lock().is_err() {
        return false;
    }
    // A mark is `zt <pid>\n`; whatever else a lock file holds is not read past that.
    let mut text = String::new();
    if (&mut f).take(64).read_to_string(&mut text).is_err() || !text.starts_with(LOCK_MARK) {
        return false;
    }
    // Still the file at `path`? Only a holder of this flock removes it, and while this file
    // is open its inode number cannot be reused, so the check cannot be fooled.
    let (Ok(open), Ok(now)) = (f.metadata(), std::fs::metadata(path)) else {
        return false;
    };
    if (open.dev(), open.ino()) != (now.dev(), now.ino()) {
        return false;
    }
    std::fs::remove_file(path).is_ok()
}

impl Drop for LockFile {
    fn drop(&mut self) {
        // Remove the path before the flock goes (with the file, after this): a zt that opened
        // the old file meanwhile then finds the path changed and leaves it alone.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// An advisory `flock` on a file of zt's own; released when dropped (or when the process dies,
/// so a crash never leaves it stuck). std's `File::lock` and `try_lock` are `flock(2)`
/// (`LOCK_EX`, `LOCK_EX | LOCK_NB`) on Linux, so zts of before and after lock each other out.
pub struct Flock {
    _file: File,
}

impl Flock {
    /// Block until the lock is ours.
    pub fn exclusive(path: &Path) -> Result<Flock> {
        let file = Self::open(path)?;
        if let Err(e) = file.lock() {
            return Err(Error::io(format!("cannot lock {}", path.display()), e));
        }
        Ok(Flock { _file: file })
    }

    /// The lock if nobody holds it, else `None`.
    pub fn try_exclusive(path: &Path) -> Result<Option<Flock>> {
        let file = Self::open(path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::io(format!("cannot lock {}", path.display()), e));
            }
        }
        Ok(Some(Flock { _file: file }))
    }

    fn open(path: &Path) -> Result<File> {
        if let Some(dir) = path.parent() {
            crate::paths::ensure_private_dir(dir)?;
        }
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_file_is_exclusive_and_released() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("config");
        let l = LockFile::acquire(&p, Duration::from_millis(10)).unwrap();
        let e = LockFile::acquire(&p, Duration::from_millis(20))
            .err()
            .unwrap();
        assert!(e.message.contains("locked"), "{}", e.message);
        drop(l);
        LockFile::acquire(&p, Duration::from_millis(10)).unwrap();
    }

    #[test]
    fn a_dead_zts_lock_is_taken_over_but_not_kubectls_or_a_live_ones() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("config");
        let lock = d.path().join("config.lock");
        // A dead zt's: marked, nobody holds its flock.
        std::fs::write(&lock, "zt 4242\n").unwrap();
        let l = LockFile::acquire(&p, Duration::from_millis(10)).unwrap();
        let mark = std::fs::read_to_string(&lock).unwrap();
        assert_eq!(mark, format!("zt {}\n", std::process::id()));
        // A live one (this process's, flocked through another open file description).
        assert!(LockFile::acquire(&p, Duration::from_millis(20)).is_err());
        drop(l);
        assert!(!lock.exists());
        // kubectl's: empty, no flock — never taken over.
        std::fs::write(&lock, "").unwrap();
        assert!(LockFile::acquire(&p, Duration::from_millis(20)).is_err());
        assert!(lock.exists());
    }
}
