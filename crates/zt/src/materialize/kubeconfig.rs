//! The kubeconfig file: lock it the way kubectl does, read it, let [`kubeyaml`] change only
//! zt's entries, and replace it atomically. A file that does not parse is never rewritten.

use std::path::Path;

use super::files::{self, Change, Lock};
use super::kubeyaml::{self, EditError, KubeEntry, KubeUndo, Wiped};
use crate::error::{Error, Result};
use crate::fsutil::Keep;

pub fn apply(file: &Path, entry: &KubeEntry, use_context: bool) -> Result<KubeUndo> {
    let mut undo = None;
    files::edit(file, Lock::Kubectl, Keep::ModeAndOwner, |text| {
        let (new, mut u) = kubeyaml::apply(text.unwrap_or(""), entry, use_context)
            .map_err(|e| refused(file, e))?;
        // An empty file the user had stays (empty) when zt's entries go again.
        u.existed = text.is_some();
        undo = Some(u);
        Ok(Change::Write(new))
    })?;
    undo.ok_or_else(|| Error::other("internal: kubeconfig apply produced no undo"))
}

/// Remove zt's entries `(name, undo)` from one file: one lock, one read, one write, however
/// many entries (a thousand grants expiring together cost one rewrite, not a thousand).
pub fn wipe(file: &Path, entries: &[(&str, &KubeUndo)]) -> Result<()> {
    files::edit(file, Lock::Kubectl, Keep::ModeAndOwner, |text| {
        let Some(text) = text else {
            return Ok(Change::Keep);
        };
        Ok(
            match kubeyaml::wipe_many(text, entries).map_err(|e| refused(file, e))? {
                Wiped::Text(new) => Change::Write(new),
                Wiped::RemoveFile => Change::Remove,
            },
        )
    })
}

pub fn refused(file: &Path, e: EditError) -> Error {
    let at = e.line.map(|l| format!(":{l}")).unwrap_or_default();
    Error::other(format!("cannot edit {}{at}: {}", file.display(), e.message))
        .with_hint("zt left the file untouched; fix it and run the command again")
}
