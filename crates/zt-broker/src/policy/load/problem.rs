//! Where a policy problem is: the problem and error types, and turning byte offsets, policy
//! indices and Cedar diagnostics into file, line and column.

use std::fmt;

use cedar_policy::PolicyId;
use miette::Diagnostic;

/// One thing wrong with the policies, where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file name as given (`policies/base.cedar`), or the schema's name.
    pub file: String,
    /// 1-based; `None` when the problem is the file as a whole.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Why a policy set did not load: every problem found, in file order (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub problems: Vec<Problem>,
}

impl PolicyError {
    pub(super) fn one(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            problems: vec![Problem {
                file: file.into(),
                line: None,
                column: None,
                message: message.into(),
            }],
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for p in &self.problems {
            if !first {
                f.write_str("\n")?;
            }
            first = false;
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyError {}

pub(super) fn sort_problems(ps: &mut [Problem]) {
    ps.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
}

/// Where one policy sits in its file.
pub(super) struct Site<'a> {
    pub(super) file: &'a str,
    pub(super) text: &'a str,
    pub(super) start: usize,
    pub(super) end: usize,
}

impl Site<'_> {
    /// A problem at the policy, or at its `@key` annotation when one is named and found.
    pub(super) fn problem(&self, annotation: Option<&str>, message: String) -> Problem {
        let body = self.text.get(self.start..self.end).unwrap_or("");
        let offset = annotation
            .and_then(|k| find_annotation(body, k))
            .map_or(self.start, |o| self.start + o);
        let (line, column) = line_col(self.text, offset);
        Problem {
            file: self.file.into(),
            line: Some(line),
            column: Some(column),
            message,
        }
    }
}

/// `@key` followed by `(` (spaces allowed between), so `@max_ttl` does not match `@max_ttls`.
fn find_annotation(body: &str, key: &str) -> Option<usize> {
    let needle = format!("@{key}");
    let mut from = 0;
    while let Some(i) = body.get(from..)?.find(&needle) {
        let at = from + i;
        let rest = body.get(at + needle.len()..)?;
        if rest.trim_start().starts_with('(') {
            return Some(at);
        }
        from = at + needle.len();
    }
    None
}

/// `policy7` → 7.
pub(super) fn index_of(id: &PolicyId) -> Option<usize> {
    AsRef::<str>::as_ref(id)
        .strip_prefix("policy")?
        .parse()
        .ok()
}

/// The byte offset where each policy (its first annotation, or `permit`/`forbid`) starts.
/// Only run on text Cedar has parsed, where a `;` outside strings and comments always ends a
/// policy (Cedar expressions have no `;`).
pub(crate) fn policy_starts(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut starts = Vec::new();
    let mut expecting = true;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            c if c.is_ascii_whitespace() => {}
            c => {
                if expecting {
                    starts.push(i);
                    expecting = false;
                }
                if c == b'"' {
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                } else if c == b';' {
                    expecting = true;
                }
            }
        }
        i += 1;
    }
    starts
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&c| c == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1);
    let column = text
        .get(line_start..offset)
        .map_or(offset - line_start, |s| s.chars().count())
        + 1;
    (line, column)
}

/// A Cedar diagnostic (parse, schema or validation error) as problems: its message and help,
/// at its first labelled span, with each further label's text when it says something.
pub(super) fn diagnostic_problems(file: &str, text: &str, d: &dyn Diagnostic) -> Vec<Problem> {
    let mut message = d.to_string();
    if let Some(help) = d.help() {
        message = format!("{message} (help: {help})");
    }
    let labels: Vec<_> = d.labels().map(|l| l.collect()).unwrap_or_default();
    let (line, column) = match labels.first() {
        Some(l) => {
            let (line, col) = line_col(text, l.offset());
            (Some(line), Some(col))
        }
        None => (None, None),
    };
    let mut ps = vec![Problem {
        file: file.into(),
        line,
        column,
        message,
    }];
    // Related errors (e.g. several unexpected tokens) carry their own spans.
    if let Some(related) = d.related() {
        for r in related {
            ps.extend(diagnostic_problems(file, text, r));
        }
    }
    ps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_from_one() {
        let t = "ab\ncdé\nf";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 1), (1, 2));
        assert_eq!(line_col(t, 3), (2, 1));
        assert_eq!(line_col(t, 7), (2, 4)); // after the two-byte é
        assert_eq!(line_col(t, 999), (3, 2));
    }

    #[test]
    fn policy_starts_skip_comments_and_strings() {
        let t = "// a; comment\n@id(\"x;y\")\npermit(principal, action, resource);\n\n  forbid(principal, action, resource) when { \"//;\" == \"\" };\n// end;\n";
        let starts = policy_starts(t);
        assert_eq!(starts.len(), 2);
        assert_eq!(line_col(t, starts[0]), (2, 1));
        assert_eq!(line_col(t, starts[1]), (5, 3));
    }

    #[test]
    fn annotations_are_found_only_as_annotations() {
        let body = "@max_ttls(\"x\")\n@max_ttl (\"1h\")";
        assert_eq!(find_annotation(body, "max_ttl"), Some(15));
        assert_eq!(find_annotation(body, "reason"), None);
    }
}
