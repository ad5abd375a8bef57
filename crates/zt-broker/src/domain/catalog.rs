//! The catalog as one caller sees it (`GET /v1/catalog`): the roles they may request — those
//! policy does not deny them outright at the role's longest TTL — each with whether policy
//! would grant it at once. Resources with no such role are left out.

use crate::auth::Principal;
use crate::policy::{Action, PolicyInput};
use crate::state::Broker;
use zt_api::{self as api, Outcome, Timestamp};

/// What `p` may ask for, resource by resource, in catalog order.
pub fn view(b: &Broker, p: &Principal) -> api::Catalog {
    let ctx = api::ClientContext::default();
    let now = Timestamp::now();
    let oncall = crate::oncall::names(p);
    let mut resources = Vec::new();
    for res in b.catalog.resources() {
        let roles: Vec<api::RoleInfo> = res
            .roles
            .iter()
            .filter_map(|role| {
                let d = b
                    .policy
                    .decide(&PolicyInput {
                        principal: p,
                        action: Action::Request,
                        resource: res,
                        role,
                        ttl_secs: role.max_ttl.as_secs(),
                        reason: None,
                        ticket: None,
                        break_glass: false,
                        context: &ctx,
                        holds_grant: false,
                        now,
                        oncall: &oncall,
                        starts_in_secs: 0,
                    })
                    .decision;
                (d.outcome != Outcome::Deny).then(|| api::RoleInfo {
                    name: role.name.clone(),
                    auto_approve: d.outcome == Outcome::Grant,
                    approver_groups: role.approver_groups.clone(),
                })
            })
            .collect();
        if roles.is_empty() {
            continue;
        }
        resources.push(api::CatalogEntry {
            name: res.name.clone(),
            kind: res.kind,
            description: res.description.clone(),
            roles,
            default_role: res.default_role.clone(),
            max_ttl_secs: res.max_ttl.as_secs(),
        });
    }
    // The named bundles all of whose resources the caller may ask for (policy still decides
    // each item when they do).
    let bundles = b
        .catalog
        .bundles()
        .iter()
        .filter(|bd| {
            bd.items
                .iter()
                .all(|i| resources.iter().any(|r| r.name == i.resource))
        })
        .cloned()
        .collect();
    api::Catalog { resources, bundles }
}
