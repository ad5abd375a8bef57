//! `zt-broker serve` over real HTTP(S): a configuration file written to a temporary directory,
//! the broker started in-process on 127.0.0.1:0 through [`super::start`] and
//! [`super::Server::run`], and identity providers that are not the dev IdP — tiny axum servers
//! holding their own P-256 keys, one publishing a `jwks_uri`, one found by OpenID discovery —
//! whose tokens the tests mint with whatever claims they need.

use std::path::Path;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use axum::Json;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::broker::config::Config;
use crate::broker::error::Result;

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
        let server = super::start(&cfg).await.unwrap();
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
            let key = crate::broker::crypto::new_id().unwrap();
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
settings = { server = "https://k8s.example.com:6443", namespace = "apps" }

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

#[tokio::test]
async fn serves_trusted_issuers_with_their_claim_mappings() {
    let people = Idp::start("/realms/zt").await;
    let ci = Idp::start("/ci").await;
    let b = Running::start(dir_with_catalog(), &config(&people, &ci)).await;
    // Port 0 was asked for; the URL carries the real one.
    let port = b.url.strip_prefix("http://127.0.0.1:").unwrap();
    assert_ne!(port.parse::<u16>().unwrap(), 0);

    // Discovery advertises [login].
    let (status, _, d) = b.get("/.well-known/zt", None).await;
    assert_eq!(status, 200);
    let d: crate::api::Discovery = serde_json::from_value(d).unwrap();
    assert_eq!(d.issuer, people.issuer);
    assert_eq!(
        (d.client_id.as_str(), d.audience.as_str()),
        ("zt-cli", "zt-broker")
    );
    assert_eq!(d.scopes, ["openid", "offline_access", "roles"]);

    // People: groups from realm_access.roles, name from preferred_username.
    let alice = person(&people, "alice", &["engineering", "offline_access"]);
    let (status, _, me) = b.get("/v1/me", Some(&alice)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(
        me,
        json!({
            "sub": "u-alice", "issuer": people.issuer, "email": "alice@example.com",
            "name": "alice", "groups": ["engineering", "offline_access"],
        })
    );

    // CI, keys found by discovery: its own subject, email and groups claims.
    let job = ci.token(
        "zt-ci",
        json!({
            "sub": "repo:acme/deploy:ref:refs/heads/main",
            "job": { "id": "job-42" },
            "actor_email": "ci@acme.example",
            "repository": "acme/deploy",
        }),
    );
    let (status, _, me) = b.get("/v1/me", Some(&job)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["sub"], "job-42");
    assert_eq!(me["issuer"], ci.issuer.as_str());
    assert_eq!(me["email"], "ci@acme.example");
    assert_eq!(me["groups"], json!(["acme/deploy"]));

    // View through this broker is granted at once per the catalog, and the dev issuer sends
    // kubectl to the configured API server.
    let (status, _, r) = b
        .post(
            "/v1/requests",
            &alice,
            Some(json!({"resource": "prod-k8s", "role": "view", "ttl_secs": 600})),
        )
        .await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(
        (r["state"].as_str(), r["decision"]["outcome"].as_str()),
        (Some("approved"), Some("grant"))
    );
    let grant = r["id"].as_str().unwrap().to_owned();
    let (status, _, c) = b
        .post(&format!("/v1/grants/{grant}/credentials"), &alice, None)
        .await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(
        (
            c["kind"].as_str(),
            c["server"].as_str(),
            c["namespace"].as_str()
        ),
        (
            Some("kubernetes"),
            Some("https://k8s.example.com:6443"),
            Some("apps")
        )
    );
    // The CI job gets edit at once (its repository is an auto-approve group); alice must wait.
    let edit = json!({"resource": "prod-k8s", "role": "edit", "ttl_secs": 600});
    let (status, _, r) = b.post("/v1/requests", &job, Some(edit.clone())).await;
    assert_eq!(
        (status, r["state"].as_str()),
        (201, Some("approved")),
        "{r}"
    );
    let (_, _, r) = b.post("/v1/requests", &alice, Some(edit)).await;
    assert_eq!(r["state"], "pending", "{r}");

    // admin_groups is what the config says: zt-admins no longer revokes others' grants,
    // platform-admins (a realm role here) does.
    let revoke = format!("/v1/grants/{grant}/revoke");
    let old_admin = person(&people, "root", &["zt-admins"]);
    let (status, ctype, p) = b.post(&revoke, &old_admin, None).await;
    assert_eq!(
        (status, ctype.as_str()),
        (403, "application/problem+json"),
        "{p}"
    );
    assert!(
        p["detail"].as_str().unwrap().contains("platform-admins"),
        "{p}"
    );
    let admin = person(&people, "pat", &["platform-admins"]);
    let (status, _, r) = b.post(&revoke, &admin, None).await;
    assert_eq!((status, r["state"].as_str()), (200, Some("revoked")), "{r}");

    let dir = b.stop().await;
    // The store was created where the URL said, private.
    use std::os::unix::fs::PermissionsExt;
    let db = dir.path().join("data/broker.db");
    let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[tokio::test]
async fn refuses_tokens_it_should_not_believe() {
    let people = Idp::start("/realms/zt").await;
    let ci = Idp::start("/ci").await;
    let stranger = Idp::start("/realms/zt").await;
    let b = Running::start(dir_with_catalog(), &config(&people, &ci)).await;
    let claims = json!({"sub": "u-alice", "realm_access": {"roles": ["engineering"]}});
    // Sanity: the same claims, properly signed, pass.
    let good = people.token("zt-broker", claims.clone());
    assert_eq!(b.get("/v1/me", Some(&good)).await.0, 200);

    let mut expired = json!({
        "iss": people.issuer, "aud": "zt-broker", "sub": "u-alice",
        "exp": now() - 600, "iat": now() - 900,
    });
    let expired_tok = people.sign(&expired);
    // Forged: the people IdP's kid, signed by another key.
    expired["exp"] = json!(now() + 300);
    let (other_key, _, _) = p256();
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some(people.kid.clone());
    let forged = jsonwebtoken::encode(&h, &expired, &other_key).unwrap();
    // `alg: none`: the claims of a good token, no signature.
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&expired)
    );
    // Same-looking issuer URL, different IdP (its own port and keys): not trusted.
    let untrusted = stranger.token("zt-broker", claims.clone());
    // A token minted for someone else, and a CI token carrying the people audience (each
    // issuer is held to its own audience).
    let wrong_aud = people.token("another-service", claims.clone());
    let ci_with_people_aud = ci.token("zt-broker", json!({"job": {"id": "j"}}));

    for (what, token, why) in [
        (
            "untrusted issuer",
            untrusted.as_str(),
            "issuer is not trusted",
        ),
        ("wrong audience", wrong_aud.as_str(), "audience"),
        (
            "CI token for the people audience",
            ci_with_people_aud.as_str(),
            "audience",
        ),
        ("expired", expired_tok.as_str(), "has expired"),
        ("forged signature", forged.as_str(), "signature is invalid"),
        // jsonwebtoken knows no `none` algorithm: the header itself does not parse.
        ("alg none", none.as_str(), "malformed token (header)"),
    ] {
        let (status, ctype, p) = b.get("/v1/me", Some(token)).await;
        assert_eq!(status, 401, "{what}: {p}");
        assert_eq!(ctype, "application/problem+json", "{what}");
        let detail = p["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(why), "{what}: {detail}");
    }
    b.stop().await;
}

#[tokio::test]
async fn serves_https_with_the_configured_certificate() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let people = Idp::start("/realms/zt").await;
    let ci = Idp::start("/ci").await;
    let dir = dir_with_catalog();
    // A private CA and a certificate it signs for the loopback names.
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let ca = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    std::fs::create_dir(dir.path().join("tls")).unwrap();
    std::fs::write(dir.path().join("tls/cert.pem"), cert.pem()).unwrap();
    let key_path = dir.path().join("tls/key.pem");
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();

    let text = config(&people, &ci).replace(
        "listen = \"127.0.0.1:0\"",
        "listen = \"127.0.0.1:0\"\ntls_cert = \"tls/cert.pem\"\ntls_key = \"tls/key.pem\"",
    );
    std::fs::write(dir.path().join("broker.toml"), &text).unwrap();
    let summary = super::check(&dir.path().join("broker.toml")).unwrap();
    assert!(summary.contains(": ok: https on 127.0.0.1:0"), "{summary}");

    let trusting = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_cert.pem().as_bytes()).unwrap()])
        .build()
        .unwrap();
    let b = Running::start_with(dir, &text, trusting).await;
    assert!(b.url.starts_with("https://127.0.0.1:"), "{}", b.url);
    let (status, _, d) = b.get("/.well-known/zt", None).await;
    assert_eq!((status, d["client_id"].as_str()), (200, Some("zt-cli")));
    let alice = person(&people, "alice", &["engineering"]);
    assert_eq!(b.get("/v1/me", Some(&alice)).await.0, 200);
    // Plain HTTP on the HTTPS port gets nowhere, and a client that does not trust the CA
    // does not connect.
    let plain = b.url.replace("https://", "http://");
    assert!(
        reqwest::get(format!("{plain}/.well-known/zt"))
            .await
            .is_err()
    );
    assert!(
        reqwest::Client::new()
            .get(format!("{}/.well-known/zt", b.url))
            .send()
            .await
            .is_err()
    );
    let dir = b.stop().await;

    // `check` and `serve` read the TLS files: a key readable by everyone, or a key that is not
    // the certificate's, is refused before anything binds.
    let cfg_path = dir.path().join("broker.toml");
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = super::check(&cfg_path).unwrap_err();
    assert!(
        e.message.contains("accessible by every user"),
        "{}",
        e.message
    );
    std::fs::write(&key_path, KeyPair::generate().unwrap().serialize_pem()).unwrap();
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let e = super::check(&cfg_path).unwrap_err();
    assert!(e.message.starts_with("tls_cert "), "{}", e.message);
    std::fs::write(dir.path().join("tls/cert.pem"), "not pem").unwrap();
    let e = super::check(&cfg_path).unwrap_err();
    assert!(e.message.contains("no CERTIFICATE"), "{}", e.message);
}

