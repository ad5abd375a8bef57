//! Minted tokens in use: the fake checking them as the API server does, the real kubectl
//! working until revoke, and the reaper retrying a revoke the API was down for.

use super::*;

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
// A test helper, outside `#[test]`: it says why a test skips (clippy print_stderr).
#[allow(clippy::print_stderr)]
fn kubectl() -> Option<PathBuf> {
    let candidate = match std::env::var("ZT_TEST_KUBECTL") {
        Ok(p) if !p.is_empty() => PathBuf::from(p),
        _ => {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(".peers/bin/kubectl")
        }
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
    use zt_broker::domain::lifecycle::{credential, end_grant};
    let mut t = setup(None).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).await.unwrap();
    let mut issuers = Issuers::default();
    issuers.insert("prod-k8s", t.issuer.clone());
    let b = zt_broker::state::Broker::new(
        store,
        t.catalog.clone(),
        Box::new(zt_broker::dev::demo::DemoPolicy),
        issuers,
        zt_broker::auth::Verifier::new(vec![], reqwest::Client::new()),
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
    zt_testkit::broker::insert_approved(
        &b.store,
        id,
        "prod-k8s",
        ResourceKind::Kubernetes,
        "view",
        900,
    )
    .await;
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
    zt_broker::reaper::pass(&b).await;
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
