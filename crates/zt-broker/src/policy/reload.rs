//! [`ReloadablePolicy`]: a [`CedarPolicy`] that can be replaced while requests are being
//! decided (`zt-broker serve` reloads on SIGHUP or a file change). A reload loads and validates
//! the new set completely before swapping it in, so a broken file leaves the running set as it
//! was, and each decision sees one whole set, old or new, never a mix. Clones share the set:
//! the broker decides with one, [`super::watch`] reloads through another.

use std::path::Path;
use std::sync::{Arc, RwLock};

use super::{CedarPolicy, Policy, PolicyError, PolicyInput, Verdict};

#[derive(Clone)]
pub struct ReloadablePolicy {
    current: Arc<RwLock<Arc<CedarPolicy>>>,
}

impl ReloadablePolicy {
    pub fn new(policy: CedarPolicy) -> Self {
        Self {
            current: Arc::new(RwLock::new(Arc::new(policy))),
        }
    }

    /// Load `dir` and validate it against the schema; on success it replaces the running set,
    /// on error nothing changes and the error says what is wrong where.
    /// Returns how many policies are in force now.
    pub fn reload(&self, dir: &Path) -> Result<usize, PolicyError> {
        let new = Arc::new(CedarPolicy::load_dir(dir)?);
        let n = new.len();
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = new;
        Ok(n)
    }

    /// The set in force now. Held only for a decision, so a reload never waits on one.
    pub fn current(&self) -> Arc<CedarPolicy> {
        // A poisoned lock still holds a whole set (the swap is a single assignment).
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Policy for ReloadablePolicy {
    fn decide(&self, input: &PolicyInput<'_>) -> Verdict {
        self.current().decide(input)
    }

    fn read_audit(&self, principal: &crate::auth::Principal) -> Option<zt_api::Decision> {
        self.current().read_audit(principal)
    }
}
