//! A group `oncall:NAME` that names no `[oncall.NAME]` schedule has no members, ever: an
//! approval routed to it waits until the request expires. `check` and `serve` say so (a
//! warning, not a refusal: a shared policy directory may name schedules another broker has).

use crate::config::Config;
use crate::policy::CedarPolicy;

use super::GROUP_PREFIX;

/// The `oncall:NAME` groups the catalog's roles and the policies' `@approvers` name without a
/// schedule NAME, sorted, once each.
pub fn unknown(cfg: &Config, policies: Option<&CedarPolicy>) -> Vec<String> {
    let roles = cfg.catalog.resources().iter().flat_map(|r| &r.roles);
    let from_roles = roles.flat_map(|role| {
        role.requester_groups
            .iter()
            .chain(&role.auto_approve_groups)
            .chain(&role.approver_groups)
            .map(String::as_str)
    });
    let from_policies = policies.into_iter().flat_map(CedarPolicy::approver_groups);
    let mut out: Vec<String> = from_roles
        .chain(from_policies)
        .filter_map(|g| g.strip_prefix(GROUP_PREFIX))
        .filter(|name| !cfg.oncall.iter().any(|s| s.name == *name))
        .map(|name| format!("{GROUP_PREFIX}{name}"))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Log a warning naming [`unknown`]'s groups, if any.
pub fn warn_unknown(cfg: &Config, policies: Option<&CedarPolicy>) {
    let groups = unknown(cfg, policies);
    if !groups.is_empty() {
        tracing::warn!(
            "{} name(s) no [oncall.NAME] schedule: nobody is ever in such a group, so an \
             approval routed there waits until the request expires",
            groups.join(", ")
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::policy::CedarPolicy;

    #[test]
    fn groups_naming_no_schedule_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let feed = "BEGIN:VCALENDAR\nEND:VCALENDAR\n";
        std::fs::write(dir.path().join("primary.ics"), feed).unwrap();
        let text = crate::config::tests::with(
            "auto_approve_groups = [\"eng\"]",
            "auto_approve_groups = [\"oncall:primary\"]\napprover_groups = [\"sre\", \"oncall:lead\"]\n\n\
             [oncall.primary]\nfile = \"primary.ics\"",
        );
        let cfg = Config::parse(&text, &dir.path().join("broker.toml")).unwrap();
        assert_eq!(super::unknown(&cfg, None), ["oncall:lead"]);
        let policies = CedarPolicy::from_sources(&[(
            "a.cedar".to_string(),
            r#"@id("a") @outcome("approval") @approvers("oncall:night, oncall:primary")
               permit (principal, action == Action::"request", resource);"#
                .to_string(),
        )])
        .unwrap();
        assert_eq!(
            super::unknown(&cfg, Some(&policies)),
            ["oncall:lead", "oncall:night"]
        );
    }
}
