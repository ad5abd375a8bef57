//! Adds and removes zt's entries in a kubeconfig by editing its text, because the user's file is
//! theirs: every byte outside zt's own entries (comments, order, indentation, other entries,
//! unknown fields) must survive, which neither kubectl's rewrite nor a YAML round trip does.
//!
//! The approach: locate byte spans with yaml_rust2's event parser (`layout`), add or remove
//! whole lines of zt's own text (`emit`, `text`), then re-parse the result and require its tree
//! to equal the original tree with exactly zt's change applied. Any doubt becomes an
//! [`EditError`], and the caller leaves the file untouched. [`apply`] and [`wipe`] are the two
//! edits, each in its own module; [`KubeUndo`] (`undo`) is what the first leaves the second.
//!
//! Comments and blank lines between a list's last entry and the next top-level key belong to
//! what follows (they usually introduce the next key), so new entries go before them; comments
//! indented deeper than the list's `-` stay with the entry above. An entry's lines run from the
//! line of its `-` to its last content line, so removing one never touches a neighbour's text.

mod apply;
mod emit;
#[cfg(test)]
mod fixtures;
mod layout;
mod lines;
#[cfg(test)]
mod tests;
mod text;
mod undo;
mod wipe;

use std::fmt;

use yaml_rust2::Yaml;
use yaml_rust2::yaml::Hash;

pub use apply::apply;
use emit::MARKER;
use layout::LISTS;
use text::prepare;
pub use undo::{KubeUndo, ListUndo, PreviousContext};
pub use wipe::{wipe, wipe_many};

/// zt's cluster, user and context for one resource. Every string is written quoted, so no
/// value can change the meaning of the surrounding YAML.
#[derive(Debug, Clone, Copy)]
pub struct KubeEntry<'a> {
    /// "zt-prod-k8s": the cluster, user and context name.
    pub name: &'a str,
    /// https://… or http://127.0.0.1:port/dev/k8s
    pub server: &'a str,
    /// base64 PEM, written as certificate-authority-data.
    pub certificate_authority_data: Option<&'a str>,
    /// Context namespace.
    pub namespace: Option<&'a str>,
    /// Absolute path of the zt binary.
    pub exec_command: &'a str,
    /// e.g. ["credential","kube","r7f3k2q9xa"]
    pub exec_args: &'a [String],
    /// Recorded in zt's marker.
    pub grant_id: &'a str,
    /// RFC 3339, recorded in zt's marker.
    pub expires_at: &'a str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EditError {
    /// 1-based, when known.
    pub line: Option<usize>,
    pub message: String,
}

impl EditError {
    fn at(line: usize, message: impl Into<String>) -> Self {
        EditError {
            line: Some(line),
            message: message.into(),
        }
    }
    fn msg(message: impl Into<String>) -> Self {
        EditError {
            line: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for EditError {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wiped {
    Text(String),
    /// zt created the file and nothing else is left in it.
    RemoveFile,
}

fn verify_failed() -> EditError {
    EditError::msg("internal: edit verification failed; file left untouched")
}

/// Re-parse the output and require exactly the intended tree.
fn verify(out: &str, expected: &Hash) -> Result<Hash, EditError> {
    let got =
        layout::tree(out.strip_prefix('\u{feff}').unwrap_or(out)).map_err(|_| verify_failed())?;
    if got != *expected {
        return Err(verify_failed());
    }
    Ok(got)
}

fn key(k: &str) -> Yaml {
    Yaml::String(k.to_string())
}

fn set(h: &mut Hash, k: &str, v: Yaml) {
    // `insert` would move an existing key to the end.
    match h.get_mut(&key(k)) {
        Some(slot) => *slot = v,
        None => _ = h.insert(key(k), v),
    }
}

/// The grant id in zt's marker, if the entry carries it.
fn grant_of<'y>(item: &'y Yaml, inner: &str) -> Option<&'y str> {
    let exts = item[inner]["extensions"].as_vec()?;
    let ext = exts.iter().find(|e| e["name"].as_str() == Some(MARKER))?;
    Some(ext["extension"]["grant"].as_str().unwrap_or(""))
}

/// One entry carrying zt's marker, from any of the three lists.
#[derive(Debug, Clone, PartialEq)]
pub struct Marked {
    pub name: String,
    pub grant: String,
    /// The marker's `expires` (RFC 3339), as written.
    pub expires: Option<String>,
}

/// Every name in clusters, contexts and users that carries zt's marker, once each — what
/// the reaper compares with its ledger to find entries no ledger knows (brought back by a
/// kubectl that read the file before zt's wipe and wrote it after).
pub fn zt_marked(text: &str) -> Result<Vec<Marked>, EditError> {
    let prep = prepare(text)?;
    let Some(loaded) = layout::load(&prep.work)? else {
        return Ok(Vec::new());
    };
    let tree = loaded.tree()?;
    let mut out: Vec<Marked> = Vec::new();
    for (list, inner) in LISTS {
        for item in tree
            .get(&key(list))
            .and_then(Yaml::as_vec)
            .into_iter()
            .flatten()
        {
            let (Some(name), Some(grant)) = (item["name"].as_str(), grant_of(item, inner)) else {
                continue;
            };
            if out.iter().any(|m| m.name == name) {
                continue;
            }
            let ext = item[inner]["extensions"]
                .as_vec()
                .and_then(|v| v.iter().find(|e| e["name"].as_str() == Some(MARKER)));
            let expires = ext
                .and_then(|e| e["extension"]["expires"].as_str())
                .map(String::from);
            out.push(Marked {
                name: name.to_string(),
                grant: grant.to_string(),
                expires,
            });
        }
    }
    Ok(out)
}

/// Parse check only: Ok when apply and wipe can work on `text`.
pub fn validate(text: &str) -> Result<(), EditError> {
    let prep = prepare(text)?;
    layout::load(&prep.work).map(|_| ())
}

/// Names of contexts in the file that carry zt's marker, with their grant ids (for
/// repair/status).
pub fn zt_entries(text: &str) -> Result<Vec<(String, String)>, EditError> {
    let prep = prepare(text)?;
    let Some(loaded) = layout::load(&prep.work)? else {
        return Ok(Vec::new());
    };
    let Some(contexts) = loaded.tree()?.get(&key("contexts")).and_then(Yaml::as_vec) else {
        return Ok(Vec::new());
    };
    let (_, inner) = LISTS[1];
    Ok(contexts
        .iter()
        .filter_map(|c| {
            Some((
                c["name"].as_str()?.to_string(),
                grant_of(c, inner)?.to_string(),
            ))
        })
        .collect())
}
