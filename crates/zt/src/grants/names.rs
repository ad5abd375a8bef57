//! Which name a grant's entries get (kubeconfig context, AWS profile, pg service). One name is
//! never shared by grants that need different things: the default profile's grants are called
//! `zt-<resource>`, another profile's `zt-<profile>-<resource>`, and while a live grant of
//! another role (or profile) holds that name, a second role gets `…-<role>`. A newer grant of
//! the same profile, resource and role takes the name over (it is only minted when it lasts
//! longer, see [`super::reuse`]).

use crate::error::{Error, Result};
use crate::ledger::{Entry, Ledger};
use zt_api::{self as api, Timestamp};

/// The base name for `resource` in `profile`.
pub(super) fn base(profile: &str, resource: &str) -> Result<String> {
    if profile == "default" {
        return Ok(format!("zt-{resource}"));
    }
    // The profile becomes part of file entries' names: same safe alphabet as resources.
    if !api::valid_name(profile) {
        return Err(
            Error::usage(format!("profile name {profile:?} cannot name a zt entry"))
                .with_hint("profile names are letters, digits, '-', '_' and '.'"),
        );
    }
    Ok(format!("zt-{profile}-{resource}"))
}

/// The name for grant `grant` of `profile`/`resource`/`role`: the first candidate that no live
/// ledger entry of another profile, resource or role uses.
pub(super) fn pick(
    ledger: &Ledger,
    profile: &str,
    resource: &str,
    role: &str,
    grant: &str,
) -> Result<String> {
    let base = base(profile, resource)?;
    let now = Timestamp::now().0;
    let taken = |name: &str| {
        ledger.entries.iter().any(|e| {
            e.expires_at > now
                && e.grant != grant
                && e.target.entry_name() == Some(name)
                && !same_use(e, profile, resource, role)
        })
    };
    let short: String = grant.chars().take(8).collect();
    [
        base.clone(),
        format!("{base}-{role}"),
        format!("{base}-{role}-{short}"),
    ]
    .into_iter()
    .find(|n| !taken(n))
    .ok_or_else(|| Error::other(format!("no free entry name for {resource}/{role}")))
}

fn same_use(e: &Entry, profile: &str, resource: &str, role: &str) -> bool {
    e.profile == profile && e.resource == resource && e.role == role
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Target;

    fn entry(grant: &str, profile: &str, role: &str, name: &str) -> Entry {
        Entry {
            grant: grant.into(),
            profile: profile.into(),
            resource: "prod-k8s".into(),
            role: role.into(),
            expires_at: Timestamp::now().0 + 600,
            target: Target::Kubeconfig {
                file: "/k".into(),
                name: name.into(),
                undo: Default::default(),
            },
        }
    }

    #[test]
    fn roles_and_profiles_get_their_own_names() {
        let mut l = Ledger::default();
        assert_eq!(
            pick(&l, "default", "prod-k8s", "view", "g1").unwrap(),
            "zt-prod-k8s"
        );
        l.entries
            .push(entry("g1", "default", "view", "zt-prod-k8s"));
        // The same role again: the same name (the newer grant takes it over).
        assert_eq!(
            pick(&l, "default", "prod-k8s", "view", "g2").unwrap(),
            "zt-prod-k8s"
        );
        assert_eq!(
            pick(&l, "default", "prod-k8s", "admin", "g3").unwrap(),
            "zt-prod-k8s-admin"
        );
        assert_eq!(
            pick(&l, "work", "prod-k8s", "view", "g4").unwrap(),
            "zt-work-prod-k8s"
        );
        assert!(pick(&l, "a b", "prod-k8s", "view", "g5").is_err());
    }
}
