//! Careful file writes shared by every writer: atomic replace (temp file in the same
//! directory, fsync, rename, fsync the directory), kubectl-compatible `<file>.lock` files,
//! and `flock` for zt's own state files.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Replace `path` with `bytes` so that a reader (or a crash) sees the old or the new file,
/// never a mix. The new file gets exactly `mode` (whatever the umask).
pub fn atomic_write(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    atomic_write_owned(path, bytes, mode, None)
}

/// [`atomic_write`], and the new file gets `owner` (uid, gid) when it is not already ours
/// (best effort: only root may give a file away). The broker writes the same way: the one
/// implementation lives in `zt_files`.
fn atomic_write_owned(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    owner: Option<(u32, u32)>,
) -> Result<()> {
    zt_files::atomic_write_owned(path, bytes, mode, owner).map_err(|e| Error::other(e.to_string()))
}

/// How [`write_user_file`] sets the mode of a file it replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The file holds no secret: keep its mode and owner (a 0644 kubeconfig stays 0644).
    ModeAndOwner,
    /// The file holds a secret (pgpass, AWS credentials): always 0600.
    Private,
}

/// The file a path finally names, following symlinks (a dotfile manager's `~/.kube/config`
/// → `~/dotfiles/kube/config`). The target need not exist.
pub fn resolve_links(path: &Path) -> Result<PathBuf> {
    let mut p = path.to_path_buf();
    // Linux's own limit on links followed in one lookup.
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&p)
                    .map_err(|e| Error::io(format!("cannot read the link {}", p.display()), e))?;
                p = match to.is_absolute() {
                    true => to,
                    false => parent(&p).join(to),
                };
            }
            _ => return Ok(p),
        }
    }
    Err(Error::other(format!(
        "{} is a chain of more than 40 symbolic links; zt leaves it alone",
        path.display()
    )))
}

/// Replace a user's file at `target` (already resolved with [`resolve_links`], so a symlink
/// stays a symlink and the write lands, atomically, on its target). A file zt creates is 0600.
pub fn write_user_file(target: &Path, bytes: &[u8], keep: Keep) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let (mode, owner) = match (std::fs::metadata(target), keep) {
        (Ok(m), Keep::ModeAndOwner) => (m.mode() & 0o7777, Some((m.uid(), m.gid()))),
        (Ok(m), Keep::Private) => (0o600, Some((m.uid(), m.gid()))),
        (Err(_), _) => (0o600, None),
    };
    let owner = owner.filter(|&(uid, gid)| {
        (uid, gid) != (unsafe { libc::geteuid() }, unsafe { libc::getegid() })
    });
    atomic_write_owned(target, bytes, mode, owner)
}

/// The largest user file (kubeconfig, AWS or libpq file, config.toml) zt reads: real ones are
/// kilobytes; a bound keeps a hostile or runaway file from costing unbounded memory and time.
pub const MAX_USER_FILE: u64 = 32 << 20;

/// [`read_optional`], refusing a file larger than `max` bytes without reading it all.
pub fn read_optional_max(path: &Path, max: u64) -> Result<Option<String>> {
    use std::io::Read;
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
    };
    let mut bytes = Vec::new();
    f.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    if bytes.len() as u64 > max {
        return Err(Error::other(format!(
            "{} is larger than {} MiB; zt leaves it alone",
            path.display(),
            max >> 20
        )));
    }
    String::from_utf8(bytes).map(Some).map_err(|_| {
        Error::other(format!(
            "{} is not UTF-8 text; zt leaves it alone",
            path.display()
        ))
    })
}

/// Remove the temp files a killed zt left beside `file` (`.<name>.zt-<pid>-…` from
/// [`atomic_write`], `.<name>.lock.zt-<pid>-…` from a lock being taken) whose process is gone.
/// They can hold secrets (a pgpass line, static AWS keys), so they must not outlive the crash.
/// Called under the file's lock; best effort.
pub fn remove_dead_temps(file: &Path) {
    let Some(name) = file.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let Ok(dir) = std::fs::read_dir(parent(file)) else {
        return;
    };
    for entry in dir.flatten() {
        let n = entry.file_name().to_string_lossy().into_owned();
        let rest = n
            .strip_prefix(&format!(".{name}.zt-"))
            .or_else(|| n.strip_prefix(&format!(".{name}.lock.zt-")));
        let Some(pid) = rest
            .and_then(|r| r.split('-').next())
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() as i32 && !alive(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn alive(pid: i32) -> bool {
    // kill(pid, 0): ESRCH means no such process; EPERM means it exists (another user's).
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
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
    zt_files::parent(path)
}

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
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn temps_of_dead_writers_are_removed_and_live_ones_kept() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("pgpass");
        let dead = d.path().join(".pgpass.zt-2147483646-abcd");
        let mine = d
            .path()
            .join(format!(".pgpass.zt-{}-abcd", std::process::id()));
        let other = d.path().join(".other.zt-2147483646-abcd");
        for p in [&dead, &mine, &other] {
            std::fs::write(p, "secret").unwrap();
        }
        remove_dead_temps(&f);
        assert!(!dead.exists());
        assert!(mine.exists() && other.exists());
    }

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

    #[test]
    fn user_files_are_written_through_links_keeping_their_mode() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("dotfiles/config");
        std::fs::create_dir_all(real.parent().unwrap()).unwrap();
        std::fs::write(&real, "old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o644)).unwrap();
        let hop = d.path().join("hop");
        let link = d.path().join("config");
        std::os::unix::fs::symlink("dotfiles/config", &hop).unwrap();
        std::os::unix::fs::symlink("hop", &link).unwrap();
        let target = resolve_links(&link).unwrap();
        assert_eq!(target, d.path().join("dotfiles/config"));
        write_user_file(&target, b"new", Keep::ModeAndOwner).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&link).unwrap(), "new");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&real), 0o644);
        write_user_file(&target, b"secret", Keep::Private).unwrap();
        assert_eq!(mode(&real), 0o600);
        // A new file (a dangling link's target) is private.
        std::os::unix::fs::symlink("dotfiles/new", d.path().join("dangling")).unwrap();
        let t = resolve_links(&d.path().join("dangling")).unwrap();
        write_user_file(&t, b"x", Keep::ModeAndOwner).unwrap();
        assert_eq!(mode(&d.path().join("dotfiles/new")), 0o600);
        // A loop of links is refused, not followed forever.
        std::os::unix::fs::symlink("loop", d.path().join("loop")).unwrap();
        assert!(resolve_links(&d.path().join("loop")).is_err());
    }

    #[test]
    fn oversized_files_are_refused_unread() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("big");
        std::fs::write(&p, vec![b'a'; 2048]).unwrap();
        let e = read_optional_max(&p, 1024).unwrap_err();
        assert!(e.message.contains("larger than"), "{}", e.message);
        assert_eq!(read_optional_max(&p, 4096).unwrap().unwrap().len(), 2048);
        assert!(
            read_optional_max(&d.path().join("none"), 10)
                .unwrap()
                .is_none()
        );
    }
}
