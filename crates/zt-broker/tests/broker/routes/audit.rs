//! `GET /v1/audit` (`src/routes/audit`): who may read it (the admin groups, or a `read_audit`
//! policy first), its filters and pages.

use zt_testkit::broker::TestBroker;

#[tokio::test]
async fn admins_read_the_audit_log_filtered_and_paged() {
    let t = TestBroker::start().await;
    let a = t.create("alice", "prod-k8s", "view", 600).await.id();
    let b = t.create("mallory", "prod-k8s", "view", 600).await.id();
    t.post("alice", &format!("/v1/grants/{a}/revoke"), None)
        .await;

    // Neither an engineer nor an approver may read it; an admin (zt-admins) may.
    for who in ["alice", "bob", "outsider"] {
        let r = t.get(who, "/v1/audit").await;
        assert_eq!((r.status, r.slug()), (403, "forbidden"), "{who}");
        assert!(r.body["detail"].as_str().unwrap().contains("zt-admins"));
    }
    let all = t.get("root", "/v1/audit").await;
    assert_eq!(all.status, 200, "{:?}", all.body);
    let rows = all.body["rows"].as_array().unwrap();
    assert!(rows.len() >= 3);
    assert!(all.body.get("next").is_none());
    let seqs: Vec<i64> = rows.iter().map(|r| r["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let first = &rows[0];
    for key in ["at", "actor", "action", "detail", "prev_sha256", "sha256"] {
        assert!(first[key].is_string(), "{key}: {first}");
    }
    assert!(first["policy_ids"].is_array());
    assert_eq!(rows[1]["prev_sha256"], rows[0]["sha256"]);

    // Filters.
    let r = t.get("root", &format!("/v1/audit?request_id={a}")).await;
    let actions: Vec<&str> = r.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["request.create", "grant.revoke"]);
    let r = t
        .get(
            "root",
            "/v1/audit?action=request.create&actor=mallory@example.com",
        )
        .await;
    let rows = r.body["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{:?}", r.body);
    assert_eq!(rows[0]["request_id"].as_str(), Some(b.as_str()));
    assert_eq!(rows[0]["decision"], "grant");
    let r = t.get("root", "/v1/audit?since=2999-01-01T00:00:00Z").await;
    assert_eq!(r.body["rows"].as_array().unwrap().len(), 0);
    let r = t.get("root", "/v1/audit?until=2000-01-01T00:00:00Z").await;
    assert_eq!(r.body["rows"].as_array().unwrap().len(), 0);
    let r = t.get("root", "/v1/audit?since=2000-01-01T00:00:00Z").await;
    assert_eq!(r.body["rows"], all.body["rows"]);

    // Pages of one, following `next`, give the same rows.
    let mut paged = Vec::new();
    let mut path = "/v1/audit?limit=1".to_string();
    loop {
        let r = t.get("root", &path).await;
        paged.extend(r.body["rows"].as_array().unwrap().iter().cloned());
        match r.body["next"].as_i64() {
            Some(n) => path = format!("/v1/audit?limit=1&after={n}"),
            None => break,
        }
    }
    assert_eq!(&paged, all.body["rows"].as_array().unwrap());

    for bad in [
        "limit=0",
        "limit=1001",
        "after=-1",
        "since=yesterday",
        "limit=x",
    ] {
        let r = t.get("root", &format!("/v1/audit?{bad}")).await;
        assert_eq!((r.status, r.slug()), (400, "invalid-request"), "{bad}");
    }
}

#[tokio::test]
async fn a_read_audit_policy_decides_before_the_admin_groups() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = String::from(zt_broker::dev::demo::DEMO_POLICIES[0].1);
    demo.push_str(
        r#"
@id("auditors")
@outcome("grant")
permit (principal in Group::"sre-leads", action == Action::"read_audit", resource);

@id("no-root-audit")
@reason("{principal} reads the audit log through the SIEM")
forbid (principal in Group::"zt-admins", action == Action::"read_audit", resource);
"#,
    );
    std::fs::write(dir.path().join("p.cedar"), demo).unwrap();
    let t = TestBroker::start_with_policies(dir.path()).await;
    t.create("alice", "prod-k8s", "view", 600).await;
    let r = t.get("bob", "/v1/audit").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(!r.body["rows"].as_array().unwrap().is_empty());
    let r = t.get("root", "/v1/audit").await;
    assert_eq!((r.status, r.slug()), (403, "forbidden"));
    let detail = r.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("no-root-audit") && detail.contains("SIEM"),
        "{detail}"
    );
    assert_eq!(t.get("alice", "/v1/audit").await.status, 403);
}
