//! A FAKE Kubernetes API server for the Kubernetes issuer's tests — not a cluster, and no
//! kube-apiserver can run here. It serves exactly what the issuer calls (ServiceAccount
//! create/get/delete, TokenRequest, RoleBinding and ClusterRoleBinding create/get/delete) and
//! what kubectl needs to list namespaces (discovery, `GET /api/v1/namespaces[/{name}]`), in the
//! real wire format: objects with apiVersion/kind/metadata, 201 on create, `Status` objects
//! for 400/401/403/404/409/422, 200 on delete (the ServiceAccount back, as its registry
//! returns it; a `Success` Status for the bindings, as theirs do).
//!
//! Over HTTPS with a generated CA (the dev Kubernetes API's TLS listener: kubectl sends no
//! token over plain HTTP). Authentication: the broker's own bearer token may do everything; a
//! minted token authenticates only while it is unexpired and its ServiceAccount exists with
//! the UID it was minted for (the API server's check for bound ServiceAccount tokens), so
//! deleting the ServiceAccount kills it at once. Authorization, for minted tokens: discovery
//! for any authenticated caller (as `system:discovery`); listing namespaces needs a
//! ClusterRoleBinding of the ServiceAccount, reading namespace N a ClusterRoleBinding or a
//! RoleBinding in N — the fake takes any bound ClusterRole to allow reading namespaces, which
//! holds for view, edit, admin and cluster-admin; everything else is 403.
//!
//! Knobs for failure tests: ClusterRoles the broker may not bind (the API's escalation check,
//! 403), refusing TokenRequests (403), a maximum token lifetime
//! (`--service-account-max-token-expiration`), a clock offset, and stop/restart on the same
//! port and CA. Every request is recorded for assertions.

mod authz;
mod objects;
mod rbac;
mod reply;
mod routes;
mod tokens;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use routes::handle;
use zt_api::Timestamp;
use zt_broker::crypto;
use zt_broker::dev::k8s::tls;

const RBAC: &str = "rbac.authorization.k8s.io";
/// Who the broker is at the fake, in its 403 messages.
pub const BROKER_USER: &str = "system:serviceaccount:zt-system:zt-broker";
/// What a TokenRequest without audiences gets: the API server's own.
const API_AUDIENCE: &str = "https://kubernetes.default.svc.cluster.local";

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// Path and query.
    pub path: String,
    pub body: Option<Value>,
    /// `broker`, `system:serviceaccount:NS:NAME`, or `unauthenticated`.
    pub who: String,
}

/// A token the fake minted.
#[derive(Debug, Clone)]
struct Minted {
    namespace: String,
    name: String,
    uid: String,
    expires: i64,
}

/// The fake cluster's objects and knobs.
#[derive(Debug, Default)]
pub struct World {
    pub namespaces: BTreeSet<String>,
    pub service_accounts: BTreeMap<(String, String), Value>,
    pub role_bindings: BTreeMap<(String, String), Value>,
    pub cluster_role_bindings: BTreeMap<String, Value>,
    pub calls: Vec<Call>,
    /// ClusterRoles the broker holds too few rights to bind (403, as RBAC's escalation check).
    pub unbindable: BTreeSet<String>,
    /// The broker may not create `serviceaccounts/token` (403).
    pub refuse_tokens: bool,
    /// `--service-account-max-token-expiration`: longer requests get this.
    pub max_token_seconds: Option<i64>,
    /// Added to the real clock, to expire tokens without waiting.
    pub clock_offset: i64,
    tokens: HashMap<String, Minted>,
    serial: u64,
}

impl World {
    fn now(&self) -> i64 {
        Timestamp::now().0 + self.clock_offset
    }

