//! Integration tests of `src/serve`: `zt-broker serve` over real HTTP(S) — a configuration
//! file written to a temporary directory, the broker started in-process on 127.0.0.1:0 through
//! `zt_broker::serve::start` and `Server::run`, and identity providers that are not the dev
//! IdP — tiny axum servers holding their own P-256 keys, one publishing a `jwks_uri`, one found
//! by OpenID discovery — whose tokens the tests mint with whatever claims they need.
//!
//! Here: those stand-ins and the running broker; the tests are in `tokens` and `listen`.

mod listen;
mod tokens;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use axum::Json;
use axum::routing::get;
use jsonwebtoken::jwk::{Jwk, JwkSet, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use zt_broker::config::Config;
use zt_broker::error::Result;

/// An OpenID provider stand-in: a signing key, its JWKS at `/jwks`, and a discovery document
/// under its issuer path.
struct Idp {
    issuer: String,
    jwks_uri: String,
    key: EncodingKey,
    kid: String,
    task: JoinHandle<()>,
}

impl Drop for Idp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn p256() -> (EncodingKey, Jwk, String) {
    let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .unwrap();
    let key = EncodingKey::from_ec_der(doc.as_ref());
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::ES256).unwrap();
    let kid = jwk.thumbprint(ThumbprintHash::SHA256).unwrap();
    jwk.common.key_id = Some(kid.clone());
    (key, jwk, kid)
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

impl Idp {
    /// Serve on 127.0.0.1:0 with the issuer `http://127.0.0.1:PORT{path}`.
    async fn start(path: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let issuer = format!("{base}{path}");
        let jwks_uri = format!("{base}/jwks");
        let (key, jwk, kid) = p256();
        let jwks = serde_json::to_value(JwkSet { keys: vec![jwk] }).unwrap();
        let discovery = json!({ "issuer": issuer, "jwks_uri": jwks_uri });
        let app = axum::Router::new()
            .route("/jwks", get(move || async move { Json(jwks) }))
            .route(
                &format!("{path}/.well-known/openid-configuration"),
                get(move || async move { Json(discovery) }),
            );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            issuer,
            jwks_uri,
            key,
            kid,
            task,
        }
    }

    /// A token for `aud` with `iss`, `exp` (five minutes), `iat` and the given claims.
    fn token(&self, aud: &str, claims: Value) -> String {
        let mut c = json!({ "iss": self.issuer, "aud": aud, "exp": now() + 300, "iat": now() });
        for (k, v) in claims.as_object().unwrap() {
            c[k] = v.clone();
        }
        self.sign(&c)
    }

    fn sign(&self, claims: &Value) -> String {
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&h, claims, &self.key).unwrap()
    }
}

/// A broker started in-process from a configuration file in `dir`.
struct Running {
    url: String,
    dir: TempDir,
    http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<()>>>,
}

impl Running {
    async fn start(dir: TempDir, config: &str) -> Self {
        Self::start_with(dir, config, reqwest::Client::new()).await
    }

    async fn start_with(dir: TempDir, config: &str, http: reqwest::Client) -> Self {
        let path = dir.path().join("broker.toml");
        std::fs::write(&path, config).unwrap();
        let cfg = Config::load(&path).unwrap();
        let server = zt_broker::serve::start(&cfg, zt_broker::dev::issuers::for_serve)
            .await
            .unwrap();
        let url = server.url.clone();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async move {
            let _ = rx.await;
        }));
        Self {
            url,
            dir,
            http,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    async fn stop(mut self) -> TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }

    /// (status, content type, JSON body) of a call with an optional bearer token.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, String, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            let key = zt_broker::crypto::new_id().unwrap();
            req = req.header("Idempotency-Key", key).json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let ctype = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (status, ctype, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (u16, String, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    async fn post(&self, path: &str, token: &str, body: Option<Value>) -> (u16, String, Value) {
        self.call(reqwest::Method::POST, path, Some(token), body)
            .await
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

const CATALOG: &str = r#"
[[resource]]
name = "prod-k8s"
kind = "kubernetes"
default_role = "view"
max_ttl = "8h"
requester_groups = ["engineering", "acme/deploy"]
settings = { issuer = "dev", server = "https://k8s.example.com:6443", namespace = "apps" }

[[resource.role]]
name = "view"
auto_approve_groups = ["engineering"]
approver_groups = ["sre-leads"]

[[resource.role]]
name = "edit"
max_ttl = "1h"
auto_approve_groups = ["acme/deploy"]
approver_groups = ["sre-leads"]
"#;

/// Two trusted issuers with their own audiences and claim mappings: people (Keycloak-like,
/// groups in `realm_access.roles`, keys at a `jwks_uri`) and CI (subject and group in other
/// claims, keys by discovery); `[login]` points at the first; admins are `platform-admins`.
fn config(people: &Idp, ci: &Idp) -> String {
    format!(
        r#"admin_groups = ["platform-admins"]

[server]
listen = "127.0.0.1:0"

[store]
url = "sqlite://data/broker.db"

[login]
issuer = "{people}"
client_id = "zt-cli"
scopes = ["openid", "offline_access", "roles"]
audience = "zt-broker"

[[trusted_issuer]]
issuer = "{people}"
audience = "zt-broker"
jwks_uri = "{people_jwks}"
claims = {{ name = "preferred_username", groups = "realm_access.roles" }}

[[trusted_issuer]]
issuer = "{ci}"
audience = "zt-ci"
claims = {{ sub = "job.id", email = "actor_email", groups = "repository" }}
leeway_secs = 0

[catalog]
file = "catalog.toml"
"#,
        people = people.issuer,
        people_jwks = people.jwks_uri,
        ci = ci.issuer,
    )
}

fn dir_with_catalog() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("catalog.toml"), CATALOG).unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    dir
}

fn person(idp: &Idp, name: &str, roles: &[&str]) -> String {
    idp.token(
        "zt-broker",
        json!({
            "sub": format!("u-{name}"),
            "email": format!("{name}@example.com"),
            "preferred_username": name,
            "realm_access": { "roles": roles },
            // Not the configured groups claim: must be ignored.
            "groups": ["platform-admins"],
        }),
    )
}
