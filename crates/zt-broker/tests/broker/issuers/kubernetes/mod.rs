//! The Kubernetes issuer against a FAKE API server (`zt_testkit::kube`; no kube-apiserver can
//! run here): the objects and token it makes, what it does when the API refuses or is down,
//! and — with the real kubectl v1.34 — that the minted token works until revoked.
//! (Its settings checks, which need no server, are unit tests in `src/issuers/kubernetes/`.)

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use serde_json::Value;
use tempfile::TempDir;

use zt_api::{self as api, Credential, ResourceKind, State, Timestamp};
use zt_broker::catalog::Catalog;
use zt_broker::issuers::kubernetes::{KubernetesIssuer, is_dns_label, object_name, token_seconds};
use zt_broker::issuers::{Grant, Issuer, Issuers};
use zt_broker::store::Store;
use zt_testkit::kube::FakeApi;

mod failures;
mod kubectl;

/// A catalog resource using this issuer, whose own access goes through `kubeconfig` (the
/// fake's CA and the broker's token, in the `fake` context — its current context is a closed
/// port, so the `context` setting is what makes it work).
fn catalog(kubeconfig: &std::path::Path, server: &str, ca: &str) -> Catalog {
    Catalog::parse(&format!(
        r#"
[[resource]]
name = "prod-k8s"
kind = "kubernetes"
default_role = "view"
max_ttl = "8h"
settings = {{ issuer = "kubernetes", server = "{server}", certificate_authority_data = "{ca}", namespace = "team-a", service_account_namespace = "zt-grants", kubeconfig = "{}", context = "fake" }}

[[resource.role]]
name = "view"
settings = {{ cluster_role = "view" }}

[[resource.role]]
name = "admin"
settings = {{ cluster_role = "cluster-admin", scope = "cluster" }}

[[resource.role]]
name = "secrets"
settings = {{ cluster_role = "secret-admin" }}
"#,
        kubeconfig.display()
    ))
    .unwrap()
}

struct Setup {
    fake: FakeApi,
    issuer: Arc<KubernetesIssuer>,
    catalog: Catalog,
    _dir: TempDir,
}

/// The fake, and the issuer configured to reach it. `server`: what kubectl is to be given
/// (`None`: the fake itself, with its CA).
async fn setup(server: Option<&str>) -> Setup {
    let fake = FakeApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("broker-kubeconfig");
    fake.write_kubeconfig(&kubeconfig, &fake.broker_token, true);
    let ca = base64::engine::general_purpose::STANDARD.encode(&fake.ca_pem);
    let catalog = match server {
        Some(s) => catalog(&kubeconfig, s, "Q0EgZGF0YQ=="),
        None => catalog(&kubeconfig, &fake.server, &ca),
    };
    let issuer = KubernetesIssuer::for_resource(&catalog.resources()[0]).unwrap();
    Setup {
        fake,
        issuer,
        catalog,
        _dir: dir,
    }
}

impl Setup {
    fn grant(&self, id: &str, requester: &str, role: &str, ttl: i64) -> Grant {
        let res = &self.catalog.resources()[0];
        let now = Timestamp::now();
        Grant {
            id: id.into(),
            requester: requester.into(),
            resource: res.name.clone(),
            kind: ResourceKind::Kubernetes,
            role: role.into(),
            not_before: now,
            expires_at: now.add_secs(ttl),
            settings: res.settings_for(res.role(role).unwrap()),
            ticket: None,
        }
    }
}

fn token_of(c: &Credential) -> &str {
    match c {
        Credential::Kubernetes { token, .. } => token,
        other => panic!("not a Kubernetes credential: {other:?}"),
    }
}

