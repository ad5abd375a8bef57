//! Careful file writes shared by every writer: atomic replace (temp file in the same
//! directory, fsync, rename, fsync the directory), reads with a size cap, writes through a
//! user's symlinks; and (in `lock`) kubectl-compatible `<file>.lock` files and `flock`.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

mod lock;
pub use lock::{Flock, LockFile};

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

pub(crate) fn alive(pid: i32) -> bool {
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
