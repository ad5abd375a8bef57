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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api::Timestamp;
use crate::broker::crypto;
use crate::broker::devk8s::tls;

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

/// Who is calling.
#[derive(Debug, Clone)]
enum Who {
    Broker,
    ServiceAccount { namespace: String, name: String },
}

impl Who {
    fn user(&self) -> String {
        match self {
            Who::Broker => BROKER_USER.into(),
            Who::ServiceAccount { namespace, name } => {
                format!("system:serviceaccount:{namespace}:{name}")
            }
        }
    }
}

fn status(code: StatusCode, reason: &str, message: &str, details: Option<Value>) -> Response {
    let mut body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code.as_u16(),
    });
    if let Some(d) = details {
        body["details"] = d;
    }
    json_response(code, &body)
}

fn json_response(code: StatusCode, body: &Value) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `serviceaccounts` / `rolebindings.rbac.authorization.k8s.io`, as the API names a
/// resource in messages.
fn qualified(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_owned()
    } else {
        format!("{resource}.{group}")
    }
}

fn details(group: &str, resource: &str, name: &str) -> Value {
    let mut d = json!({"name": name, "kind": resource});
    if !group.is_empty() {
        d["group"] = json!(group);
    }
    d
}

fn not_found(group: &str, resource: &str, name: &str) -> Response {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("{} \"{name}\" not found", qualified(group, resource)),
        Some(details(group, resource, name)),
    )
}

fn already_exists(group: &str, resource: &str, name: &str) -> Response {
    status(
        StatusCode::CONFLICT,
        "AlreadyExists",
        &format!("{} \"{name}\" already exists", qualified(group, resource)),
        Some(details(group, resource, name)),
    )
}

fn bad_request(message: &str) -> Response {
    status(StatusCode::BAD_REQUEST, "BadRequest", message, None)
}

fn invalid(kind: &str, group: &str, name: &str, field: &str, why: &str) -> Response {
    let qualified_kind = if group.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}.{group}")
    };
    status(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Invalid",
        &format!("{qualified_kind} \"{name}\" is invalid: {field}: {why}"),
        Some(json!({"name": name, "group": group, "kind": kind,
                    "causes": [{"reason": "FieldValueInvalid", "message": why, "field": field}]})),
    )
}

fn forbidden(
    who: &Who,
    verb: &str,
    group: &str,
    resource: &str,
    namespace: Option<&str>,
) -> Response {
    let scope = match namespace {
        Some(ns) => format!(" in the namespace \"{ns}\""),
        None => " at the cluster scope".into(),
    };
    status(
        StatusCode::FORBIDDEN,
        "Forbidden",
        &format!(
            "{} is forbidden: User \"{}\" cannot {verb} resource \"{resource}\" in API group \
             \"{group}\"{scope}",
            qualified(group, resource),
            who.user()
        ),
        Some(json!({"kind": resource, "group": group})),
    )
}

/// A DNS-1123 subdomain, as ServiceAccount names must be.
fn is_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            let b = l.as_bytes();
            let inner = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
            !b.is_empty()
                && b.iter().all(|c| inner(c) || *c == b'-')
                && b.first().is_some_and(inner)
                && b.last().is_some_and(inner)
        })
}

/// What RBAC object names must be: a path segment.
fn is_path_segment(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '%'])
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn authenticate(w: &World, broker_token: &str, headers: &HeaderMap) -> Option<Who> {
    let token = bearer(headers)?;
    if token == broker_token {
        return Some(Who::Broker);
    }
    let m = w.tokens.get(token)?;
    let sa = w
        .service_accounts
        .get(&(m.namespace.clone(), m.name.clone()))?;
    (m.expires > w.now() && sa["metadata"]["uid"] == m.uid).then(|| Who::ServiceAccount {
        namespace: m.namespace.clone(),
        name: m.name.clone(),
    })
}

