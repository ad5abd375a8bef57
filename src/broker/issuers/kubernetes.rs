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

/// The fake API server of the issuer's tests, public under the `test-fakes` feature for the
/// integration tests (`tests/it/issuers.rs`).
#[cfg(any(test, feature = "test-fakes"))]
pub mod fake;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use tokio::sync::OnceCell;

use super::{Grant, IssueError, IssueFuture, Issuer};
use crate::api::{Credential, ResourceKind, Timestamp};
use crate::broker::catalog::Resource;
use crate::broker::crypto::sha256_hex;

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

/// The broker's own connection: a stalled API server must fail the call (the caller gets a
/// 502, the reaper retries) rather than hold a credential request forever. kube sets no read
/// timeout by default (for watches and exec, which this issuer never uses).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the broker's own cluster credentials come from.
#[derive(Debug, Clone)]
enum Access {
    /// `kube::Config::infer()`: in-cluster, else the default kubeconfig.
    Infer,
    /// A kubeconfig file and/or a context in it (`None` path: the default kubeconfig).
    Kubeconfig {
        path: Option<PathBuf>,
        context: Option<String>,
    },
}

pub struct KubernetesIssuer {
    access: Access,
    /// Built at first use, not at start: the broker starts (and serves its other resources)
    /// while a cluster is unreachable or its credentials are not mounted yet. A failed build is
    /// tried again at the next call.
    client: OnceCell<kube::Client>,
}

/// How a binding grants the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Namespace,
    Cluster,
}

/// A grant's settings, checked.
#[derive(Debug, Clone)]
struct Settings {
    server: String,
    certificate_authority_data: Option<String>,
    namespace: String,
    service_account_namespace: String,
    cluster_role: String,
    scope: Scope,
}

fn string<'a>(t: &'a toml::Table, key: &str) -> Result<Option<&'a str>, String> {
    match t.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(format!("settings.{key} must be a string")),
    }
}

impl Settings {
    fn parse(t: &toml::Table) -> Result<Self, String> {
        let server = string(t, "server")?
            .ok_or("settings.server (the API server URL kubectl is given) is required")?;
        // kubectl (client-go) sends no bearer token to an `http://` server.
        if !server.starts_with("https://") {
            return Err(format!(
                "settings.server {server:?} must be an https:// URL"
            ));
        }
        let namespace = string(t, "namespace")?.unwrap_or(DEFAULT_NAMESPACE);
        let service_account_namespace =
            string(t, "service_account_namespace")?.unwrap_or(namespace);
        for (key, ns) in [
            ("namespace", namespace),
            ("service_account_namespace", service_account_namespace),
        ] {
            if !is_dns_label(ns) {
                return Err(format!(
                    "settings.{key} {ns:?} is not a namespace name (a DNS-1123 label)"
                ));
            }
        }
        let cluster_role = string(t, "cluster_role")?
            .ok_or("settings.cluster_role (the ClusterRole the grant binds) is required")?;
        // What the API accepts as an RBAC object name: a path segment.
        if cluster_role.is_empty()
            || cluster_role == "."
            || cluster_role == ".."
            || cluster_role.contains(['/', '%'])
        {
            return Err(format!(
                "settings.cluster_role {cluster_role:?} is not a ClusterRole name"
            ));
        }
        let scope = match string(t, "scope")? {
            None | Some("namespace") => Scope::Namespace,
            Some("cluster") => Scope::Cluster,
            Some(other) => {
                return Err(format!(
                    "settings.scope {other:?}: \"namespace\" (a RoleBinding) or \"cluster\" \
                     (a ClusterRoleBinding)"
                ));
            }
        };
        Ok(Self {
            server: server.to_owned(),
            certificate_authority_data: string(t, "certificate_authority_data")?.map(str::to_owned),
            namespace: namespace.to_owned(),
            service_account_namespace: service_account_namespace.to_owned(),
            cluster_role: cluster_role.to_owned(),
            scope,
        })
    }
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    let inner = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && b.len() <= MAX_NAME
        && b.iter().all(|c| inner(c) || *c == b'-')
        && b.first().is_some_and(inner)
        && b.last().is_some_and(inner)
}

/// The grant id as it goes into names and the `zt.dev/grant` label: itself when it is short
/// lowercase alphanumerics (the store's ids are 16 hex digits), else a digest of it, so no
/// id can make an invalid name or label.
fn short_id(id: &str) -> String {
    if !id.is_empty()
        && id.len() <= SHORT_ID
        && id
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        id.to_owned()
    } else {
        sha256_hex(id.as_bytes())[..SHORT_ID].to_owned()
    }
}

