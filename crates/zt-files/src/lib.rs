//! What the client and the broker both do on disk, and nothing else: atomic private-file
//! writes, private directories, the state directory, random temp-name suffixes. Errors are
//! `std::io::Error`s that carry their context ("cannot write <path>: ..."), so each side wraps
//! them in its own error type without this crate knowing either.

pub mod ids;

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// `context: e`, keeping the kind, so a caller's message reads as it always did.
fn with_context(context: String, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{context}: {e}"))
}

/// Replace `path` with `bytes` so that a reader (or a crash) sees the old or the new file,
/// never a mix. The new file gets exactly `mode` (whatever the umask).
pub fn atomic_write(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    atomic_write_owned(path, bytes, mode, None)
}

/// [`atomic_write`], and the new file gets `owner` (uid, gid) when it is not already ours
/// (best effort: only root may give a file away).
pub fn atomic_write_owned(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    owner: Option<(u32, u32)>,
) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = parent(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.zt-{}-{}",
        std::process::id(),
        ids::random_hex(4)
    ));
    let write = || -> io::Result<()> {
        // Created 0600 and widened only once written: a file that will hold a secret is
        // never readable by others, not even for a moment.
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        if let Some((uid, gid)) = owner {
            let _ = std::os::unix::fs::fchown(&f, Some(uid), Some(gid));
        }
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename is durable only once the directory entry is.
        File::open(&dir)?.sync_all()
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        with_context(format!("cannot write {}", path.display()), e)
    })
}

/// The directory `path` is in (`.` for a bare file name).
pub fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Create a directory (and parents) readable only by the user.
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| with_context(format!("cannot create {}", dir.display()), e))
}

/// Why a zt directory has no place: HOME is unset and so are the overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoHome;

impl NoHome {
    pub const MESSAGE: &str = "HOME is not set";
    pub const HINT: &str = "set HOME, or ZT_CONFIG_DIR and ZT_STATE_DIR";
}

/// A variable that is set and not empty (an empty override means "unset", as in the shell).
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The one directory rule: the override variable (`ZT_*_DIR`) first, then `$<xdg>/zt`,
/// then `~/<fallback...>/zt`.
pub fn resolve_dir(over: &str, xdg: &str, fallback: &[&str]) -> Result<PathBuf, NoHome> {
    if let Some(p) = var(over) {
        return Ok(PathBuf::from(p));
    }
    if let Some(p) = var(xdg) {
        return Ok(PathBuf::from(p).join("zt"));
    }
    let mut p = PathBuf::from(var("HOME").ok_or(NoHome)?);
    for part in fallback {
        p.push(part);
    }
    Ok(p.join("zt"))
}

/// The ledger, the reaper's pid and log, the dev broker's files.
pub fn state_dir() -> Result<PathBuf, NoHome> {
    resolve_dir("ZT_STATE_DIR", "XDG_STATE_HOME", &[".local", "state"])
}
