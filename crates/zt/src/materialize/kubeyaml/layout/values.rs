//! The values zt edits: a top-level list (empty, or a block sequence whose entries are lined up
//! with their `-` lines) and current-context (a scalar on one line, or one zt cannot locate).

use yaml_rust2::parser::Event;
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::{Current, Item, Key, List, Node, skip};
use crate::materialize::kubeyaml::EditError;
use crate::materialize::kubeyaml::lines::{Lines, scalar_end};

fn is_null(v: &str) -> bool {
    matches!(v, "" | "~" | "null" | "Null" | "NULL")
}

pub(super) fn list_value(
    lines: &Lines,
    events: &[(Event, Marker)],
    i: usize,
    key: Key,
    name: &str,
) -> Result<(List, Node), EditError> {
    let at_key = |msg: String| EditError::at(key.line + 1, msg);
    match events.get(i) {
        Some((Event::SequenceStart(0, None), _)) => {}
        Some((Event::SequenceStart(..), _)) => {
            return Err(at_key(format!(
                "anchors or tags on `{name}` are not supported"
            )));
        }
        Some((Event::Scalar(v, TScalarStyle::Plain, 0, None), m)) if is_null(v) => {
            // An empty value's marker points at whatever follows, so only non-empty ones are used.
            let end = match v.is_empty() {
                true => Some(key.colon_end),
                false => lines
                    .pos(m)
                    .and_then(|p| scalar_end(lines, p, TScalarStyle::Plain, false)),
            };
            let end = end.ok_or_else(|| at_key(format!("unsupported layout of `{name}`")))?;
            let span = key.colon_end..end;
            return Ok((
                List::Empty { key, span },
                Node {
                    next: i + 1,
                    plain: true,
                    block_last: false,
                },
            ));
        }
        _ => return Err(at_key(format!("`{name}` must be a list (or empty)"))),
    }
    let (mut j, mut entries) = (i + 1, Vec::new());
    let end_mark = loop {
        match events.get(j) {
            Some((Event::SequenceEnd, m)) => break *m,
            Some(_) => {
                let node = skip(events, j)?;
                j = node.next;
                entries.push(node);
            }
            None => return Err(EditError::msg("truncated YAML")),
        }
    };
    let block_last = entries.last().is_some_and(|n| n.block_last);
    let node = Node {
        next: j + 1,
        plain: true,
        block_last,
    };
    let after_colon = lines
        .text
        .get(key.colon_end..)
        .unwrap_or("")
        .trim_start_matches([' ', '\t']);
    if entries.is_empty() {
        // Block sequences always have an entry, so this is `[]`; its end marker is the `]`.
        let close = lines
            .pos(&end_mark)
            .filter(|p| lines.text.get(*p..).is_some_and(|t| t.starts_with(']')));
        let close = close.ok_or_else(|| at_key(format!("unsupported layout of `{name}`")))?;
        let span = key.colon_end..close + 1;
        return Ok((List::Empty { key, span }, node));
    }
    if after_colon.starts_with('[') {
        return Err(at_key(format!(
            "`{name}` is a flow-style list ([...]); zt edits block-style YAML kubeconfigs only"
        )));
    }
    // Every entry of a block sequence starts a line with `-` at the same column, and its
    // content (including block scalars and continuation lines) is indented deeper, so lines
    // starting with `-` at that column are exactly the entries; the count check proves it.
    let boundary = lines.boundary(&end_mark).max(key.line + 1);
    let (mut dash_col, mut item_off, mut dashes) = (None, 2, Vec::new());
    for l in key.line + 1..boundary {
        let Some((col, c)) = lines.first(l) else {
            continue;
        };
        let body = lines.body(l);
        let is_dash = c == '-'
            && body[col + 1..]
                .chars()
                .next()
                .is_none_or(|n| n == ' ' || n == '\t');
        match dash_col {
            _ if c == '#' => {}
            None if is_dash => {
                dash_col = Some(col);
                let after = &body[col + 1..];
                let content = after.trim_start_matches(' ');
                if !content.is_empty() && !content.starts_with(['#', '\t']) {
                    item_off = 1 + after.len() - content.len();
                }
                dashes.push(l);
            }
            None => {
                return Err(EditError::at(
                    l + 1,
                    format!("expected a `- ` entry of `{name}`"),
                ));
            }
            Some(d) if d == col && is_dash => dashes.push(l),
            Some(_) => {}
        }
    }
    let dash_col = dash_col.unwrap_or(0);
    if dashes.len() != entries.len() {
        return Err(at_key(format!(
            "could not line up the entries of `{name}` with the text"
        )));
    }
    let items = (0..dashes.len())
        .map(|k| {
            let next = dashes.get(k + 1).copied().unwrap_or(boundary);
            let end = lines.content_end(dashes[k], next, dash_col, entries[k].block_last);
            let span = lines.start(dashes[k])..lines.start(end);
            Item {
                span,
                line: dashes[k],
                plain: entries[k].plain,
            }
        })
        .collect::<Vec<_>>();
    let end = items.last().map_or(lines.start(boundary), |it| it.span.end);
    Ok((
        List::Block {
            key,
            dash_col,
            item_off,
            items,
            end,
        },
        node,
    ))
}

pub(super) fn current_value(
    lines: &Lines,
    events: &[(Event, Marker)],
    i: usize,
    key: Key,
) -> Result<(Current, Node), EditError> {
    let Some((Event::Scalar(v, style, 0, None), m)) = events.get(i) else {
        let node = skip(events, i)?;
        return Ok((Current { key, value: None }, node));
    };
    let block = matches!(style, TScalarStyle::Literal | TScalarStyle::Folded);
    let node = Node {
        next: i + 1,
        plain: true,
        block_last: block,
    };
    let value = if v.is_empty() && *style == TScalarStyle::Plain {
        Some((key.colon_end..key.colon_end, key.line))
    } else {
        lines.pos(m).and_then(|p| {
            let end = scalar_end(lines, p, *style, false)?;
            // A plain scalar continued on the next line would not match its one-line text.
            let whole = *style != TScalarStyle::Plain || lines.text.get(p..end) == Some(v.as_str());
            whole.then(|| (key.colon_end..end, lines.line_of(p)))
        })
    };
    Ok((Current { key, value }, node))
}
