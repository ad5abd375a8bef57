//! The catalog: which resources exist, their roles, who may request, approve or get each role
//! at once, and the longest TTL of each. Read from TOML; policy decides from this data, the
//! issuers read each resource's and role's `settings`.

use std::collections::HashSet;
use std::time::Duration;

use serde::Deserialize;

use zt_api::{self as api, ResourceKind};

mod bundles;

pub use bundles::FileBundle;

#[derive(Debug, Clone)]
pub struct Catalog {
    resources: Vec<Resource>,
    /// Named bundles of resources ([`bundles`]).
    bundles: Vec<api::CatalogBundle>,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub name: String,
    pub kind: ResourceKind,
    pub description: String,
    pub default_role: String,
    pub max_ttl: Duration,
    /// Where it lives (`prod`, `staging`…): policies cap and gate by it. Default `prod`.
    pub environment: String,
    /// `low`, `medium` or `high`, for policy. Default `high`.
    pub sensitivity: String,
    pub roles: Vec<Role>,
    /// Issuer settings (cluster URL, region, host…), kind-specific.
    pub settings: toml::Table,
}

#[derive(Debug, Clone)]
pub struct Role {
    pub name: String,
    pub max_ttl: Duration,
    /// Who may ask for this role at all (members of `auto_approve_groups` may too).
    pub requester_groups: Vec<String>,
    /// Members get it at once, without an approver.
    pub auto_approve_groups: Vec<String>,
    /// One member's approval is needed (never the requester's own).
    pub approver_groups: Vec<String>,
    /// `approval_assurance = "passkey"`: an approval of this role counts only when confirmed
    /// with a passkey, whichever policy asked for the approval.
    pub approval_assurance: Option<api::ApprovalAssurance>,
    /// Issuer settings of this role; they override the resource's.
    pub settings: toml::Table,
    /// `activation = "first_use"`: an approved grant's TTL starts at its first credential
    /// fetch (within the broker's claim window), not at approval.
    pub first_use: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCatalog {
    #[serde(rename = "resource", default)]
    resources: Vec<FileResource>,
    #[serde(rename = "bundle", default)]
    bundles: Vec<FileBundle>,
}

/// One `[[resource]]` as written, before it is checked. Public so that a file embedding
/// catalog entries (`[[catalog.resource]]` in `zt-broker serve`'s config) can deserialize them
/// in place, keeping toml's line numbers, and hand them to [`Catalog::from_resources`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileResource {
    name: String,
    kind: ResourceKind,
    #[serde(default)]
    description: String,
    default_role: String,
    max_ttl: String,
    // Unset means the strictest reading: a resource nobody classified is treated as prod.
    #[serde(default = "default_environment")]
    environment: String,
    #[serde(default = "default_sensitivity")]
    sensitivity: String,
    #[serde(default)]
    requester_groups: Vec<String>,
    #[serde(default)]
    settings: toml::Table,
    #[serde(rename = "role")]
    roles: Vec<FileRole>,
}

