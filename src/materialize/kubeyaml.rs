//! Adds and removes zt's entries in a kubeconfig by editing its text, because the user's file is
//! theirs: every byte outside zt's own entries (comments, order, indentation, other entries,
//! unknown fields) must survive, which neither kubectl's rewrite nor a YAML round trip does.
//!
//! The approach: locate byte spans with yaml_rust2's event parser (`layout`), add or remove
//! whole lines of zt's own text (`emit`, `text`), then re-parse the result and require its tree
//! to equal the original tree with exactly zt's change applied. Any doubt becomes an
//! [`EditError`], and the caller leaves the file untouched.
//!
//! Comments and blank lines between a list's last entry and the next top-level key belong to
//! what follows (they usually introduce the next key), so new entries go before them; comments
//! indented deeper than the list's `-` stay with the entry above. An entry's lines run from the
//! line of its `-` to its last content line, so removing one never touches a neighbour's text.

mod emit;
mod layout;
mod lines;
#[cfg(test)]
mod tests;
mod text;

use std::fmt;

use serde::{Deserialize, Serialize};
use yaml_rust2::Yaml;
use yaml_rust2::yaml::Hash;

use emit::{MARKER, Style};
use layout::{CURRENT, LISTS, List};
use text::{edit, prepare, splice};

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

/// What apply changed beyond adding entries, so wipe can restore it exactly. Stored (as JSON)
/// in zt's ledger. When the same entry is applied again before being wiped, keep the first
/// undo combined with the later one: see [`KubeUndo::merge`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KubeUndo {
    /// zt wrote a fresh kubeconfig because the text held no YAML document: the exact original
    /// text ("" when the file did not exist).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fresh_from: Option<String>,
    /// apply switched current-context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_context: Option<PreviousContext>,
    /// Top-level lists zt created or converted from an empty value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lists: Vec<ListUndo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviousContext {
    /// The text after `current-context:` as it was (` "dev"`, ` ""`, or empty); None when the
    /// key was absent.
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListUndo {
    /// `clusters`, `contexts` or `users`.
    pub key: String,
    /// The value text after `<key>:` that zt removed (` []`, ` null`, empty); None when zt
    /// added the key.
    pub was: Option<String>,
}

impl KubeUndo {
    /// Combine with the undo of a later apply of the same entry (a re-request). The later apply
    /// found zt's entries in place and so knows less about the original file: keep what this
    /// one recorded. That includes the current-context: a later `--use` finds zt's own context
    /// current and would record it as the one to restore, leaving a dangling context at wipe.
    pub fn merge(mut self, later: KubeUndo) -> KubeUndo {
        self.fresh_from = self.fresh_from.or(later.fresh_from);
        self.current_context = self.current_context.or(later.current_context);
        for l in later.lists {
            if !self.lists.iter().any(|m| m.key == l.key) {
                self.lists.push(l);
            }
        }
        self
    }
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

/// The semantic value of text that followed `key:`.
fn value_of(text: &str) -> Result<Yaml, EditError> {
    let h = layout::tree(&format!("x:{text}\n")).map_err(|_| verify_failed())?;
    h.get(&key("x")).cloned().ok_or_else(verify_failed)
}

/// The grant id in zt's marker, if the entry carries it.
fn grant_of<'y>(item: &'y Yaml, inner: &str) -> Option<&'y str> {
    let exts = item[inner]["extensions"].as_vec()?;
    let ext = exts.iter().find(|e| e["name"].as_str() == Some(MARKER))?;
    Some(ext["extension"]["grant"].as_str().unwrap_or(""))
}

/// Carries zt's marker, whatever its name.
fn is_ours_any(item: &Yaml, inner: &str) -> bool {
    grant_of(item, inner).is_some()
}

