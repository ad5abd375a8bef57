//! Reads an INI text the way the tool that owns it does (botocore's `RawConfigParser`, libpq's
//! `parseServiceFile`), keeping each section's line span so edits are whole lines, and refusing
//! anything zt cannot read with certainty.

use std::ops::Range;

use super::text::{body, line_ranges};
use super::{Dialect, EditError, MARKER, err_at};

#[derive(Debug)]
pub(super) struct Section {
    /// Text inside `[ ]`.
    pub header: String,
    /// 0-based index of the header line.
    pub line: usize,
    /// Exclusive end line of the section's own text: its header, zt's marker if it has one,
    /// and up to its last key or continuation line. Comments and blank lines after that belong
    /// to what follows (they usually introduce the next section).
    pub end: usize,
    /// The grant in zt's marker, if the line right after the header is one.
    pub grant: Option<String>,
    /// Keys (lower-cased for Aws, as botocore does) and values as the tool reads them.
    pub entries: Vec<(String, String)>,
}

pub(super) struct Parsed {
    pub lines: Vec<Range<usize>>,
    pub sections: Vec<Section>,
}

/// The grant named in a marker comment (already trimmed), if it is zt's.
pub(super) fn grant_of(comment: &str) -> Option<String> {
    let rest = comment.strip_prefix(MARKER)?;
    let end = rest.find([',', ';', ' ', '\t']).unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

/// Parse `work` (no byte-order mark; every line ends with a line break).
pub(super) fn parse(work: &str, dialect: Dialect) -> Result<Parsed, EditError> {
    let lines = line_ranges(work);
    let mut sections: Vec<Section> = Vec::new();
    // Per section, each key with its value's lines (botocore joins them with '\n').
    let mut raw: Vec<Vec<(String, Vec<String>)>> = Vec::new();
    // Aws: a key is open for continuation lines indented deeper than `indent`.
    let mut open = false;
    let mut indent = 0;
    for (i, range) in lines.iter().enumerate() {
        let n = i + 1;
        let line = body(work, range);
        if line.contains('\r') {
            return Err(err_at(
                n,
                "a carriage return without a line feed; zt edits only LF or CRLF files",
            ));
        }
        // Both tools read any other character as text (botocore takes a form feed for
        // whitespace, libpq's isspace() a vertical tab and a form feed); zt keeps them as the
        // user's bytes.
        let t = match dialect {
            // Python's str.strip().
            Dialect::Aws => line.trim_matches(py_space),
            // C's isspace() in the C locale, less the control characters refused above.
            // C's isspace() in the C locale (the line breaks are gone already).
            Dialect::PgService => line.trim_matches([' ', '\t', '\u{b}', '\u{c}']),
        };
        let comment = match dialect {
            Dialect::Aws => t.starts_with(['#', ';']),
            Dialect::PgService => t.starts_with('#'),
        };
        if comment {
            if let Some(s) = sections.last_mut()
                && s.line + 1 == i
            {
                s.grant = grant_of(t);
                if s.grant.is_some() {
                    s.end = i + 1;
                }
            }
            continue;
        }
        if t.is_empty() {
            // RawConfigParser adds blank lines to an open value (and strips them at its end).
            if open && let Some((_, v)) = raw.last_mut().and_then(|r| r.last_mut()) {
                v.push(String::new());
            }
            continue;
        }
        if dialect == Dialect::Aws {
            let deep = line.chars().take_while(|c| py_space(*c)).count();
            if open && deep > indent {
                if let (Some(s), Some((_, v))) = (
                    sections.last_mut(),
                    raw.last_mut().and_then(|r| r.last_mut()),
                ) {
                    v.push(t.to_string());
                    s.end = i + 1;
                }
                continue;
            }
            indent = deep;
        }
        let header = match dialect {
            Dialect::Aws => aws_header(t),
            Dialect::PgService if t.starts_with('[') => Some(header(t, n)?),
            Dialect::PgService => None,
        };
        if let Some(header) = header {
            // configparser's DEFAULT section may appear again; its keys still may not.
            if dialect == Dialect::Aws
                && header != PY_DEFAULT
                && let Some(first) = sections.iter().find(|s| s.header == header)
            {
                return Err(err_at(
                    n,
                    format!(
                        "duplicate section [{header}] (first on line {}); the AWS CLI refuses such a file",
                        first.line + 1
                    ),
                ));
            }
            sections.push(Section {
                header: header.to_string(),
                line: i,
                end: i + 1,
                grant: None,
                entries: Vec::new(),
            });
            raw.push(Vec::new());
            open = false;
            continue;
        }
        let Some(current) = sections.last().map(|s| s.header.clone()) else {
            // libpq reads a service file only from the service's header on: lines before the
            // first header are never looked at. zt keeps them as they are.
            if dialect == Dialect::PgService {
                continue;
            }
            return Err(err_at(n, "a key before any [section] header"));
        };
        // libpq stops at the end of the first section of a name: a later one of the same name
        // is never read, so nothing in it is an error (zt keeps its lines as they are).
        if dialect == Dialect::PgService
            && sections[..sections.len() - 1]
                .iter()
                .any(|s| s.header == current)
        {
            continue;
        }
        let delims: &[char] = match dialect {
            Dialect::Aws => &['=', ':'],
            Dialect::PgService => &['='],
        };
        let Some(p) = t.find(delims) else {
            return Err(err_at(
                n,
                match dialect {
                    Dialect::Aws => "not a `key = value` line, a comment or a [section] header",
                    Dialect::PgService => {
                        "not a `key=value` line, a `#` comment or a [service] header"
                    }
                },
            ));
        };
        let (key, value) = (&t[..p], &t[p + 1..]);
        let (key, value) = match dialect {
            Dialect::Aws => (
                key.trim_end_matches(py_space).to_lowercase(),
                value.trim_matches(py_space),
            ),
            // libpq takes both sides verbatim.
            Dialect::PgService => (key.to_string(), value),
        };
        if key.is_empty() {
            return Err(err_at(n, "a line with no key before its `=`"));
        }
        // Within the section, and for DEFAULT across its repeats (one section to configparser).
        let twice = sections
            .iter()
            .zip(&raw)
            .enumerate()
            .filter(|(x, (s, _))| *x + 1 == sections.len() || s.header == PY_DEFAULT)
            .filter(|(_, (s, _))| s.header == current)
            .any(|(_, (_, r))| r.iter().any(|(k, _)| *k == key));
        if dialect == Dialect::Aws && twice {
            return Err(err_at(
                n,
                format!("duplicate key `{key}` in [{current}]; the AWS CLI refuses such a file"),
            ));
        }
        let (Some(s), Some(r)) = (sections.last_mut(), raw.last_mut()) else {
            return Err(err_at(n, "a key before any [section] header"));
        };
        r.push((key, vec![value.to_string()]));
        s.end = i + 1;
        open = true;
    }
    for (s, r) in sections.iter_mut().zip(raw) {
        s.entries = r
            .into_iter()
            .map(|(k, v)| match dialect {
                // RawConfigParser's '\n'.join(value).rstrip().
                Dialect::Aws => (k, v.join("\n").trim_end().to_string()),
                Dialect::PgService => (k, v.concat()),
            })
            .collect();
    }
    Ok(Parsed { lines, sections })
}

/// configparser's section of defaults: keys every other section inherits, and the one section
/// that may appear more than once.
pub(super) const PY_DEFAULT: &str = "DEFAULT";

/// Python's `str.isspace()`, what configparser strips: Unicode White_Space and the ASCII
/// separators U+001C..U+001F (a form feed is whitespace, not a reason to refuse the file).
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// A section header as configparser's `SECTCRE` (`\[(?P<header>.+)\]`, matched at the start
/// of the stripped line) reads it: up to the last `]`, whatever follows it (`[default] ; mine`
/// is section `default`). A `[` line without one is not a header but a `key = value` line.
fn aws_header(t: &str) -> Option<&str> {
    let rest = t.strip_prefix('[')?;
    let close = rest.rfind(']')?;
    (close > 0).then(|| &rest[..close])
}

/// The name in a `[name]` line of a libpq service file: up to the first `]`, whatever follows
/// it (libpq compares the name and the `]` after it, and reads no further). A line without `]`
/// or with an empty name is refused rather than guessed at.
fn header(t: &str, n: usize) -> Result<&str, EditError> {
    let Some((inner, _)) = t.strip_prefix('[').and_then(|r| r.split_once(']')) else {
        return Err(err_at(n, "an unterminated `[` section header"));
    };
    if inner.is_empty() {
        return Err(err_at(n, "an empty section name `[]`"));
    }
    Ok(inner)
}

#[cfg(test)]
mod tests;
