//! The Kubernetes issuer against a FAKE API server ([`super::fake`]; no kube-apiserver can run
//! here): the objects and token it makes, what it does when the API refuses or is down, and —
//! with the real kubectl v1.34 — that the minted token works until revoked.

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use serde_json::Value;
use tempfile::TempDir;

use super::fake::FakeApi;
use super::*;
use crate::api::{self, ClientContext, Decision, Outcome, State};
use crate::broker::catalog::Catalog;
use crate::broker::issuers::Issuers;
use crate::broker::store::{AuditEntry, Record, Store};

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

#[tokio::test]
async fn an_unreachable_api_fails_issue_and_revoke_until_it_is_back() {
    let mut t = setup(None).await;
    let g = t.grant("0000000000000107", "hank", "view", 3600);
    let cred = t.issuer.issue(&g).await.unwrap();

    t.fake.stop().await;
    let other = t.grant("0000000000000108", "hank", "view", 3600);
    let e = t.issuer.issue(&other).await.unwrap_err();
    assert!(
        e.0.starts_with("kubernetes: creating ServiceAccount"),
        "{e}"
    );
    assert!(
        e.0.to_lowercase().contains("connect"),
        "names the cause: {e}"
    );
    let e = t.issuer.revoke(&g).await.unwrap_err();
    assert!(e.0.contains("deleting ServiceAccount"), "{e}");

    // Back (same address and CA): the retry — the reaper's — succeeds and the token is dead.
    t.fake.restart().await;
    t.issuer.revoke(&g).await.unwrap();
    {
        let w = t.fake.world();
        assert!(w.service_accounts.is_empty() && w.role_bindings.is_empty());
    }
    let r = fake_client(&t.fake)
        .get(format!("{}/api/v1/namespaces/team-a", t.fake.server))
        .bearer_auth(token_of(&cred))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn a_cluster_that_is_not_there_at_all_is_an_issue_error() {
    let fake = FakeApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kc");
    // No `context` setting: the kubeconfig's current context, a closed port.
    fake.write_kubeconfig(&kubeconfig, &fake.broker_token, true);
    let text = std::fs::read_to_string(&kubeconfig).unwrap();
    assert!(text.contains("current-context: unreachable"));
    let c = Catalog::parse(&format!(
        "[[resource]]\nname = \"k\"\nkind = \"kubernetes\"\ndefault_role = \"v\"\nmax_ttl = \"1h\"\n\
         settings = {{ issuer = \"kubernetes\", server = \"https://k\", kubeconfig = \"{}\" }}\n\
         [[resource.role]]\nname = \"v\"\nsettings = {{ cluster_role = \"view\" }}\n",
        kubeconfig.display()
    ))
    .unwrap();
    let res = &c.resources()[0];
    let issuer = KubernetesIssuer::for_resource(res).unwrap();
    let now = Timestamp::now();
    let g = Grant {
        id: "0000000000000109".into(),
        requester: "ivy".into(),
        resource: "k".into(),
        kind: ResourceKind::Kubernetes,
        role: "v".into(),
        not_before: now,
        expires_at: now.add_secs(600),
        settings: res.settings_for(&res.roles[0]),
        ticket: None,
    };
    assert!(issuer.issue(&g).await.is_err());
    assert!(issuer.revoke(&g).await.is_err());
    assert!(fake.world().calls.is_empty(), "nothing reached the fake");

    // A kubeconfig that is not there.
    let missing = KubernetesIssuer {
        access: Access::Kubeconfig {
            path: Some(dir.path().join("nope")),
            context: None,
        },
        client: OnceCell::new(),
    };
    let e = missing.issue(&g).await.unwrap_err();
    assert!(e.0.contains("kubeconfig") && e.0.contains("nope"), "{e}");
}

#[tokio::test]
async fn revoke_is_idempotent() {
    let t = setup(None).await;
    let g = t.grant("000000000000010a", "jane", "view", 3600);
    // Never issued: everything is already gone (404), which is success.
    t.issuer.revoke(&g).await.unwrap();
    t.issuer.issue(&g).await.unwrap();
    t.issuer.revoke(&g).await.unwrap();
    t.issuer.revoke(&g).await.unwrap();
    let w = t.fake.world();
    assert!(w.service_accounts.is_empty() && w.role_bindings.is_empty());
    let deletes = w
        .writes()
        .iter()
        .filter(|c| c.starts_with("DELETE"))
        .count();
    assert_eq!(deletes, 6, "two deletes per revoke");
}

#[tokio::test]
async fn hostile_requester_names_become_dns_labels_the_fake_accepts() {
    let id = "000000000000010b";
    for (requester, want) in [
        ("Alice.Smith@example.com", "zt-alice-smith-000000000000010b"),
        ("../../etc/passwd", "zt-etc-passwd-000000000000010b"),
        ("", "zt-user-000000000000010b"),
        ("@only-domain", "zt-user-000000000000010b"),
        ("ÄÖÜ", "zt-user-000000000000010b"),
        ("-_-x-_-", "zt-x-000000000000010b"),
        ("UPPER_case  name", "zt-upper-case-name-000000000000010b"),
        (
            "Robert'); DROP TABLE--",
            "zt-robert-drop-table-000000000000010b",
        ),
        ("a\u{0}b\nc", "zt-a-b-c-000000000000010b"),
        ("élodie🎉", "zt-lodie-000000000000010b"),
    ] {
        let got = object_name(requester, id);
        assert_eq!(got, want, "{requester:?}");
        assert!(is_dns_label(&got), "{got}");
    }
    // Long names are cut to fit 63 characters, never ending in `-`.
    let long = format!("{}-{}", "a".repeat(42), "b".repeat(40));
    let got = object_name(&long, id);
    assert!(got.len() <= 63 && is_dns_label(&got), "{got}");
    assert_eq!(got, format!("zt-{}-{id}", "a".repeat(42)));
    // Ids that could not be part of a name are digested.
    let odd = object_name("x", "Not/A Valid_ID-but-a-very-long-one");
    assert!(
        is_dns_label(&odd) && odd.len() == "zt-x-".len() + 16,
        "{odd}"
    );

    // And the fake (which validates names as the API does) takes one of the hostile ones.
    let t = setup(None).await;
    let g = t.grant(id, "Robert'); DROP TABLE--@evil", "view", 3600);
    t.issuer.issue(&g).await.unwrap();
    assert!(t.fake.world().service_accounts.contains_key(&(
        "zt-grants".to_owned(),
        "zt-robert-drop-table-000000000000010b".to_owned()
    )));
}

#[test]
fn settings_are_checked_when_the_broker_starts() {
    let resource = |settings: &str, role: &str| {
        let text = format!(
            "[[resource]]\nname = \"k\"\nkind = \"kubernetes\"\ndefault_role = \"v\"\n\
             max_ttl = \"1h\"\nsettings = {{ issuer = \"kubernetes\", {settings} }}\n\
             [[resource.role]]\nname = \"v\"\nsettings = {{ {role} }}\n"
        );
        Catalog::parse(&text).unwrap().resources()[0].clone()
    };
    let ok = resource("server = \"https://k\"", "cluster_role = \"view\"");
    assert!(KubernetesIssuer::for_resource(&ok).is_ok());
    for (settings, role, says) in [
        (
            "namespace = \"x\"",
            "cluster_role = \"view\"",
            "settings.server",
        ),
        (
            "server = \"http://k\"",
            "cluster_role = \"view\"",
            "https://",
        ),
        ("server = \"https://k\"", "", "settings.cluster_role"),
        (
            "server = \"https://k\"",
            "cluster_role = \"a/b\"",
            "not a ClusterRole name",
        ),
        (
            "server = \"https://k\"",
            "cluster_role = \"view\", scope = \"galaxy\"",
            "scope",
        ),
        (
            "server = \"https://k\", namespace = \"Team_A\"",
            "cluster_role = \"view\"",
            "DNS-1123",
        ),
        (
            "server = \"https://k\", namespace = 3",
            "cluster_role = \"view\"",
            "must be a string",
        ),
        (
            "server = \"https://k\", kubeconfig = 1",
            "cluster_role = \"view\"",
            "kubeconfig",
        ),
    ] {
        let e = KubernetesIssuer::for_resource(&resource(settings, role))
            .err()
            .unwrap_or_else(|| panic!("accepted {settings} / {role}"));
        assert!(e.contains(says), "{settings} / {role}: {e}");
        assert!(e.starts_with("catalog: k"), "{e}");
    }
    let mut aws = ok.clone();
    aws.kind = ResourceKind::Aws;
    assert!(
        KubernetesIssuer::for_resource(&aws)
            .err()
            .unwrap()
            .contains("kind aws")
    );

    // How `serve` and `dev` pick issuers.
    assert!(crate::broker::serve::real_issuer(&ok).unwrap().is_some());
    let mut dev = ok.clone();
    dev.settings.remove("issuer");
    assert!(crate::broker::serve::real_issuer(&dev).unwrap().is_none());
    let mut unknown = ok;
    unknown
        .settings
        .insert("issuer".into(), toml::Value::String("vault".into()));
    let e = crate::broker::serve::real_issuer(&unknown).err().unwrap();
    assert!(e.message.contains("\"vault\""), "{}", e.message);
}

/// A client that trusts the fake's CA.
fn fake_client(fake: &FakeApi) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(fake.ca_pem.as_bytes()).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_fake_checks_minted_tokens_as_the_api_server_does() {
    let t = setup(None).await;
    let g = t.grant("000000000000010c", "kim", "view", 3600);
    let token = token_of(&t.issuer.issue(&g).await.unwrap()).to_owned();
    let http = fake_client(&t.fake);
    let get = |path: &str, token: &str| {
        http.get(format!("{}{path}", t.fake.server))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(get("/api/v1", &token).await.unwrap().status(), 200);
    // A RoleBinding in team-a: that namespace may be read, the list of all may not.
    assert_eq!(
        get("/api/v1/namespaces/team-a", &token)
            .await
            .unwrap()
            .status(),
        200
    );
    let r = get("/api/v1/namespaces", &token).await.unwrap();
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        (body["kind"].as_str(), body["reason"].as_str()),
        (Some("Status"), Some("Forbidden"))
    );
    // Minted tokens cannot do the broker's work.
    let r = http
        .post(format!("{}/api/v1/namespaces/zt-grants/serviceaccounts", t.fake.server))
        .bearer_auth(&token)
        .json(&serde_json::json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "x"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Past the token's own expiry (the fake's clock moved on): 401.
    t.fake.world().clock_offset = 3601;
    let r = get("/api/v1/namespaces/team-a", &token).await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        get("/api/v1/namespaces/team-a", "made-up")
            .await
            .unwrap()
            .status(),
        401
    );
}

