//! The fake's core objects: the checks every create makes, what the API server stamps on a new
//! object, and ServiceAccounts.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::World;
use super::reply::{already_exists, bad_request, invalid, json_response, not_found};
use zt_api::Timestamp;

/// A DNS-1123 subdomain, as ServiceAccount names must be.
pub(super) fn is_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            let b = l.as_bytes();
            let inner = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
            !b.is_empty()
                && b.iter().all(|c| inner(c) || *c == b'-')
                && b.first().is_some_and(inner)
                && b.last().is_some_and(inner)
        })
}

/// What RBAC object names must be: a path segment.
pub(super) fn is_path_segment(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '%'])
}

/// The checks every create makes: the body's apiVersion/kind, the namespace in the body
/// against the path's, that namespace's existence. Returns the name, or the refusal to send.
// A test fake answering a handful of requests: the size of its error variant does not matter.
#[allow(clippy::result_large_err)]
pub(super) fn admit(
    w: &World,
    body: &Value,
    api_version: &str,
    kind: &str,
    namespace: Option<&str>,
) -> Result<String, Response> {
    if !body.is_object() {
        return Err(bad_request(
            "the body of the request was in an unknown format",
        ));
    }
    if body["apiVersion"] != api_version || body["kind"] != kind {
        return Err(bad_request(&format!(
            "the API version in the data ({}) does not match the expected API version ({api_version})",
            body["apiVersion"].as_str().unwrap_or("")
        )));
    }
    if let (Some(ns), Some(in_body)) = (namespace, body["metadata"]["namespace"].as_str())
        && in_body != ns
    {
        return Err(bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    if let Some(ns) = namespace
        && !w.namespaces.contains(ns)
    {
        return Err(not_found("", "namespaces", ns));
    }
    Ok(body["metadata"]["name"].as_str().unwrap_or("").to_owned())
}

/// What the API server sets on a new object.
pub(super) fn stamp(w: &mut World, mut obj: Value, namespace: Option<&str>) -> Value {
    let n = w.next();
    let meta = &mut obj["metadata"];
    meta["uid"] = json!(format!("00000000-0000-4000-8000-{n:012}"));
    meta["resourceVersion"] = json!(n.to_string());
    meta["creationTimestamp"] = json!(Timestamp(w.now()).to_rfc3339());
    if let Some(ns) = namespace {
        meta["namespace"] = json!(ns);
    }
    obj
}

pub(super) fn create_service_account(w: &mut World, ns: &str, body: Value) -> Response {
    let name = match admit(w, &body, "v1", "ServiceAccount", Some(ns)) {
        Ok(n) => n,
        Err(r) => return r,
    };
    if !is_subdomain(&name) {
        return invalid(
            "ServiceAccount",
            "",
            &name,
            "metadata.name",
            &format!(
                "Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'"
            ),
        );
    }
    let key = (ns.to_owned(), name.clone());
    if w.service_accounts.contains_key(&key) {
        return already_exists("", "serviceaccounts", &name);
    }
    let obj = stamp(w, body, Some(ns));
    w.service_accounts.insert(key, obj.clone());
    json_response(StatusCode::CREATED, &obj)
}
