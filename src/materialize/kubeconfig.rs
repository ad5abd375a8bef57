//! The kubeconfig file: lock it the way kubectl does, read it, let [`kubeyaml`] change only
//! zt's entries, and replace it atomically. A file that does not parse is never rewritten.

use std::path::Path;
use std::time::Duration;

use super::kubeyaml::{self, EditError, KubeEntry, KubeUndo, Wiped};
use crate::error::{Error, Result};
use crate::fsutil;

/// kubectl gives up at once on a held lock; zt waits a little for it instead.
const LOCK_WAIT: Duration = Duration::from_secs(10);

pub fn apply(file: &Path, entry: &KubeEntry, use_context: bool) -> Result<KubeUndo> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        crate::paths::ensure_private_dir(dir)?;
    }
    let _lock = fsutil::LockFile::acquire(file, LOCK_WAIT)?;
    let text = fsutil::read_optional(file)?.unwrap_or_default();
    let (new, undo) = kubeyaml::apply(&text, entry, use_context).map_err(|e| refused(file, e))?;
    fsutil::atomic_write(file, new.as_bytes(), 0o600)?;
    Ok(undo)
}

/// Remove zt's entries `(name, undo)` from one file: one lock, one read, one write, however
/// many entries (a thousand grants expiring together cost one rewrite, not a thousand).
pub fn wipe(file: &Path, entries: &[(&str, &KubeUndo)]) -> Result<()> {
    let _lock = fsutil::LockFile::acquire(file, LOCK_WAIT)?;
    let Some(original) = fsutil::read_optional(file)? else {
        return Ok(());
    };
    let mut text = Some(original.clone());
    for (name, undo) in entries {
        let Some(current) = &text else { break };
        text = match kubeyaml::wipe(current, name, undo).map_err(|e| refused(file, e))? {
            Wiped::Text(new) => Some(new),
            Wiped::RemoveFile => None,
        };
    }
    match text {
        Some(new) if new == original => Ok(()),
        Some(new) => fsutil::atomic_write(file, new.as_bytes(), 0o600),
        None => fsutil::remove_file(file),
    }
}

fn refused(file: &Path, e: EditError) -> Error {
    let at = e.line.map(|l| format!(":{l}")).unwrap_or_default();
    Error::other(format!("cannot edit {}{at}: {}", file.display(), e.message)).with_hint(
        "zt left the file untouched; fix it (`kubectl config view` shows what kubectl makes of it) and run the command again",
    )
}
