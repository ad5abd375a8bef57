//! The catalog's own rules as Cedar policies. A catalog names, per role, who may ask
//! (`requester_groups`), who gets it at once (`auto_approve_groups`) and who approves
//! (`approver_groups`); this turns those into a policy set, so a broker with no policy
//! directory still decides by its catalog — through the same Cedar engine, with ids that name
//! the rule (`catalog/prod-k8s/auto-view`).

use crate::catalog::Catalog;

use super::{CedarPolicy, PolicyError};

/// A Cedar string literal.
fn lit(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn any_of(groups: &[String]) -> String {
    let parts: Vec<String> = groups
        .iter()
        .map(|g| format!("principal in Group::{}", lit(g)))
        .collect();
    format!("({})", parts.join(" || "))
}

/// The policy text for `catalog` (one file).
pub fn source(catalog: &Catalog) -> String {
    const ACTIONS: &str =
        r#"action in [Action::"request", Action::"break_glass", Action::"extend"]"#;
    let mut out = String::from(
        "// Generated from the catalog's requester, auto-approve and approver groups.\n",
    );
    for res in catalog.resources() {
        let r = lit(&res.name);
        for role in &res.roles {
            let id = |rule: &str| lit(&format!("catalog/{}/{rule}", res.name));
            let when_role = format!("context.role == {}", lit(&role.name));
            let mut eligible: Vec<String> = role.requester_groups.clone();
            eligible.extend(role.auto_approve_groups.iter().cloned());
            eligible.sort();
            eligible.dedup();
            let listed = eligible.join(", ");
            let unless = if eligible.is_empty() {
                String::new()
            } else {
                format!(" unless {{ {} }}", any_of(&eligible))
            };
            out.push_str(&format!(
                "\n@id({})\n@reason({})\nforbid (principal, {ACTIONS}, resource == Resource::{r})\nwhen {{ {when_role} }}{unless};\n",
                id(&format!("not-eligible-{}", role.name)),
                lit(&format!("{{principal}} is not in a group that may request {{resource}}/{{role}} ({listed})")),
            ));
            if !role.auto_approve_groups.is_empty() {
                out.push_str(&format!(
                    "\n@id({})\n@outcome(\"grant\")\n@reason({})\npermit (principal, {ACTIONS}, resource == Resource::{r})\nwhen {{ {when_role} && {} }};\n",
                    id(&format!("auto-{}", role.name)),
                    lit(&format!("members of {} get {{resource}}/{{role}} at once", role.auto_approve_groups.join(" or "))),
                    any_of(&role.auto_approve_groups),
                ));
            }
            if !role.approver_groups.is_empty() {
                out.push_str(&format!(
                    "\n@id({})\n@outcome(\"approval\")\n@approvers({})\n@reason({})\npermit (principal, {ACTIONS}, resource == Resource::{r})\nwhen {{ {when_role} }};\n",
                    id(&format!("approval-{}", role.name)),
                    lit(&role.approver_groups.join(", ")),
                    lit(&format!("{{resource}}/{{role}} needs one approval from {} (never the requester)", role.approver_groups.join(" or "))),
                ));
            }
        }
    }
    out
}

/// The catalog's rules, loaded and validated like any policy directory.
pub fn policy(catalog: &Catalog) -> Result<CedarPolicy, PolicyError> {
    CedarPolicy::from_sources(&[("catalog.cedar", source(catalog))])
}
