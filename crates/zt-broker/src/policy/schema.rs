//! The Cedar schema (`zt.cedarschema` beside this file, compiled in; `policies/` at the
//! repository's root has a copy for people writing policies, checked to match) and the one place
//! that turns a
//! [`PolicyInput`] into what it describes: the principal and resource entities, the action and
//! the context. Keep the two in step; `request_matches_the_schema` in the tests checks it.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{
    Context, Entities, Entity, EntityId, EntityTypeName, EntityUid, Request, RestrictedExpression,
    Schema,
};

use super::PolicyInput;
use crate::auth::Principal;

/// The schema policies are validated against. It describes what this code builds, so it is
/// part of the broker, not of a deployment's policy directory.
pub const SCHEMA: &str = include_str!("zt.cedarschema");

/// Entity type names, parsed once per loaded policy set rather than per request.
#[derive(Debug, Clone)]
pub struct Names {
    user: EntityTypeName,
    group: EntityTypeName,
    resource: EntityTypeName,
    action: EntityTypeName,
}

impl Names {
    pub fn new() -> Result<Self, String> {
        let n = |s: &str| EntityTypeName::from_str(s).map_err(|e| format!("{s}: {e}"));
        Ok(Self {
            user: n("User")?,
            group: n("Group")?,
            resource: n("Resource")?,
            action: n("Action")?,
        })
    }
}

/// UTC hour (0–23) and ISO weekday (1 = Monday … 7 = Sunday) of a Unix time.
pub fn hour_and_weekday(unix: i64) -> (i64, i64) {
    let days = unix.div_euclid(86_400);
    let hour = unix.rem_euclid(86_400) / 3600;
    // 1970-01-01 was a Thursday (ISO 4).
    let weekday = (days + 3).rem_euclid(7) + 1;
    (hour, weekday)
}

fn string(s: &str) -> RestrictedExpression {
    RestrictedExpression::new_string(s.to_owned())
}

fn long(v: u64) -> RestrictedExpression {
    // A TTL past i64::MAX seconds is nonsense anyway; saturate rather than fail.
    RestrictedExpression::new_long(i64::try_from(v).unwrap_or(i64::MAX))
}

fn uid(t: &EntityTypeName, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(t.clone(), EntityId::new(id))
}

/// The principal's uid and entity: `User::"<sub>"` in a `Group` per group claim.
fn user_entity(names: &Names, p: &Principal) -> Result<(EntityUid, Entity), String> {
    let principal = uid(&names.user, &p.sub);
    let groups: HashSet<EntityUid> = p.groups.iter().map(|g| uid(&names.group, g)).collect();
    let user = Entity::new(
        principal.clone(),
        HashMap::from([
            ("sub".to_owned(), string(&p.sub)),
            ("issuer".to_owned(), string(&p.issuer)),
            ("email".to_owned(), string(p.email.as_deref().unwrap_or(""))),
        ]),
        groups,
    )
    .map_err(|e| e.to_string())?;
    Ok((principal, user))
}

/// The Cedar request and entities for `read_audit`: the principal, the action, and the one
/// `AuditLog::"audit"` entity; no context (the schema gives the action none).
pub fn build_read_audit(names: &Names, p: &Principal) -> Result<(Request, Entities), String> {
    let (principal, user) = user_entity(names, p)?;
    let log = EntityUid::from_type_name_and_id(
        EntityTypeName::from_str("AuditLog").map_err(|e| e.to_string())?,
        EntityId::new("audit"),
    );
    let action = uid(&names.action, super::Action::ReadAudit.as_str());
    let request =
        Request::new(principal, action, log, Context::empty(), None).map_err(|e| e.to_string())?;
    let entities = Entities::from_entities([user], None).map_err(|e| e.to_string())?;
    Ok((request, entities))
}

/// The Cedar request and entities for one input. `schema`: check them against it too (tests;
/// the hot path skips it because this function is what the schema describes).
pub fn build(
    names: &Names,
    input: &PolicyInput<'_>,
    schema: Option<&Schema>,
) -> Result<(Request, Entities), String> {
    let (principal, user) = user_entity(names, input.principal)?;
    let r = input.resource;
    let resource = uid(&names.resource, &r.name);
    let res = Entity::new(
        resource.clone(),
        HashMap::from([
            ("kind".to_owned(), string(&r.kind.to_string())),
            ("environment".to_owned(), string(&r.environment)),
            ("sensitivity".to_owned(), string(&r.sensitivity)),
        ]),
        HashSet::new(),
    )
    .map_err(|e| e.to_string())?;

    let (hour, weekday) = hour_and_weekday(input.now.0);
    let c = input.context;
    let context = Context::from_pairs([
        ("role".to_owned(), string(&input.role.name)),
        ("ttl_secs".to_owned(), long(input.ttl_secs)),
        (
            "reason".to_owned(),
            string(input.reason.unwrap_or("").trim()),
        ),
        (
            "ticket".to_owned(),
            string(input.ticket.unwrap_or("").trim()),
        ),
        (
            "break_glass".to_owned(),
            RestrictedExpression::new_bool(input.break_glass),
        ),
        ("hour".to_owned(), RestrictedExpression::new_long(hour)),
        (
            "weekday".to_owned(),
            RestrictedExpression::new_long(weekday),
        ),
        ("client_version".to_owned(), string(&c.client_version)),
        ("hostname".to_owned(), string(&c.hostname)),
        ("platform".to_owned(), string(&c.platform)),
        (
            "holds_grant".to_owned(),
            RestrictedExpression::new_bool(input.holds_grant),
        ),
        (
            "acr".to_owned(),
            string(input.principal.auth.acr.as_deref().unwrap_or("")),
        ),
        (
            "amr".to_owned(),
            RestrictedExpression::new_set(input.principal.auth.amr.iter().map(|m| string(m))),
        ),
        (
            "auth_time".to_owned(),
            RestrictedExpression::new_long(input.principal.auth.seconds_since(input.now.0)),
        ),
        (
            "oncall".to_owned(),
            RestrictedExpression::new_set(input.oncall.iter().map(|s| string(s))),
        ),
        ("starts_in_secs".to_owned(), long(input.starts_in_secs)),
    ])
    .map_err(|e| e.to_string())?;
    let action = uid(&names.action, input.action.as_str());
    let request =
        Request::new(principal, action, resource, context, schema).map_err(|e| e.to_string())?;
    let entities = Entities::from_entities([user, res], schema).map_err(|e| e.to_string())?;
    Ok((request, entities))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `policies/zt.cedarschema`, what people writing policies read, is the compiled-in one.
    #[test]
    fn the_documented_schema_is_the_compiled_one() {
        let documented = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies/zt.cedarschema");
        let documented = std::fs::read_to_string(documented).unwrap();
        assert!(
            documented == SCHEMA,
            "policies/zt.cedarschema differs from crates/zt-broker/src/policy/zt.cedarschema: \
             copy the crate's over it"
        );
    }

    #[test]
    fn utc_hour_and_iso_weekday() {
        assert_eq!(hour_and_weekday(0), (0, 4)); // 1970-01-01 00:00, Thursday
        // 2024-06-03 09:30 UTC, a Monday.
        assert_eq!(hour_and_weekday(1_717_407_000), (9, 1));
        // 2024-06-09 23:59:59 UTC, a Sunday.
        assert_eq!(hour_and_weekday(1_717_977_599), (23, 7));
        // Before 1970 still lands on the right day: 1969-12-31 23:00, a Wednesday.
        assert_eq!(hour_and_weekday(-3600), (23, 3));
    }
}
