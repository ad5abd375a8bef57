//! Where things sit in a kubeconfig's text: the byte spans zt edits, found from yaml_rust2's
//! parser events.
//!
//! Only some of yaml_rust2's markers can be trusted: `Marker::index()` counts chars (not bytes)
//! and drifts past block scalars holding non-ASCII text; the markers of `SequenceStart` and
//! `MappingStart` point after the indicator. What is reliable is the line (1-based) and the
//! column (0-based, in chars) of scalars and of the events that end a collection. So this works
//! in lines, converts a column to bytes within its own line, and finds the `-` of each top-level
//! list entry in the text, cross-checked against the number of entries the parser saw.

use std::ops::Range;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};
use yaml_rust2::yaml::Hash;
use yaml_rust2::{Yaml, YamlLoader};

use super::EditError;
use super::lines::{Lines, scalar_end};

/// The three lists zt adds to, with the key of the object inside each entry.
pub(super) const LISTS: [(&str, &str); 3] = [
    ("clusters", "cluster"),
    ("contexts", "context"),
    ("users", "user"),
];
pub(super) const CURRENT: &str = "current-context";
/// Real kubeconfigs nest under 10 levels; the cap keeps yaml_rust2's recursive `Drop`/`Clone`
/// of `Yaml` from overflowing the stack on hostile input.
const MAX_DEPTH: usize = 100;

/// A top-level key: its line and the byte just after its `:`.
#[derive(Debug, Clone)]
pub(super) struct Key {
    pub line: usize,
    pub colon_end: usize,
}

#[derive(Debug)]
pub(super) struct Item {
    /// Whole lines, from the line of its `-` to the end of its content.
    pub span: Range<usize>,
    pub line: usize,
    /// No anchor, alias or tag inside: zt may replace or drop it without breaking references.
    pub plain: bool,
}

#[derive(Debug)]
pub(super) enum List {
    Absent,
    /// `key:`, `key: null`, `key: ~` or `key: []`; `span` is the value's text after the colon.
    Empty {
        key: Key,
        span: Range<usize>,
    },
    /// A block sequence. `end` is where a new last entry goes.
    Block {
        key: Key,
        dash_col: usize,
        item_off: usize,
        items: Vec<Item>,
        end: usize,
    },
}

#[derive(Debug)]
pub(super) struct Current {
    pub key: Key,
    /// Span of the value's text after the colon and the line the value ends on; None when the
    /// value is not a scalar zt can locate exactly (block scalar, anchor, multi-line plain…).
    pub value: Option<(Range<usize>, usize)>,
}

#[derive(Debug)]
pub(super) struct Doc {
    /// Column of the top-level keys.
    pub key_col: usize,
    /// Where new top-level keys go: after the last content, before trailing comments.
    pub end: usize,
    pub lists: [List; 3],
    pub current: Option<Current>,
}

struct Sink(Vec<(Event, Marker)>);

impl MarkedEventReceiver for Sink {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        self.0.push((ev, mark));
    }
}

fn yaml_error(e: &yaml_rust2::ScanError) -> EditError {
    EditError::at(e.marker().line(), format!("not valid YAML: {}", e.info()))
}

/// A parsed kubeconfig: where things are, and its tree (kept inside the loader, which offers
/// no way to take it out, and cloning a large tree costs a fifth of a parse).
pub(super) struct Loaded<'t> {
    pub lines: Lines<'t>,
    pub doc: Doc,
    loader: YamlLoader,
}

impl Loaded<'_> {
    pub fn tree(&self) -> Result<&Hash, EditError> {
        match self.loader.documents() {
            [Yaml::Hash(h)] => Ok(h),
            _ => Err(EditError::msg("expected a single YAML mapping")),
        }
    }
}

/// Parse `text` (normalized: ends with a line break unless empty). None: no YAML document at
/// all (empty, blank or only comments).
pub(super) fn load(text: &str) -> Result<Option<Loaded<'_>>, EditError> {
    let mut sink = Sink(Vec::new());
    Parser::new_from_str(text)
        .load(&mut sink, true)
        .map_err(|e| yaml_error(&e))?;
    let lines = Lines::new(text);
    let Some(doc) = analyze(&lines, &sink.0)? else {
        return Ok(None);
    };
    // Build the tree from the same events rather than parsing a second time. YamlLoader
    // swallows every event after an error (a duplicate key), so no document means one occurred;
    // a fresh parse then reports it with its line.
    let mut loader = YamlLoader::default();
    for (ev, mark) in sink.0 {
        loader.on_event(ev, mark);
    }
    match loader.documents() {
        [Yaml::Hash(_)] => Ok(Some(Loaded { lines, doc, loader })),
        _ => Err(tree(text)
            .err()
            .unwrap_or_else(|| EditError::msg("not valid YAML"))),
    }
}

/// The semantic tree of a single-document kubeconfig (used to verify edits).
pub(super) fn tree(text: &str) -> Result<Hash, EditError> {
    let mut docs = YamlLoader::load_from_str(text).map_err(|e| yaml_error(&e))?;
    match (docs.pop(), docs.is_empty()) {
        (Some(Yaml::Hash(h)), true) => Ok(h),
        (None, _) => Ok(Hash::new()),
        _ => Err(EditError::msg("expected a single YAML mapping")),
    }
}

struct Node {
    next: usize,
    plain: bool,
    block_last: bool,
}

/// Step over the node starting at event `i`, noting anchors/aliases/tags and whether its last
/// scalar is a block scalar.
fn skip(events: &[(Event, Marker)], mut i: usize) -> Result<Node, EditError> {
    let (mut depth, mut plain, mut block_last) = (0usize, true, false);
    loop {
        let (ev, mark) = events
            .get(i)
            .ok_or_else(|| EditError::msg("truncated YAML"))?;
        i += 1;
        match ev {
            Event::SequenceStart(a, t) | Event::MappingStart(a, t) => {
                plain &= *a == 0 && t.is_none();
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(EditError::at(mark.line(), "YAML nested too deeply"));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| EditError::msg("unbalanced YAML"))?;
            }
            Event::Scalar(_, style, a, t) => {
                plain &= *a == 0 && t.is_none();
                block_last = matches!(style, TScalarStyle::Literal | TScalarStyle::Folded);
            }
            Event::Alias(_) => (plain, block_last) = (false, false),
            _ => return Err(EditError::at(mark.line(), "unexpected YAML structure")),
        }
        if depth == 0 {
            return Ok(Node {
                next: i,
                plain,
                block_last,
            });
        }
    }
}

fn analyze(lines: &Lines, events: &[(Event, Marker)]) -> Result<Option<Doc>, EditError> {
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

fn is_null(v: &str) -> bool {
    matches!(v, "" | "~" | "null" | "Null" | "NULL")
}

fn list_value(
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

fn current_value(
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
