//! The Kubernetes issuer's catalog settings: a grant's `[resource.settings]` (with its role's
//! overrides) read and checked.

use super::{DEFAULT_NAMESPACE, is_dns_label};

/// How a binding grants the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    Namespace,
    Cluster,
}

/// A grant's settings, checked.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub(super) server: String,
    pub(super) certificate_authority_data: Option<String>,
    pub(super) namespace: String,
    pub(super) service_account_namespace: String,
    pub(super) cluster_role: String,
    pub(super) scope: Scope,
}

pub(super) fn string<'a>(t: &'a toml::Table, key: &str) -> Result<Option<&'a str>, String> {
    match t.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(format!("settings.{key} must be a string")),
    }
}

impl Settings {
    pub(super) fn parse(t: &toml::Table) -> Result<Self, String> {
        let server = string(t, "server")?
            .ok_or("settings.server (the API server URL kubectl is given) is required")?;
        // kubectl (client-go) sends no bearer token to an `http://` server.
        if !server.starts_with("https://") {
            return Err(format!(
                "settings.server {server:?} must be an https:// URL"
            ));
        }
        let namespace = string(t, "namespace")?.unwrap_or(DEFAULT_NAMESPACE);
        let service_account_namespace =
            string(t, "service_account_namespace")?.unwrap_or(namespace);
        for (key, ns) in [
            ("namespace", namespace),
            ("service_account_namespace", service_account_namespace),
        ] {
            if !is_dns_label(ns) {
                return Err(format!(
                    "settings.{key} {ns:?} is not a namespace name (a DNS-1123 label)"
                ));
            }
        }
        let cluster_role = string(t, "cluster_role")?
            .ok_or("settings.cluster_role (the ClusterRole the grant binds) is required")?;
        // What the API accepts as an RBAC object name: a path segment.
        if cluster_role.is_empty()
            || cluster_role == "."
            || cluster_role == ".."
            || cluster_role.contains(['/', '%'])
        {
            return Err(format!(
                "settings.cluster_role {cluster_role:?} is not a ClusterRole name"
            ));
        }
        let scope = match string(t, "scope")? {
            None | Some("namespace") => Scope::Namespace,
            Some("cluster") => Scope::Cluster,
            Some(other) => {
                return Err(format!(
                    "settings.scope {other:?}: \"namespace\" (a RoleBinding) or \"cluster\" \
                     (a ClusterRoleBinding)"
                ));
            }
        };
        Ok(Self {
            server: server.to_owned(),
            certificate_authority_data: string(t, "certificate_authority_data")?.map(str::to_owned),
            namespace: namespace.to_owned(),
            service_account_namespace: service_account_namespace.to_owned(),
            cluster_role: cluster_role.to_owned(),
            scope,
        })
    }
}
