//! The demo of `zt-broker dev`, embedded: its catalog ([`DEMO_TOML`], `catalog.toml`) and its
//! policies ([`DEMO_POLICIES`], `demo.cedar`, and [`DemoPolicy`] to decide by them). The dev
//! wiring starts on the demo catalog; the tests borrow both. Production modules never name
//! them (they live in `dev`, which production code does not import).

use std::sync::OnceLock;

use crate::auth::Principal;
use crate::catalog::Catalog;
use crate::policy::{CedarPolicy, Policy, PolicyError, PolicyInput, Verdict};
use zt_api::{Decision, Outcome};

/// The demo catalog of `zt-broker dev` (`catalog.toml`).
pub const DEMO_TOML: &str = include_str!("catalog.toml");

/// The demo catalog, parsed.
pub fn catalog() -> Result<Catalog, String> {
    Catalog::parse(DEMO_TOML)
}

/// The demo catalog with `prod-ssh` on `port`, logging in as `user` (`zt-broker dev
/// --ssh-port`, `--ssh-user`).
pub fn catalog_with_ssh(port: u16, user: &str) -> Result<Catalog, String> {
    let mut doc: toml::Table = toml::from_str(DEMO_TOML).map_err(|e| e.to_string())?;
    let ssh = doc
        .get_mut("resource")
        .and_then(|r| r.as_array_mut())
        .and_then(|rs| {
            rs.iter_mut()
                .find(|r| r.get("name").and_then(|n| n.as_str()) == Some("prod-ssh"))
        })
        .and_then(|r| r.as_table_mut())
        .ok_or("the demo catalog has no prod-ssh")?;
    if let Some(s) = ssh.get_mut("settings").and_then(|s| s.as_table_mut()) {
        s.insert("port".into(), i64::from(port).into());
    }
    for role in ssh
        .get_mut("role")
        .and_then(|r| r.as_array_mut())
        .into_iter()
        .flatten()
    {
        if let Some(s) = role.get_mut("settings").and_then(|s| s.as_table_mut()) {
            s.insert("principals".into(), toml::Value::Array(vec![user.into()]));
        }
    }
    let text = toml::to_string(&doc).map_err(|e| e.to_string())?;
    Catalog::parse(&text).map_err(|e| format!("--ssh-user {user:?}: {e}"))
}

/// The demo policies (`demo.cedar`), embedded. They reproduce the demo catalog's rules:
/// `view`/`readonly` at once for `engineering` (`demo/auto-<role>`), every other role after
/// one approval from `sre-leads` (`demo/approval-required`), anyone outside `engineering`
/// denied (`demo/not-eligible`). `break_glass` is treated as an ordinary request.
pub const DEMO_POLICIES: &[(&str, &str)] = &[("demo/demo.cedar", include_str!("demo.cedar"))];

/// The demo policies as a [`Policy`], loaded once. A unit struct so tests and the dev wiring
/// can write `Box::new(DemoPolicy)`.
#[derive(Debug, Default, Clone, Copy)]
pub struct DemoPolicy;

impl DemoPolicy {
    /// The loaded demo set, or why it failed to load (a build with broken demo files; the
    /// tests in `tests.rs` catch that).
    pub fn get() -> Result<&'static CedarPolicy, &'static PolicyError> {
        static DEMO: OnceLock<Result<CedarPolicy, PolicyError>> = OnceLock::new();
        DEMO.get_or_init(|| CedarPolicy::from_sources(DEMO_POLICIES))
            .as_ref()
    }
}

impl Policy for DemoPolicy {
    fn read_audit(&self, principal: &Principal) -> Option<Decision> {
        Self::get().ok().and_then(|p| p.read_audit(principal))
    }

    fn decide(&self, input: &PolicyInput<'_>) -> Verdict {
        match Self::get() {
            Ok(p) => p.decide(input),
            // Fail closed: no policies, no access.
            Err(e) => Verdict {
                decision: Decision {
                    outcome: Outcome::Deny,
                    policy_ids: vec!["demo/unloadable".into()],
                    reason: format!("the demo policies do not load: {e}"),
                    approver_groups: vec![],
                    approvals_required: 0,
                    approval_assurance: None,
                },
                max_ttl: input.role.max_ttl,
                max_ttl_by: None,
                step_up: None,
            },
        }
    }
}

#[cfg(test)]
mod tests;
