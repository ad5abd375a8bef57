//! The fake's RBAC endpoints: RoleBindings and ClusterRoleBindings, with the API's escalation
//! check on the roles they bind.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::objects::{admit, is_path_segment, is_subdomain, stamp};
use super::reply::{already_exists, invalid, json_response, status};
use super::{BROKER_USER, RBAC, World};

/// A RoleBinding in `namespace`, or a ClusterRoleBinding (`None`).
pub(super) fn create_binding(w: &mut World, namespace: Option<&str>, body: Value) -> Response {
    let (kind, resource) = match namespace {
        Some(_) => ("RoleBinding", "rolebindings"),
        None => ("ClusterRoleBinding", "clusterrolebindings"),
    };
    let name = match admit(w, &body, &format!("{RBAC}/v1"), kind, namespace) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let bad = |field: &str, why: &str| invalid(kind, RBAC, &name, field, why);
    if !is_path_segment(&name) {
        return bad("metadata.name", "Invalid value: may not contain '/' or '%'");
    }
    let role_ref = &body["roleRef"];
    if role_ref["apiGroup"] != RBAC {
        return bad(
            "roleRef.apiGroup",
            "Unsupported value: supported values: \"rbac.authorization.k8s.io\"",
        );
    }
    let allowed_kinds: &[&str] = match namespace {
        Some(_) => &["Role", "ClusterRole"],
        None => &["ClusterRole"],
    };
    if !role_ref["kind"]
        .as_str()
        .is_some_and(|k| allowed_kinds.contains(&k))
    {
        return bad("roleRef.kind", "Unsupported value");
    }
    let role = role_ref["name"].as_str().unwrap_or("");
    if !is_path_segment(role) {
        return bad("roleRef.name", "Required value");
    }
    for s in body["subjects"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        if s["kind"] == "ServiceAccount" {
            if !s["name"].as_str().is_some_and(is_subdomain) {
                return bad("subjects[0].name", "Invalid value");
            }
            if namespace.is_none() && s["namespace"].as_str().unwrap_or("").is_empty() {
                return bad("subjects[0].namespace", "Required value");
            }
        }
    }
    if w.unbindable.contains(role) {
        return status(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!(
                "{resource}.{RBAC} \"{name}\" is forbidden: user \"{BROKER_USER}\" (groups=\
                 [\"system:serviceaccounts\" \"system:authenticated\"]) is attempting to grant \
                 RBAC permissions not currently held: (the rules of ClusterRole \"{role}\")"
            ),
            Some(json!({"name": name, "group": RBAC, "kind": resource})),
        );
    }
    let exists = match namespace {
        Some(ns) => w.role_bindings.contains_key(&(ns.to_owned(), name.clone())),
        None => w.cluster_role_bindings.contains_key(&name),
    };
    if exists {
        return already_exists(RBAC, resource, &name);
    }
    let obj = stamp(w, body, namespace);
    match namespace {
        Some(ns) => w.role_bindings.insert((ns.to_owned(), name), obj.clone()),
        None => w.cluster_role_bindings.insert(name, obj.clone()),
    };
    json_response(StatusCode::CREATED, &obj)
}
