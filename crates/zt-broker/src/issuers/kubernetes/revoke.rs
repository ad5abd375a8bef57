//! The API calls of revoking: the grant's ServiceAccount and binding deleted, already gone
//! counting as done.

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding};
use kube::api::{Api, DeleteParams};

use super::IssueError;
use super::client::{code_of, fail};
use super::plan::Plan;
use super::settings::Scope;

/// A delete's outcome: gone now or already (404) is success.
fn deleted<T>(what: &str, r: Result<T, kube::Error>) -> Result<(), IssueError> {
    match r {
        Ok(_) => Ok(()),
        Err(e) if code_of(&e) == Some(404) => Ok(()),
        Err(e) => Err(fail(&format!("deleting {what}"), &e)),
    }
}

pub(super) async fn delete_service_account(
    client: &kube::Client,
    plan: &Plan,
) -> Result<(), IssueError> {
    let api: Api<ServiceAccount> =
        Api::namespaced(client.clone(), &plan.settings.service_account_namespace);
    deleted(
        &plan.service_account_what(),
        api.delete(&plan.name, &DeleteParams::default()).await,
    )
}

pub(super) async fn delete_binding(client: &kube::Client, plan: &Plan) -> Result<(), IssueError> {
    let dp = DeleteParams::default();
    let r = match plan.settings.scope {
        Scope::Namespace => {
            let api: Api<RoleBinding> = Api::namespaced(client.clone(), &plan.settings.namespace);
            api.delete(&plan.name, &dp).await.map(|_| ())
        }
        Scope::Cluster => {
            let api: Api<ClusterRoleBinding> = Api::all(client.clone());
            api.delete(&plan.name, &dp).await.map(|_| ())
        }
    };
    deleted(&plan.binding_what(), r)
}
