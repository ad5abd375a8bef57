//! Removing zt's entries from a kubeconfig's text and undoing what apply changed around them,
//! for one entry or many in one pass; a file zt created goes back to what it was.

use yaml_rust2::Yaml;
use yaml_rust2::yaml::Hash;

use super::layout::{self, CURRENT, LISTS, List};
use super::text::{edit, prepare, splice};
use super::{EditError, KubeUndo, Wiped, grant_of, key, set, verify, verify_failed};

/// The semantic value of text that followed `key:`.
fn value_of(text: &str) -> Result<Yaml, EditError> {
    let h = layout::tree(&format!("x:{text}\n")).map_err(|_| verify_failed())?;
    h.get(&key("x")).cloned().ok_or_else(verify_failed)
}

/// Carries zt's marker, whatever its name.
fn is_ours_any(item: &Yaml, inner: &str) -> bool {
    grant_of(item, inner).is_some()
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
                    edits.push(edit(own_lines(lines, &pos.span), "", 0));
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
    if let Some((orig, existed)) = entries
        .iter()
        .find_map(|(_, u)| Some((u.fresh_from.as_ref()?, u.existed)))
        && let Ok(p) = prepare(orig)
        && (out == p.finish(p.fresh()) || (bare_skeleton(&got, &is_name) && !out.contains('#')))
    {
        return Ok(if orig.is_empty() && !existed {
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

/// The lines of a zt entry that are zt's: zt writes no comments or blank lines inside its
/// entries, so any that trail its last content line (a user's comment indented under the end
/// of the list, say) belong to the user and stay.
fn own_lines(lines: &super::lines::Lines, span: &std::ops::Range<usize>) -> std::ops::Range<usize> {
    if span.is_empty() {
        return span.clone();
    }
    let first = lines.line_of(span.start);
    let mut last = lines.line_of(span.end - 1);
    while last > first && lines.first(last).is_none_or(|(_, c)| c == '#') {
        last -= 1;
    }
    span.start..lines.end(last).min(span.end)
}

#[cfg(test)]
mod tests;
