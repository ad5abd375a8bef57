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
    /// The trusted issuers' ACR values a reloaded set's `@step_up`s must name (`None`: not
    /// checked, as for a set built in a test).
    known_acrs: Option<Arc<Vec<String>>>,
}

impl ReloadablePolicy {
    pub fn new(policy: CedarPolicy) -> Self {
        Self {
            current: Arc::new(RwLock::new(Arc::new(policy))),
            known_acrs: None,
        }
    }

    /// Check every reloaded set's `@step_up` ACR values against `known` (the caller checked
    /// the first set).
    pub fn with_known_acrs(mut self, known: Vec<String>) -> Self {
        self.known_acrs = Some(Arc::new(known));
        self
    }

    /// Load `dir` and validate it against the schema; on success it replaces the running set,
    /// on error nothing changes and the error says what is wrong where.
    /// Returns how many policies are in force now.
    pub fn reload(&self, dir: &Path) -> Result<usize, PolicyError> {
        let new = Arc::new(CedarPolicy::load_dir(dir)?);
        if let Some(known) = &self.known_acrs {
            new.check_acrs(known)?;
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::tests::{ASK, catalog, examples_dir, run};
    use zt_api::Outcome;

    #[test]
    fn reload_swaps_a_good_set_and_keeps_the_old_one_on_error() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = catalog();
        for f in ["access.cedar", "break-glass.cedar", "ttl-caps.cedar"] {
            std::fs::copy(examples_dir().join(f), dir.path().join(f)).unwrap();
        }
        let holder = ReloadablePolicy::new(CedarPolicy::load_dir(dir.path()).unwrap());
        let outcome = |h: &ReloadablePolicy| run(h, &catalog, ASK, None).decision.outcome;
        assert_eq!(outcome(&holder), Outcome::Grant);

        let broken = dir.path().join("zz-new.cedar");
        // A forbid on the view role, its condition reading `context.{attribute}`.
        let write = |attribute: &str| {
            std::fs::write(
                &broken,
                format!("@id(\"no-view\")\n@reason(\"r\")\nforbid (principal, action == Action::\"request\", resource)\nwhen {{ context.{attribute} == \"view\" }};\n"),
            )
            .unwrap()
        };
        // A broken edit: the error names the file and line, and the running set stays.
        write("rol");
        let before = holder.current();
        let e = holder.reload(dir.path()).unwrap_err();
        assert_eq!(e.problems[0].line, Some(4), "{e}");
        assert!(e.problems[0].file.ends_with("zz-new.cedar"), "{e}");
        assert!(Arc::ptr_eq(&before, &holder.current()));
        assert_eq!(outcome(&holder), Outcome::Grant);

        // Fixed: the new set is in force.
        write("role");
        holder.reload(dir.path()).unwrap();
        assert_eq!(outcome(&holder), Outcome::Deny);
        assert_eq!(holder.current().len(), 10);
    }
}
