//! The API calls of issuing: the grant's ServiceAccount and binding made (or found from an
//! earlier mint), a token requested, and everything undone when a step fails.

use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, PostParams};

use super::client::{code_of, fail};
use super::plan::Plan;
use super::revoke::{delete_binding, delete_service_account};
use super::settings::Scope;
use super::{GRANT_LABEL, IssueError};
use zt_api::Timestamp;

/// Create the grant's ServiceAccount, or find the one an earlier mint of this grant made.
pub(super) async fn create_service_account(
    client: &kube::Client,
    plan: &Plan,
) -> Result<(), IssueError> {
    let api: Api<ServiceAccount> =
        Api::namespaced(client.clone(), &plan.settings.service_account_namespace);
    let what = plan.service_account_what();
    match api
        .create(&PostParams::default(), &plan.service_account())
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if code_of(&e) == Some(409) => {
            let existing = api
                .get(&plan.name)
                .await
                .map_err(|e| fail(&format!("reading the existing {what}"), &e))?;
            if plan.is_ours(&existing.metadata) {
                Ok(())
            } else {
                Err(IssueError(format!(
                    "kubernetes: {what} exists and is not this grant's (labels differ); \
                     left alone"
                )))
            }
        }
        Err(e) => Err(fail(&format!("creating {what}"), &e)),
    }
}

/// Create the grant's binding, or find the one an earlier mint of this grant made.
pub(super) async fn create_binding(client: &kube::Client, plan: &Plan) -> Result<(), Refusal> {
    let pp = PostParams::default();
    let what = plan.binding_what();
    let created = match plan.settings.scope {
        Scope::Namespace => {
            let api: Api<RoleBinding> = Api::namespaced(client.clone(), &plan.settings.namespace);
            let rb = RoleBinding {
                metadata: plan.meta(Some(&plan.settings.namespace)),
                role_ref: plan.role_ref(),
                subjects: Some(plan.subjects()),
            };
            match api.create(&pp, &rb).await {
                Ok(_) => Ok(None),
                Err(e) if code_of(&e) == Some(409) => api
                    .get(&plan.name)
                    .await
                    .map(|have| Some((have.metadata, have.role_ref, have.subjects))),
                Err(e) => Err(e),
            }
        }
        Scope::Cluster => {
            let api: Api<ClusterRoleBinding> = Api::all(client.clone());
            let crb = ClusterRoleBinding {
                metadata: plan.meta(None),
                role_ref: plan.role_ref(),
                subjects: Some(plan.subjects()),
            };
            match api.create(&pp, &crb).await {
                Ok(_) => Ok(None),
                Err(e) if code_of(&e) == Some(409) => api
                    .get(&plan.name)
                    .await
                    .map(|have| Some((have.metadata, have.role_ref, have.subjects))),
                Err(e) => Err(e),
            }
        }
    };
    match created {
        Ok(None) => Ok(()),
        Ok(Some((meta, role_ref, subjects)))
            if plan.is_ours(&meta) && plan.binds_the_same(&role_ref, subjects.as_ref()) =>
        {
            Ok(())
        }
        Ok(Some(_)) => Err(Refusal::NotOurs(IssueError(format!(
            "kubernetes: {what} exists and is not this grant's (labels, role or subject \
             differ); left alone"
        )))),
        Err(e) => Err(Refusal::Failed(fail(&format!("creating {what}"), &e))),
    }
}

/// Why the binding step failed: an object of that name that is someone else's must survive
/// the roll-back.
pub(super) enum Refusal {
    Failed(IssueError),
    NotOurs(IssueError),
}

impl From<IssueError> for Refusal {
    fn from(e: IssueError) -> Self {
        Self::Failed(e)
    }
}

/// Ask the TokenRequest API for a token of `seconds`; returns it with the expiry the API set
/// (which may be shorter: `--service-account-max-token-expiration`).
pub(super) async fn request_token(
    client: &kube::Client,
    plan: &Plan,
    seconds: i64,
) -> Result<(String, Timestamp), IssueError> {
    let api: Api<ServiceAccount> =
        Api::namespaced(client.clone(), &plan.settings.service_account_namespace);
    let request = TokenRequest {
        metadata: ObjectMeta::default(),
        spec: TokenRequestSpec {
            // Empty: the API server's own audiences, which it accepts for its own API.
            audiences: Vec::new(),
            expiration_seconds: Some(seconds),
            bound_object_ref: None,
        },
        status: None,
    };
    let what = format!("requesting a token for {}", plan.service_account_what());
    let answer = api
        .create_token_request(&plan.name, &PostParams::default(), &request)
        .await
        .map_err(|e| fail(&what, &e))?;
    let status = answer
        .status
        .filter(|s| !s.token.is_empty())
        .ok_or_else(|| IssueError(format!("kubernetes: {what}: the answer holds no token")))?;
    let expires = Timestamp(status.expiration_timestamp.0.as_second());
    Ok((status.token, expires))
}

/// Undo a mint that failed after the ServiceAccount was made (and the binding, if
/// `binding_made`); the original failure is what the caller hears, with any clean-up failure
/// added (the reaper cannot retry it: no credential was stored).
pub(super) async fn roll_back(
    client: &kube::Client,
    plan: &Plan,
    binding_made: bool,
    cause: impl Into<Refusal>,
) -> IssueError {
    let (IssueError(mut msg), delete_binding_too) = match cause.into() {
        Refusal::Failed(e) => (e, binding_made),
        Refusal::NotOurs(e) => (e, false),
    };
    let mut leftovers = Vec::new();
    if delete_binding_too && let Err(e) = delete_binding(client, plan).await {
        leftovers.push(e.0);
    }
    if let Err(e) = delete_service_account(client, plan).await {
        leftovers.push(e.0);
    }
    if !leftovers.is_empty() {
        msg.push_str(&format!(
            "; cleaning up also failed ({}): delete the objects labelled {}={} by hand",
            leftovers.join("; "),
            GRANT_LABEL,
            plan.labels.get(GRANT_LABEL).map_or("", String::as_str)
        ));
    }
    IssueError(msg)
}
