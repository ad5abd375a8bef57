//! An iCalendar feed's lines (RFC 5545 §3.1): unfolded, each split into its name, parameters
//! (values may be quoted, and hold `:` or `;` then) and value — bounded by the caller's line
//! limit, refused with the line's number.

use super::{IcsError, at};

/// One content line: `NAME;PARAM=V;…:VALUE`, the name upper-cased.
pub(super) struct Content<'a> {
    pub(super) line: usize,
    pub(super) name: String,
    params: Vec<(String, &'a str)>,
    pub(super) value: &'a str,
}

impl Content<'_> {
    pub(super) fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim_matches('"'))
    }
}

/// Split an unfolded line at its first `:` outside a quoted parameter value.
pub(super) fn content(line: usize, text: &str) -> Result<Content<'_>, IcsError> {
    let mut quoted = false;
    let mut colon = None;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => {
                colon = Some(i);
                break;
            }
            _ => {}
        }
    }
    let colon = colon.ok_or_else(|| at(line, "a content line without ':' (NAME:VALUE)"))?;
    let (head, value) = (&text[..colon], &text[colon + 1..]);
    let mut parts = split_unquoted(head, ';').into_iter();
    let name = parts.next().unwrap_or_default();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(at(line, format!("{name:?} is not a property name")));
    }
    let mut params = Vec::new();
    for p in parts {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| at(line, format!("parameter {p:?} has no '='")))?;
        params.push((k.trim().to_ascii_uppercase(), v));
    }
    Ok(Content {
        line,
        name: name.to_ascii_uppercase(),
        params,
        value,
    })
}

fn split_unquoted(s: &str, sep: char) -> Vec<&str> {
    let (mut out, mut quoted, mut from) = (Vec::new(), false, 0);
    for (i, c) in s.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            out.push(&s[from..i]);
            from = i + c.len_utf8();
        }
    }
    out.push(&s[from..]);
    out
}

/// The feed's lines unfolded (§3.1: a line starting with a space or tab continues the one
/// before), each with the number of its first physical line.
pub(super) fn unfold(text: &str, max_line: usize) -> Result<Vec<(usize, String)>, IcsError> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let n = i + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.len() > max_line {
            return Err(at(n, format!("the line is longer than {max_line} bytes")));
        }
        if let Some(rest) = raw.strip_prefix([' ', '\t']) {
            let Some((_, last)) = out.last_mut() else {
                return Err(at(n, "a continuation line before any content line"));
            };
            if last.len() + rest.len() > max_line {
                return Err(at(
                    n,
                    format!("the unfolded line is longer than {max_line} bytes"),
                ));
            }
            last.push_str(rest);
        } else if !raw.is_empty() {
            out.push((n, raw.to_owned()));
        }
    }
    Ok(out)
}
