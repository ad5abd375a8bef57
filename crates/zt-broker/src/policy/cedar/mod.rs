//! [`CedarPolicy`]: a validated Cedar policy set as a [`Policy`]. Cedar only answers allow or
//! deny and which policies made it so; zt reads the matched policies' annotations to decide:
//!
//! 1. any `forbid` matched (or failed to evaluate) → **deny**, with the forbids' ids and
//!    `@reason`s;
//! 2. else any `@outcome("grant")` permit matched → **grant** at once;
//! 3. else any `@outcome("approval")` permit matched → **require approval** from the union
//!    of their `@approvers` groups: `@approvals("N")` distinct approvers (default one; the
//!    largest N among the matched permits), never the requester;
//! 4. else → **deny** as `default-deny`.
//!
//! Cedar evaluates every policy in the set it is given, so the set is pre-sliced by resource:
//! a policy scoped to `resource == Resource::"x"` (or `in`) is only put to requests for `x`.
//! With a catalog of many resources each with its own policies, a decision then costs about
//! the general policies plus that resource's own, not the whole set.
//!
//! The TTL cap is the smallest `@max_ttl` among the deciding permits and the matched
//! `@outcome("cap")` permits, and never more than the catalog role's maximum. The ids reported
//! are the deciding policies, then the caps that matched, in file order.
//!
//! A deciding or cap permit's `@step_up` the caller's token does not meet does not change the
//! outcome; the verdict carries what is missing ([`Verdict::step_up`]) and the broker asks for
//! a step-up instead of acting (see [`super::step_up`]).

use std::collections::HashMap;
use std::path::Path;

use cedar_policy::{
    AuthorizationError, Authorizer, PolicyId, PolicySet, ResourceConstraint, Schema,
};

mod audit;
#[cfg(test)]
mod tests;

use super::load::{self, Kind, Meta, PolicyError, Problem};
use super::schema::{self, Names};
use super::{Policy, PolicyInput, Verdict};
use crate::catalog::human_ttl;
use zt_api::{Decision, Outcome};

/// The id reported when no permit matched.
pub const DEFAULT_DENY: &str = "default-deny";
/// The id reported when the request could not even be put to Cedar.
pub const POLICY_ERROR: &str = "policy-error";

pub struct CedarPolicy {
    /// Every policy.
    set: PolicySet,
    /// The policies not pinned to one resource: what a resource no policy names gets.
    general: PolicySet,
    /// Per resource named in some policy's scope: the general policies plus its own.
    by_resource: HashMap<String, PolicySet>,
    meta: HashMap<PolicyId, Meta>,
    schema: Schema,
    names: Names,
    authorizer: Authorizer,
    warnings: Vec<Problem>,
}

impl std::fmt::Debug for CedarPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CedarPolicy")
            .field("policies", &self.meta.len())
            .finish_non_exhaustive()
    }
}

impl CedarPolicy {
    /// Every `*.cedar` file in `dir`, validated against the built-in schema.
    pub fn load_dir(dir: &Path) -> Result<Self, PolicyError> {
        Self::from_sources(&load::read_dir(dir)?)
    }

    /// Policies from `(file name, text)` pairs; the names are what errors report.
    pub fn from_sources<N: AsRef<str>, T: AsRef<str>>(
        sources: &[(N, T)],
    ) -> Result<Self, PolicyError> {
        let schema = load::schema()?;
        let loaded = load::load(sources, &schema)?;
        let names = Names::new().map_err(|e| PolicyError {
            problems: vec![Problem {
                file: load::SCHEMA_NAME.into(),
                line: None,
                column: None,
                message: e,
            }],
        })?;
        let (general, by_resource) = slice(&loaded.set);
        Ok(Self {
            set: loaded.set,
            general,
            by_resource,
            meta: loaded.meta,
            schema,
            names,
            authorizer: Authorizer::new(),
            warnings: loaded.warnings,
        })
    }

    /// How many policies are loaded.
    pub fn len(&self) -> usize {
        self.set.num_of_policies()
    }

    /// Every group an approval permit names (`@approvers`), for checks of the configuration.
    pub fn approver_groups(&self) -> impl Iterator<Item = &str> {
        self.meta
            .values()
            .flat_map(|m| m.approvers.iter().map(String::as_str))
    }

    /// Whether some policy asks for passkey-confirmed approvals (`@approval_assurance`).
    pub fn asks_for_passkeys(&self) -> bool {
        self.meta.values().any(|m| m.approval_assurance.is_some())
    }

