//! Writing grants where tools look for credentials, and wiping them again. The text editors
//! are pure ([`kubeyaml`], [`ini`], [`pgpass`], sharing `text`'s normalization of the input);
//! [`files`] locks and writes; [`kubeconfig`] and [`wipe`] put the two together.

pub mod files;
pub mod ini;
pub mod kubeconfig;
pub mod kubeyaml;
pub mod pgpass;
pub mod ssh;
pub mod sshconfig;
mod text;

use std::path::Path;

use files::{Change, Lock};
use kubeyaml::Wiped;

use crate::error::Result;
use crate::ledger::Target;

/// Remove every target of one file in a single locked rewrite. All targets of a file are of
/// the same kind (a file is a kubeconfig, an INI file, a pgpass file, zt's ssh config, a file
/// zt created whole, or an ssh-agent's socket).
pub fn wipe(file: &Path, targets: &[&Target]) -> Result<()> {
    if let Some(Target::Kubeconfig { .. }) = targets.first() {
        let list: Vec<_> = targets
            .iter()
            .filter_map(|t| match t {
                Target::Kubeconfig { name, undo, .. } => Some((name.as_str(), undo)),
                _ => None,
            })
            .collect();
        return kubeconfig::wipe(file, &list);
    }
    match targets.first() {
        Some(Target::SshHost { .. }) => return ssh::wipe_hosts(file, targets),
        Some(Target::SshAgent { .. }) => return ssh::wipe_agent(file, targets),
        _ => {}
    }
    if targets.iter().any(|t| matches!(t, Target::SshKey { .. })) {
        // A write killed midway left its temp file, holding the same secret.
        crate::fsutil::remove_dead_temps(file);
    }
    if targets
        .iter()
        .any(|t| matches!(t, Target::File { .. } | Target::SshKey { .. }))
    {
        return crate::fsutil::remove_file(file);
    }
    // A file holding a secret zt wrote stays private; the others keep their mode.
    let keep = match targets.iter().any(|t| {
        matches!(
            t,
            Target::Pgpass { .. }
                | Target::Ini {
                    dialect: crate::ledger::IniFile::AwsCredentials,
                    ..
                }
        )
    }) {
        true => crate::fsutil::Keep::Private,
        false => crate::fsutil::Keep::ModeAndOwner,
    };
    files::edit(file, Lock::Zt, keep, |text| {
        let Some(mut text) = text.map(String::from) else {
            return Ok(Change::Keep);
        };
        for t in targets {
            let r = match t {
                Target::Ini {
                    header,
                    dialect,
                    undo,
                    ..
                } => ini::wipe(&text, header, undo, dialect.dialect()),
                Target::Pgpass { grant, undo, .. } => pgpass::wipe(&text, grant, undo),
                Target::Kubeconfig { .. }
                | Target::File { .. }
                | Target::SshHost { .. }
                | Target::SshKey { .. }
                | Target::SshAgent { .. } => continue,
            };
            match r.map_err(|e| kubeconfig::refused(file, e))? {
                Wiped::Text(new) => text = new,
                Wiped::RemoveFile => return Ok(Change::Remove),
            }
        }
        Ok(Change::Write(text))
    })
}

/// What the editors' random-file property tests share.
#[cfg(test)]
pub(crate) mod tests {
    /// Draws choices from proptest's bytes, so failures shrink towards simpler files.
    pub(crate) struct Dice<'a>(pub(crate) &'a [u8], pub(crate) usize);

    impl Dice<'_> {
        pub(crate) fn pick(&mut self, n: usize) -> usize {
            let v = self.0.get(self.1).copied().unwrap_or(0);
            self.1 += 1;
            v as usize % n
        }
        pub(crate) fn chance(&mut self, in_n: usize) -> bool {
            self.pick(in_n) == 0
        }
        pub(crate) fn of<'s>(&mut self, items: &[&'s str]) -> &'s str {
            items[self.pick(items.len())]
        }
    }
}
