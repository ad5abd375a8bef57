//! What may be requested: the catalog of resources and their roles, and the alphabet their
//! names are limited to.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The kinds of target a catalog resource can be.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    Kubernetes,
    Aws,
    Postgres,
    /// OpenSSH hosts, reached with a short-lived user certificate from the broker's CA.
    Ssh,
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Kubernetes => "kubernetes",
            Self::Aws => "aws",
            Self::Postgres => "postgres",
            Self::Ssh => "ssh",
        })
    }
}

/// One role of a resource, as the caller may request it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RoleInfo {
    pub name: String,
    /// Granted at once by policy (for this caller), without an approver.
    pub auto_approve: bool,
    /// Groups whose members may approve requests for this role.
    #[serde(default)]
    pub approver_groups: Vec<String>,
}

/// One entry of `GET /v1/catalog`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CatalogEntry {
    pub name: String,
    pub kind: ResourceKind,
    #[serde(default)]
    pub description: String,
    pub roles: Vec<RoleInfo>,
    /// The role used when a request names none.
    pub default_role: String,
    /// The longest TTL policy allows, in seconds.
    pub max_ttl_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Catalog {
    pub resources: Vec<CatalogEntry>,
    /// Named bundles of resources (`zt request NAME`); absent from older brokers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bundles: Vec<crate::CatalogBundle>,
}

/// Resource and role names end up as kubeconfig entry names, INI section names and file
/// names; anything outside this alphabet is refused rather than escaped.
pub fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && !s.starts_with(['-', '.'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_reject_separators_and_newlines() {
        for bad in ["", "a]b", "a=b", "a:b", "a/b", "a\nb", "-x", ".x", "a b"] {
            assert!(!valid_name(bad), "{bad:?}");
        }
        for good in ["prod-k8s", "prod_db", "view", "a.b"] {
            assert!(valid_name(good), "{good:?}");
        }
    }
}
