//! zt-api's `openapi.yaml` ([`zt_api::OPENAPI`]) as the contract test reads it: the YAML
//! turned into JSON values, `$ref`s followed (`#/components/...` only: the document is
//! self-contained), and operations found by method and concrete path (`/v1/requests/abc`
//! matches `/v1/requests/{id}`).

use serde_json::{Map, Value};
use yaml_rust2::{Yaml, YamlLoader};

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

pub(crate) struct Spec {
    pub doc: Value,
}

/// One operation: its id, path template, and the resolved operation object.
pub(crate) struct Operation<'a> {
    pub id: String,
    pub method: String,
    pub template: String,
    pub op: &'a Value,
    /// Path-level parameters, which apply to every operation of the path.
    path_params: &'a Value,
}

impl Spec {
    pub(crate) fn load() -> Self {
        let docs = YamlLoader::load_from_str(zt_api::OPENAPI).expect("openapi.yaml is YAML");
        let doc = to_json(&docs[0]);
        assert_eq!(doc["openapi"], "3.1.0");
        Self { doc }
    }

    /// `$ref`s followed until a value that is not one.
    pub(crate) fn resolve<'a>(&'a self, mut v: &'a Value) -> &'a Value {
        for _ in 0..16 {
            let Some(r) = v.get("$ref").and_then(Value::as_str) else {
                return v;
            };
            let pointer = r
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("only local $refs are supported: {r}"));
            v = self
                .doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("$ref {r} points at nothing"));
        }
        panic!("$ref chain too long at {v}")
    }

    /// Every operation, as `(METHOD, template)`.
    pub(crate) fn operations(&self) -> Vec<Operation<'_>> {
        let mut out = vec![];
        let paths = self.doc["paths"].as_object().expect("paths");
        for (template, item) in paths {
            for (method, op) in item.as_object().expect("a path item") {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                let id = op["operationId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{method} {template} has no operationId"));
                out.push(Operation {
                    id: id.to_owned(),
                    method: method.to_uppercase(),
                    template: template.clone(),
                    op,
                    path_params: &item["parameters"],
                });
            }
        }
        out
    }

    /// The operation serving `method path` (path without its query), if any; `Err(true)` when
    /// the path exists with other methods only (a 405), `Err(false)` when it does not (a 404).
    pub(crate) fn find(&self, method: &str, path: &str) -> Result<Operation<'_>, bool> {
        let mut path_known = false;
        for op in self.operations() {
            if matches(&op.template, path) {
                path_known = true;
                if op.method.eq_ignore_ascii_case(method) {
                    return Ok(op);
                }
            }
        }
        Err(path_known)
    }

    /// A response of `components.responses`.
    pub(crate) fn component_response(&self, name: &str) -> &Value {
        let v = &self.doc["components"]["responses"][name];
        assert!(v.is_object(), "components.responses.{name} is missing");
        v
    }
}

impl<'a> Operation<'a> {
    /// The documented statuses, as numbers (`default` is not used by this document).
    pub(crate) fn statuses(&self) -> Vec<u16> {
        let responses = self.op["responses"].as_object().expect("responses");
        responses
            .keys()
            .map(|k| {
                k.parse()
                    .unwrap_or_else(|_| panic!("{}: response key {k} is not a status", self.id))
            })
            .collect()
    }

    /// The response object for `status`, unresolved (`Spec::resolve` it).
    pub(crate) fn response(&self, status: u16) -> Option<&'a Value> {
        self.op["responses"].get(status.to_string())
    }

    /// Whether `name` is a documented query parameter (operation or path level), or a
    /// property of an object parameter exploded into the query (`style: form`, the default).
    pub(crate) fn has_query_param(&self, spec: &Spec, name: &str) -> bool {
        [&self.op["parameters"], self.path_params]
            .into_iter()
            .filter_map(Value::as_array)
            .flatten()
            .map(|p| spec.resolve(p))
            .filter(|p| p["in"] == "query")
            .any(|p| {
                let schema = spec.resolve(&p["schema"]);
                let exploded = schema["type"] == "object"
                    && p["explode"] != false
                    && [Value::Null, "form".into()].contains(&p["style"]);
                match exploded {
                    true => schema["properties"].get(name).is_some(),
                    false => p["name"] == name,
                }
            })
    }
}

/// A template segment `{x}` matches any one non-empty segment.
fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<_>, Vec<_>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| {
            if t.starts_with('{') && t.ends_with('}') {
                !p.is_empty()
            } else {
                t == p
            }
        })
}

/// YAML to JSON. Keys become strings (`200:` as well as `"200":`).
pub(crate) fn to_json(y: &Yaml) -> Value {
    match y {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::Real(r) => Value::from(r.parse::<f64>().expect("a YAML real")),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        Yaml::Hash(h) => {
            let mut m = Map::new();
            for (k, v) in h {
                let key = match k {
                    Yaml::String(s) => s.clone(),
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    other => panic!("unsupported YAML key {other:?}"),
                };
                assert!(m.insert(key.clone(), to_json(v)).is_none(), "{key} twice");
            }
            Value::Object(m)
        }
        other => panic!("unsupported YAML value {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_one_segment_per_parameter() {
        assert!(matches("/v1/requests/{id}", "/v1/requests/abc"));
        assert!(!matches("/v1/requests/{id}", "/v1/requests/"));
        assert!(!matches("/v1/requests/{id}", "/v1/requests/a/approve"));
        assert!(matches(
            "/v1/requests/{id}/approve",
            "/v1/requests/a/approve"
        ));
        assert!(!matches("/v1/me", "/v1/catalog"));
    }

    #[test]
    fn refs_resolve_and_operations_are_found() {
        let spec = Spec::load();
        let op = spec.find("POST", "/v1/grants/0123/extend").ok().unwrap();
        assert_eq!(
            (op.id.as_str(), op.template.as_str()),
            ("extendGrant", "/v1/grants/{id}/extend")
        );
        let r = spec.resolve(op.response(401).unwrap());
        assert_eq!(r["x-problem-types"][0], "unauthenticated");
        assert!(matches!(spec.find("PUT", "/v1/catalog"), Err(true)));
        assert!(matches!(spec.find("GET", "/v2/nothing"), Err(false)));
        let get = spec.find("GET", "/v1/requests/x").ok().unwrap();
        assert!(get.has_query_param(&spec, "wait"));
        assert!(!get.has_query_param(&spec, "approver"));
        // listRequests' filter object is exploded into the query: its properties are names.
        let list = spec.find("GET", "/v1/requests").ok().unwrap();
        assert!(list.has_query_param(&spec, "approver"));
        assert!(list.has_query_param(&spec, "state"));
        assert!(!list.has_query_param(&spec, "filter"));
    }
}
