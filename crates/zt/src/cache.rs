//! The catalog cache: the last catalog a profile's broker sent, kept so a Tab press can
//! complete resource and role names without the network. One file per profile
//! (`<cache dir>/catalog-<profile>.json`, mode 0600, replaced atomically) written whenever zt
//! fetched the catalog (`zt catalog`, `zt request`). It holds no secret — only what
//! `GET /v1/catalog` answered — and may be deleted at any time.
//!
//! A cache older than [`STALE_AFTER`] is stale: completion still offers its names (an old name
//! is a better hint than none) and says how old they are.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use zt_api::{Catalog, Timestamp};

use crate::{fsutil, paths};

/// After this long the cached catalog is called stale (still used for completion).
pub const STALE_AFTER_SECS: i64 = 24 * 3600;

/// A catalog is a few hundred bytes per resource; a file larger than this is not one zt wrote
/// and is neither written nor read (a Tab press must stay fast whatever is on disk).
pub const MAX_CACHE_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CachedCatalog {
    pub profile: String,
    /// When zt fetched it (unix seconds).
    pub fetched_at: i64,
    pub catalog: Catalog,
}

impl CachedCatalog {
    pub fn age_secs(&self, now: Timestamp) -> i64 {
        (now.0 - self.fetched_at).max(0)
    }

    pub fn is_stale(&self, now: Timestamp) -> bool {
        self.age_secs(now) > STALE_AFTER_SECS
    }
}

/// The cache file of `profile`; `None` for a profile name that cannot be a file name (such a
/// profile simply has no cache).
pub fn catalog_file(profile: &str) -> Option<PathBuf> {
    if !zt_api::valid_name(profile) {
        return None;
    }
    Some(
        paths::cache_dir()
            .ok()?
            .join(format!("catalog-{profile}.json")),
    )
}

/// Remember `catalog` as `profile`'s. Best effort: a cache that cannot be written costs only
/// completions, never the command that fetched the catalog.
pub fn store(profile: &str, catalog: &Catalog) {
    let Some(path) = catalog_file(profile) else {
        return;
    };
    let cached = CachedCatalog {
        profile: profile.to_string(),
        fetched_at: Timestamp::now().0,
        catalog: catalog.clone(),
    };
    let Ok(bytes) = serde_json::to_vec(&cached) else {
        return;
    };
    if bytes.len() as u64 > MAX_CACHE_BYTES {
        return;
    }
    let Some(dir) = path.parent() else { return };
    if paths::ensure_private_dir(dir).is_ok() {
        let _ = fsutil::atomic_write(&path, &bytes, 0o600);
    }
}

/// `profile`'s cached catalog, whatever its age; `None` when there is none or the file is
/// unreadable, too large, or not a cache zt wrote for this profile.
pub fn load(profile: &str) -> Option<CachedCatalog> {
    let path = catalog_file(profile)?;
    let text = fsutil::read_optional_max(&path, MAX_CACHE_BYTES)
        .ok()
        .flatten()?;
    let cached: CachedCatalog = serde_json::from_str(&text).ok()?;
    (cached.profile == profile).then_some(cached)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zt_api::{CatalogEntry, ResourceKind, RoleInfo};

    fn catalog() -> Catalog {
        Catalog {
            bundles: vec![],
            resources: vec![CatalogEntry {
                name: "prod-k8s".into(),
                kind: ResourceKind::Kubernetes,
                description: "Production".into(),
                roles: vec![RoleInfo {
                    name: "view".into(),
                    auto_approve: true,
                    approver_groups: vec![],
                }],
                default_role: "view".into(),
                max_ttl_secs: 3600,
            }],
        }
    }

    #[test]
    fn staleness() {
        let c = CachedCatalog {
            profile: "default".into(),
            fetched_at: 1_000,
            catalog: catalog(),
        };
        assert!(!c.is_stale(Timestamp(1_000 + STALE_AFTER_SECS)));
        assert!(c.is_stale(Timestamp(1_001 + STALE_AFTER_SECS)));
        assert_eq!(
            c.age_secs(Timestamp(0)),
            0,
            "a clock set back is not a negative age"
        );
    }

    #[test]
    fn no_file_name_from_a_hostile_profile() {
        assert!(catalog_file("../../etc").is_none());
        assert!(catalog_file("a/b").is_none());
        assert!(catalog_file("").is_none());
    }
}
