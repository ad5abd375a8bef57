//! The text around the edits: the kubeconfig editor's view of the input (the shared
//! [`crate::materialize::text`] normalization, plus its own refusal of bare carriage returns and
//! its fresh kubeconfig) and splicing zt's edits into it in one linear pass.

use std::ops::Range;

use super::{EditError, verify_failed};
use crate::materialize::text::{self, Prepared, line_at};

/// The input as the editor sees it: [`text::prepare`], and no bare carriage-return line endings.
pub(super) fn prepare(text: &str) -> Result<Prepared<'_>, EditError> {
    let prep = text::prepare(text)?;
    let b = prep.body.as_bytes();
    if let Some(i) = (0..b.len()).find(|&i| b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')) {
        return Err(EditError::at(
            line_at(prep.body, i),
            "bare carriage-return line endings are not supported",
        ));
    }
    Ok(prep)
}

impl Prepared<'_> {
    /// A file with no document gets kubectl's empty kubeconfig after whatever it held.
    pub(crate) fn fresh(&self) -> String {
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