    /// Every `@step_up` ACR value is one of `known` (the trusted issuers' `acr_values`); else
    /// the problems, at each annotation.
    pub fn check_acrs(&self, known: &[String]) -> Result<(), PolicyError> {
        super::step_up::check_acrs(self.meta.values(), known)
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// The validator's warnings (loaded anyway): for the operator's log.
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// The schema the policies were validated against.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The Cedar request for `input`, checked against the schema (for tests and tools).
    pub fn checked_request(&self, input: &PolicyInput<'_>) -> Result<(), String> {
        schema::build(&self.names, input, Some(&self.schema)).map(|_| ())
    }
}

/// The catalog resource a policy's scope pins it to, if any. Catalog resources have no
/// parents, so `resource in Resource::"x"` means the same as `==`.
fn pinned_resource(p: &cedar_policy::Policy) -> Option<String> {
    let uid = match p.resource_constraint() {
        ResourceConstraint::Eq(u) | ResourceConstraint::In(u) | ResourceConstraint::IsIn(_, u) => u,
        ResourceConstraint::Any | ResourceConstraint::Is(_) => return None,
    };
    // Pinned to something that is not a catalog resource (an `AuditLog`): not sliced, so it
    // stays wherever it could conceivably apply.
    (uid.type_name().to_string() == "Resource").then(|| uid.id().unescaped().to_owned())
}

/// Split `all` into the general set (every unpinned policy) and, per pinned resource, the
/// general set plus that resource's own. `all` already holds each policy once under a unique
/// id, so `add` cannot fail here; if it somehow did, slicing is skipped (every set is `all`),
/// which is slower but decides the same.
fn slice(all: &PolicySet) -> (PolicySet, HashMap<String, PolicySet>) {
    let mut general = Vec::new();
    let mut pinned: HashMap<String, Vec<&cedar_policy::Policy>> = HashMap::new();
    for p in all.policies() {
        match pinned_resource(p) {
            Some(r) => pinned.entry(r).or_default().push(p),
            None => general.push(p),
        }
    }
    let build = |ps: &mut dyn Iterator<Item = &&cedar_policy::Policy>| {
        let mut set = PolicySet::new();
        for p in ps {
            set.add((*p).clone()).ok()?;
        }
        Some(set)
    };
    let Some(general_set) = build(&mut general.iter()) else {
        return (all.clone(), HashMap::new());
    };
    let mut by_resource = HashMap::new();
    for (r, own) in &pinned {
        let Some(set) = build(&mut general.iter().chain(own)) else {
            return (all.clone(), HashMap::new());
        };
        by_resource.insert(r.clone(), set);
    }
    (general_set, by_resource)
}

/// `{principal}`, `{action}`, `{resource}`, `{role}` in a `@reason`.
fn fill(template: &str, input: &PolicyInput<'_>) -> String {
    template
        .replace("{principal}", input.principal.display())
        .replace("{action}", input.action.as_str())
        .replace("{resource}", &input.resource.name)
        .replace("{role}", &input.role.name)
}

fn deny(ids: Vec<String>, reason: String, input: &PolicyInput<'_>) -> Verdict {
    Verdict {
        decision: Decision {
            outcome: Outcome::Deny,
            policy_ids: ids,
            reason,
            approver_groups: vec![],
            approvals_required: 0,
            approval_assurance: None,
        },
        max_ttl: input.role.max_ttl,
        max_ttl_by: None,
        step_up: None,
    }
}

impl Policy for CedarPolicy {
    fn read_audit(&self, principal: &crate::auth::Principal) -> Option<Decision> {
        audit::read_audit(self, principal)
    }

    fn decide(&self, input: &PolicyInput<'_>) -> Verdict {
        // A resource no policy names: only the general policies can match it.
        let set = self
            .by_resource
            .get(&input.resource.name)
            .unwrap_or(&self.general);
        self.decide_with(set, input)
    }
}

impl CedarPolicy {
    /// The whole set, unsliced: for tests checking that slicing changes nothing.
    #[cfg(test)]
    pub(crate) fn decide_unsliced(&self, input: &PolicyInput<'_>) -> Verdict {
        self.decide_with(&self.set, input)
    }