fn label(obj: &Value, key: &str) -> String {
    obj["metadata"]["labels"][key]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn issue_makes_the_service_account_binding_and_token_at_the_fake() {
    let t = setup(Some("https://prod.k8s.example:6443")).await;
    let g = t.grant("0123456789abcdef", "Alice.Smith@example.com", "view", 7200);
    let cred = t.issuer.issue(&g).await.unwrap();
    let name = "zt-alice-smith-0123456789abcdef";

    let w = t.fake.world();
    assert_eq!(
        w.writes(),
        [
            "POST /api/v1/namespaces/zt-grants/serviceaccounts".to_owned(),
            "POST /apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings".into(),
            format!("POST /api/v1/namespaces/zt-grants/serviceaccounts/{name}/token"),
        ],
        "the fake saw these writes"
    );
    let sa = &w.service_accounts[&("zt-grants".to_owned(), name.to_owned())];
    assert_eq!(
        (sa["apiVersion"].as_str(), sa["kind"].as_str()),
        (Some("v1"), Some("ServiceAccount"))
    );
    assert_eq!(label(sa, "app.kubernetes.io/managed-by"), "zt");
    assert_eq!(label(sa, "zt.dev/grant"), "0123456789abcdef");
    assert_eq!(
        sa["metadata"]["annotations"]["zt.dev/requester"],
        "Alice.Smith@example.com"
    );
    assert_eq!(sa["automountServiceAccountToken"], false);

    let rb = &w.role_bindings[&("team-a".to_owned(), name.to_owned())];
    assert_eq!(rb["kind"], "RoleBinding");
    assert_eq!(rb["apiVersion"], "rbac.authorization.k8s.io/v1");
    assert_eq!(label(rb, "zt.dev/grant"), "0123456789abcdef");
    assert_eq!(
        rb["roleRef"],
        serde_json::json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"})
    );
    assert_eq!(
        rb["subjects"],
        serde_json::json!([{"kind": "ServiceAccount", "name": name, "namespace": "zt-grants"}])
    );
    assert!(w.cluster_role_bindings.is_empty());

    let tr = w.calls.last().unwrap().body.clone().unwrap();
    assert_eq!(
        (tr["apiVersion"].as_str(), tr["kind"].as_str()),
        (Some("authentication.k8s.io/v1"), Some("TokenRequest"))
    );
    let secs = tr["spec"]["expirationSeconds"].as_i64().unwrap();
    assert!(
        (600..=7200).contains(&secs) && secs >= 7190,
        "expirationSeconds {secs}: ≤ the 7200 s left, ≥ 600"
    );
    drop(w);

    let Credential::Kubernetes {
        server,
        certificate_authority_data,
        namespace,
        token,
        expires_at,
    } = cred
    else {
        panic!("not a Kubernetes credential")
    };
    // The catalog's server and CA, not the address the broker itself uses.
    assert_eq!(server, "https://prod.k8s.example:6443");
    assert_eq!(certificate_authority_data.as_deref(), Some("Q0EgZGF0YQ=="));
    assert_eq!(namespace.as_deref(), Some("team-a"));
    assert_eq!(token.split('.').count(), 3, "a JWT-shaped token");
    assert!(
        expires_at <= g.expires_at,
        "{expires_at} > {}",
        g.expires_at
    );
    assert!(expires_at.0 >= g.expires_at.0 - 10);
}

#[tokio::test]
async fn a_short_grant_asks_for_the_600s_minimum_and_expires_at_grant_end() {
    let t = setup(None).await;
    let g = t.grant("00000000000000a1", "bob", "view", 90);
    let cred = t.issuer.issue(&g).await.unwrap();
    let tr = t.fake.world().calls.last().unwrap().body.clone().unwrap();
    assert_eq!(tr["spec"]["expirationSeconds"], 600);
    // The token is good at the API for 10 minutes, the credential only until the grant ends
    // (and revoking at the grant's end deletes the ServiceAccount, which kills the token).
    assert_eq!(cred.expires_at(), g.expires_at);
    assert_eq!(token_seconds(90), 600);
    assert_eq!(token_seconds(-5), 600);
    assert_eq!(token_seconds(3600), 3600);
    assert_eq!(token_seconds(i64::MAX), (1 << 32) - 1);
}

#[tokio::test]
async fn a_token_the_api_shortens_sets_expires_at_and_minting_again_reuses_the_objects() {
    let t = setup(None).await;
    t.fake.world().max_token_seconds = Some(3600);
    let g = t.grant("00000000000000b2", "carol", "view", 7200);
    let first = t.issuer.issue(&g).await.unwrap();
    let left = first.expires_at().0 - Timestamp::now().0;
    assert!((3590..=3600).contains(&left), "{left}");

    // What the credential endpoint does once that token has expired: mint again. The names
    // depend only on the grant, so the issuer finds its own objects (409, then checked).
    let second = t.issuer.issue(&g).await.unwrap();
    assert_ne!(token_of(&first), token_of(&second));
    let w = t.fake.world();
    assert_eq!((w.service_accounts.len(), w.role_bindings.len()), (1, 1));
    let gets = w.writes().iter().filter(|c| c.starts_with("GET ")).count();
    assert_eq!(
        gets, 2,
        "the existing ServiceAccount and RoleBinding were checked"
    );
}

#[tokio::test]
async fn objects_of_the_same_name_that_are_not_the_grants_are_left_alone() {
    let t = setup(None).await;
    let g = t.grant("00000000000000c3", "dave", "view", 3600);
    let name = object_name("dave", "00000000000000c3");
    // Someone else's ServiceAccount under that name (no zt labels).
    t.fake.world().service_accounts.insert(
        ("zt-grants".into(), name.clone()),
        serde_json::json!({"apiVersion": "v1", "kind": "ServiceAccount",
                           "metadata": {"name": name, "namespace": "zt-grants", "uid": "x"}}),
    );
    let e = t.issuer.issue(&g).await.unwrap_err();
    assert!(e.0.contains("is not this grant's"), "{e}");
    assert_eq!(
        t.fake.world().service_accounts.len(),
        1,
        "it is still there"
    );
    assert!(t.fake.world().role_bindings.is_empty());
}

#[tokio::test]
async fn cluster_scope_makes_a_cluster_role_binding_and_revoke_deletes_it() {
    let t = setup(None).await;
    let g = t.grant("00000000000000d4", "erin", "admin", 3600);
    t.issuer.issue(&g).await.unwrap();
    {
        let w = t.fake.world();
        assert!(w.role_bindings.is_empty());
        let crb = &w.cluster_role_bindings[&object_name("erin", &g.id)];
        assert_eq!(crb["kind"], "ClusterRoleBinding");
        assert_eq!(crb["roleRef"]["name"], "cluster-admin");
        assert_eq!(crb["subjects"][0]["namespace"], "zt-grants");
    }
    t.issuer.revoke(&g).await.unwrap();
    let w = t.fake.world();
    assert!(w.cluster_role_bindings.is_empty() && w.service_accounts.is_empty());
}

#[tokio::test]
async fn a_refused_binding_leaves_no_service_account_behind() {
    let t = setup(None).await;
    // The broker may not bind this role (the API's RBAC escalation check).
    t.fake.world().unbindable.insert("secret-admin".into());
    let g = t.grant("00000000000000e5", "frank", "secrets", 3600);
    let e = t.issuer.issue(&g).await.unwrap_err();
    assert!(
        e.0.contains("RoleBinding team-a/zt-frank-") && e.0.contains("403 Forbidden"),
        "{e}"
    );
    let w = t.fake.world();
    assert!(w.service_accounts.is_empty(), "no orphan ServiceAccount");
    assert!(w.role_bindings.is_empty());
    let writes = w.writes();
    assert_eq!(writes.len(), 3, "{writes:?}");
    assert!(writes[2].starts_with("DELETE /api/v1/namespaces/zt-grants/serviceaccounts/zt-frank-"));
}

#[tokio::test]
async fn a_refused_token_request_rolls_back_both_objects() {
    let t = setup(None).await;
    t.fake.world().refuse_tokens = true;
    let g = t.grant("00000000000000f6", "gina", "view", 3600);
    let e = t.issuer.issue(&g).await.unwrap_err();
    assert!(
        e.0.contains("requesting a token") && e.0.contains("403"),
        "{e}"
    );
    let w = t.fake.world();
    assert!(w.service_accounts.is_empty() && w.role_bindings.is_empty());
}

/// A client that trusts the fake's CA.
fn fake_client(fake: &FakeApi) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(fake.ca_pem.as_bytes()).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .build()
        .unwrap()
}
