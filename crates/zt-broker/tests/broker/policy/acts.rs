//! `approve` and `revoke` put to policy through the API, with policies written for the test:
//! a forbid refuses the act even to those the built-in rules allow, a revoke permit lets
//! someone else end a grant, an approve permit widens nothing, and silence leaves the rules.

use zt_testkit::broker::TestBroker;

const POLICIES: &str = r#"
@id("everyday") @outcome("approval") @approvers("sre-leads")
permit (principal in Group::"engineering", action == Action::"request", resource);

@id("dave-does-not-decide") @reason("dave does not decide on {resource}/{role}")
forbid (principal == User::"dave", action == Action::"approve", resource);

@id("engineers-revoke-view") @outcome("grant")
permit (principal in Group::"engineering", action == Action::"revoke", resource)
when { context.role == "view" };

@id("anyone-may-approve") @outcome("grant")
permit (principal, action == Action::"approve", resource);

@id("admin-grants-stay") @reason("admin grants on {resource} end on their own")
forbid (principal, action == Action::"revoke", resource)
when { context.role == "admin" };
"#;

async fn broker() -> TestBroker {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.cedar"), POLICIES).unwrap();
    TestBroker::start_with_policies(dir.path()).await
}

async fn approved(t: &TestBroker, role: &str) -> String {
    let id = t.create("alice", "prod-k8s", role, 600).await.id();
    let r = t
        .post("bob", &format!("/v1/requests/{id}/approve"), None)
        .await;
    assert_eq!(r.body["state"], "approved", "{:?}", r.body);
    id
}

#[tokio::test]
async fn a_forbid_on_approve_refuses_an_approver_and_a_permit_adds_none() {
    let t = broker().await;
    let id = t.create("alice", "prod-k8s", "edit", 600).await.id();
    for verb in ["approve", "deny"] {
        let r = t
            .post("dave", &format!("/v1/requests/{id}/{verb}"), None)
            .await;
        assert_eq!((r.status, r.slug()), (403, "forbidden"), "{verb}");
        let detail = r.body["detail"].as_str().unwrap();
        assert!(
            detail.contains("dave-does-not-decide")
                && detail.contains("dave does not decide on prod-k8s/edit"),
            "{detail}"
        );
    }
    // The permit on approve lets nobody outside the approver groups decide.
    let r = t
        .post("mallory", &format!("/v1/requests/{id}/approve"), None)
        .await;
    assert_eq!((r.status, r.slug()), (403, "forbidden"));
    let state = t.get("alice", &format!("/v1/requests/{id}")).await;
    assert_eq!(state.body["state"], "pending");
    let r = t
        .post("bob", &format!("/v1/requests/{id}/approve"), None)
        .await;
    assert_eq!(
        (r.status, r.body["state"].as_str()),
        (200, Some("approved"))
    );
}

#[tokio::test]
async fn a_revoke_permit_lets_others_end_a_grant_and_a_forbid_stops_even_the_requester() {
    let t = broker().await;
    // view: any engineer may revoke (the permit); outsiders still may not.
    let view = approved(&t, "view").await;
    let r = t
        .post("outsider", &format!("/v1/grants/{view}/revoke"), None)
        .await;
    assert_eq!((r.status, r.slug()), (403, "forbidden"));
    let r = t
        .post("mallory", &format!("/v1/grants/{view}/revoke"), None)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["state"], "revoked");

    // admin: the forbid stops the requester and the admins alike; the grant stays live.
    let admin = approved(&t, "admin").await;
    for who in ["alice", "root"] {
        let r = t
            .post(who, &format!("/v1/grants/{admin}/revoke"), None)
            .await;
        assert_eq!((r.status, r.slug()), (403, "forbidden"), "{who}");
        let detail = r.body["detail"].as_str().unwrap();
        assert!(detail.contains("admin-grants-stay"), "{detail}");
    }
    let state = t.get("alice", &format!("/v1/requests/{admin}")).await;
    assert_eq!(state.body["state"], "approved");

    // edit: policy says nothing; the requester may, another engineer may not.
    let edit = approved(&t, "edit").await;
    let r = t
        .post("mallory", &format!("/v1/grants/{edit}/revoke"), None)
        .await;
    assert_eq!((r.status, r.slug()), (403, "forbidden"));
    let r = t
        .post("alice", &format!("/v1/grants/{edit}/revoke"), None)
        .await;
    assert_eq!((r.status, r.body["state"].as_str()), (200, Some("revoked")));
}
