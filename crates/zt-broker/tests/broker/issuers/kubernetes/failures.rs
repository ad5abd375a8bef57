//! The Kubernetes issuer when things go wrong: an API that is down or absent, revokes of
//! what is gone, hostile requester names. (Settings refused at start: the unit tests in
//! `src/issuers/kubernetes/tests.rs`.)

use super::*;

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

    // A kubeconfig that is not there (the `kubeconfig` setting without `context`).
    let nowhere = Catalog::parse(&format!(
        "[[resource]]\nname = \"k\"\nkind = \"kubernetes\"\ndefault_role = \"v\"\nmax_ttl = \"1h\"\n\
         settings = {{ issuer = \"kubernetes\", server = \"https://k\", kubeconfig = \"{}\" }}\n\
         [[resource.role]]\nname = \"v\"\nsettings = {{ cluster_role = \"view\" }}\n",
        dir.path().join("nope").display()
    ))
    .unwrap();
    let missing = KubernetesIssuer::for_resource(&nowhere.resources()[0]).unwrap();
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