/// The requester as the middle of a DNS-1123 label, at most `max` characters: the local part
/// of an email, lowercased, every run of other characters made one `-`, no `-` at either end;
/// `user` when nothing is left.
fn sanitise(requester: &str, max: usize) -> String {
    let local = requester.split('@').next().unwrap_or(requester);
    let mut out = String::new();
    for c in local.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(max);
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        "user".into()
    } else {
        trimmed.to_owned()
    }
}

/// The ServiceAccount's (and binding's) name: `zt-<requester>-<grant id>`.
pub fn object_name(requester: &str, grant_id: &str) -> String {
    let id = short_id(grant_id);
    let room = MAX_NAME - "zt-".len() - 1 - id.len();
    format!("zt-{}-{id}", sanitise(requester, room))
}

/// What a grant makes at the cluster.
struct Plan {
    name: String,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    settings: Settings,
}

impl Plan {
    fn new(g: &Grant, settings: Settings) -> Self {
        let labels = BTreeMap::from([
            (MANAGED_BY.0.to_owned(), MANAGED_BY.1.to_owned()),
            (GRANT_LABEL.to_owned(), short_id(&g.id)),
        ]);
        // For whoever looks at the cluster: who, what and until when. Annotation values may be
        // any text; the requester's is kept short all the same.
        let annotations = BTreeMap::from([
            (
                "zt.dev/requester".to_owned(),
                g.requester.chars().take(253).collect(),
            ),
            ("zt.dev/resource".to_owned(), g.resource.clone()),
            ("zt.dev/role".to_owned(), g.role.clone()),
            ("zt.dev/expires-at".to_owned(), g.expires_at.to_rfc3339()),
        ]);
        Self {
            name: object_name(&g.requester, &g.id),
            labels,
            annotations,
            settings,
        }
    }

    fn meta(&self, namespace: Option<&str>) -> ObjectMeta {
        ObjectMeta {
            name: Some(self.name.clone()),
            namespace: namespace.map(str::to_owned),
            labels: Some(self.labels.clone()),
            annotations: Some(self.annotations.clone()),
            ..ObjectMeta::default()
        }
    }

    fn service_account(&self) -> ServiceAccount {
        ServiceAccount {
            metadata: self.meta(Some(&self.settings.service_account_namespace)),
            // It runs no pods: no token is ever mounted into one.
            automount_service_account_token: Some(false),
            ..ServiceAccount::default()
        }
    }

    fn role_ref(&self) -> RoleRef {
        RoleRef {
            api_group: RBAC_GROUP.into(),
            kind: "ClusterRole".into(),
            name: self.settings.cluster_role.clone(),
        }
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![Subject {
            kind: "ServiceAccount".into(),
            name: self.name.clone(),
            namespace: Some(self.settings.service_account_namespace.clone()),
            api_group: None,
        }]
    }

    /// Whether an existing binding of this name binds what this grant would (it is this
    /// grant's, made by an earlier mint): same role, same single subject. The API defaults a
    /// ServiceAccount subject's `apiGroup` to "", so that field is not compared.
    fn binds_the_same(&self, role_ref: &RoleRef, subjects: Option<&Vec<Subject>>) -> bool {
        let same_subjects = subjects.is_some_and(|have| {
            let want = self.subjects();
            have.len() == want.len()
                && have.iter().zip(&want).all(|(h, w)| {
                    (&h.kind, &h.name, &h.namespace) == (&w.kind, &w.name, &w.namespace)
                })
        });
        *role_ref == self.role_ref() && same_subjects
    }

    fn is_ours(&self, meta: &ObjectMeta) -> bool {
        meta.labels.as_ref().is_some_and(|l| {
            self.labels
                .iter()
                .all(|(k, v)| l.get(k).is_some_and(|have| have == v))
        })
    }

    /// Where the binding is, for messages.
    fn binding_what(&self) -> String {
        match self.settings.scope {
            Scope::Namespace => format!("RoleBinding {}/{}", self.settings.namespace, self.name),
            Scope::Cluster => format!("ClusterRoleBinding {}", self.name),
        }
    }

    fn service_account_what(&self) -> String {
        format!(
            "ServiceAccount {}/{}",
            self.settings.service_account_namespace, self.name
        )
    }
}