/// Whether a binding's subjects name the ServiceAccount.
fn binds(binding: &Value, namespace: &str, name: &str, binding_ns: Option<&str>) -> bool {
    binding["subjects"].as_array().is_some_and(|subjects| {
        subjects.iter().any(|s| {
            let ns = s["namespace"].as_str().or(binding_ns);
            s["kind"] == "ServiceAccount" && s["name"] == name && ns == Some(namespace)
        })
    })
}

/// May `who` read namespaces: all of them (`of: None`, a list) or one?
fn may_read_namespaces(w: &World, who: &Who, of: Option<&str>) -> bool {
    let Who::ServiceAccount { namespace, name } = who else {
        return true;
    };
    let cluster_wide = w
        .cluster_role_bindings
        .values()
        .any(|b| binds(b, namespace, name, None));
    cluster_wide
        || of.is_some_and(|target| {
            w.role_bindings
                .iter()
                .any(|((ns, _), b)| ns == target && binds(b, namespace, name, Some(target)))
        })
}

fn namespace_object(name: &str) -> Value {
    json!({
        "kind": "Namespace", "apiVersion": "v1",
        "metadata": {"name": name, "uid": format!("ns-{name}"), "resourceVersion": "1",
                     "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    })
}

fn discovery(path: &[&str]) -> Option<Value> {
    Some(match path {
        ["version"] => json!({"major": "1", "minor": "34", "gitVersion": "v1.34.0-zt-fake",
                              "platform": "linux/amd64"}),
        ["api"] => json!({"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}),
        ["apis"] => json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": [{
            "name": RBAC,
            "versions": [{"groupVersion": format!("{RBAC}/v1"), "version": "v1"}],
            "preferredVersion": {"groupVersion": format!("{RBAC}/v1"), "version": "v1"},
        }]}),
        ["api", "v1"] => json!({"kind": "APIResourceList", "groupVersion": "v1", "resources": [
            {"name": "namespaces", "singularName": "namespace", "namespaced": false,
             "kind": "Namespace", "verbs": ["get", "list"], "shortNames": ["ns"]},
            {"name": "serviceaccounts", "singularName": "serviceaccount", "namespaced": true,
             "kind": "ServiceAccount", "verbs": ["create", "delete", "get"], "shortNames": ["sa"]},
            {"name": "serviceaccounts/token", "singularName": "", "namespaced": true,
             "group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest",
             "verbs": ["create"]},
        ]}),
        ["apis", RBAC, "v1"] => json!({"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": format!("{RBAC}/v1"), "resources": [
            {"name": "clusterrolebindings", "singularName": "clusterrolebinding",
             "namespaced": false, "kind": "ClusterRoleBinding", "verbs": ["create", "delete", "get"]},
            {"name": "rolebindings", "singularName": "rolebinding", "namespaced": true,
             "kind": "RoleBinding", "verbs": ["create", "delete", "get"]},
        ]}),
        _ => return None,
    })
}

/// Every request: record, authenticate, route.
async fn handle(
    State(app): State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut w = app.world.lock().expect("fake world lock");
    let who = authenticate(&w, &app.broker_token, &headers);
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    w.calls.push(Call {
        method: method.to_string(),
        path: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), |p| p.to_string()),
        body: parsed.clone(),
        who: match &who {
            Some(Who::Broker) => "broker".into(),
            Some(w) => w.user(),
            None => "unauthenticated".into(),
        },
    });
    let Some(who) = who else {
        return status(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Unauthorized",
            None,
        );
    };
    let segments: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    let segs = segments.as_slice();
    if method == Method::GET
        && let Some(doc) = discovery(segs)
    {
        return json_response(StatusCode::OK, &doc);
    }
    if method == Method::GET && segs == ["api", "v1", "namespaces"] {
        if !may_read_namespaces(&w, &who, None) {
            return forbidden(&who, "list", "", "namespaces", None);
        }
        let items: Vec<Value> = w.namespaces.iter().map(|n| namespace_object(n)).collect();
        return json_response(
            StatusCode::OK,
            &json!({"kind": "NamespaceList", "apiVersion": "v1",
                    "metadata": {"resourceVersion": "1"}, "items": items}),
        );
    }
    if method == Method::GET
        && let ["api", "v1", "namespaces", ns] = segs
    {
        if !may_read_namespaces(&w, &who, Some(ns)) {
            return forbidden(&who, "get", "", "namespaces", Some(ns));
        }
        return if w.namespaces.contains(*ns) {
            json_response(StatusCode::OK, &namespace_object(ns))
        } else {
            not_found("", "namespaces", ns)
        };
    }
    // Only the broker writes, mints and reads ServiceAccounts and bindings.
    if !matches!(who, Who::Broker) {
        let verb = match method {
            Method::POST => "create",
            Method::DELETE => "delete",
            _ => "get",
        };
        return forbidden(&who, verb, "", "serviceaccounts", None);
    }
    let body = parsed.unwrap_or(Value::Null);
    match (method, segs) {
        (Method::POST, ["api", "v1", "namespaces", ns, "serviceaccounts"]) => {
            create_service_account(&mut w, ns, body)
        }
        (Method::GET, ["api", "v1", "namespaces", ns, "serviceaccounts", name]) => w
            .service_accounts
            .get(&(ns.to_string(), name.to_string()))
            .map_or_else(
                || not_found("", "serviceaccounts", name),
                |o| json_response(StatusCode::OK, o),
            ),
        (Method::DELETE, ["api", "v1", "namespaces", ns, "serviceaccounts", name]) => {
            // The ServiceAccount registry answers a delete with the object.
            match w
                .service_accounts
                .remove(&(ns.to_string(), name.to_string()))
            {
                Some(o) => json_response(StatusCode::OK, &o),
                None => not_found("", "serviceaccounts", name),
            }
        }
        (
            Method::POST,
            [
                "api",
                "v1",
                "namespaces",
                ns,
                "serviceaccounts",
                name,
                "token",
            ],
        ) => token_request(&mut w, &who, ns, name, body),
        (Method::POST, ["apis", RBAC, "v1", "namespaces", ns, "rolebindings"]) => {
            create_binding(&mut w, Some(ns), body)
        }
        (Method::POST, ["apis", RBAC, "v1", "clusterrolebindings"]) => {
            create_binding(&mut w, None, body)
        }
        (Method::GET, ["apis", RBAC, "v1", "namespaces", ns, "rolebindings", name]) => w
            .role_bindings
            .get(&(ns.to_string(), name.to_string()))
            .map_or_else(
                || not_found(RBAC, "rolebindings", name),
                |o| json_response(StatusCode::OK, o),
            ),
        (Method::GET, ["apis", RBAC, "v1", "clusterrolebindings", name]) => {
            w.cluster_role_bindings.get(*name).map_or_else(
                || not_found(RBAC, "clusterrolebindings", name),
                |o| json_response(StatusCode::OK, o),
            )
        }
        (Method::DELETE, ["apis", RBAC, "v1", "namespaces", ns, "rolebindings", name]) => {
            let gone = w.role_bindings.remove(&(ns.to_string(), name.to_string()));
            deleted_status(gone, "rolebindings", name)
        }
        (Method::DELETE, ["apis", RBAC, "v1", "clusterrolebindings", name]) => {
            let gone = w.cluster_role_bindings.remove(*name);
            deleted_status(gone, "clusterrolebindings", name)
        }
        _ => status(
            StatusCode::NOT_FOUND,
            "NotFound",
            "the server could not find the requested resource",
            None,
        ),
    }
}

