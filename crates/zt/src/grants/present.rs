//! Whether what the ledger records is really on disk: the entry is in its file with zt's marker
//! for that grant (someone may have removed it by hand, or a crash left only the ledger's
//! word). `zt status` claims only what this finds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::fsutil;
use crate::ledger::{Entry, Target};
use crate::materialize::{ini, kubeyaml, pgpass, sshconfig};

/// Reads each file once.
#[derive(Default)]
pub struct Disk {
    files: HashMap<PathBuf, Option<String>>,
}

impl Disk {
    fn text(&mut self, file: &Path) -> Option<&str> {
        self.files
            .entry(file.to_path_buf())
            .or_insert_with(|| {
                fsutil::read_optional_max(file, fsutil::MAX_USER_FILE)
                    .ok()
                    .flatten()
            })
            .as_deref()
    }

    pub fn has(&mut self, e: &Entry) -> bool {
        let grant = e.grant.as_str();
        match &e.target {
            Target::File { file } | Target::SshKey { file } => file.is_file(),
            Target::SshHost { file, name, .. } => {
                self.text(file).is_some_and(|t| match sshconfig::parse(t) {
                    Ok(f) => f.blocks.iter().any(|(n, g, _)| n == name && g == grant),
                    Err(_) => t.contains(grant),
                })
            }
            // The agent forgets the key at the grant's end by itself; whether it still holds it
            // changes nothing zt would write (the key file and block serve ssh without it).
            Target::SshAgent { .. } => true,
            Target::Kubeconfig { file, name, .. } => self.text(file).is_some_and(|t| {
                match kubeyaml::zt_entries(t) {
                    Ok(list) => list.iter().any(|(n, g)| n == name && g == grant),
                    // A file zt cannot parse now: its marker text is the best evidence left.
                    Err(_) => t.contains(grant),
                }
            }),
            Target::Ini {
                file,
                header,
                dialect,
                ..
            } => self
                .text(file)
                .is_some_and(|t| match ini::zt_sections(t, dialect.dialect()) {
                    Ok(list) => list.iter().any(|(h, g)| h == header && g == grant),
                    Err(_) => t.contains(grant),
                }),
            Target::Pgpass { file, .. } => {
                self.text(file).is_some_and(|t| match pgpass::zt_grants(t) {
                    Ok(list) => list.iter().any(|g| g == grant),
                    Err(_) => t.contains(grant),
                })
            }
        }
    }
}
