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

/// Why a zt directory has no place: no home directory to put it in, and no override.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoHome;

impl NoHome {
    pub const MESSAGE: &str =
        "cannot find your home directory (HOME is not set and the user database has none)";
    pub const HINT: &str = "set HOME, or ZT_CONFIG_DIR and ZT_STATE_DIR";
}

/// A variable that is set and not empty (an empty override means "unset", as in the shell).
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The user's home directory, from the `dirs` crate on every platform: `$HOME`, else the
/// user database's entry (a service or a cron job without HOME still has a home).
pub fn home() -> Result<PathBuf, NoHome> {
    dirs::home_dir().ok_or(NoHome)
}

/// The one directory rule: the override variable (`ZT_*_DIR`) first, then `$<xdg>/zt` when
/// that is an absolute path (the XDG Base Directory rule: a relative one is ignored), then
/// `<home>/<fallback...>/zt`, with the home directory from [`home`].
///
/// On Linux and the BSDs this is exactly the `dirs` crate's `config_dir()`/`state_dir()`
/// joined with `zt` (a test checks it). On macOS zt keeps the same `~/.config/zt` and
/// `~/.local/state/zt` rather than `dirs`' `~/Library/Application Support`: a command-line
/// tool's files go where its users and their dotfile managers look, as gh (`~/.config/gh`),
/// kubectl (`~/.kube`) and the AWS CLI (`~/.aws`) keep theirs, and the README's paths stay
/// true on every platform zt builds for (zt is Unix-only: its files are POSIX-private).
pub fn resolve_dir(over: &str, xdg: &str, fallback: &[&str]) -> Result<PathBuf, NoHome> {
    resolve_with(var, home, over, xdg, fallback)
}

fn resolve_with(
    var: impl Fn(&str) -> Option<String>,
    home: impl FnOnce() -> Result<PathBuf, NoHome>,
    over: &str,
    xdg: &str,
    fallback: &[&str],
) -> Result<PathBuf, NoHome> {
    if let Some(p) = var(over) {
        return Ok(PathBuf::from(p));
    }
    if let Some(p) = var(xdg).map(PathBuf::from).filter(|p| p.is_absolute()) {
        return Ok(p.join("zt"));
    }
    let mut p = home()?;
    for part in fallback {
        p.push(part);
    }
    Ok(p.join("zt"))
}

/// The ledger, the reaper's pid and log, the dev broker's files.
pub fn state_dir() -> Result<PathBuf, NoHome> {
    resolve_dir("ZT_STATE_DIR", "XDG_STATE_HOME", &[".local", "state"])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(set: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let set: Vec<(String, String)> = set
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            set.iter()
                .find(|(k, v)| k == name && !v.is_empty())
                .map(|(_, v)| v.clone())
        }
    }

    fn at_home() -> Result<PathBuf, NoHome> {
        Ok(PathBuf::from("/home/ada"))
    }

    #[test]
    fn override_then_xdg_then_home() {
        let r = |set: &[(&str, &str)]| {
            resolve_with(
                vars(set),
                at_home,
                "ZT_CONFIG_DIR",
                "XDG_CONFIG_HOME",
                &[".config"],
            )
        };
        assert_eq!(r(&[]), Ok(PathBuf::from("/home/ada/.config/zt")));
        assert_eq!(
            r(&[("XDG_CONFIG_HOME", "/xdg")]),
            Ok(PathBuf::from("/xdg/zt"))
        );
        // A relative XDG path is ignored (XDG Base Directory), an empty one is unset.
        assert_eq!(
            r(&[("XDG_CONFIG_HOME", "rel")]),
            Ok(PathBuf::from("/home/ada/.config/zt"))
        );
        assert_eq!(
            r(&[("XDG_CONFIG_HOME", "/xdg"), ("ZT_CONFIG_DIR", "/over")]),
            Ok(PathBuf::from("/over"))
        );
        assert_eq!(
            resolve_with(vars(&[]), || Err(NoHome), "A", "B", &[".config"]),
            Err(NoHome)
        );
        assert_eq!(
            resolve_with(vars(&[("A", "/a")]), || Err(NoHome), "A", "B", &[]),
            Ok(PathBuf::from("/a"))
        );
    }

    /// On Linux, with no override, zt's directories are the `dirs` crate's own.
    #[cfg(target_os = "linux")]
    #[test]
    fn on_linux_the_dirs_are_the_dirs_crates() {
        let unset = "ZT_FILES_TEST_NEVER_SET";
        assert_eq!(
            resolve_dir(unset, "XDG_CONFIG_HOME", &[".config"]).ok(),
            dirs::config_dir().map(|d| d.join("zt"))
        );
        assert_eq!(
            resolve_dir(unset, "XDG_STATE_HOME", &[".local", "state"]).ok(),
            dirs::state_dir().map(|d| d.join("zt"))
        );
    }
}