/// RBAC's registries answer a delete with a `Success` Status naming what went.
fn deleted_status(gone: Option<Value>, resource: &str, name: &str) -> Response {
    match gone {
        Some(o) => json_response(
            StatusCode::OK,
            &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                    "details": {"name": name, "group": RBAC, "kind": resource,
                                "uid": o["metadata"]["uid"]}}),
        ),
        None => not_found(RBAC, resource, name),
    }
}

/// The checks every create makes: the body's apiVersion/kind, the namespace in the body
/// against the path's, that namespace's existence. Returns the name, or the refusal to send.
// A test fake answering a handful of requests: the size of its error variant does not matter.
#[allow(clippy::result_large_err)]
fn admit(
    w: &World,
    body: &Value,
    api_version: &str,
    kind: &str,
    namespace: Option<&str>,
) -> Result<String, Response> {
    if !body.is_object() {
        return Err(bad_request(
            "the body of the request was in an unknown format",
        ));
    }
    if body["apiVersion"] != api_version || body["kind"] != kind {
        return Err(bad_request(&format!(
            "the API version in the data ({}) does not match the expected API version ({api_version})",
            body["apiVersion"].as_str().unwrap_or("")
        )));
    }
    if let (Some(ns), Some(in_body)) = (namespace, body["metadata"]["namespace"].as_str())
        && in_body != ns
    {
        return Err(bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    if let Some(ns) = namespace
        && !w.namespaces.contains(ns)
    {
        return Err(not_found("", "namespaces", ns));
    }
    Ok(body["metadata"]["name"].as_str().unwrap_or("").to_owned())
}

/// What the API server sets on a new object.
fn stamp(w: &mut World, mut obj: Value, namespace: Option<&str>) -> Value {
    let n = w.next();
    let meta = &mut obj["metadata"];
    meta["uid"] = json!(format!("00000000-0000-4000-8000-{n:012}"));
    meta["resourceVersion"] = json!(n.to_string());
    meta["creationTimestamp"] = json!(Timestamp(w.now()).to_rfc3339());
    if let Some(ns) = namespace {
        meta["namespace"] = json!(ns);
    }
    obj
}

fn create_service_account(w: &mut World, ns: &str, body: Value) -> Response {
    let name = match admit(w, &body, "v1", "ServiceAccount", Some(ns)) {
        Ok(n) => n,
        Err(r) => return r,
    };
    if !is_subdomain(&name) {
        return invalid(
            "ServiceAccount",
            "",
            &name,
            "metadata.name",
            &format!(
                "Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'"
            ),
        );
    }
    let key = (ns.to_owned(), name.clone());
    if w.service_accounts.contains_key(&key) {
        return already_exists("", "serviceaccounts", &name);
    }
    let obj = stamp(w, body, Some(ns));
    w.service_accounts.insert(key, obj.clone());
    json_response(StatusCode::CREATED, &obj)
}

fn token_request(w: &mut World, who: &Who, ns: &str, name: &str, body: Value) -> Response {
    if w.refuse_tokens {
        return forbidden(who, "create", "", "serviceaccounts/token", Some(ns));
    }
    // The body may leave out apiVersion/kind; given, they must be TokenRequest's.
    if !body.is_object()
        || body
            .get("apiVersion")
            .is_some_and(|v| v != "authentication.k8s.io/v1")
        || body.get("kind").is_some_and(|v| v != "TokenRequest")
    {
        return bad_request("the body of the request was not a TokenRequest");
    }
    let Some(sa) = w.service_accounts.get(&(ns.to_owned(), name.to_owned())) else {
        return not_found("", "serviceaccounts", name);
    };
    let uid = sa["metadata"]["uid"].as_str().unwrap_or("").to_owned();
    // Defaulted to an hour when left out, as the API does.
    let asked = body["spec"]["expirationSeconds"].as_i64().unwrap_or(3600);
    let why = if asked < 600 {
        Some("may not specify a duration less than 10 minutes")
    } else if asked >= 1 << 32 {
        Some("may not specify a duration larger than 2^32 seconds")
    } else {
        None
    };
    if let Some(why) = why {
        return invalid(
            "TokenRequest",
            "authentication.k8s.io",
            name,
            "spec.expirationSeconds",
            &format!("Invalid value: {asked}: {why}"),
        );
    }
    let seconds = w.max_token_seconds.map_or(asked, |max| asked.min(max));
    let now = w.now();
    let expires = now + seconds;
    let audiences = match body["spec"]["audiences"].as_array() {
        Some(a) if !a.is_empty() => Value::Array(a.clone()),
        _ => json!([API_AUDIENCE]),
    };
    // Shaped like the API server's JWTs; the fake knows its tokens by value, so the
    // "signature" is just randomness.
    let claims = json!({
        "aud": audiences, "exp": expires, "iat": now, "nbf": now,
        "iss": API_AUDIENCE,
        "kubernetes.io": {"namespace": ns, "serviceaccount": {"name": name, "uid": uid}},
        "sub": format!("system:serviceaccount:{ns}:{name}"),
    });
    let token = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"zt-fake"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(crypto::random_bytes(64).expect("random"))
    );
    w.tokens.insert(
        token.clone(),
        Minted {
            namespace: ns.to_owned(),
            name: name.to_owned(),
            uid,
            expires,
        },
    );
    json_response(
        StatusCode::CREATED,
        &json!({
            "kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": null},
            "spec": {"audiences": audiences, "expirationSeconds": seconds, "boundObjectRef": null},
            "status": {"token": token, "expirationTimestamp": Timestamp(expires).to_rfc3339()},
        }),
    )
}