    fn decide_with(&self, set: &PolicySet, input: &PolicyInput<'_>) -> Verdict {
        let (request, entities) = match schema::build(&self.names, input, None) {
            Ok(r) => r,
            // Fail closed; the message is ours (entity ids), not a secret.
            Err(e) => {
                return deny(
                    vec![POLICY_ERROR.into()],
                    format!("the request could not be evaluated: {e}"),
                    input,
                );
            }
        };
        let response = self.authorizer.is_authorized(&request, set, &entities);
        let d = response.diagnostics();

        // Cedar skips a policy whose evaluation fails. For a forbid that would mean failing
        // open, so an erroring forbid counts as matched.
        let mut matched: Vec<&Meta> = d.reason().filter_map(|id| self.meta.get(id)).collect();
        for e in d.errors() {
            let AuthorizationError::PolicyEvaluationError(e) = e;
            if let Some(m) = self.meta.get(e.policy_id())
                && m.kind == Kind::Forbid
            {
                matched.push(m);
            }
        }
        matched.sort_by_key(|m| m.order);
        matched.dedup_by_key(|m| m.order);
        let of = |k: Kind| matched.iter().copied().filter(move |m| m.kind == k);
        let ids = |ms: &[&Meta]| ms.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
        let what = format!("{}/{}", input.resource.name, input.role.name);

        let forbids: Vec<&Meta> = of(Kind::Forbid).collect();
        if !forbids.is_empty() {
            let reasons: Vec<String> = forbids
                .iter()
                .filter_map(|m| m.reason.as_deref())
                .map(|r| fill(r, input))
                .collect();
            return deny(ids(&forbids), reasons.join("; "), input);
        }
        let grants: Vec<&Meta> = of(Kind::Grant).collect();
        let approvals: Vec<&Meta> = of(Kind::Approval).collect();
        let (outcome, deciding) = if !grants.is_empty() {
            (Outcome::Grant, grants)
        } else if !approvals.is_empty() {
            (Outcome::RequireApproval, approvals)
        } else {
            return deny(
                vec![DEFAULT_DENY.into()],
                format!(
                    "no policy lets {} {} {what}",
                    input.principal.display(),
                    input.action.as_str().replace('_', "-"),
                ),
                input,
            );
        };
        let caps: Vec<&Meta> = of(Kind::Cap).collect();

        // The cap: the catalog's, lowered by any deciding or cap policy's @max_ttl.
        let (mut max_ttl, mut max_ttl_by) = (input.role.max_ttl, None::<&Meta>);
        for m in deciding.iter().chain(&caps) {
            if let Some(t) = m.max_ttl
                && t < max_ttl
            {
                (max_ttl, max_ttl_by) = (t, Some(*m));
            }
        }

        let mut approver_groups: Vec<String> = Vec::new();
        let mut approvals_required = 0;
        let mut approval_assurance = None;
        if outcome == Outcome::RequireApproval {
            for g in deciding.iter().flat_map(|m| &m.approvers) {
                if !approver_groups.contains(g) {
                    approver_groups.push(g.clone());
                }
            }
            // Several approval permits matched: the strictest count stands.
            approvals_required = deciding.iter().map(|m| m.approvals).max().unwrap_or(1);
            // Likewise the strictest assurance: one permit asking for a passkey is enough.
            // The role's own setting holds whichever policy asked for the approval.
            approval_assurance = deciding
                .iter()
                .find_map(|m| m.approval_assurance)
                .or(input.role.approval_assurance);
        }
        let mut reason = match deciding.iter().find_map(|m| m.reason.as_deref()) {
            Some(r) => fill(r, input),
            None if outcome == Outcome::Grant => format!("{what} is granted at once"),
            None => format!(
                "{what} needs {} from {} (never the requester)",
                zt_api::approvals_phrase(approvals_required),
                approver_groups.join(" or ")
            ),
        };
        if let Some(m) = max_ttl_by {
            reason.push_str(&format!("; at most {} ({})", human_ttl(max_ttl), m.id));
        }
        let step_up = super::step_up::StepUp::unmet(
            deciding
                .iter()
                .chain(&caps)
                .filter_map(|m| m.step_up.as_ref()),
            &input.principal.auth,
            input.now.0,
        );
        let mut policy_ids = ids(&deciding);
        policy_ids.extend(ids(&caps));
        Verdict {
            decision: Decision {
                outcome,
                policy_ids,
                reason,
                approver_groups,
                approvals_required,
                approval_assurance,
            },
            max_ttl,
            max_ttl_by: max_ttl_by.map(|m| m.id.clone()),
            step_up,
        }
    }
}
