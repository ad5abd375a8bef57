//! Policy files → one validated Cedar policy set plus what zt reads from each policy's
//! annotations. Every problem names its file, line and column: a broker whose policies do not
//! load must not start, and the operator must be able to go straight to the line.
//!
//! Annotations zt understands (all values are strings):
//! - `@id("…")` — required on every policy, unique across all files; the id decisions report.
//! - `@outcome("grant" | "approval" | "cap")` — required on `permit`: grant at once, require
//!   one approval, or only cap the TTL of whatever else is decided.
//! - `@approvers("group, group")` — required with `approval`: who may approve (any one member).
//! - `@max_ttl("30m")` — on a `permit`: the longest grant it allows (required with `cap`).
//! - `@reason("…")` — required on `forbid`, optional on `permit`: a sentence for people, with
//!   `{principal}`, `{action}`, `{resource}` and `{role}` filled in.
//! - `@description("…")` — free text, ignored.
//!
//! Anything else is refused: a misspelt `@max_tll` silently capping nothing would be worse.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use cedar_policy::{Effect, PolicyId, PolicySet, Schema, ValidationMode, Validator};
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
    fn one(file: impl Into<String>, message: impl Into<String>) -> Self {
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

/// What a policy does once it matches, from `@outcome` (and the effect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Forbid,
    Grant,
    Approval,
    Cap,
}

/// zt's reading of one policy.
#[derive(Debug, Clone)]
pub struct Meta {
    pub id: String,
    /// Load order (file order, then position in the file): decisions list ids in this order.
    pub order: usize,
    pub file: String,
    pub line: usize,
    pub kind: Kind,
    pub max_ttl: Option<Duration>,
    pub approvers: Vec<String>,
    pub reason: Option<String>,
}

/// A loaded, validated set.
#[derive(Debug)]
pub struct Loaded {
    pub set: PolicySet,
    pub meta: HashMap<PolicyId, Meta>,
    /// Validator warnings (e.g. a condition that can never be true): worth logging, not fatal.
    pub warnings: Vec<Problem>,
}

/// The name the embedded schema is reported under.
pub const SCHEMA_NAME: &str = "zt.cedarschema";

/// Parse the embedded schema. A failure here is a broken build, still reported with a line.
pub fn schema() -> Result<Schema, PolicyError> {
    let text = super::schema::SCHEMA;
    Schema::from_cedarschema_str(text)
        .map(|(s, _warnings)| s)
        .map_err(|e| PolicyError {
            problems: diagnostic_problems(SCHEMA_NAME, text, &e),
        })
}

/// Every `*.cedar` file directly in `dir`, sorted by name so ids and error order are stable.
pub fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, PolicyError> {
    let shown = dir.display().to_string();
    let entries = std::fs::read_dir(dir)
        .map_err(|e| PolicyError::one(&shown, format!("cannot read: {e}")))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| PolicyError::one(&shown, format!("cannot read: {e}")))?
            .path();
        if path.extension().is_some_and(|x| x == "cedar") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    if paths.is_empty() {
        // An empty set would deny everything; far likelier a wrong path than an intent.
        return Err(PolicyError::one(shown, "no *.cedar policy files here"));
    }
    paths
        .into_iter()
        .map(|p| {
            let name = p.display().to_string();
            std::fs::read_to_string(&p)
                .map(|text| (name.clone(), text))
                .map_err(|e| PolicyError::one(name, format!("cannot read: {e}")))
        })
        .collect()
}

/// Parse each source, read its annotations, merge, and validate the whole against `schema`.
/// All problems of all files are collected before giving up.
pub fn load<N: AsRef<str>, T: AsRef<str>>(
    sources: &[(N, T)],
    schema: &Schema,
) -> Result<Loaded, PolicyError> {
    let mut problems = Vec::new();
    let mut set = PolicySet::new();
    let mut meta: HashMap<PolicyId, Meta> = HashMap::new();
    // Per file: its name and text, for turning validation spans into lines.
    let mut texts: HashMap<String, &str> = HashMap::new();
    let mut order = 0;
    for (name, text) in sources {
        let (name, text) = (name.as_ref(), text.as_ref());
        texts.insert(name.to_owned(), text);
        let parsed = match PolicySet::from_str(text) {
            Ok(p) => p,
            Err(errs) => {
                for e in errs.iter() {
                    problems.extend(diagnostic_problems(name, text, e));
                }
                continue;
            }
        };
        if let Some(t) = parsed.templates().next() {
            let line = policy_starts(text)
                .get(index_of(t.id()).unwrap_or(0))
                .map(|&o| line_col(text, o).0);
            problems.push(Problem {
                file: name.into(),
                line,
                column: None,
                message: "templates (`?principal`, `?resource`) are not supported".into(),
            });
            continue;
        }
        let starts = policy_starts(text);
        // `PolicySet::from_str` names policies `policy0`, `policy1`… in file order.
        let mut policies: Vec<_> = parsed.policies().collect();
        policies.sort_by_key(|p| index_of(p.id()).unwrap_or(usize::MAX));
        for p in policies {
            let idx = index_of(p.id()).unwrap_or(0);
            let start = starts.get(idx).copied().unwrap_or(0);
            let end = starts.get(idx + 1).copied().unwrap_or(text.len());
            let at = Site {
                file: name,
                text,
                start,
                end,
            };
            let m = match read_meta(p, &at, order) {
                Ok(m) => m,
                Err(e) => {
                    problems.push(e);
                    continue;
                }
            };
            order += 1;
            let id = PolicyId::new(&m.id);
            if let Some(prev) = meta.get(&id) {
                problems.push(at.problem(
                    Some("id"),
                    format!(
                        "@id({:?}) is already used at {}:{}",
                        m.id, prev.file, prev.line
                    ),
                ));
                continue;
            }
            if let Err(e) = set.add(p.new_id(id.clone())) {
                problems.push(at.problem(None, e.to_string()));
                continue;
            }
            meta.insert(id, m);
        }
    }
    if !problems.is_empty() {
        return Err(PolicyError { problems });
    }

    let result = Validator::new(schema.clone()).validate(&set, ValidationMode::Strict);
    let locate = |id: &PolicyId, d: &dyn Diagnostic, msg: String| -> Vec<Problem> {
        match meta.get(id) {
            Some(m) => {
                let text = texts.get(&m.file).copied().unwrap_or("");
                let mut ps = diagnostic_problems(&m.file, text, d);
                // Cedar's messages already name the policy (`for policy `id`, …`).
                for p in &mut ps {
                    if p.line.is_none() {
                        p.line = Some(m.line);
                    }
                }
                ps
            }
            None => vec![Problem {
                file: "?".into(),
                line: None,
                column: None,
                message: format!("policy {id}: {msg}"),
            }],
        }
    };
    for e in result.validation_errors() {
        problems.extend(locate(e.policy_id(), e, e.to_string()));
    }
    let mut warnings = Vec::new();
    for w in result.validation_warnings() {
        warnings.extend(locate(w.policy_id(), w, w.to_string()));
    }
    if !problems.is_empty() {
        sort_problems(&mut problems);
        return Err(PolicyError { problems });
    }
    Ok(Loaded {
        set,
        meta,
        warnings,
    })
}

