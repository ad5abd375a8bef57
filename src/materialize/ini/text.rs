//! The text around zt's lines, shared by the INI and pgpass editors: normalizing the input
//! (byte-order mark, final line break, line endings), splitting it into lines, and putting the
//! kept lines back together with zt's own.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use super::super::kubeyaml::EditError;

/// The input as the editors see it: without a byte-order mark, and ending with a line break so
/// every line is whole. `finish` undoes both on the output, so a file that lacked a final line
/// break still lacks one, whatever zt added or removed before its end.
pub(in crate::materialize) struct Prepared<'a> {
    bom: bool,
    pub work: Cow<'a, str>,
    /// The file's line break (that of its first line; LF for a file without one).
    pub eol: &'static str,
    lacks_newline: bool,
}

/// 1-based line of byte `i` of `body`.
pub(in crate::materialize) fn line_at(body: &str, i: usize) -> usize {
    body.as_bytes()
        .get(..i)
        .unwrap_or(body.as_bytes())
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

pub(in crate::materialize) fn prepare(text: &str) -> Result<Prepared<'_>, EditError> {
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    // The tools read these files as C strings or refuse them; either way a NUL hides the rest.
    if let Some(i) = body.find('\0') {
        return Err(EditError {
            line: Some(line_at(body, i)),
            message: "the file contains a NUL character".into(),
        });
    }
    let eol = match body.find('\n') {
        Some(i) if body[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    };
    let lacks_newline = !body.is_empty() && !body.ends_with('\n');
    let work = match lacks_newline {
        true => Cow::Owned(format!("{body}{eol}")),
        false => Cow::Borrowed(body),
    };
    Ok(Prepared {
        bom,
        work,
        eol,
        lacks_newline,
    })
}

impl Prepared<'_> {
    pub fn finish(&self, mut out: String) -> String {
        if self.lacks_newline {
            let cut = if out.ends_with(self.eol) {
                self.eol.len()
            } else {
                usize::from(out.ends_with('\n'))
            };
            out.truncate(out.len() - cut);
        }
        if self.bom {
            out.insert(0, '\u{feff}');
        }
        out
    }
}

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