impl FileResource {
    pub fn name(&self) -> &str {
        &self.name
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRole {
    name: String,
    max_ttl: Option<String>,
    requester_groups: Option<Vec<String>>,
    #[serde(default)]
    auto_approve_groups: Vec<String>,
    #[serde(default)]
    approver_groups: Vec<String>,
    approval_assurance: Option<String>,
    #[serde(default)]
    settings: toml::Table,
    activation: Option<String>,
}

fn default_environment() -> String {
    "prod".into()
}

fn default_sensitivity() -> String {
    "high".into()
}

/// What `sensitivity` may be; policies compare against these strings.
pub const SENSITIVITIES: &[&str] = &["low", "medium", "high"];

fn ttl(s: &str, what: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{what}: max_ttl {s:?}: {e}"))?;
    if d.as_secs() == 0 {
        return Err(format!("{what}: max_ttl must be at least 1s"));
    }
    Ok(Duration::from_secs(d.as_secs()))
}

impl Catalog {
    /// Parse and check a catalog: valid unique names, a default role that exists, role TTLs
    /// within the resource's.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: FileCatalog = toml::from_str(text).map_err(|e| format!("catalog: {e}"))?;
        Self::from_resources(file.resources)?.with_bundles(file.bundles)
    }

    /// Check resources already deserialized (see [`FileResource`]), as [`Catalog::parse`] does.
    pub fn from_resources(file_resources: Vec<FileResource>) -> Result<Self, String> {
        let mut seen = HashSet::new();
        let mut resources = Vec::new();
        for r in file_resources {
            if !api::valid_name(&r.name) || !seen.insert(r.name.clone()) {
                return Err(format!(
                    "catalog: resource name {:?} is invalid or repeated",
                    r.name
                ));
            }
            let max_ttl = ttl(&r.max_ttl, &r.name)?;
            if !api::valid_name(&r.environment) {
                return Err(format!(
                    "catalog: {}: environment {:?} is not a valid name",
                    r.name, r.environment
                ));
            }
            if !SENSITIVITIES.contains(&r.sensitivity.as_str()) {
                return Err(format!(
                    "catalog: {}: sensitivity {:?} is not one of {}",
                    r.name,
                    r.sensitivity,
                    SENSITIVITIES.join(", ")
                ));
            }
            let mut role_names = HashSet::new();
            let mut roles = Vec::new();
            for role in r.roles {
                let what = format!("{}/{}", r.name, role.name);
                if !api::valid_name(&role.name) || !role_names.insert(role.name.clone()) {
                    return Err(format!("catalog: role {what:?} is invalid or repeated"));
                }
                let role_ttl = match &role.max_ttl {
                    Some(s) => ttl(s, &what)?,
                    None => max_ttl,
                };
                if role_ttl > max_ttl {
                    return Err(format!(
                        "catalog: {what}: max_ttl is longer than the resource's"
                    ));
                }
                let approval_assurance = match role.approval_assurance.as_deref() {
                    None => None,
                    Some("passkey") => Some(api::ApprovalAssurance::Passkey),
                    Some(other) => {
                        return Err(format!(
                            "catalog: {what}: approval_assurance {other:?} is not \"passkey\" (the only kind there is)"
                        ));
                    }
                };
                let first_use = match role.activation.as_deref() {
                    None | Some("approval") => false,
                    Some("first_use") => true,
                    Some(other) => {
                        return Err(format!(
                            "catalog: {what}: activation {other:?} is not \"approval\" or \"first_use\""
                        ));
                    }
                };
                roles.push(Role {
                    name: role.name,
                    max_ttl: role_ttl,
                    requester_groups: role
                        .requester_groups
                        .unwrap_or_else(|| r.requester_groups.clone()),
                    auto_approve_groups: role.auto_approve_groups,
                    approver_groups: role.approver_groups,
                    approval_assurance,
                    settings: role.settings,
                    first_use,
                });
            }
            if !role_names.contains(&r.default_role) {
                return Err(format!(
                    "catalog: {}: default_role {:?} is not one of its roles",
                    r.name, r.default_role
                ));
            }
            resources.push(Resource {
                name: r.name,
                kind: r.kind,
                description: r.description,
                default_role: r.default_role,
                max_ttl,
                environment: r.environment,
                sensitivity: r.sensitivity,
                roles,
                settings: r.settings,
            });
        }
        Ok(Self {
            resources,
            bundles: Vec::new(),
        })
    }

    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    pub fn resource(&self, name: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.name == name)
    }
}

impl Resource {
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name)
    }

    pub fn role_names(&self) -> Vec<&str> {
        self.roles.iter().map(|r| r.name.as_str()).collect()
    }

    /// The resource's settings overlaid with the role's: what an issuer gets.
    pub fn settings_for(&self, role: &Role) -> toml::Table {
        let mut s = self.settings.clone();
        s.extend(role.settings.clone());
        s
    }
}

/// `8h`, `90m`, `45s`: how TTL limits are written to people.
pub fn human_ttl(d: Duration) -> String {
    humantime::format_duration(d).to_string().replace(' ', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_catalogs_are_refused() {
        let base = |extra: &str| {
            format!(
                "[[resource]]\nname = \"x\"\nkind = \"aws\"\ndefault_role = \"r\"\nmax_ttl = \"1h\"\n{extra}"
            )
        };
        let c = Catalog::parse(&base("[[resource.role]]\nname = \"r\"\n")).unwrap();
        let r = c.resource("x").unwrap();
        assert_eq!(
            (r.environment.as_str(), r.sensitivity.as_str()),
            ("prod", "high")
        );
        let c = Catalog::parse(&base(
            "environment = \"staging\"\nsensitivity = \"low\"\n[[resource.role]]\nname = \"r\"\n",
        ))
        .unwrap();
        let r = c.resource("x").unwrap();
        assert_eq!(
            (r.environment.as_str(), r.sensitivity.as_str()),
            ("staging", "low")
        );
        for bad in [
            "[[resource.role]]\nname = \"other\"\n", // default role missing
            "[[resource.role]]\nname = \"r\"\nmax_ttl = \"2h\"\n", // longer than resource
            "[[resource.role]]\nname = \"r\"\nmax_ttl = \"soon\"\n", // not a duration
            "[[resource.role]]\nname = \"r/x\"\n",   // bad name
            "[[resource.role]]\nname = \"r\"\nsurprise = 1\n", // unknown key
            "sensitivity = \"extreme\"\n[[resource.role]]\nname = \"r\"\n", // not a level
            "environment = \"pr od\"\n[[resource.role]]\nname = \"r\"\n", // bad name
        ] {
            assert!(Catalog::parse(&base(bad)).is_err(), "{bad}");
        }
    }
}
