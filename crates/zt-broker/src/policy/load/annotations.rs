//! zt's reading of a policy's annotations (see the module doc of `load`): which are known,
//! which each effect and outcome needs, and the policy's [`Meta`] built from them.

use std::time::Duration;

use cedar_policy::Effect;

use super::problem::{Site, line_col};
use super::{Kind, Meta, Problem};
use zt_api::ApprovalAssurance;

const KNOWN: &[&str] = &[
    "id",
    "outcome",
    "approvers",
    "approvals",
    "max_ttl",
    "reason",
    "description",
    "approval_assurance",
    "step_up",
];

pub(super) fn read_meta(
    p: &cedar_policy::Policy,
    at: &Site<'_>,
    order: usize,
) -> Result<Meta, Problem> {
    for (k, _) in p.annotations() {
        if !KNOWN.contains(&k) {
            return Err(at.problem(
                Some(k),
                format!(
                    "unknown annotation @{k} (known: {})",
                    KNOWN
                        .iter()
                        .map(|k| format!("@{k}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    let id = match p.annotation("id").map(str::trim) {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => return Err(at.problem(None, "every policy needs an @id(\"…\")".into())),
    };
    let named = |msg: String| format!("policy {id:?}: {msg}");
    let text = |k: &str| p.annotation(k).map(str::trim).filter(|v| !v.is_empty());
    let reason = text("reason").map(str::to_owned);
    let max_ttl = match text("max_ttl") {
        None => None,
        Some(v) => Some(parse_ttl(v).map_err(|e| at.problem(Some("max_ttl"), named(e)))?),
    };
    let approvers: Vec<String> = text("approvers")
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let approvals = match text("approvals") {
        None => 1,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_APPROVALS).contains(n))
            .ok_or_else(|| {
                at.problem(
                    Some("approvals"),
                    named(format!(
                        "@approvals({v:?}) is not a whole number from 1 to {MAX_APPROVALS}"
                    )),
                )
            })?,
    };
    let approval_assurance = match text("approval_assurance") {
        None => None,
        Some("passkey") => Some(ApprovalAssurance::Passkey),
        Some(other) => {
            return Err(at.problem(
                Some("approval_assurance"),
                named(format!(
                    "@approval_assurance({other:?}) is not \"passkey\" (the only kind there is)"
                )),
            ));
        }
    };
    let step_up = match text("step_up") {
        None if p.annotation("step_up").is_some() => {
            return Err(at.problem(
                Some("step_up"),
                named(crate::policy::step_up::StepUp::parse("").unwrap_err()),
            ));
        }
        None => None,
        Some(v) => Some(
            crate::policy::step_up::StepUp::parse(v)
                .map_err(|e| at.problem(Some("step_up"), named(e)))?,
        ),
    };
    let step_up_at = step_up
        .as_ref()
        .map(|_| at.problem(Some("step_up"), String::new()));
    let kind = if p.effect() == Effect::Forbid {
        for k in [
            "outcome",
            "approvers",
            "approvals",
            "max_ttl",
            "approval_assurance",
            "step_up",
        ] {
            if p.annotation(k).is_some() {
                return Err(at.problem(
                    Some(k),
                    named(format!("@{k} belongs on a permit, not a forbid")),
                ));
            }
        }
        if reason.is_none() {
            return Err(at.problem(
                None,
                named("a forbid needs a @reason(\"…\") to tell the requester why".into()),
            ));
        }
        Kind::Forbid
    } else {
        let kind = match text("outcome") {
            Some("grant") => Kind::Grant,
            Some("approval") => Kind::Approval,
            Some("cap") => Kind::Cap,
            Some(other) => {
                return Err(at.problem(
                    Some("outcome"),
                    named(format!(
                        "@outcome({other:?}) is not one of \"grant\", \"approval\", \"cap\""
                    )),
                ));
            }
            None => {
                return Err(at.problem(
                    None,
                    named(
                        "a permit needs @outcome(\"grant\"), @outcome(\"approval\") or @outcome(\"cap\")"
                            .into(),
                    ),
                ));
            }
        };
        match kind {
            Kind::Approval if approvers.is_empty() => {
                return Err(at.problem(
                    Some("outcome"),
                    named("@outcome(\"approval\") needs @approvers(\"group, …\")".into()),
                ));
            }
            Kind::Grant | Kind::Cap => {
                for k in ["approvers", "approvals", "approval_assurance"] {
                    if p.annotation(k).is_some() {
                        return Err(at.problem(
                            Some(k),
                            named(format!("@{k} only goes with @outcome(\"approval\")")),
                        ));
                    }
                }
                if matches!(kind, Kind::Cap) && max_ttl.is_none() {
                    return Err(at.problem(
                        Some("outcome"),
                        named("@outcome(\"cap\") needs @max_ttl(\"…\")".into()),
                    ));
                }
            }
            _ => {}
        }
        kind
    };
    Ok(Meta {
        id,
        order,
        file: at.file.into(),
        line: line_col(at.text, at.start).0,
        kind,
        max_ttl,
        approvers,
        approvals,
        approval_assurance,
        reason,
        step_up,
        step_up_at,
    })
}

/// The most approvals a policy may ask for: more would be a typo, not a process.
pub(super) const MAX_APPROVALS: u32 = 10;

/// `30m`, `4h`, `90s`: whole seconds, at least one.
fn parse_ttl(v: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(v).map_err(|e| format!("@max_ttl({v:?}): {e}"))?;
    if d.as_secs() == 0 {
        return Err(format!("@max_ttl({v:?}) must be at least 1s"));
    }
    Ok(Duration::from_secs(d.as_secs()))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{GOOD, problem};

    #[test]
    fn annotation_mistakes_name_their_line() {
        for (src, line, needle) in [
            // No @id.
            (
                "\n@outcome(\"grant\")\npermit (principal, action, resource);\n",
                2,
                "@id",
            ),
            // A permit without an outcome.
            (
                "@id(\"x\")\npermit (principal, action, resource);\n",
                1,
                "@outcome",
            ),
            // An outcome that does not exist.
            (
                "@id(\"x\")\n@outcome(\"allow\")\npermit (principal, action, resource);\n",
                2,
                "\"allow\"",
            ),
            // A misspelt annotation.
            (
                "@id(\"x\")\n@outcome(\"grant\")\n@max_tll(\"1h\")\npermit (principal, action, resource);\n",
                3,
                "@max_tll",
            ),
            // A TTL that is not one.
            (
                "@id(\"x\")\n@outcome(\"grant\")\n\n@max_ttl(\"soon\")\npermit (principal, action, resource);\n",
                4,
                "soon",
            ),
            // Approval with nobody to approve.
            (
                "@id(\"x\")\n@outcome(\"approval\")\npermit (principal, action, resource);\n",
                2,
                "@approvers",
            ),
            // An approval count that is not one.
            (
                "@id(\"x\") @outcome(\"approval\") @approvers(\"g\")\n@approvals(\"two\")\npermit (principal, action, resource);\n",
                2,
                "@approvals(\"two\") is not a whole number from 1 to 10",
            ),
            (
                "@id(\"x\") @outcome(\"approval\") @approvers(\"g\")\n\n@approvals(\"0\")\npermit (principal, action, resource);\n",
                3,
                "@approvals(\"0\")",
            ),
            // A count on a permit that takes no approvals.
            (
                "@id(\"x\") @outcome(\"grant\")\n@approvals(\"2\")\npermit (principal, action, resource);\n",
                2,
                "@approvals only goes with @outcome(\"approval\")",
            ),
            // An assurance that does not exist, and one on a permit that takes no approvals.
            (
                "@id(\"x\") @outcome(\"approval\") @approvers(\"g\")\n@approval_assurance(\"yubikey\")\npermit (principal, action, resource);\n",
                2,
                "@approval_assurance(\"yubikey\") is not \"passkey\"",
            ),
            (
                "@id(\"x\") @outcome(\"grant\")\n\n@approval_assurance(\"passkey\")\npermit (principal, action, resource);\n",
                3,
                "@approval_assurance only goes with @outcome(\"approval\")",
            ),
            // A step-up that is not one, and one on a forbid.
            (
                "@id(\"x\") @outcome(\"grant\")\n\n@step_up(\"acr urn:zt:acr:mfa\")\npermit (principal, action, resource);\n",
                3,
                "\"acr\" is not key=value",
            ),
            (
                "@id(\"x\") @outcome(\"grant\")\n@step_up(\"max_age=soon\")\npermit (principal, action, resource);\n",
                2,
                "max_age \"soon\"",
            ),
            (
                "@id(\"x\") @outcome(\"grant\")\n@step_up\npermit (principal, action, resource);\n",
                1,
                "@step_up needs acr",
            ),
            (
                "@id(\"x\") @reason(\"r\")\n@step_up(\"max_age=60\")\nforbid (principal, action, resource);\n",
                2,
                "@step_up belongs on a permit",
            ),
            // A forbid that would not say why.
            (
                "@id(\"x\")\nforbid (principal, action, resource);\n",
                1,
                "@reason",
            ),
            // A forbid with a permit's annotation.
            (
                "@id(\"x\") @reason(\"r\")\n@max_ttl(\"1h\")\nforbid (principal, action, resource);\n",
                2,
                "@max_ttl",
            ),
            // Templates are not policies.
            (
                "@id(\"x\") @outcome(\"grant\")\npermit (principal == ?principal, action, resource);\n",
                1,
                "templates",
            ),
        ] {
            let src = format!("{GOOD}\n{src}");
            let p = problem(&[("f.cedar", &src)]);
            assert_eq!(p.file, "f.cedar");
            assert_eq!(p.line, Some(line + 5), "{src}\n{p}");
            assert!(p.message.contains(needle), "{needle}: {p}");
        }
    }
}
