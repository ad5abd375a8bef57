//! The text around the edits: normalizing the input (byte-order mark, final line break, line
//! endings) and splicing zt's edits into it in one linear pass.

use std::borrow::Cow;
use std::ops::Range;

use super::{EditError, verify_failed};

/// The input as the editor sees it: without a byte-order mark, and ending with a line break so
/// that appending lines never has to split one. `finish` undoes both on the output.
pub(super) struct Prepared<'a> {
    bom: bool,
    pub body: &'a str,
    pub work: Cow<'a, str>,
    pub eol: &'static str,
    pub lacks_newline: bool,
}

pub(super) fn prepare(text: &str) -> Result<Prepared<'_>, EditError> {
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let line_at = |i: usize| body.as_bytes()[..i].iter().filter(|b| **b == b'\n').count() + 1;
    // yaml_rust2 takes NUL for end of input and would silently ignore the rest of the file.
    if let Some(i) = body.find('\0') {
        return Err(EditError::at(
            line_at(i),
            "the file contains a NUL character",
        ));
    }
    let b = body.as_bytes();
    if let Some(i) = (0..b.len()).find(|&i| b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')) {
        return Err(EditError::at(
            line_at(i),
            "bare carriage-return line endings are not supported",
        ));
    }
    let eol = match body.find('\n') {
        Some(i) if i > 0 && b[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    };
    let lacks_newline = !body.is_empty() && !body.ends_with('\n');
    let work = match lacks_newline {
        true => Cow::Owned(format!("{body}{eol}")),
        false => Cow::Borrowed(body),
    };
    Ok(Prepared {
        bom,
        body,
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
    /// A file with no document gets kubectl's empty kubeconfig after whatever it held.
    pub fn fresh(&self) -> String {
        let mut s = self.work.to_string();
        for l in [
            "apiVersion: v1",
            "clusters: []",
            "contexts: []",
            "current-context: \"\"",
            "kind: Config",
            "preferences: {}",
            "users: []",
        ] {
            s.push_str(l);
            s.push_str(self.eol);
        }
        s
    }
}

pub(super) struct Edit {
    range: Range<usize>,
    text: String,
    /// Among insertions at the same place: list entries (0) before new keys (1..).
    order: usize,
}

pub(super) fn edit(range: Range<usize>, text: impl Into<String>, order: usize) -> Edit {
    Edit {
        range,
        text: text.into(),
        order,
    }
}

pub(super) fn splice(src: &str, mut edits: Vec<Edit>) -> Result<String, EditError> {
    edits.sort_by_key(|e| (e.range.start, e.range.end, e.order));
    let mut out =
        String::with_capacity(src.len() + edits.iter().map(|e| e.text.len()).sum::<usize>());
    let mut at = 0;
    for e in &edits {
        out.push_str(src.get(at..e.range.start).ok_or_else(verify_failed)?);
        out.push_str(&e.text);
        at = e.range.end;
    }
    out.push_str(src.get(at..).ok_or_else(verify_failed)?);
    Ok(out)
}
