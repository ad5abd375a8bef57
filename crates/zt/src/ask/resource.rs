//! `zt request` without a resource: on a terminal, a fuzzy picker over the catalog, then the
//! role, then a reason when an approver will read it; in a script, a usage error naming the
//! argument and listing the resources. And for a name the broker does not know, the nearest
//! ones it does.

use crate::client::BrokerClient;
use crate::error::{Error, ErrorKind, Result};
use crate::output::{field, human_secs};
use crate::prompt::{self, Choice};
use zt_api::{Catalog, CatalogEntry};

use super::suggest::{did_you_mean, with_suggestion};

/// What the person picked.
pub struct Picked {
    pub resource: String,
    /// `None`: the resource's default role (one role, or --role was given).
    pub role: Option<String>,
    pub reason: Option<String>,
}

/// The resource to request (and role and reason when asked for them), or the usage error a
/// script gets. `role`/`reason`: what the command line gave.
pub async fn pick(
    client: &BrokerClient,
    role: Option<&str>,
    reason: Option<&str>,
) -> Result<Picked> {
    if !prompt::can_prompt() {
        return Err(missing(client.catalog().await.ok().as_ref()));
    }
    let catalog = client.catalog().await?;
    if catalog.resources.is_empty() {
        return Err(Error::new(
            ErrorKind::NotFound,
            "the catalog offers you nothing to request",
        )
        .with_hint("ask the broker's operators which groups may request what"));
    }
    let items: Vec<Choice> = catalog
        .resources
        .iter()
        .zip(rows(&catalog))
        .map(|(r, row)| Choice {
            label: field(&r.name),
            row,
        })
        .collect();
    let i = prompt::fuzzy_pick(
        "Request access to (type to filter; * = granted at once)",
        &items,
        0,
    )?;
    let entry = &catalog.resources[i];
    let role = match role {
        Some(r) => Some(r.to_owned()),
        None if entry.roles.len() > 1 => Some(pick_role(entry)?),
        None => None,
    };
    let name = role.as_deref().unwrap_or(&entry.default_role);
    let at_once = entry.roles.iter().any(|r| r.name == name && r.auto_approve);
    let reason = match reason {
        Some(r) => Some(r.to_owned()),
        // An approver reads it: worth asking; Enter skips.
        None if !at_once => Some(prompt::text(
            "Reason (for the approver; Enter for none)",
            true,
        )?)
        .filter(|r| !r.is_empty()),
        None => None,
    };
    Ok(Picked {
        resource: entry.name.clone(),
        role,
        reason,
    })
}

/// Ask for a reason after the broker refused for the want of one; `None` without a terminal.
pub fn reason_after_refusal(why: &str) -> Result<Option<String>> {
    if !prompt::can_prompt() {
        return Ok(None);
    }
    let asked = prompt::text(&format!("{} — reason", field(why)), false)?;
    Ok(Some(asked).filter(|r| !r.is_empty()))
}

/// The broker's denial asks for a reason (a policy's `@reason("… needs a reason (--reason)")`):
/// the catalog cannot say so beforehand, the refusal can.
pub fn refusal_wants_reason(decision_reason: &str) -> bool {
    decision_reason.to_ascii_lowercase().contains("reason")
}

fn pick_role(entry: &CatalogEntry) -> Result<String> {
    let width = entry
        .roles
        .iter()
        .map(|r| field(&r.name).len())
        .max()
        .unwrap_or(0);
    let items: Vec<Choice> = entry
        .roles
        .iter()
        .map(|r| {
            let how = if r.auto_approve {
                "granted at once".to_string()
            } else if r.approver_groups.is_empty() {
                "needs an approval".to_string()
            } else {
                format!(
                    "needs an approval ({})",
                    field(&r.approver_groups.join(" or "))
                )
            };
            Choice {
                label: field(&r.name),
                row: format!("{:<width$}  {how}", field(&r.name)),
            }
        })
        .collect();
    let default = entry
        .roles
        .iter()
        .position(|r| r.name == entry.default_role)
        .unwrap_or(0);
    let i = prompt::pick(&format!("Role on {}", field(&entry.name)), &items, default)?;
    Ok(entry.roles[i].name.clone())
}

