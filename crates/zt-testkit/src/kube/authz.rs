//! Who is calling the fake and what they may do: bearer tokens, RBAC bindings checked for
//! namespace reads, and the discovery documents any authenticated caller may read.

use axum::http::{HeaderMap, header};
use serde_json::{Value, json};

use super::{BROKER_USER, RBAC, World};

/// Who is calling.
#[derive(Debug, Clone)]
pub(super) enum Who {
    Broker,
    ServiceAccount { namespace: String, name: String },
}

impl Who {
    pub(super) fn user(&self) -> String {
        match self {
            Who::Broker => BROKER_USER.into(),
            Who::ServiceAccount { namespace, name } => {
                format!("system:serviceaccount:{namespace}:{name}")
            }
        }
    }
}

pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub(super) fn authenticate(w: &World, broker_token: &str, headers: &HeaderMap) -> Option<Who> {
    let token = bearer(headers)?;
    if token == broker_token {
        return Some(Who::Broker);
    }
    let m = w.tokens.get(token)?;
    let sa = w
        .service_accounts
        .get(&(m.namespace.clone(), m.name.clone()))?;
    (m.expires > w.now() && sa["metadata"]["uid"] == m.uid).then(|| Who::ServiceAccount {
        namespace: m.namespace.clone(),
        name: m.name.clone(),
    })
}

/// Whether a binding's subjects name the ServiceAccount.
pub(super) fn binds(
    binding: &Value,
    namespace: &str,
    name: &str,
    binding_ns: Option<&str>,
) -> bool {
    binding["subjects"].as_array().is_some_and(|subjects| {
        subjects.iter().any(|s| {
            let ns = s["namespace"].as_str().or(binding_ns);
            s["kind"] == "ServiceAccount" && s["name"] == name && ns == Some(namespace)
        })
    })
}

/// May `who` read namespaces: all of them (`of: None`, a list) or one?
pub(super) fn may_read_namespaces(w: &World, who: &Who, of: Option<&str>) -> bool {
    let Who::ServiceAccount { namespace, name } = who else {
        return true;
    };
    let cluster_wide = w
        .cluster_role_bindings
        .values()
        .any(|b| binds(b, namespace, name, None));
    cluster_wide
        || of.is_some_and(|target| {
            w.role_bindings
                .iter()
                .any(|((ns, _), b)| ns == target && binds(b, namespace, name, Some(target)))
        })
}

pub(super) fn namespace_object(name: &str) -> Value {
    json!({
        "kind": "Namespace", "apiVersion": "v1",
        "metadata": {"name": name, "uid": format!("ns-{name}"), "resourceVersion": "1",
                     "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    })
}

pub(super) fn discovery(path: &[&str]) -> Option<Value> {
    Some(match path {
        ["version"] => json!({"major": "1", "minor": "34", "gitVersion": "v1.34.0-zt-fake",
                              "platform": "linux/amd64"}),
        ["api"] => json!({"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}),
        ["apis"] => json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": [{
            "name": RBAC,
            "versions": [{"groupVersion": format!("{RBAC}/v1"), "version": "v1"}],
            "preferredVersion": {"groupVersion": format!("{RBAC}/v1"), "version": "v1"},
        }]}),
        ["api", "v1"] => json!({"kind": "APIResourceList", "groupVersion": "v1", "resources": [
            {"name": "namespaces", "singularName": "namespace", "namespaced": false,
             "kind": "Namespace", "verbs": ["get", "list"], "shortNames": ["ns"]},
            {"name": "serviceaccounts", "singularName": "serviceaccount", "namespaced": true,
             "kind": "ServiceAccount", "verbs": ["create", "delete", "get"], "shortNames": ["sa"]},
            {"name": "serviceaccounts/token", "singularName": "", "namespaced": true,
             "group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest",
             "verbs": ["create"]},
        ]}),
        ["apis", RBAC, "v1"] => json!({"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": format!("{RBAC}/v1"), "resources": [
            {"name": "clusterrolebindings", "singularName": "clusterrolebinding",
             "namespaced": false, "kind": "ClusterRoleBinding", "verbs": ["create", "delete", "get"]},
            {"name": "rolebindings", "singularName": "rolebinding", "namespaced": true,
             "kind": "RoleBinding", "verbs": ["create", "delete", "get"]},
        ]}),
        _ => return None,
    })
}
