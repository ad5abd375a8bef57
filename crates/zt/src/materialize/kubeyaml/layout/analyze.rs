//! The top level of a kubeconfig: its keys, where new ones go, and the values zt edits, found
//! by walking the parser's events once; refuses documents zt cannot edit line by line.

use yaml_rust2::parser::Event;
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::values::{current_value, list_value};
use super::{CURRENT, Doc, Key, LISTS, List, skip};
use crate::materialize::kubeyaml::EditError;
use crate::materialize::kubeyaml::lines::{Lines, scalar_end};

pub(super) fn analyze(lines: &Lines, events: &[(Event, Marker)]) -> Result<Option<Doc>, EditError> {
    let ev = |i: usize| {
        events
            .get(i)
            .ok_or_else(|| EditError::msg("truncated YAML"))
    };
    match ev(1)? {
        (Event::StreamEnd, _) => return Ok(None),
        (Event::DocumentStart, _) => {}
        (_, m) => return Err(EditError::at(m.line(), "unexpected YAML structure")),
    }
    check_block_style(lines)?;
    match ev(2)? {
        (Event::MappingStart(0, None), _) => {}
        (Event::MappingStart(..), m) => {
            return Err(EditError::at(
                m.line(),
                "anchors or tags on the top-level mapping are not supported",
            ));
        }
        (_, m) => {
            return Err(EditError::at(
                m.line(),
                "the top level is not a mapping; not a kubeconfig",
            ));
        }
    }
    let mut doc = Doc {
        key_col: 0,
        end: 0,
        lists: [List::Absent, List::Absent, List::Absent],
        current: None,
    };
    let (mut i, mut first_line, mut block_last) = (3, None, false);
    let end_mark = loop {
        let (e, m) = ev(i)?;
        let Event::Scalar(name, style, anchor, tag) = e else {
            if let Event::MappingEnd = e {
                break *m;
            }
            // A complex key: nothing of zt's, step over key and value.
            let value = skip(events, skip(events, i)?.next)?;
            (i, block_last) = (value.next, value.block_last);
            continue;
        };
        let line = m.line().saturating_sub(1);
        if first_line.is_none() {
            (first_line, doc.key_col) = (Some(line), m.col());
        }
        let which = LISTS.iter().position(|(n, _)| n == name);
        if (which.is_some() || name == CURRENT) && (*anchor != 0 || tag.is_some()) {
            return Err(EditError::at(
                m.line(),
                format!("anchors or tags on `{name}` are not supported"),
            ));
        }
        let key = || key_pos(lines, m, *style, name);
        let node = if let Some(x) = which {
            let (list, node) = list_value(lines, events, i + 1, key()?, name)?;
            doc.lists[x] = list;
            node
        } else if name == CURRENT {
            let (cur, node) = current_value(lines, events, i + 1, key()?)?;
            doc.current = Some(cur);
            node
        } else {
            skip(events, i + 1)?
        };
        (i, block_last) = (node.next, node.block_last);
    };
    let first = first_line.unwrap_or(0);
    let end = lines.content_end(
        first,
        lines.boundary(&end_mark).max(first + 1),
        doc.key_col,
        block_last,
    );
    doc.end = lines.start(end);
    match (ev(i + 1)?, ev(i + 2)?) {
        ((Event::DocumentEnd, _), (Event::StreamEnd, _)) => Ok(Some(doc)),
        ((Event::DocumentEnd, _), (_, m)) => Err(EditError::at(
            m.line(),
            "more than one YAML document; a kubeconfig has exactly one",
        )),
        ((_, m), _) => Err(EditError::at(m.line(), "unexpected YAML structure")),
    }
}

/// kubectl reads JSON kubeconfigs too, but zt edits text line by line and only block style has
/// lines to edit.
fn check_block_style(lines: &Lines) -> Result<(), EditError> {
    for l in 0..lines.count() {
        let body = lines.body(l);
        let rest = match body.strip_prefix("---") {
            Some(r) if r.is_empty() || r.starts_with([' ', '\t']) => r.trim_start(),
            _ => body.trim_start(),
        };
        match rest.chars().next() {
            None | Some('#') => continue,
            Some('%') if body.starts_with('%') => continue,
            Some('{' | '[') => {
                return Err(EditError::at(
                    l + 1,
                    "flow-style (JSON) document: zt edits block-style YAML kubeconfigs only",
                ));
            }
            _ => return Ok(()),
        }
    }
    Ok(())
}

fn key_pos(lines: &Lines, m: &Marker, style: TScalarStyle, name: &str) -> Result<Key, EditError> {
    let unsupported = || EditError::at(m.line(), format!("unsupported layout of the `{name}` key"));
    let end = lines
        .pos(m)
        .and_then(|p| scalar_end(lines, p, style, true))
        .ok_or_else(unsupported)?;
    let line = lines.line_of(end);
    let rest = lines
        .body(line)
        .get(end - lines.start(line)..)
        .ok_or_else(unsupported)?;
    let gap = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    if !rest[gap..].starts_with(':') {
        return Err(unsupported());
    }
    Ok(Key {
        line,
        colon_end: end + gap + 1,
    })
}
