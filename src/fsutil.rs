//! Careful file writes shared by every writer: atomic replace (temp file in the same
//! directory, fsync, rename, fsync the directory), kubectl-compatible `<file>.lock` files,
//! and `flock` for zt's own state files.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Replace `path` with `bytes` so that a reader (or a crash) sees the old or the new file,
/// never a mix. The new file gets `mode`.
pub fn atomic_write(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = parent(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.zt-{}-{}",
        std::process::id(),
        crate::ids::random_hex(4)
    ));
    let write = || -> std::io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename is durable only once the directory entry is.
        File::open(&dir)?.sync_all()
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(format!("cannot write {}", path.display()), e)
    })
}

/// Remove `path` durably; absent is fine.
pub fn remove_file(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => {
            let _ = File::open(parent(path)).and_then(|d| d.sync_all());
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(format!("cannot remove {}", path.display()), e)),
    }
}

/// Read a file that may not exist yet (`None`).
pub fn read_optional(path: &Path) -> Result<Option<String>> {
    match std::fs::read(path) {
        Ok(b) => String::from_utf8(b).map(Some).map_err(|_| {
            Error::other(format!(
                "{} is not UTF-8 text; zt leaves it alone",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("cannot read {}", path.display()), e)),
    }
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The lock kubectl (client-go) takes while it edits a kubeconfig: `<file>.lock` created with
/// O_EXCL, removed when done. zt takes the same one, so the two never interleave.
pub struct LockFile {
    path: PathBuf,
}

impl LockFile {
    pub fn acquire(file: &Path, wait: Duration) -> Result<LockFile> {
        let mut lock = file.as_os_str().to_owned();
        lock.push(".lock");
        let path = PathBuf::from(lock);
        let start = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(mut f) => {
                    // client-go leaves its lock empty; zt names itself, so a lock left by a zt
                    // that was killed can be recognised and broken instead of wedging everyone.
                    let _ = write!(f, "zt {}", std::process::id());
                    return Ok(LockFile { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if break_if_stale(&path) {
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

/// Remove a lock file written by a zt process that no longer exists. Only zt's own locks
/// (`zt <pid>`) are judged; an empty one is kubectl's (or a zt between create and write) and
/// is waited for.
fn break_if_stale(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let Some(pid) = text
        .strip_prefix("zt ")
        .and_then(|p| p.trim().parse::<i32>().ok())
    else {
        return false;
    };
    // kill(pid, 0): ESRCH means no such process.
    let dead = unsafe { libc::kill(pid, 0) } != 0
        && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
    if !dead {
        return false;
    }
    // Re-check the content right before removing, so a lock just taken by a new zt survives.
    std::fs::read_to_string(path).is_ok_and(|t| t == text) && std::fs::remove_file(path).is_ok()
}

impl Drop for LockFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// An advisory `flock` on a file of zt's own; released when dropped (or when the process dies,
/// so a crash never leaves it stuck).
pub struct Flock {
    _file: File,
}

impl Flock {
    /// Block until the lock is ours.
    pub fn exclusive(path: &Path) -> Result<Flock> {
        let file = Self::open(path)?;
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(Error::io(
                format!("cannot lock {}", path.display()),
                std::io::Error::last_os_error(),
            ));
        }
        Ok(Flock { _file: file })
    }

    /// The lock if nobody holds it, else `None`.
    pub fn try_exclusive(path: &Path) -> Result<Option<Flock>> {
        let file = Self::open(path)?;
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
                return Ok(None);
            }
            return Err(Error::io(format!("cannot lock {}", path.display()), e));
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
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn atomic_write_replaces_with_mode() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, "old").unwrap();
        atomic_write(&p, b"new", 0o600).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::read_dir(d.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

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
    fn a_lock_left_by_a_dead_zt_is_broken_but_kubectls_is_respected() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("config");
        let lock = d.path().join("config.lock");
        // A pid that cannot exist (above the kernel's pid_max).
        std::fs::write(&lock, "zt 2147483646").unwrap();
        let l = LockFile::acquire(&p, Duration::from_millis(10)).unwrap();
        drop(l);
        std::fs::write(&lock, "").unwrap();
        assert!(
            LockFile::acquire(&p, Duration::from_millis(20)).is_err(),
            "kubectl's empty lock is waited for"
        );
    }
}