    fn next(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    /// The calls that changed something or minted (what the issuer did), as `METHOD path`.
    pub fn writes(&self) -> Vec<String> {
        self.calls
            .iter()
            .filter(|c| c.who == "broker")
            // kube ends a query-less create's URL with a bare `?`.
            .map(|c| format!("{} {}", c.method, c.path.trim_end_matches('?')))
            .collect()
    }
}

pub struct FakeApi {
    /// `https://127.0.0.1:PORT`.
    pub server: String,
    pub ca_pem: String,
    /// The broker's own credential at the fake.
    pub broker_token: String,
    world: Arc<Mutex<World>>,
    /// Keeps the CA and the port, so a restart serves at the same address with the same CA.
    dir: TempDir,
    running: Option<(oneshot::Sender<()>, JoinHandle<std::io::Result<()>>)>,
}

impl FakeApi {
    /// Serve on 127.0.0.1 with namespaces `default`, `kube-system`, `team-a`, `zt-grants`.
    pub async fn start() -> Self {
        let world = World {
            namespaces: ["default", "kube-system", "team-a", "zt-grants"]
                .map(String::from)
                .into(),
            ..World::default()
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let mut fake = Self {
            server: String::new(),
            ca_pem: String::new(),
            broker_token: format!(
                "broker-{}",
                crypto::random_string(crypto::ALNUM, 32).expect("random")
            ),
            world: Arc::new(Mutex::new(world)),
            dir,
            running: None,
        };
        fake.serve().await;
        fake
    }

    async fn serve(&mut self) {
        let (listener, endpoint) = tls::bind([127, 0, 0, 1].into(), Some(self.dir.path()))
            .await
            .expect("fake API listener");
        self.server = endpoint.server;
        self.ca_pem = endpoint.ca_pem;
        let app = Router::new().fallback(handle).with_state(App {
            world: self.world.clone(),
            broker_token: self.broker_token.clone(),
        });
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await
        });
        self.running = Some((tx, task));
    }

    /// Stop serving: the port is closed (connections refused) until [`FakeApi::restart`].
    pub async fn stop(&mut self) {
        if let Some((tx, task)) = self.running.take() {
            let _ = tx.send(());
            let _ = task.await;
        }
    }

    /// Serve again at the same address, with the same CA and objects.
    pub async fn restart(&mut self) {
        let before = self.server.clone();
        self.serve().await;
        assert_eq!(self.server, before, "the fake came back on another port");
    }

    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().expect("fake world lock")
    }

    /// A kubeconfig for `token` at this fake (the CA inline). `extra_context` adds a context
    /// `unreachable` (a closed port) and makes it the current one, so only a named context
    /// reaches the fake.
    pub fn kubeconfig(&self, token: &str, extra_context: bool) -> String {
        let ca = STANDARD.encode(&self.ca_pem);
        let mut yaml = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n\
             - name: fake\n  cluster:\n    server: {}\n    certificate-authority-data: {ca}\n",
            self.server
        );
        if extra_context {
            yaml.push_str(
                "- name: unreachable\n  cluster:\n    server: https://127.0.0.1:1\n    \
                 certificate-authority-data: {ca}\n"
                    .replace("{ca}", &ca)
                    .as_str(),
            );
        }
        yaml.push_str(&format!(
            "users:\n- name: who\n  user:\n    token: {token}\ncontexts:\n\
             - name: fake\n  context:\n    cluster: fake\n    user: who\n"
        ));
        if extra_context {
            yaml.push_str(
                "- name: unreachable\n  context:\n    cluster: unreachable\n    user: who\n\
                 current-context: unreachable\n",
            );
        } else {
            yaml.push_str("current-context: fake\n");
        }
        yaml
    }

    /// Write [`FakeApi::kubeconfig`] to `path`, mode 0600 (it holds a token).
    pub fn write_kubeconfig(&self, path: &Path, token: &str, extra_context: bool) {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .expect("kubeconfig file");
        f.write_all(self.kubeconfig(token, extra_context).as_bytes())
            .expect("kubeconfig written");
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        if let Some((tx, task)) = self.running.take() {
            let _ = tx.send(());
            task.abort();
        }
    }
}

#[derive(Clone)]
struct App {
    world: Arc<Mutex<World>>,
    broker_token: String,
}
