//! Named bundles of the catalog (`[[bundle]]`, issue 16): a name people type instead of several
//! resources (`zt request incident-db-access`), and its items — a resource, optionally a role
//! (its default role otherwise). Checked when the catalog loads: a valid name that is no
//! resource's, used once; at least one and at most [`api::MAX_BUNDLE_ITEMS`] items, each a
//! resource of the catalog with that role, no resource twice.

use std::collections::HashSet;

use serde::Deserialize;

use super::Catalog;
use zt_api as api;

/// One `[[bundle]]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileBundle {
    name: String,
    #[serde(default)]
    description: String,
    items: Vec<FileItem>,
}

/// An item as written: `"prod-db"` or `{ resource = "prod-db", role = "admin" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum FileItem {
    Name(String),
    Full {
        resource: String,
        #[serde(default)]
        role: Option<String>,
    },
}

impl Catalog {
    /// The catalog with its named bundles, checked against its resources.
    pub fn with_bundles(mut self, file: Vec<FileBundle>) -> Result<Self, String> {
        let mut names = HashSet::new();
        for b in file {
            let what = format!("catalog: bundle {:?}", b.name);
            if !api::valid_name(&b.name) || !names.insert(b.name.clone()) {
                return Err(format!("{what} is an invalid or repeated name"));
            }
            if self.resource(&b.name).is_some() {
                return Err(format!(
                    "{what} has the name of a resource; `zt request {}` must mean one thing",
                    b.name
                ));
            }
            if b.items.is_empty() || b.items.len() > api::MAX_BUNDLE_ITEMS {
                return Err(format!(
                    "{what} must have 1 to {} items",
                    api::MAX_BUNDLE_ITEMS
                ));
            }
            let mut seen = HashSet::new();
            let mut items = Vec::new();
            for item in b.items {
                let (resource, role) = match item {
                    FileItem::Name(r) => (r, None),
                    FileItem::Full { resource, role } => (resource, role),
                };
                let Some(res) = self.resource(&resource) else {
                    return Err(format!("{what}: there is no resource {resource:?}"));
                };
                if let Some(role) = role.as_deref().filter(|r| res.role(r).is_none()) {
                    return Err(format!("{what}: {resource} has no role {role:?}"));
                }
                if !seen.insert(resource.clone()) {
                    return Err(format!("{what} names {resource} twice"));
                }
                items.push(api::BundleItem { resource, role });
            }
            self.bundles.push(api::CatalogBundle {
                name: b.name,
                description: b.description,
                items,
            });
        }
        Ok(self)
    }

    /// The named bundles, in the file's order.
    pub fn bundles(&self) -> &[api::CatalogBundle] {
        &self.bundles
    }

    pub fn bundle(&self, name: &str) -> Option<&api::CatalogBundle> {
        self.bundles.iter().find(|b| b.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "[[resource]]\nname = \"db\"\nkind = \"postgres\"\ndefault_role = \"ro\"\nmax_ttl = \"1h\"\n[[resource.role]]\nname = \"ro\"\n[[resource.role]]\nname = \"rw\"\n\
        [[resource]]\nname = \"k8s\"\nkind = \"kubernetes\"\ndefault_role = \"view\"\nmax_ttl = \"1h\"\n[[resource.role]]\nname = \"view\"\n";

    #[test]
    fn named_bundles_are_checked_against_the_catalog() {
        let ok = format!(
            "{BASE}[[bundle]]\nname = \"incident\"\nitems = [\"k8s\", {{ resource = \"db\", role = \"rw\" }}]\n"
        );
        let c = Catalog::parse(&ok).unwrap();
        let b = c.bundle("incident").unwrap();
        assert_eq!(b.items.len(), 2);
        assert_eq!(b.items[1].role.as_deref(), Some("rw"));
        for (bad, says) in [
            ("name = \"x\"\nitems = [\"nope\"]", "no resource \"nope\""),
            (
                "name = \"x\"\nitems = [{ resource = \"db\", role = \"admin\" }]",
                "no role",
            ),
            (
                "name = \"x\"\nitems = [\"db\", { resource = \"db\", role = \"rw\" }]",
                "twice",
            ),
            ("name = \"db\"\nitems = [\"k8s\"]", "name of a resource"),
            ("name = \"x\"\nitems = []", "1 to"),
            ("name = \"a b\"\nitems = [\"db\"]", "invalid"),
        ] {
            let e = Catalog::parse(&format!("{BASE}[[bundle]]\n{bad}\n")).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        let twice = format!(
            "{BASE}[[bundle]]\nname = \"x\"\nitems = [\"db\"]\n[[bundle]]\nname = \"x\"\nitems = [\"k8s\"]\n"
        );
        assert!(Catalog::parse(&twice).unwrap_err().contains("repeated"));
    }
}
