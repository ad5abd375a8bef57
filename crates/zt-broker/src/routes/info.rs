//! Who is asking and what they may ask for: `GET /.well-known/zt`, `/v1/me`, `/v1/catalog`.

use axum::Json;
use axum::extract::State;

use super::extract::Caller;
use crate::policy::{Action, PolicyInput};
use crate::state::AppState;
use zt_api::{self as api, Outcome, Timestamp};

/// Discovery: where to log in. No authentication.
pub async fn discovery(State(s): State<AppState>) -> Json<api::Discovery> {
    Json(s.broker.discovery.clone())
}

pub async fn me(Caller(p): Caller) -> Json<api::Me> {
    Json(api::Me {
        sub: p.sub,
        issuer: p.issuer,
        email: p.email,
        name: p.name,
        groups: p.groups,
    })
}

/// The roles this caller may request (policy does not deny them outright), each with whether
/// policy would grant it at once. Resources with no such role are left out.
pub async fn catalog(State(s): State<AppState>, Caller(p): Caller) -> Json<api::Catalog> {
    let b = &s.broker;
    let ctx = api::ClientContext::default();
    let now = Timestamp::now();
    let mut resources = Vec::new();
    for res in b.catalog.resources() {
        let roles: Vec<api::RoleInfo> = res
            .roles
            .iter()
            .filter_map(|role| {
                let d = b
                    .policy
                    .decide(&PolicyInput {
                        principal: &p,
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
    Json(api::Catalog { resources })
}