/// The kubectl to drive: `ZT_TEST_KUBECTL`, else the one `scripts/peers.sh` installs; with
/// `ZT_TEST_REQUIRE_PEERS=1` (the README's test command) a missing kubectl fails the test.
fn kubectl() -> Option<PathBuf> {
    let candidate = match std::env::var("ZT_TEST_KUBECTL") {
        Ok(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".peers/bin/kubectl"),
    };
    if candidate.is_file() {
        return Some(candidate);
    }
    assert!(
        std::env::var("ZT_TEST_REQUIRE_PEERS").as_deref() != Ok("1"),
        "no kubectl at {} but ZT_TEST_REQUIRE_PEERS=1: run the README's test command",
        candidate.display()
    );
    eprintln!("skipping: no kubectl (set ZT_TEST_KUBECTL or run the README's test command)");
    None
}

/// `kubectl --kubeconfig … ARGS` with a kubeconfig holding `token` as a static token user.
async fn run_kubectl(
    kubectl: &PathBuf,
    kubeconfig: &std::path::Path,
    args: &[&str],
) -> (bool, String) {
    let out = tokio::process::Command::new(kubectl)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", kubeconfig.parent().unwrap())
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn kubectl_uses_the_minted_token_until_revoke() {
    let Some(kubectl) = kubectl() else { return };
    let t = setup(None).await;
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("config");

    // Cluster scope: `kubectl get namespaces` works with the token, at the fake.
    let g = t.grant("000000000000010d", "lee", "admin", 3600);
    let cred = t.issuer.issue(&g).await.unwrap();
    let Credential::Kubernetes {
        server,
        certificate_authority_data,
        ..
    } = &cred
    else {
        panic!()
    };
    assert_eq!(server, &t.fake.server);
    assert!(certificate_authority_data.is_some());
    t.fake.write_kubeconfig(&kc, token_of(&cred), false);
    let (ok, out) = run_kubectl(&kubectl, &kc, &["get", "namespaces", "-o", "name"]).await;
    assert!(ok, "kubectl against the fake API: {out}");
    assert!(
        out.contains("namespace/team-a") && out.contains("namespace/zt-grants"),
        "{out}"
    );

    t.issuer.revoke(&g).await.unwrap();
    let (ok, out) = run_kubectl(&kubectl, &kc, &["get", "namespaces", "-o", "name"]).await;
    assert!(!ok, "kubectl still works after revoke: {out}");
    assert!(out.contains("(Unauthorized)"), "{out}");

    // Namespace scope: its namespace, not the cluster's list (the fake's RBAC is that strict).
    let g = t.grant("000000000000010e", "lee", "view", 3600);
    let cred = t.issuer.issue(&g).await.unwrap();
    t.fake.write_kubeconfig(&kc, token_of(&cred), false);
    let (ok, out) = run_kubectl(&kubectl, &kc, &["get", "namespace", "team-a", "-o", "name"]).await;
    assert!(ok && out.contains("namespace/team-a"), "{out}");
    let (ok, out) = run_kubectl(&kubectl, &kc, &["get", "namespaces"]).await;
    assert!(!ok && out.contains("forbidden"), "{out}");
    t.issuer.revoke(&g).await.unwrap();
    let (ok, out) = run_kubectl(&kubectl, &kc, &["get", "namespace", "team-a"]).await;
    assert!(!ok && out.contains("(Unauthorized)"), "{out}");
}

/// Through the broker's own lifecycle: the credential endpoint's minting, a revoke while the
/// API is down (left for the reaper), and the reaper's retry once it is back.
#[tokio::test]
async fn the_reaper_retries_a_revoke_the_api_was_down_for() {
    use crate::broker::lifecycle::{credential, end_grant};
    let mut t = setup(None).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).await.unwrap();
    let mut issuers = Issuers::default();
    issuers.insert("prod-k8s", t.issuer.clone());
    let b = crate::broker::state::Broker::new(
        store,
        t.catalog.clone(),
        Box::new(crate::broker::policy::DemoPolicy),
        issuers,
        crate::broker::auth::Verifier::new(vec![], reqwest::Client::new()),
        api::Discovery {
            issuer: "http://idp".into(),
            client_id: "c".into(),
            scopes: vec![],
            audience: "a".into(),
            broker_version: "0".into(),
        },
    );
    let now = Timestamp::now();
    let id = "000000000000010f";
    let rec = Record {
        request: api::Request {
            id: id.into(),
            requester: "alice@example.com".into(),
            resource: "prod-k8s".into(),
            kind: ResourceKind::Kubernetes,
            role: "view".into(),
            ttl_secs: 900,
            reason: None,
            ticket: None,
            break_glass: false,
            state: State::Approved,
            decision: Decision {
                outcome: Outcome::Grant,
                policy_ids: vec![],
                reason: String::new(),
                approver_groups: vec![],
            },
            decided_by: None,
            created_at: now,
            not_before: Some(now),
            expires_at: Some(now.add_secs(900)),
        },
        requester_issuer: "http://idp".into(),
        requester_sub: "alice".into(),
        idempotency_key: id.into(),
        body_sha256: String::new(),
        context: ClientContext::default(),
        comment: None,
    };
    b.store
        .insert_request(&rec, AuditEntry::new("t", "create", Some(id)))
        .await
        .unwrap();
    let cred = credential(&b, id, "alice").await.unwrap();
    assert!(cred.expires_at() <= now.add_secs(900));
    assert_eq!(t.fake.world().service_accounts.len(), 1);

    t.fake.stop().await;
    let rec = b.store.get(id).await.unwrap();
    let (_, revoked) = end_grant(&b, &rec, State::Revoked, "alice", "test".into())
        .await
        .unwrap();
    assert!(!revoked, "the API is down: not revoked yet");
    assert_eq!(b.store.ended_with_live_credentials().await.unwrap(), [id]);

    t.fake.restart().await;
    crate::broker::reaper::pass(&b).await;
    assert!(
        b.store
            .ended_with_live_credentials()
            .await
            .unwrap()
            .is_empty()
    );
    let w = t.fake.world();
    assert!(w.service_accounts.is_empty() && w.role_bindings.is_empty());
}
