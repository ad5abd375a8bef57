//! The lines of the INI and pgpass editors: splitting the text into lines and putting the
//! kept lines back together with zt's own. The normalization around them (byte-order mark,
//! final line break, line endings) is [`crate::materialize::text`]'s, re-exported here for both.

use std::collections::BTreeMap;
use std::ops::Range;

pub(in crate::materialize) use crate::materialize::text::{Prepared, line_at, prepare};

/// Byte ranges of the lines of `work`, each with its line break.
pub(in crate::materialize) fn line_ranges(work: &str) -> Vec<Range<usize>> {
    let mut at = 0;
    work.split_inclusive('\n')
        .map(|l| {
            at += l.len();
            at - l.len()..at
        })
        .collect()
}

/// A line without its line break.
pub(in crate::materialize) fn body<'a>(work: &'a str, range: &Range<usize>) -> &'a str {
    let s = work.get(range.clone()).unwrap_or("");
    let s = s.strip_suffix('\n').unwrap_or(s);
    s.strip_suffix('\r').unwrap_or(s)
}

/// The lines of `work` that `keep` says to keep, with `insert[i]` written before line `i`
/// (`insert[lines.len()]` at the end).
pub(in crate::materialize) fn rebuild(
    work: &str,
    lines: &[Range<usize>],
    keep: &[bool],
    insert: &BTreeMap<usize, String>,
) -> String {
    let mut out =
        String::with_capacity(work.len() + insert.values().map(String::len).sum::<usize>());
    for (i, range) in lines.iter().enumerate() {
        if let Some(t) = insert.get(&i) {
            out.push_str(t);
        }
        if keep.get(i).copied().unwrap_or(true) {
            out.push_str(work.get(range.clone()).unwrap_or(""));
        }
    }
    if let Some(t) = insert.get(&lines.len()) {
        out.push_str(t);
    }
    out
}
