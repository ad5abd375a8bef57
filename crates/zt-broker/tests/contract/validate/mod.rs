//! A validator for the part of JSON Schema (2020-12, as OpenAPI 3.1 uses it) that
//! `openapi.yaml` uses: `$ref`, `type` (one or a list, `"null"` included; OpenAPI 3.0's
//! `nullable` too), `enum`, `const`, `properties`, `required`, `additionalProperties`, `items`,
//! `oneOf`, `anyOf`, `format: date-time`, `minimum`/`maximum`, `minLength`/`maxLength`.
//! A keyword it does not know is an error, not silently passed, so the document cannot start
//! relying on one this file does not check.
//!
//! `closed`: an object schema without `additionalProperties` accepts no property it does not
//! list. JSON Schema leaves objects open, which is right for clients (a newer broker may add
//! fields); the contract test closes them, so a field the broker sends that the document does
//! not describe fails it.

use serde_json::Value;

use super::spec::Spec;

/// Keywords that describe and never constrain.
const ANNOTATIONS: [&str; 8] = [
    "description",
    "example",
    "examples",
    "default",
    "title",
    "discriminator",
    "deprecated",
    "readOnly",
];

pub(crate) struct Validator<'a> {
    spec: &'a Spec,
    closed: bool,
}

impl<'a> Validator<'a> {
    pub(crate) fn new(spec: &'a Spec, closed: bool) -> Self {
        Self { spec, closed }
    }

    /// Every way `v` breaks `schema`, each with its path (`$.rows[2].at: ...`); empty: valid.
    pub(crate) fn errors(&self, schema: &Value, v: &Value) -> Vec<String> {
        let mut errs = vec![];
        self.check(schema, v, "$", &mut errs);
        errs
    }

    fn check(&self, schema: &Value, v: &Value, path: &str, errs: &mut Vec<String>) {
        let Some(s) = schema.as_object() else {
            if schema != &Value::Bool(true) {
                errs.push(format!("{path}: the schema {schema} is not an object"));
            }
            return;
        };
        if s.get("nullable") == Some(&Value::Bool(true)) && v.is_null() {
            return;
        }
        for (k, arg) in s {
            match k.as_str() {
                "$ref" => self.check(self.spec.resolve(schema), v, path, errs),
                "type" => type_check(arg, v, path, errs),
                "nullable" => {}
                "enum" => {
                    let options = arg.as_array().map(Vec::as_slice).unwrap_or_default();
                    if !options.contains(v) {
                        errs.push(format!("{path}: {v} is not one of {arg}"));
                    }
                }
                "const" if arg != v => errs.push(format!("{path}: {v} is not {arg}")),
                "const" => {}
                "properties" | "required" | "additionalProperties" => {}
                "items" => {
                    for (i, item) in v.as_array().into_iter().flatten().enumerate() {
                        self.check(arg, item, &format!("{path}[{i}]"), errs);
                    }
                }
                "oneOf" | "anyOf" => self.alternatives(k, arg, v, path, errs),
                "format" => format_check(arg, v, path, errs),
                "minimum" | "maximum" => bound_check(k, arg, v.as_f64(), path, errs),
                "minLength" | "maxLength" => {
                    let len = v.as_str().map(|s| s.chars().count() as f64);
                    bound_check(k, arg, len, path, errs)
                }
                k if k.starts_with("x-") || ANNOTATIONS.contains(&k) => {}
                other => errs.push(format!("{path}: unsupported schema keyword {other:?}")),
            }
        }
        if let Some(obj) = v.as_object() {
            self.object(s, obj, path, errs);
        }
    }

    fn object(
        &self,
        s: &serde_json::Map<String, Value>,
        obj: &serde_json::Map<String, Value>,
        path: &str,
        errs: &mut Vec<String>,
    ) {
        let props = s.get("properties").and_then(Value::as_object);
        for name in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = name.as_str().unwrap_or_default();
            if !obj.contains_key(name) {
                errs.push(format!("{path}: missing required property {name:?}"));
            }
        }
        for (k, v) in obj {
            let at = format!("{path}.{k}");
            match (props.and_then(|p| p.get(k)), s.get("additionalProperties")) {
                (Some(sub), _) => self.check(sub, v, &at, errs),
                (None, Some(Value::Bool(false))) => {
                    errs.push(format!("{at}: not allowed (additionalProperties: false)"))
                }
                (None, Some(Value::Bool(true))) => {}
                (None, Some(extra)) => self.check(extra, v, &at, errs),
                // Only schemas that describe an object's properties close it.
                (None, None) if self.closed && props.is_some() => {
                    let known: Vec<_> = props.into_iter().flat_map(|p| p.keys()).collect();
                    errs.push(format!("{at}: not in the schema (it has {known:?})"));
                }
                (None, None) => {}
            }
        }
    }

    fn alternatives(&self, k: &str, arg: &Value, v: &Value, path: &str, errs: &mut Vec<String>) {
        let branches = arg.as_array().map(Vec::as_slice).unwrap_or_default();
        let results: Vec<Vec<String>> = branches
            .iter()
            .map(|b| {
                let mut e = vec![];
                self.check(b, v, path, &mut e);
                e
            })
            .collect();
        let passed = results.iter().filter(|e| e.is_empty()).count();
        match (k, passed) {
            ("oneOf", 1) => {}
            ("anyOf", n) if n >= 1 => {}
            ("oneOf", n) if n > 1 => errs.push(format!("{path}: matches {n} oneOf branches")),
            _ => {
                let why: Vec<String> = results
                    .iter()
                    .enumerate()
                    .map(|(i, e)| format!("branch {i}: {}", e.join("; ")))
                    .collect();
                errs.push(format!(
                    "{path}: matches no {k} branch ({})",
                    why.join(" | ")
                ));
            }
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_check(arg: &Value, v: &Value, path: &str, errs: &mut Vec<String>) {
    let allowed: Vec<&str> = match arg {
        Value::String(t) => vec![t],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return errs.push(format!("{path}: bad type keyword {arg}")),
    };
    let actual = type_name(v);
    let ok = allowed
        .iter()
        .any(|t| *t == actual || (*t == "number" && actual == "integer"));
    if !ok {
        errs.push(format!(
            "{path}: expected {}, got {actual} {v}",
            allowed.join(" or ")
        ));
    }
}

fn format_check(arg: &Value, v: &Value, path: &str, errs: &mut Vec<String>) {
    match (arg.as_str(), v.as_str()) {
        // RFC 3339 with the `T` and a `Z`: the broker writes UTC only.
        (Some("date-time"), Some(s)) if humantime::parse_rfc3339(s).is_err() => {
            errs.push(format!("{path}: {s:?} is not an RFC 3339 UTC date-time"))
        }
        (Some("date-time"), _) => {}
        _ => errs.push(format!("{path}: unsupported format {arg}")),
    }
}

fn bound_check(k: &str, arg: &Value, actual: Option<f64>, path: &str, errs: &mut Vec<String>) {
    let (Some(bound), Some(actual)) = (arg.as_f64(), actual) else {
        return;
    };
    let ok = match k {
        "minimum" | "minLength" => actual >= bound,
        _ => actual <= bound,
    };
    if !ok {
        errs.push(format!("{path}: {actual} breaks {k} {bound}"));
    }
}

#[cfg(test)]
mod tests;