/// A RoleBinding in `namespace`, or a ClusterRoleBinding (`None`).
fn create_binding(w: &mut World, namespace: Option<&str>, body: Value) -> Response {
    let (kind, resource) = match namespace {
        Some(_) => ("RoleBinding", "rolebindings"),
        None => ("ClusterRoleBinding", "clusterrolebindings"),
    };
    let name = match admit(w, &body, &format!("{RBAC}/v1"), kind, namespace) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let bad = |field: &str, why: &str| invalid(kind, RBAC, &name, field, why);
    if !is_path_segment(&name) {
        return bad("metadata.name", "Invalid value: may not contain '/' or '%'");
    }
    let role_ref = &body["roleRef"];
    if role_ref["apiGroup"] != RBAC {
        return bad(
            "roleRef.apiGroup",
            "Unsupported value: supported values: \"rbac.authorization.k8s.io\"",
        );
    }
    let allowed_kinds: &[&str] = match namespace {
        Some(_) => &["Role", "ClusterRole"],
        None => &["ClusterRole"],
    };
    if !role_ref["kind"]
        .as_str()
        .is_some_and(|k| allowed_kinds.contains(&k))
    {
        return bad("roleRef.kind", "Unsupported value");
    }
    let role = role_ref["name"].as_str().unwrap_or("");
    if !is_path_segment(role) {
        return bad("roleRef.name", "Required value");
    }
    for s in body["subjects"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        if s["kind"] == "ServiceAccount" {
            if !s["name"].as_str().is_some_and(is_subdomain) {
                return bad("subjects[0].name", "Invalid value");
            }
            if namespace.is_none() && s["namespace"].as_str().unwrap_or("").is_empty() {
                return bad("subjects[0].namespace", "Required value");
            }
        }
    }
    if w.unbindable.contains(role) {
        return status(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!(
                "{resource}.{RBAC} \"{name}\" is forbidden: user \"{BROKER_USER}\" (groups=\
                 [\"system:serviceaccounts\" \"system:authenticated\"]) is attempting to grant \
                 RBAC permissions not currently held: (the rules of ClusterRole \"{role}\")"
            ),
            Some(json!({"name": name, "group": RBAC, "kind": resource})),
        );
    }
    let exists = match namespace {
        Some(ns) => w.role_bindings.contains_key(&(ns.to_owned(), name.clone())),
        None => w.cluster_role_bindings.contains_key(&name),
    };
    if exists {
        return already_exists(RBAC, resource, &name);
    }
    let obj = stamp(w, body, namespace);
    match namespace {
        Some(ns) => w.role_bindings.insert((ns.to_owned(), name), obj.clone()),
        None => w.cluster_role_bindings.insert(name, obj.clone()),
    };
    json_response(StatusCode::CREATED, &obj)
}