/// One line per resource: name, kind, roles (`*` granted at once), max TTL, description.
fn rows(catalog: &Catalog) -> Vec<String> {
    let name_w = catalog
        .resources
        .iter()
        .map(|r| field(&r.name).chars().count())
        .max()
        .unwrap_or(0);
    let roles: Vec<String> = catalog
        .resources
        .iter()
        .map(|r| {
            r.roles
                .iter()
                .map(|role| {
                    format!(
                        "{}{}",
                        field(&role.name),
                        if role.auto_approve { "*" } else { "" }
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let roles_w = roles.iter().map(|r| r.chars().count()).max().unwrap_or(0);
    catalog
        .resources
        .iter()
        .zip(&roles)
        .map(|(r, roles)| {
            let desc = field(&r.description);
            let desc = match desc.chars().count() > 48 {
                true => format!("{}…", desc.chars().take(47).collect::<String>()),
                false => desc,
            };
            format!(
                "{:<name_w$}  {:<10}  {:<roles_w$}  max {:<7} {desc}",
                field(&r.name),
                r.kind.to_string(),
                roles,
                human_secs(r.max_ttl_secs as i64)
            )
            .trim_end()
            .to_string()
        })
        .collect()
}

/// The script's error: the argument is missing; here is what it could be (the catalog's
/// resources, when it could be read).
pub fn missing(catalog: Option<&Catalog>) -> Error {
    let e = Error::usage("the RESOURCE argument is missing: `zt request RESOURCE`");
    match catalog {
        Some(c) if !c.resources.is_empty() => {
            let names: Vec<String> = c.resources.iter().map(|r| field(&r.name)).collect();
            e.with_hint(format!(
                "resources you may request: {} (`zt catalog` shows their roles)",
                names.join(", ")
            ))
        }
        Some(_) => e.with_hint("the catalog offers you nothing to request"),
        None => e.with_hint("`zt catalog` lists the resources"),
    }
}

/// A broker's "not found" or "unknown role" for `resource`/`role`, with the nearest names
/// from the catalog; any other error as it was.
pub async fn explain_unknown(
    e: Error,
    client: &BrokerClient,
    resource: &str,
    role: Option<&str>,
) -> Error {
    if !matches!(e.kind, ErrorKind::NotFound | ErrorKind::Usage) {
        return e;
    }
    let Ok(catalog) = client.catalog().await else {
        return e;
    };
    match catalog.resources.iter().find(|r| r.name == resource) {
        None => {
            let hint = if crate::cli::parse_duration(resource).is_ok() {
                format!(
                    "{} looks like part of a duration: quote it, --ttl \"1h {0}\"",
                    field(resource)
                )
            } else {
                with_suggestion(
                    did_you_mean(resource, catalog.resources.iter().map(|r| r.name.as_str())),
                    "`zt catalog` lists what you may request",
                )
            };
            let message = if e.kind == ErrorKind::NotFound {
                e.message.clone()
            } else {
                format!("{}: no such resource in your catalog", e.message)
            };
            Error { message, ..e }.with_hint(hint)
        }
        Some(entry) => match role {
            Some(role) if !entry.roles.iter().any(|r| r.name == role) => {
                let names: Vec<String> = entry.roles.iter().map(|r| field(&r.name)).collect();
                let near = did_you_mean(role, entry.roles.iter().map(|r| r.name.as_str()));
                e.with_hint(with_suggestion(
                    near,
                    &format!("roles of {}: {}", field(&entry.name), names.join(", ")),
                ))
            }
            _ => e,
        },
    }
}
