//! The fake's one handler: every request recorded, authenticated and routed to its
//! endpoint.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::authz::{Who, authenticate, discovery, may_read_namespaces, namespace_object};
use super::objects::create_service_account;
use super::rbac::create_binding;
use super::reply::{forbidden, json_response, not_found, status};
use super::tokens::token_request;
use super::{App, Call, RBAC};

/// Every request: record, authenticate, route.
pub(super) async fn handle(
    State(app): State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut w = app.world.lock().expect("fake world lock");
    let who = authenticate(&w, &app.broker_token, &headers);
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    w.calls.push(Call {
        method: method.to_string(),
        path: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), |p| p.to_string()),
        body: parsed.clone(),
        who: match &who {
            Some(Who::Broker) => "broker".into(),
            Some(w) => w.user(),
            None => "unauthenticated".into(),
        },
    });
    let Some(who) = who else {
        return status(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Unauthorized",
            None,
        );
    };
    let segments: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    let segs = segments.as_slice();
    if method == Method::GET
        && let Some(doc) = discovery(segs)
    {
        return json_response(StatusCode::OK, &doc);
    }
    if method == Method::GET && segs == ["api", "v1", "namespaces"] {
        if !may_read_namespaces(&w, &who, None) {
            return forbidden(&who, "list", "", "namespaces", None);
        }
        let items: Vec<Value> = w.namespaces.iter().map(|n| namespace_object(n)).collect();
        return json_response(
            StatusCode::OK,
            &json!({"kind": "NamespaceList", "apiVersion": "v1",
                    "metadata": {"resourceVersion": "1"}, "items": items}),
        );
    }
    if method == Method::GET
        && let ["api", "v1", "namespaces", ns] = segs
    {
        if !may_read_namespaces(&w, &who, Some(ns)) {
            return forbidden(&who, "get", "", "namespaces", Some(ns));
        }
        return if w.namespaces.contains(*ns) {
            json_response(StatusCode::OK, &namespace_object(ns))
        } else {
            not_found("", "namespaces", ns)
        };
    }
    // Only the broker writes, mints and reads ServiceAccounts and bindings.
    if !matches!(who, Who::Broker) {
        let verb = match method {
            Method::POST => "create",
            Method::DELETE => "delete",
            _ => "get",
        };
        return forbidden(&who, verb, "", "serviceaccounts", None);
    }
    let body = parsed.unwrap_or(Value::Null);
    match (method, segs) {
        (Method::POST, ["api", "v1", "namespaces", ns, "serviceaccounts"]) => {
            create_service_account(&mut w, ns, body)
        }
        (Method::GET, ["api", "v1", "namespaces", ns, "serviceaccounts", name]) => w
            .service_accounts
            .get(&(ns.to_string(), name.to_string()))
            .map_or_else(
                || not_found("", "serviceaccounts", name),
                |o| json_response(StatusCode::OK, o),
            ),
        (Method::DELETE, ["api", "v1", "namespaces", ns, "serviceaccounts", name]) => {
            // The ServiceAccount registry answers a delete with the object.
            match w
                .service_accounts
                .remove(&(ns.to_string(), name.to_string()))
            {
                Some(o) => json_response(StatusCode::OK, &o),
                None => not_found("", "serviceaccounts", name),
            }
        }
        (
            Method::POST,
            [
                "api",
                "v1",
                "namespaces",
                ns,
                "serviceaccounts",
                name,
                "token",
            ],
        ) => token_request(&mut w, &who, ns, name, body),
        (Method::POST, ["apis", RBAC, "v1", "namespaces", ns, "rolebindings"]) => {
            create_binding(&mut w, Some(ns), body)
        }
        (Method::POST, ["apis", RBAC, "v1", "clusterrolebindings"]) => {
            create_binding(&mut w, None, body)
        }
        (Method::GET, ["apis", RBAC, "v1", "namespaces", ns, "rolebindings", name]) => w
            .role_bindings
            .get(&(ns.to_string(), name.to_string()))
            .map_or_else(
                || not_found(RBAC, "rolebindings", name),
                |o| json_response(StatusCode::OK, o),
            ),
        (Method::GET, ["apis", RBAC, "v1", "clusterrolebindings", name]) => {
            w.cluster_role_bindings.get(*name).map_or_else(
                || not_found(RBAC, "clusterrolebindings", name),
                |o| json_response(StatusCode::OK, o),
            )
        }
        (Method::DELETE, ["apis", RBAC, "v1", "namespaces", ns, "rolebindings", name]) => {
            let gone = w.role_bindings.remove(&(ns.to_string(), name.to_string()));
            deleted_status(gone, "rolebindings", name)
        }
        (Method::DELETE, ["apis", RBAC, "v1", "clusterrolebindings", name]) => {
            let gone = w.cluster_role_bindings.remove(*name);
            deleted_status(gone, "clusterrolebindings", name)
        }
        _ => status(
            StatusCode::NOT_FOUND,
            "NotFound",
            "the server could not find the requested resource",
            None,
        ),
    }
}

/// RBAC's registries answer a delete with a `Success` Status naming what went.
pub(super) fn deleted_status(gone: Option<Value>, resource: &str, name: &str) -> Response {
    match gone {
        Some(o) => json_response(
            StatusCode::OK,
            &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                    "details": {"name": name, "group": RBAC, "kind": resource,
                                "uid": o["metadata"]["uid"]}}),
        ),
        None => not_found(RBAC, resource, name),
    }
}
