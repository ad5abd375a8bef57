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
//! - `@approval_assurance("passkey")` — with `approval`: an approval counts only when it is
//!   confirmed with a passkey (a WebAuthn assertion binding the request, on the review page).
//! - `@step_up("acr=urn:… max_age=300")` — on a `permit`: it lets its request through only
//!   when the caller's token shows that ACR and an authentication that recent; else the broker
//!   asks for a step-up (RFC 9470, see [`super::step_up`]).
//! - `@description("…")` — free text, ignored.
//!
//! Anything else is refused: a misspelt `@max_tll` silently capping nothing would be worse.
mod annotations;
mod problem;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use cedar_policy::{PolicyId, PolicySet, Schema, ValidationMode, Validator};
use miette::Diagnostic;

use annotations::read_meta;
pub use problem::{PolicyError, Problem};
use problem::{Site, diagnostic_problems, index_of, sort_problems};
pub(crate) use problem::{line_col, policy_starts};

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
    /// `@approvals("N")` of an approval permit: distinct approvers needed (default 1).
    pub approvals: u32,
    /// `@approval_assurance("passkey")` of an approval permit: how an approval must be given.
    pub approval_assurance: Option<zt_api::ApprovalAssurance>,
    pub reason: Option<String>,
    /// `@step_up("…")` of a permit: the authentication it demands of the caller.
    pub step_up: Option<super::step_up::StepUp>,
    /// Where that annotation is (file, line, column; no message), for load-time checks of
    /// its ACR value against the trusted issuers'.
    pub step_up_at: Option<Problem>,
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
