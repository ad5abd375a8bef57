//! Adding zt's cluster, user and context to a kubeconfig's text (or replacing zt's previous
//! ones), and switching current-context to them on request.

use yaml_rust2::Yaml;

use super::emit::{self, Style};
use super::layout::{self, CURRENT, LISTS, List};
use super::text::{edit, prepare, splice};
use super::{
    EditError, KubeEntry, KubeUndo, ListUndo, PreviousContext, grant_of, key, set, verify,
    verify_failed,
};

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
    check_server(entry.server)?;
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

/// kubectl sends the credential zt's exec plugin mints to this URL, so it comes from the broker
/// but is checked like input: `https://` with a host, or `http://` on loopback (the dev
/// broker) — never `file://`, another scheme, user info, or a control character.
pub(super) fn check_server(server: &str) -> Result<(), EditError> {
    let shown: String = server.chars().take(200).collect();
    let refuse = |why: &str| {
        EditError::msg(format!(
            "the broker gave the Kubernetes server {shown:?}, which zt will not write: {why}"
        ))
    };
    if server.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(refuse("it contains a control or space character"));
    }
    let url = reqwest::Url::parse(server).map_err(|e| refuse(&format!("not a URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("it carries user info"));
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| refuse("it names no host"))?;
    let ip = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || ip
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback());
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(refuse("plain http is allowed on loopback only")),
        _ => Err(refuse("only https:// (or http:// on loopback) is allowed")),
    }
}

#[cfg(test)]
mod tests;
