//! The fake's answers in the API's wire format: JSON bodies and the `Status` objects of its
//! refusals (400, 403, 404, 409, 422).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::authz::Who;

pub(super) fn status(
    code: StatusCode,
    reason: &str,
    message: &str,
    details: Option<Value>,
) -> Response {
    let mut body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code.as_u16(),
    });
    if let Some(d) = details {
        body["details"] = d;
    }
    json_response(code, &body)
}

pub(super) fn json_response(code: StatusCode, body: &Value) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `serviceaccounts` / `rolebindings.rbac.authorization.k8s.io`, as the API names a
/// resource in messages.
pub(super) fn qualified(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_owned()
    } else {
        format!("{resource}.{group}")
    }
}

pub(super) fn details(group: &str, resource: &str, name: &str) -> Value {
    let mut d = json!({"name": name, "kind": resource});
    if !group.is_empty() {
        d["group"] = json!(group);
    }
    d
}

pub(super) fn not_found(group: &str, resource: &str, name: &str) -> Response {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("{} \"{name}\" not found", qualified(group, resource)),
        Some(details(group, resource, name)),
    )
}

pub(super) fn already_exists(group: &str, resource: &str, name: &str) -> Response {
    status(
        StatusCode::CONFLICT,
        "AlreadyExists",
        &format!("{} \"{name}\" already exists", qualified(group, resource)),
        Some(details(group, resource, name)),
    )
}

pub(super) fn bad_request(message: &str) -> Response {
    status(StatusCode::BAD_REQUEST, "BadRequest", message, None)
}

pub(super) fn invalid(kind: &str, group: &str, name: &str, field: &str, why: &str) -> Response {
    let qualified_kind = if group.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}.{group}")
    };
    status(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Invalid",
        &format!("{qualified_kind} \"{name}\" is invalid: {field}: {why}"),
        Some(json!({"name": name, "group": group, "kind": kind,
                    "causes": [{"reason": "FieldValueInvalid", "message": why, "field": field}]})),
    )
}

pub(super) fn forbidden(
    who: &Who,
    verb: &str,
    group: &str,
    resource: &str,
    namespace: Option<&str>,
) -> Response {
    let scope = match namespace {
        Some(ns) => format!(" in the namespace \"{ns}\""),
        None => " at the cluster scope".into(),
    };
    status(
        StatusCode::FORBIDDEN,
        "Forbidden",
        &format!(
            "{} is forbidden: User \"{}\" cannot {verb} resource \"{resource}\" in API group \
             \"{group}\"{scope}",
            qualified(group, resource),
            who.user()
        ),
        Some(json!({"kind": resource, "group": group})),
    )
}
