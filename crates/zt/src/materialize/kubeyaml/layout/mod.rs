//! Where things sit in a kubeconfig's text: the byte spans zt edits, found from yaml_rust2's
//! parser events.
//!
//! Only some of yaml_rust2's markers can be trusted: `Marker::index()` counts chars (not bytes)
//! and drifts past block scalars holding non-ASCII text; the markers of `SequenceStart` and
//! `MappingStart` point after the indicator. What is reliable is the line (1-based) and the
//! column (0-based, in chars) of scalars and of the events that end a collection. So this works
//! in lines, converts a column to bytes within its own line, and finds the `-` of each top-level
//! list entry in the text, cross-checked against the number of entries the parser saw.
//!
//! This module holds the parse and what the editor gets back from it; `analyze` walks the top
//! level of the document, `values` finds the entries of a list and the value of current-context.

mod analyze;
mod values;

use std::ops::Range;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};
use yaml_rust2::yaml::Hash;
use yaml_rust2::{Yaml, YamlLoader};

use super::EditError;
use super::lines::Lines;
use analyze::analyze;

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
/// How many nodes aliases may add to the tree beyond the document's own: yaml_rust2's loader
/// copies the anchored node at every alias, so nested aliases ("billion laughs": ten aliases
/// of ten aliases of …) would build an exponential tree from a few hundred bytes. Real
/// kubeconfigs use few aliases, if any.
const MAX_ALIAS_NODES: usize = 100_000;

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
    pub(super) fn tree(&self) -> Result<&Hash, EditError> {
        match self.loader.documents() {
            [Yaml::Hash(h)] => Ok(h),
            _ => Err(EditError::msg("expected a single YAML mapping")),
        }
    }
}

/// Parse `text` (normalized: ends with a line break unless empty). None: no YAML document at
/// all (empty, blank or only comments).
pub(super) fn load(text: &str) -> Result<Option<Loaded<'_>>, EditError> {
    let sink = events(text)?;
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
    events(text)?;
    let mut docs = YamlLoader::load_from_str(text).map_err(|e| yaml_error(&e))?;
    match (docs.pop(), docs.is_empty()) {
        (Some(Yaml::Hash(h)), true) => Ok(h),
        (None, _) => Ok(Hash::new()),
        _ => Err(EditError::msg("expected a single YAML mapping")),
    }
}

/// The parser's events for `text`, once they are known to build a tree of bounded size and
/// depth (checked before any tree is built).
fn events(text: &str) -> Result<Sink, EditError> {
    let mut sink = Sink(Vec::new());
    Parser::new_from_str(text)
        .load(&mut sink, true)
        .map_err(|e| yaml_error(&e))?;
    bounded(&sink.0)?;
    Ok(sink)
}

/// Refuse events whose tree would nest deeper than [`MAX_DEPTH`] or whose aliases would add
/// more than [`MAX_ALIAS_NODES`] nodes: each anchored node's expanded size and height are known
/// when it ends, and an alias adds them again where it stands.
fn bounded(events: &[(Event, Marker)]) -> Result<(), EditError> {
    use std::collections::HashMap;
    // Per open collection: its anchor id, and the expanded size and height of its nodes so far.
    let mut open: Vec<(usize, usize, usize)> = Vec::new();
    // Per anchor: expanded size and height.
    let mut anchors: HashMap<usize, (usize, usize)> = HashMap::new();
    let mut added = 0usize;
    for (ev, mark) in events {
        let (size, height) = match ev {
            Event::SequenceStart(a, _) | Event::MappingStart(a, _) => {
                open.push((*a, 1, 1));
                if open.len() > MAX_DEPTH {
                    return Err(EditError::at(mark.line(), "YAML nested too deeply"));
                }
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some((a, n, h)) = open.pop() else {
                    continue;
                };
                if a != 0 {
                    anchors.insert(a, (n, h));
                }
                (n, h)
            }
            Event::Scalar(_, _, a, _) => {
                if *a != 0 {
                    anchors.insert(*a, (1, 0));
                }
                (1, 0)
            }
            Event::Alias(a) => {
                let (n, h) = anchors.get(a).copied().unwrap_or((1, 0));
                added = added.saturating_add(n);
                if added > MAX_ALIAS_NODES {
                    return Err(EditError::at(
                        mark.line(),
                        format!(
                            "YAML aliases expand to more than {MAX_ALIAS_NODES} nodes; zt does \
                             not expand them (a kubeconfig needs no more)"
                        ),
                    ));
                }
                if open.len() + h > MAX_DEPTH {
                    return Err(EditError::at(
                        mark.line(),
                        "YAML nested too deeply (through an alias)",
                    ));
                }
                (n, h)
            }
            _ => continue,
        };
        if let Some((_, n, h)) = open.last_mut() {
            *n = n.saturating_add(size);
            *h = (*h).max(height + 1);
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests;
