//! The Kubernetes issuer: per grant a ServiceAccount, a RoleBinding (or ClusterRoleBinding) of
//! it to the role's ClusterRole, and a short-lived token from the TokenRequest API; revoking
//! deletes the ServiceAccount and the binding, which kills the token at once.
//!
//! Catalog settings (`[resource.settings]`, each overridable in a role's `settings` unless said):
//! - `issuer = "kubernetes"` (resource) selects this issuer (see `serve` and `dev::wire`).
//! - `server` (required), `certificate_authority_data` (base64 of the PEM CA bundle, optional):
//!   what kubectl is given. The broker's own connection is configured apart (below): the API
//!   may be reached at another address from inside the cluster than from engineers' laptops.
//! - `namespace` (default `zt-grants`): the grant's namespace — where the RoleBinding goes and
//!   the kubeconfig's namespace — and where the ServiceAccount lives unless
//!   `service_account_namespace` names another (a namespace only the broker may write, so
//!   nobody with rights in the target namespace can touch the grant's identity).
//! - `cluster_role` (role, required): the ClusterRole bound. `scope = "cluster"` binds it
//!   cluster-wide (ClusterRoleBinding); the default `"namespace"` binds it in `namespace`.
//! - `kubeconfig` (a path) and `context` (resource only): the broker's own access to the
//!   cluster; without them `kube::Config::infer()` (in-cluster service account, else
//!   `$KUBECONFIG` / `~/.kube/config`). That identity needs: create/get/delete
//!   `serviceaccounts` and create `serviceaccounts/token` in the ServiceAccount namespace;
//!   create/get/delete `rolebindings` (or `clusterrolebindings`) and `bind` on the cluster roles.
//!
//! Names: ServiceAccount and binding are both `zt-<requester>-<grant id>` (a DNS-1123 label,
//! ≤ 63 characters: the requester's sanitised local part, shortened to fit), labelled
//! `app.kubernetes.io/managed-by=zt` and `zt.dev/grant=<grant id>`, so an operator can find
//! (and a sweep delete) everything zt made. The names depend only on the grant, so minting
//! again for the same grant (the API gave a token shorter than the grant) finds its own
//! objects (409 AlreadyExists, then checked to be this grant's) instead of making more.
//!
//! Token lifetime: the TokenRequest asks for the time left in the grant, but never less than
//! the API's minimum of 600 s. A grant with under 10 minutes left thus gets a token that the
//! API would accept for up to 10 minutes past the grant's end; that does not extend access,
//! because the grant's end revokes (the reaper), and deleting the ServiceAccount invalidates
//! its bound tokens at once (the API server checks that the token's ServiceAccount still exists
//! with the same UID on every request). The credential's `expires_at` is the earlier of the
//! token's expiry and the grant's end, so zt wipes it from disk at the grant's end regardless.
//!
//! Failure: anything made before a later step failed is deleted again (a ServiceAccount whose
//! binding was refused is not left behind); a revoke treats 404 as done and fails otherwise,
//! so the reaper retries it.

#[cfg(test)]
mod tests;

mod client;
mod issue;
mod naming;
mod plan;
mod revoke;
mod settings;

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::OnceCell;

use super::{Grant, IssueError, IssueFuture, Issuer};
use crate::catalog::Resource;
use client::Access;
use issue::{create_binding, create_service_account, request_token, roll_back};
pub use naming::{is_dns_label, object_name};
use plan::Plan;
use revoke::{delete_binding, delete_service_account};
use settings::{Settings, string};
use zt_api::{Credential, ResourceKind, Timestamp};

/// The TokenRequest API refuses `expirationSeconds` below this (10 minutes).
pub const MIN_TOKEN_SECONDS: i64 = 600;
/// …and at or above 2^32.
const MAX_TOKEN_SECONDS: i64 = (1 << 32) - 1;
pub const DEFAULT_NAMESPACE: &str = "zt-grants";
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "zt");
pub const GRANT_LABEL: &str = "zt.dev/grant";
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
/// A DNS-1123 label's limit, which ServiceAccount and binding names here keep to.
const MAX_NAME: usize = 63;
/// How much of a grant id goes into names and the label (ids are 16 hex digits).
const SHORT_ID: usize = 16;