/// Add (or replace zt's own previous) cluster+user+context `entry.name`. `text` may be empty
/// (file absent): then produce a fresh kubeconfig. `use_context`: also set current-context to
/// entry.name, remembering the old value in the undo.
pub fn apply(
    text: &str,
    entry: &KubeEntry,
    use_context: bool,
) -> Result<(String, KubeUndo), EditError> {
    if entry.name.is_empty() {
        return Err(EditError::msg("the kubeconfig entry name is empty"));
    }
    let prep = prepare(text)?;
    let mut undo = KubeUndo::default();
    let fresh: String;
    let (src, loaded) = match layout::load(&prep.work)? {
        Some(l) => (&*prep.work, l),
        None => {
            fresh = prep.fresh();
            undo.fresh_from = Some(text.to_string());
            (
                fresh.as_str(),
                layout::load(&fresh)?.ok_or_else(verify_failed)?,
            )
        }
    };
    let (lines, doc) = (&loaded.lines, &loaded.doc);
    // A final block scalar's value depends on the final line break `prepare` may have added.
    let body_tree;
    let tree = match undo.fresh_from.is_none() && prep.lacks_newline {
        true => {
            body_tree = layout::tree(prep.body)?;
            &body_tree
        }
        false => loaded.tree()?,
    };
    let mut expected = tree.clone();
    let mut edits = Vec::new();
    let (default_indent, default_off) = doc
        .lists
        .iter()
        .find_map(|l| match l {
            List::Block {
                dash_col, item_off, ..
            } => Some((dash_col.saturating_sub(doc.key_col), *item_off)),
            _ => None,
        })
        .unwrap_or((0, 2));
    let style = |indent: usize, item_off| Style {
        indentless: indent == 0,
        item_off,
        eol: prep.eol,
    };
    let pad = " ".repeat(doc.key_col);
    for ((list, inner), (new, x)) in LISTS.iter().zip(emit::entries(entry).iter().zip(0..)) {
        let mut text = String::new();
        let new_yaml = emit::to_yaml(new);
        match &doc.lists[x] {
            List::Block {
                dash_col,
                item_off,
                items,
                end,
                ..
            } => {
                let arr = tree.get(&key(list)).and_then(Yaml::as_vec);
                let arr = arr
                    .filter(|a| a.len() == items.len())
                    .ok_or_else(verify_failed)?;
                let mut ours = Vec::new();
                for (n, (it, pos)) in arr.iter().zip(items).enumerate() {
                    if it["name"].as_str() != Some(entry.name) {
                        continue;
                    }
                    if grant_of(it, inner).is_none() {
                        return Err(EditError::at(
                            pos.line + 1,
                            format!(
                                "a `{}` entry exists in `{list}` that zt did not write; rename or remove it",
                                entry.name
                            ),
                        ));
                    }
                    if !pos.plain {
                        return Err(EditError::at(
                            pos.line + 1,
                            format!(
                                "zt's `{}` entry in `{list}` uses anchors, aliases or tags; remove it by hand",
                                entry.name
                            ),
                        ));
                    }
                    ours.push(n);
                }
                emit::item(
                    &mut text,
                    new,
                    *dash_col,
                    &style(dash_col.saturating_sub(doc.key_col), *item_off),
                );
                let arr = expected
                    .get_mut(&key(list))
                    .and_then(Yaml::as_mut_vec)
                    .ok_or_else(verify_failed)?;
                match ours.split_first() {
                    None => {
                        edits.push(edit(*end..*end, text, 0));
                        arr.push(new_yaml);
                    }
                    // Re-request: replace zt's previous entry where it is; drop duplicates.
                    Some((&first, rest)) => {
                        for (n, pos) in items.iter().enumerate().filter(|(n, _)| ours.contains(n)) {
                            let text = if n == first {
                                std::mem::take(&mut text)
                            } else {
                                String::new()
                            };
                            edits.push(edit(pos.span.clone(), text, 0));
                        }
                        let mut n = 0;
                        arr.retain(|_| (!rest.contains(&n), n += 1).0);
                        if let Some(slot) = arr.get_mut(first) {
                            *slot = new_yaml;
                        }
                    }
                }
            }
            List::Empty { span, .. } => {
                let was = src.get(span.clone()).ok_or_else(verify_failed)?.to_string();
                undo.lists.push(ListUndo {
                    key: list.to_string(),
                    was: Some(was),
                });
                edits.push(edit(span.clone(), "", 0));
                let at = lines.end(lines.line_of(span.end));
                emit::item(
                    &mut text,
                    new,
                    doc.key_col + default_indent,
                    &style(default_indent, default_off),
                );
                edits.push(edit(at..at, text, 0));
                set(&mut expected, list, Yaml::Array(vec![new_yaml]));
            }
            List::Absent => {
                undo.lists.push(ListUndo {
                    key: list.to_string(),
                    was: None,
                });
                text = format!("{pad}{list}:{}", prep.eol);
                emit::item(
                    &mut text,
                    new,
                    doc.key_col + default_indent,
                    &style(default_indent, default_off),
                );
                edits.push(edit(doc.end..doc.end, text, 1 + x));
                expected.insert(key(list), Yaml::Array(vec![new_yaml]));
            }
        }
    }
    if use_context {
        let name = emit::quote(entry.name);
        match &doc.current {
            Some(_) if tree.get(&key(CURRENT)).and_then(Yaml::as_str) == Some(entry.name) => {}
            Some(cur) => {
                let (span, _) = cur.value.clone().ok_or_else(|| {
                    EditError::at(
                        cur.key.line + 1,
                        "zt cannot edit this layout of current-context",
                    )
                })?;
                let was = src.get(span.clone()).ok_or_else(verify_failed)?.to_string();
                undo.current_context = Some(PreviousContext { text: Some(was) });
                edits.push(edit(span, format!(" {name}"), 0));
            }
            None => {
                undo.current_context = Some(PreviousContext { text: None });
                let line = format!("{pad}{CURRENT}: {name}{}", prep.eol);
                edits.push(edit(doc.end..doc.end, line, 4));
            }
        }
        set(&mut expected, CURRENT, key(entry.name));
    }
    let out = prep.finish(splice(src, edits)?);
    verify(&out, &expected)?;
    Ok((out, undo))
}

