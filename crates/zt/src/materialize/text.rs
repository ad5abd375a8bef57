//! The text around zt's edits, shared by the kubeconfig, INI and pgpass editors: normalizing the
//! input (byte-order mark, NUL, final line break, line endings) and undoing that normalization
//! on the output. What each editor refuses beyond this stays with the editor.

use std::borrow::Cow;

use super::kubeyaml::EditError;

/// The input as the editors see it: without a byte-order mark, and ending with a line break so
/// every line is whole and appending lines never has to split one. `finish` undoes both on the
/// output, so a file that lacked a final line break still lacks one, whatever zt added or
/// removed before its end.
pub(in crate::materialize) struct Prepared<'a> {
    bom: bool,
    /// The text without its byte-order mark, as it was.
    pub body: &'a str,
    pub work: Cow<'a, str>,
    /// The file's line break (that of its first line; LF for a file without one).
    pub eol: &'static str,
    pub lacks_newline: bool,
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
    // The tools read these files as C strings or refuse them, and yaml_rust2 takes NUL for the
    // end of input; either way a NUL hides the rest of the file.
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
        body,
        work,
        eol,
        lacks_newline,
    })
}

impl Prepared<'_> {
    pub(super) fn finish(&self, mut out: String) -> String {
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
