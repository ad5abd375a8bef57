//! Test harness: the real dev wiring ([`zt_broker::dev::wire`]) served on 127.0.0.1:0
//! with its reaper and the dev Kubernetes API on its HTTPS port (CA and port kept in the data
//! directory, as `--data-dir` does), called over real HTTP with reqwest, acting as users
//! through the dev IdP's `mint_access_token`.

use std::sync::Arc;

use reqwest::Method;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use zt_broker::dev::idp::{DevIdp, DevUser};
use zt_broker::dev::k8s::{self, tls::Endpoint};
use zt_broker::dev::wire::{self, DevOptions};
use zt_broker::state::Broker;
use zt_broker::{reaper, server};

/// A directory for [`TestBroker::start_with_policies`]: the demo policies with the Cedar text
/// `extra` after them, in one file.
pub fn demo_policies_with(extra: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let demo: String = zt_broker::dev::demo::DEMO_POLICIES
        .iter()
        .map(|(_, text)| *text)
        .collect();
    std::fs::write(dir.path().join("demo.cedar"), format!("{demo}{extra}")).unwrap();
    dir
}

/// The demo policies plus a fresh sign-in (at most 5 minutes old) to request, extend or
/// approve prod-k8s: what the step-up tests of the authz matrix and the contract use.
pub fn step_up_policies() -> TempDir {
    demo_policies_with(
        r#"
@id("prod-k8s-fresh")
@outcome("cap")
@max_ttl("24h")
@step_up("max_age=300")
permit (principal, action in [Action::"request", Action::"extend"], resource == Resource::"prod-k8s");

@id("prod-k8s-approve-fresh")
@outcome("grant")
@step_up("max_age=300")
permit (principal, action == Action::"approve", resource == Resource::"prod-k8s");
"#,
    )
}

/// alice and mallory: engineers; bob and dave: engineers and sre-leads (approvers);
/// root: zt-admins only; outsider: no group that may request anything.
pub fn users() -> Vec<DevUser> {
    let u = |n: &str, g: &[&str]| DevUser {
        name: n.into(),
        email: format!("{n}@example.com"),
        groups: g.iter().map(|s| s.to_string()).collect(),
    };
    vec![
        u("alice", &["engineering"]),
        u("bob", &["engineering", "sre-leads"]),
        u("dave", &["engineering", "sre-leads"]),
        u("mallory", &["engineering"]),
        u("root", &["zt-admins"]),
        u("outsider", &["marketing"]),
    ]
}

pub struct TestBroker {
    pub url: String,
    pub broker: Arc<Broker>,
    pub idp: Arc<DevIdp>,
    /// The dev Kubernetes API: `https://127.0.0.1:PORT` and its CA.
    pub k8s: Endpoint,
    pub dir: Option<TempDir>,
    http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    k8s_server: Option<JoinHandle<std::io::Result<()>>>,
    reaper: Option<JoinHandle<()>>,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    /// The problem type's slug, for error answers.
    pub fn slug(&self) -> &str {
        zt_api::problem::slug(self.body["type"].as_str().unwrap_or(""))
    }

    pub fn id(&self) -> String {
        self.body["id"].as_str().expect("an id").to_owned()
    }
}

impl TestBroker {
    pub async fn start() -> Self {
        Self::start_in(tempfile::tempdir().unwrap()).await
    }

    /// Start on an existing data directory (a restart keeps the database and the IdP key).
    pub async fn start_in(dir: TempDir) -> Self {
        Self::start_with(dir, None, None, None).await
    }

    /// Start with its state in the PostgreSQL database at `url` instead of a SQLite file.
    pub async fn start_on_postgres(url: &str) -> Self {
        Self::start_with(
            tempfile::tempdir().unwrap(),
            None,
            None,
            Some(url.to_owned()),
        )
        .await
    }

    /// Start deciding with the Cedar policies in `policies` instead of the demo ones.
    pub async fn start_with_policies(policies: &std::path::Path) -> Self {
        Self::start_with(
            tempfile::tempdir().unwrap(),
            Some(policies.to_owned()),
            None,
            None,
        )
        .await
    }

    /// Start with the catalog in the TOML file `catalog` instead of the demo one (as
    /// `zt-broker dev --catalog`), its policy made from the catalog's group rules.
    pub async fn start_with_catalog(catalog: &std::path::Path) -> Self {
        Self::start_with(
            tempfile::tempdir().unwrap(),
            None,
            Some(catalog.to_owned()),
            None,
        )
        .await
    }

    /// Start with the catalog in `catalog` (when given) on the store at `store_url` (when
    /// given; else SQLite): the same test on either database.
    pub async fn start_custom(catalog: Option<&std::path::Path>, store_url: Option<&str>) -> Self {
        Self::start_with(
            tempfile::tempdir().unwrap(),
            None,
            catalog.map(ToOwned::to_owned),
            store_url.map(ToOwned::to_owned),
        )
        .await
    }

