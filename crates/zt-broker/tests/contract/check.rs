//! [`Contract`]: sends a request to a [`TestBroker`], holds the answer to `openapi.yaml`
//! (documented status, documented media type, body valid against its schema, required headers,
//! a problem `type` the response lists in `x-problem-types`) and records which
//! (operation, status, problem slug) it saw, so [`Contract::assert_covered`] can name every
//! documented answer no test produced.

use std::collections::BTreeSet;
use std::sync::Mutex;

use reqwest::Method;
use serde_json::Value;

use super::spec::Spec;
use super::validate::Validator;
use zt_api::problem;
use zt_testkit::broker::{Resp, TestBroker};

/// Who calls.
pub(crate) enum Auth<'a> {
    None,
    User(&'a str),
    /// An `Authorization` header as given (`Bearer not.a.jwt`).
    Header(&'a str),
}

/// What the request carries.
pub(crate) enum Body<'a> {
    None,
    Json(Value),
    /// Sent as `application/json` whatever it is (`{"comment": `).
    Raw(&'a str),
}

/// `(operation id, status, problem slug or "")`; the fallbacks are named
/// `NoRoute`/`MethodNotAllowed`, after their `components.responses`.
pub(crate) type Answer = (String, u16, String);

pub(crate) struct Contract {
    pub spec: Spec,
    seen: Mutex<BTreeSet<Answer>>,
    http: reqwest::Client,
}

impl Contract {
    pub(crate) fn new() -> Self {
        Self {
            spec: Spec::load(),
            seen: Mutex::default(),
            http: reqwest::Client::new(),
        }
    }

    /// Send `method path` (with its query) and check the answer against the document.
    pub(crate) async fn call(
        &self,
        t: &TestBroker,
        auth: Auth<'_>,
        method: &str,
        path: &str,
        body: Body<'_>,
        key: Option<&str>,
    ) -> Resp {
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(m, format!("{}{path}", t.url));
        req = match auth {
            Auth::None => req,
            Auth::User(u) => req.bearer_auth(t.token(u)),
            Auth::Header(h) => req.header("authorization", h),
        };
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        req = match body {
            Body::None => req,
            Body::Json(v) => req.json(&v),
            Body::Raw(s) => req
                .header("content-type", "application/json")
                .body(s.to_owned()),
        };
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let json = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.contains("json"));
        // A text or binary answer (the SSH CA line, the KRL) is checked as a string.
        let body = if json {
            let text = r.text().await.unwrap();
            serde_json::from_str(&text).unwrap_or_else(|e| {
                panic!("{method} {path}: {status} body is not JSON ({e}): {text}")
            })
        } else {
            Value::String(String::from_utf8_lossy(&r.bytes().await.unwrap()).into_owned())
        };
        let resp = Resp {
            status,
            headers,
            body,
        };
        self.check(method, path, &resp);
        resp
    }

    /// Shorthand: a user's call without a body.
    pub(crate) async fn as_user(
        &self,
        t: &TestBroker,
        user: &str,
        method: &str,
        path: &str,
    ) -> Resp {
        self.call(t, Auth::User(user), method, path, Body::None, None)
            .await
    }

    pub(crate) fn check(&self, method: &str, path_and_query: &str, r: &Resp) {
        let what = format!("{method} {path_and_query} → {}", r.status);
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let (name, response) = match self.spec.find(method, path) {
            Ok(op) => {
                for pair in query.split('&').filter(|p| !p.is_empty()) {
                    let name = pair.split('=').next().unwrap_or_default();
                    assert!(
                        op.has_query_param(&self.spec, name),
                        "{what}: query parameter {name:?} is not documented for {}",
                        op.id
                    );
                }
                let response = op.response(r.status).unwrap_or_else(|| {
                    panic!(
                        "{what}: status {} is not documented for {} (only {:?}); body {}",
                        r.status,
                        op.id,
                        op.statuses(),
                        r.body
                    )
                });
                (op.id, response)
            }
            Err(path_known) => {
                let (name, status) = match path_known {
                    true => ("MethodNotAllowed", 405),
                    false => ("NoRoute", 404),
                };
                assert_eq!(r.status, status, "{what}: no operation, so {status}");
                (name.to_owned(), self.spec.component_response(name))
            }
        };
        let slug = self.check_response(&what, response, r);
        self.seen.lock().unwrap().insert((name, r.status, slug));
    }

    /// The body against the response's schema for its media type; the problem slug, if any.
    fn check_response(&self, what: &str, response: &Value, r: &Resp) -> String {
        let response = self.spec.resolve(response);
        let content_type = r
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let media = content_type.split(';').next().unwrap_or_default().trim();
        let schema = response["content"]
            .get(media)
            .unwrap_or_else(|| panic!("{what}: media type {media:?} is not documented"))
            .get("schema")
            .expect("a schema");
        let errors = Validator::new(&self.spec, true).errors(schema, &r.body);
        assert!(
            errors.is_empty(),
            "{what}: the body does not match the document:\n  {}\nbody: {:#}",
            errors.join("\n  "),
            r.body
        );
        for (name, h) in response["headers"].as_object().into_iter().flatten() {
            if h["required"] == true {
                assert!(r.headers.contains_key(name.as_str()), "{what}: no {name}");
            }
        }
        if media != "application/problem+json" {
            return String::new();
        }
        assert_eq!(r.body["status"], r.status, "{what}: problem status");
        let slug = problem::slug(r.body["type"].as_str().unwrap_or_default()).to_owned();
        let listed = problem_types(response);
        assert!(
            listed.contains(&slug.as_str()),
            "{what}: problem type {slug:?} is not one of {listed:?} documented for it"
        );
        slug
    }

    /// Every answer the document promises: each operation's statuses, with each problem
    /// slug its response lists, and the two fallbacks.
    pub(crate) fn documented(&self) -> BTreeSet<Answer> {
        let mut all = BTreeSet::new();
        let mut add = |name: &str, status: u16, response: &Value| {
            let slugs = problem_types(self.spec.resolve(response));
            if slugs.is_empty() {
                all.insert((name.to_owned(), status, String::new()));
            }
            for s in slugs {
                all.insert((name.to_owned(), status, s.to_owned()));
            }
        };
        for op in self.spec.operations() {
            for status in op.statuses() {
                add(&op.id, status, op.response(status).unwrap());
            }
        }
        add("NoRoute", 404, self.spec.component_response("NoRoute"));
        let mna = self.spec.component_response("MethodNotAllowed");
        add("MethodNotAllowed", 405, mna);
        all
    }

    /// Fails naming each documented answer that no call produced.
    pub(crate) fn assert_covered(&self) {
        let seen = self.seen.lock().unwrap();
        let missing: Vec<_> = self.documented().difference(&seen).cloned().collect();
        assert!(
            missing.is_empty(),
            "documented in openapi.yaml but never produced by a test:\n{missing:#?}"
        );
    }
}

/// A response's `x-problem-types`.
pub(crate) fn problem_types(response: &Value) -> Vec<&str> {
    response["x-problem-types"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}