#[tokio::test]
async fn public_url_is_announced_as_written() {
    let people = Idp::start("/realms/zt").await;
    let ci = Idp::start("/ci").await;
    let text = config(&people, &ci).replace(
        "listen = \"127.0.0.1:0\"",
        "listen = \"127.0.0.1:0\"\npublic_url = \"https://zt.example.com/\"",
    );
    let dir = dir_with_catalog();
    let path = dir.path().join("broker.toml");
    std::fs::write(&path, &text).unwrap();
    let server = super::start(&Config::load(&path).unwrap()).await.unwrap();
    assert_eq!(server.url, "https://zt.example.com");
    assert_eq!(
        super::listening_line(&server.url),
        "zt-broker listening on https://zt.example.com"
    );
    // `main` as the binary runs it: up, then down at the shutdown signal.
    drop(server);
    super::main(&path, async {}).await.unwrap();
}

#[test]
fn check_accepts_the_documented_example() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("broker.example.toml");
    let summary = super::check(&path).unwrap();
    assert!(
        summary.ends_with(
            "ok: http on 127.0.0.1:8443 as https://zt.example.com; store sqlite \
         /var/lib/zt/broker.db; 2 trusted issuer(s); catalog (inline) 2 resource(s), 4 role(s); \
         admin groups: zt-admins"
        ),
        "{summary}"
    );
    assert!(!summary.contains('\n'));
}