    /// Start with any of: the Cedar policies in `policies`, the catalog in `catalog`, the
    /// state in the PostgreSQL database at `store_url` (each `None`: the default).
    pub async fn start_with(
        dir: TempDir,
        policies: Option<std::path::PathBuf>,
        catalog: Option<std::path::PathBuf>,
        store_url: Option<String>,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (k8s_listener, k8s) = k8s::tls::bind([127, 0, 0, 1].into(), Some(dir.path()))
            .await
            .unwrap();
        let dev = wire::build(
            &url,
            DevOptions {
                data_dir: dir.path().to_owned(),
                users: users(),
                auto_login: None,
                k8s: k8s.clone(),
                catalog,
                external: None,
                policies,
                store_url,
                ssh: wire::DevSsh::default(),
            },
        )
        .await
        .unwrap();
        let broker = dev.state.broker.clone();
        let reaper = reaper::spawn(broker.clone());
        let k8s_server = tokio::spawn(k8s::serve(
            k8s_listener,
            dev.k8s,
            broker.closing.subscribe(),
        ));
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(server::serve(listener, dev.state, async move {
            let _ = rx.await;
        }));
        Self {
            url,
            broker,
            idp: dev.idp,
            k8s,
            dir: Some(dir),
            http: reqwest::Client::new(),
            shutdown: Some(tx),
            server: Some(server),
            k8s_server: Some(k8s_server),
            reaper: Some(reaper),
        }
    }

    /// Shut down gracefully and hand back the data directory.
    pub async fn stop(mut self) -> TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            s.await.unwrap().unwrap();
        }
        if let Some(s) = self.k8s_server.take() {
            s.await.unwrap().unwrap();
        }
        if let Some(r) = self.reaper.take() {
            r.await.unwrap();
        }
        self.broker.store.close().await;
        self.dir.take().unwrap()
    }

    /// A client for the dev Kubernetes API that trusts its CA and nothing else.
    pub fn k8s_client(&self) -> reqwest::Client {
        let ca = reqwest::Certificate::from_pem(self.k8s.ca_pem.as_bytes()).unwrap();
        reqwest::Client::builder()
            .tls_certs_only([ca])
            .build()
            .unwrap()
    }

    pub fn token(&self, user: &str) -> String {
        self.idp.mint_access_token(user).unwrap()
    }

    pub async fn send(
        &self,
        user: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
        key: Option<&str>,
    ) -> Resp {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(u) = user {
            req = req.bearer_auth(self.token(u));
        }
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, user: &str, path: &str) -> Resp {
        self.send(Some(user), Method::GET, path, None, None).await
    }

    pub async fn post(&self, user: &str, path: &str, body: Option<Value>) -> Resp {
        self.send(Some(user), Method::POST, path, body, None).await
    }

    /// `POST /v1/requests` with a fresh idempotency key.
    pub async fn create(&self, user: &str, resource: &str, role: &str, ttl_secs: u64) -> Resp {
        let key = zt_broker::crypto::new_id().unwrap();
        let body =
            json!({"resource": resource, "role": role, "ttl_secs": ttl_secs, "reason": "test"});
        self.send(
            Some(user),
            Method::POST,
            "/v1/requests",
            Some(body),
            Some(&key),
        )
        .await
    }

    /// Create a request that needs approval and have bob approve it.
    pub async fn approved(&self, user: &str, resource: &str, role: &str, ttl_secs: u64) -> String {
        let r = self.create(user, resource, role, ttl_secs).await;
        assert_eq!(
            (r.status, r.body["state"].as_str()),
            (201, Some("pending")),
            "{:?}",
            r.body
        );
        let id = r.id();
        let a = self
            .post("bob", &format!("/v1/requests/{id}/approve"), None)
            .await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        id
    }
}

/// Put an approved grant for alice straight into `store` (what a create + auto-grant would
/// leave), for tests of what happens after approval.
pub async fn insert_approved(
    store: &zt_broker::store::Store,
    id: &str,
    resource: &str,
    kind: zt_api::ResourceKind,
    role: &str,
    ttl_secs: u64,
) -> zt_broker::store::Record {
    use zt_api::{self as api, ClientContext, Decision, Outcome, State, Timestamp};
    let now = Timestamp::now();
    let rec = zt_broker::store::Record {
        request: api::Request {
            id: id.into(),
            requester: "alice@example.com".into(),
            resource: resource.into(),
            kind,
            role: role.into(),
            ttl_secs,
            reason: None,
            ticket: None,
            break_glass: false,
            state: State::Approved,
            decision: Decision {
                outcome: Outcome::Grant,
                policy_ids: vec![],
                reason: String::new(),
                approver_groups: vec![],
                approvals_required: 0,
                approval_assurance: None,
            },
            decided_by: None,
            decision_comment: None,
            approvals: vec![],
            created_at: now,
            not_before: Some(now),
            expires_at: Some(now.add_secs(ttl_secs as i64)),
            review_url: None,
            bundle_id: None,
            start_at: None,
            activation: None,
            claim_by: None,
        },
        requester_issuer: "http://idp".into(),
        requester_sub: "alice".into(),
        idempotency_key: id.into(),
        body_sha256: String::new(),
        context: ClientContext::default(),
        comment: None,
        approvals: vec![],
        claim_secs: None,
    };
    store
        .insert_request(
            &rec,
            zt_broker::store::AuditEntry::new("t", "create", Some(id)),
        )
        .await
        .unwrap();
    store.get(id).await.unwrap()
}