fn sort_problems(ps: &mut [Problem]) {
    ps.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
}

/// Where one policy sits in its file.
struct Site<'a> {
    file: &'a str,
    text: &'a str,
    start: usize,
    end: usize,
}

impl Site<'_> {
    /// A problem at the policy, or at its `@key` annotation when one is named and found.
    fn problem(&self, annotation: Option<&str>, message: String) -> Problem {
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

const KNOWN: &[&str] = &[
    "id",
    "outcome",
    "approvers",
    "max_ttl",
    "reason",
    "description",
];

fn read_meta(p: &cedar_policy::Policy, at: &Site<'_>, order: usize) -> Result<Meta, Problem> {
    for (k, _) in p.annotations() {
        if !KNOWN.contains(&k) {
            return Err(at.problem(
                Some(k),
                format!(
                    "unknown annotation @{k} (known: {})",
                    KNOWN
                        .iter()
                        .map(|k| format!("@{k}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    let id = match p.annotation("id").map(str::trim) {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => return Err(at.problem(None, "every policy needs an @id(\"…\")".into())),
    };
    let named = |msg: String| format!("policy {id:?}: {msg}");
    let text = |k: &str| p.annotation(k).map(str::trim).filter(|v| !v.is_empty());
    let reason = text("reason").map(str::to_owned);
    let max_ttl = match text("max_ttl") {
        None => None,
        Some(v) => Some(parse_ttl(v).map_err(|e| at.problem(Some("max_ttl"), named(e)))?),
    };
    let approvers: Vec<String> = text("approvers")
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let kind = if p.effect() == Effect::Forbid {
        for k in ["outcome", "approvers", "max_ttl"] {
            if p.annotation(k).is_some() {
                return Err(at.problem(
                    Some(k),
                    named(format!("@{k} belongs on a permit, not a forbid")),
                ));
            }
        }
        if reason.is_none() {
            return Err(at.problem(
                None,
                named("a forbid needs a @reason(\"…\") to tell the requester why".into()),
            ));
        }
        Kind::Forbid
    } else {
        let kind = match text("outcome") {
            Some("grant") => Kind::Grant,
            Some("approval") => Kind::Approval,
            Some("cap") => Kind::Cap,
            Some(other) => {
                return Err(at.problem(
                    Some("outcome"),
                    named(format!(
                        "@outcome({other:?}) is not one of \"grant\", \"approval\", \"cap\""
                    )),
                ));
            }
            None => {
                return Err(at.problem(
                    None,
                    named(
                        "a permit needs @outcome(\"grant\"), @outcome(\"approval\") or @outcome(\"cap\")"
                            .into(),
                    ),
                ));
            }
        };
        match kind {
            Kind::Approval if approvers.is_empty() => {
                return Err(at.problem(
                    Some("outcome"),
                    named("@outcome(\"approval\") needs @approvers(\"group, …\")".into()),
                ));
            }
            Kind::Grant | Kind::Cap if p.annotation("approvers").is_some() => {
                return Err(at.problem(
                    Some("approvers"),
                    named("@approvers only goes with @outcome(\"approval\")".into()),
                ));
            }
            Kind::Cap if max_ttl.is_none() => {
                return Err(at.problem(
                    Some("outcome"),
                    named("@outcome(\"cap\") needs @max_ttl(\"…\")".into()),
                ));
            }
            _ => {}
        }
        kind
    };
    Ok(Meta {
        id,
        order,
        file: at.file.into(),
        line: line_col(at.text, at.start).0,
        kind,
        max_ttl,
        approvers,
        reason,
    })
}

/// `30m`, `4h`, `90s`: whole seconds, at least one.
fn parse_ttl(v: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(v).map_err(|e| format!("@max_ttl({v:?}): {e}"))?;
    if d.as_secs() == 0 {
        return Err(format!("@max_ttl({v:?}) must be at least 1s"));
    }
    Ok(Duration::from_secs(d.as_secs()))
}

/// `policy7` → 7.
fn index_of(id: &PolicyId) -> Option<usize> {
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
fn diagnostic_problems(file: &str, text: &str, d: &dyn Diagnostic) -> Vec<Problem> {
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