/// Remove zt's entries named `name` (only those carrying zt's marker) and undo what `undo`
/// records (restore current-context only if it still equals `name`; restore `[]`/null/absent
/// keys zt changed, once their list is empty again). Entries already gone is not an error.
pub fn wipe(text: &str, name: &str, undo: &KubeUndo) -> Result<Wiped, EditError> {
    wipe_many(text, &[(name, undo)])
}

/// [`wipe`] for many entries in one pass: one parse, one verification, however many names
/// (a thousand grants expiring together must not cost a thousand parses of a big file).
pub fn wipe_many(text: &str, entries: &[(&str, &KubeUndo)]) -> Result<Wiped, EditError> {
    let is_name = |n: &str| entries.iter().any(|(e, _)| *e == n);
    let prep = prepare(text)?;
    let Some(loaded) = layout::load(&prep.work)? else {
        return Ok(Wiped::Text(text.to_string()));
    };
    let (lines, doc) = (&loaded.lines, &loaded.doc);
    let body_tree;
    let tree = match prep.lacks_newline {
        true => {
            body_tree = layout::tree(prep.body)?;
            &body_tree
        }
        false => loaded.tree()?,
    };
    let mut expected = tree.clone();
    let mut edits = Vec::new();
    for ((list, inner), x) in LISTS.iter().zip(0..) {
        let k = match &doc.lists[x] {
            List::Block { key: k, items, .. } => {
                let arr = tree.get(&key(list)).and_then(Yaml::as_vec);
                let arr = arr
                    .filter(|a| a.len() == items.len())
                    .ok_or_else(verify_failed)?;
                let ours: Vec<bool> = arr
                    .iter()
                    .map(|it| it["name"].as_str().is_some_and(is_name) && is_ours_any(it, inner))
                    .collect();
                for (pos, _) in items.iter().zip(&ours).filter(|(_, o)| **o) {
                    if !pos.plain {
                        return Err(EditError::at(
                            pos.line + 1,
                            format!(
                                "a zt entry in `{list}` uses anchors, aliases or tags; remove it by hand"
                            ),
                        ));
                    }
                    edits.push(edit(pos.span.clone(), "", 0));
                }
                match ours.iter().filter(|o| **o).count() {
                    0 => continue,
                    n if n < arr.len() => {
                        let exp = expected.get_mut(&key(list)).and_then(Yaml::as_mut_vec);
                        let mut ours = ours.iter();
                        exp.ok_or_else(verify_failed)?
                            .retain(|_| !ours.next().copied().unwrap_or(false));
                        continue;
                    }
                    _ => k,
                }
            }
            List::Empty { key: k, span } if span.is_empty() => k,
            _ => continue,
        };
        // The list is empty now: put back what apply replaced.
        let was = entries
            .iter()
            .find_map(|(_, u)| u.lists.iter().find(|l| l.key == *list));
        match was.map(|u| &u.was) {
            Some(Some(was)) => {
                edits.push(edit(k.colon_end..k.colon_end, was.as_str(), 0));
                set(&mut expected, list, value_of(was)?);
            }
            Some(None) => {
                edits.push(edit(lines.start(k.line)..lines.end(k.line), "", 0));
                expected.remove(&key(list));
            }
            None => set(&mut expected, list, Yaml::Null),
        }
    }
    let current = tree.get(&key(CURRENT)).and_then(Yaml::as_str);
    let owner = entries.iter().find(|(n, _)| Some(*n) == current);
    if let Some((_, undo)) = owner
        && let Some(prev) = &undo.current_context
        && let Some(cur) = &doc.current
        && let Some((span, last)) = &cur.value
    {
        match &prev.text {
            Some(t) => {
                edits.push(edit(span.clone(), t.as_str(), 0));
                set(&mut expected, CURRENT, value_of(t)?);
            }
            None => {
                edits.push(edit(lines.start(cur.key.line)..lines.end(*last), "", 0));
                expected.remove(&key(CURRENT));
            }
        }
    }
    let out = prep.finish(splice(&prep.work, edits)?);
    let got = verify(&out, &expected)?;
    if let Some(orig) = entries.iter().find_map(|(_, u)| u.fresh_from.as_ref())
        && let Ok(p) = prepare(orig)
        && (out == p.finish(p.fresh()) || (bare_skeleton(&got, &is_name) && !out.contains('#')))
    {
        return Ok(if orig.is_empty() {
            Wiped::RemoveFile
        } else {
            Wiped::Text(orig.clone())
        });
    }
    Ok(Wiped::Text(out))
}

/// An empty kubeconfig as zt (or kubectl, rewriting zt's) would leave it.
fn bare_skeleton(tree: &Hash, is_name: &dyn Fn(&str) -> bool) -> bool {
    tree.iter().all(|(k, v)| match k.as_str() {
        Some("apiVersion") => v.as_str() == Some("v1"),
        Some("kind") => v.as_str() == Some("Config"),
        Some("preferences") => v.is_null() || v.as_hash().is_some_and(|h| h.is_empty()),
        Some("clusters" | "contexts" | "users") => {
            v.is_null() || v.as_vec().is_some_and(|a| a.is_empty())
        }
        Some(CURRENT) => v.is_null() || v.as_str().is_some_and(|s| s.is_empty() || is_name(s)),
        _ => false,
    })
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