/// The token lifetime to ask for with `left` seconds of grant left: all of it, but within the
/// API's bounds (see the module doc for grants under 10 minutes).
pub fn token_seconds(left: i64) -> i64 {
    left.clamp(MIN_TOKEN_SECONDS, MAX_TOKEN_SECONDS)
}

/// A kube error for a message: the API's own status (code, reason, message), or the transport
/// failure with its causes ("error trying to connect: … Connection refused"). Neither ever
/// holds the token: requests carry it in a header, which kube's errors do not repeat.
fn describe(e: &kube::Error) -> String {
    if let kube::Error::Api(s) = e {
        let reason = if s.reason.is_empty() {
            "Failure"
        } else {
            &s.reason
        };
        return format!("{} {reason}: {}", s.code, s.message);
    }
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

fn code_of(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

fn fail(what: &str, e: &kube::Error) -> IssueError {
    IssueError(format!("kubernetes: {what}: {}", describe(e)))
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

    /// The broker's client for the cluster, built at the first call that succeeds.
    async fn client(&self) -> Result<kube::Client, IssueError> {
        self.client
            .get_or_try_init(|| async {
                let mut config = self.config().await?;
                config.connect_timeout = Some(CONNECT_TIMEOUT);
                config.read_timeout = Some(IO_TIMEOUT);
                config.write_timeout = Some(IO_TIMEOUT);
                // Time each response from its request, not from when a pooled connection
                // went idle.
                config.reset_reader_on_write = true;
                kube::Client::try_from(config).map_err(|e| {
                    IssueError(format!(
                        "kubernetes: cannot build the client: {}",
                        describe(&e)
                    ))
                })
            })
            .await
            .cloned()
    }

    async fn config(&self) -> Result<kube::Config, IssueError> {
        let err = |what: String| move |e: String| IssueError(format!("kubernetes: {what}: {e}"));
        match &self.access {
            Access::Infer => kube::Config::infer()
                .await
                .map_err(|e| e.to_string())
                .map_err(err("no cluster access (in-cluster or kubeconfig)".into())),
            Access::Kubeconfig { path, context } => {
                let options = KubeConfigOptions {
                    context: context.clone(),
                    ..KubeConfigOptions::default()
                };
                match path {
                    Some(p) => {
                        let what = format!("kubeconfig {}", p.display());
                        let kc = Kubeconfig::read_from(p)
                            .map_err(|e| e.to_string())
                            .map_err(err(what.clone()))?;
                        kube::Config::from_custom_kubeconfig(kc, &options)
                            .await
                            .map_err(|e| e.to_string())
                            .map_err(err(what))
                    }
                    None => kube::Config::from_kubeconfig(&options)
                        .await
                        .map_err(|e| e.to_string())
                        .map_err(err("the default kubeconfig".into())),
                }
            }
        }
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

/// Create the grant's ServiceAccount, or find the one an earlier mint of this grant made.
async fn create_service_account(client: &kube::Client, plan: &Plan) -> Result<(), IssueError> {
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
async fn create_binding(client: &kube::Client, plan: &Plan) -> Result<(), Refusal> {
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
enum Refusal {
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
async fn request_token(
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
async fn roll_back(
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

/// A delete's outcome: gone now or already (404) is success.
fn deleted<T>(what: &str, r: Result<T, kube::Error>) -> Result<(), IssueError> {
    match r {
        Ok(_) => Ok(()),
        Err(e) if code_of(&e) == Some(404) => Ok(()),
        Err(e) => Err(fail(&format!("deleting {what}"), &e)),
    }
}

async fn delete_service_account(client: &kube::Client, plan: &Plan) -> Result<(), IssueError> {
    let api: Api<ServiceAccount> =
        Api::namespaced(client.clone(), &plan.settings.service_account_namespace);
    deleted(
        &plan.service_account_what(),
        api.delete(&plan.name, &DeleteParams::default()).await,
    )
}

async fn delete_binding(client: &kube::Client, plan: &Plan) -> Result<(), IssueError> {
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

impl Issuer for KubernetesIssuer {
    fn issue<'a>(&'a self, grant: &'a Grant) -> IssueFuture<'a, Credential> {
        Box::pin(self.mint(grant))
    }

    fn revoke<'a>(&'a self, grant: &'a Grant) -> IssueFuture<'a, ()> {
        Box::pin(self.take_back(grant))
    }
}