pub struct KubernetesIssuer {
    access: Access,
    /// Built at first use, not at start: the broker starts (and serves its other resources)
    /// while a cluster is unreachable or its credentials are not mounted yet. A failed build is
    /// tried again at the next call.
    client: OnceCell<kube::Client>,
}

/// The token lifetime to ask for with `left` seconds of grant left: all of it, but within the
/// API's bounds (see the module doc for grants under 10 minutes).
pub fn token_seconds(left: i64) -> i64 {
    left.clamp(MIN_TOKEN_SECONDS, MAX_TOKEN_SECONDS)
}

impl KubernetesIssuer {
    /// The issuer of a catalog resource with `issuer = "kubernetes"`. Checks every role's
    /// settings now, so a bad catalog stops the broker at start rather than at a request;
    /// contacts nothing (see [`KubernetesIssuer::client`]).
    pub fn for_resource(res: &Resource) -> Result<Arc<Self>, String> {
        if res.kind != ResourceKind::Kubernetes {
            return Err(format!(
                "catalog: {}: settings.issuer \"kubernetes\" on a resource of kind {}",
                res.name, res.kind
            ));
        }
        for role in &res.roles {
            Settings::parse(&res.settings_for(role))
                .map_err(|e| format!("catalog: {}/{}: {e}", res.name, role.name))?;
        }
        let s = &res.settings;
        let field = |k| string(s, k).map_err(|e| format!("catalog: {}: {e}", res.name));
        let path = field("kubeconfig")?.map(PathBuf::from);
        let context = field("context")?.map(str::to_owned);
        let access = if path.is_none() && context.is_none() {
            Access::Infer
        } else {
            Access::Kubeconfig { path, context }
        };
        Ok(Arc::new(Self {
            access,
            client: OnceCell::new(),
        }))
    }

    async fn mint(&self, g: &Grant) -> Result<Credential, IssueError> {
        let settings = Settings::parse(&g.settings)
            .map_err(|e| IssueError(format!("kubernetes: {}/{}: {e}", g.resource, g.role)))?;
        let left = g.expires_at.0 - Timestamp::now().0;
        if left <= 0 {
            return Err(IssueError(format!(
                "kubernetes: grant {} ended at {}",
                g.id, g.expires_at
            )));
        }
        let plan = Plan::new(g, settings);
        let client = self.client().await?;

        create_service_account(&client, &plan).await?;
        if let Err(e) = create_binding(&client, &plan).await {
            // Not one of our objects may stay behind without a credential to revoke.
            return Err(roll_back(&client, &plan, false, e).await);
        }
        let token = match request_token(&client, &plan, token_seconds(left)).await {
            Ok(t) => t,
            Err(e) => return Err(roll_back(&client, &plan, true, e).await),
        };
        let s = plan.settings;
        Ok(Credential::Kubernetes {
            server: s.server,
            certificate_authority_data: s.certificate_authority_data,
            namespace: Some(s.namespace),
            token: token.0,
            expires_at: token.1.min(g.expires_at),
        })
    }

    async fn take_back(&self, g: &Grant) -> Result<(), IssueError> {
        let settings = Settings::parse(&g.settings)
            .map_err(|e| IssueError(format!("kubernetes: {}/{}: {e}", g.resource, g.role)))?;
        let plan = Plan::new(g, settings);
        let client = self.client().await?;
        // The ServiceAccount first: its deletion is what invalidates the token at once.
        delete_service_account(&client, &plan).await?;
        delete_binding(&client, &plan).await
    }
}

impl Issuer for KubernetesIssuer {
    fn connection(&self, g: &Grant) -> Option<Credential> {
        let s = Settings::parse(&g.settings).ok()?;
        Some(Credential::Kubernetes {
            server: s.server,
            certificate_authority_data: s.certificate_authority_data,
            namespace: Some(s.namespace),
            token: String::new(),
            expires_at: g.expires_at,
        })
    }

    fn issue<'a>(&'a self, grant: &'a Grant) -> IssueFuture<'a, Credential> {
        Box::pin(self.mint(grant))
    }

    fn revoke<'a>(&'a self, grant: &'a Grant) -> IssueFuture<'a, ()> {
        Box::pin(self.take_back(grant))
    }
}
