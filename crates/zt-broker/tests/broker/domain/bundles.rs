//! Bundles on a whole broker (issue 16), on SQLite and PostgreSQL: each item decided by policy
//! on its own, all created together or not at all (a reused key makes the insert fail midway:
//! nothing is left), one approval (or denial) deciding every pending item, an idempotent
//! retry, a catalog bundle by name; and, with policies of the test's own, one item denied by
//! policy while the others go on.

use serde_json::{Value, json};

use zt_api::State;
use zt_testkit::broker::{Resp, TestBroker};
use zt_testkit::pg::TestPg;

async fn post(t: &TestBroker, user: &str, body: Value, key: &str) -> Resp {
    t.send(
        Some(user),
        reqwest::Method::POST,
        "/v1/bundles",
        Some(body),
        Some(key),
    )
    .await
}

fn states(r: &Resp) -> Vec<String> {
    r.body["requests"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.body))
        .iter()
        .map(|q| q["state"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(r: &Resp) -> Vec<String> {
    r.body["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .collect()
}

/// How many requests alice has: a refused bundle leaves it as it was.
async fn alices(t: &TestBroker) -> usize {
    let all = t.broker.store.list_by_state(&[]).await.unwrap();
    all.iter()
        .filter(|r| r.request.requester.starts_with("alice"))
        .count()
}

async fn audit_actions(t: &TestBroker) -> Vec<String> {
    let rows = t.broker.store.audit_rows(0, 1_000_000).await.unwrap();
    rows.into_iter().map(|r| r.entry.action).collect()
}

async fn bundles_are_all_or_nothing_and_approved_once(t: &TestBroker) {
    let body = json!({
        "items": [{"resource": "prod-k8s", "role": "view"},
                  {"resource": "prod-aws", "role": "admin"},
                  {"resource": "prod-db", "role": "readwrite"}],
        "ttl_secs": 600, "reason": "INC-4211",
    });
    let r = post(t, "alice", body.clone(), "inc-4211").await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(states(&r), ["approved", "pending", "pending"]);
    let bundle = r.body["id"].as_str().unwrap().to_owned();
    let items = ids(&r);
    for id in &items {
        let rec = t.broker.store.get(id).await.unwrap();
        assert_eq!(rec.request.bundle_id.as_deref(), Some(bundle.as_str()));
        assert_eq!(rec.request.reason.as_deref(), Some("INC-4211"));
    }
    let actions = audit_actions(t).await;
    assert_eq!(actions.iter().filter(|a| *a == "bundle.create").count(), 1);

    // A retry answers the same bundle; nothing new is stored.
    let before = alices(t).await;
    let again = post(t, "alice", body.clone(), "inc-4211").await;
    assert_eq!(again.status, 200);
    assert_eq!(ids(&again), items);
    assert_eq!(alices(t).await, before);

    // All or nothing: an unknown role in the last item, or a key already used by the second
    // item's (the insert fails after the first row went in) — nothing of the bundle is left.
    let bad = json!({"items": [{"resource": "prod-k8s", "role": "view"},
        {"resource": "prod-db", "role": "superuser"}], "ttl_secs": 600});
    let r = post(t, "alice", bad, "bad-role").await;
    assert_eq!((r.status, r.slug()), (422, "unknown-role"), "{}", r.body);
    assert_eq!(alices(t).await, before);
    let single = json!({"resource": "prod-k8s", "role": "view", "ttl_secs": 60});
    let taken = t
        .send(
            Some("alice"),
            reqwest::Method::POST,
            "/v1/requests",
            Some(single),
            Some("clash#bundle-item-01"),
        )
        .await;
    assert_eq!(taken.status, 201);
    let before = alices(t).await;
    let audit_before = audit_actions(t).await.len();
    let clash = json!({"items": [{"resource": "prod-db", "role": "readonly"},
        {"resource": "prod-aws", "role": "readonly"}], "ttl_secs": 600});
    let r = post(t, "alice", clash, "clash").await;
    assert_eq!((r.status, r.slug()), (409, "conflict"), "{}", r.body);
    assert_eq!(
        alices(t).await,
        before,
        "no item of the failed bundle is left"
    );
    assert_eq!(
        audit_actions(t).await.len(),
        audit_before,
        "nor an audit row"
    );
    // A resource named twice, and too many items: 400, nothing made.
    let twice = json!({"items": [{"resource": "prod-db"}, {"resource": "prod-db", "role": "readwrite"}], "ttl_secs": 60});
    let r = post(t, "alice", twice, "twice").await;
    assert_eq!(r.status, 400);
    assert!(r.body["detail"].as_str().unwrap().contains("twice"));
    assert_eq!(alices(t).await, before);

    // Someone outside the approver groups decides nothing.
    let approve = format!("/v1/requests/{}/approve", items[2]);
    let r = t.post("mallory", &approve, None).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        t.broker.store.get(&items[1]).await.unwrap().state(),
        State::Pending
    );
    // One approval, through either pending item, approves both; the granted one is as it was.
    let granted_before = t.broker.store.get(&items[0]).await.unwrap();
    let r = t.post("bob", &approve, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["zt-approval"], "approved");
    for id in &items[1..] {
        let rec = t.broker.store.get(id).await.unwrap();
        assert_eq!(rec.state(), State::Approved, "{id}");
        assert_eq!(rec.request.decided_by.as_deref(), Some("bob@example.com"));
        assert!(rec.request.expires_at.is_some());
    }
    assert_eq!(t.broker.store.get(&items[0]).await.unwrap(), granted_before);
    let approvals = audit_actions(t)
        .await
        .iter()
        .filter(|a| *a == "request.approve")
        .count();
    assert_eq!(approvals, 2, "one approval, audited per item");
    // Approving again is a conflict: nothing is pending.
    let r = t.post("dave", &approve, None).await;
    assert_eq!(r.status, 409);

    // Denying one pending item denies the bundle's pending items.
    let body = json!({"items": [{"resource": "prod-k8s", "role": "admin"},
        {"resource": "prod-aws", "role": "admin"}], "ttl_secs": 600, "reason": "INC-4212"});
    let r = post(t, "alice", body, "inc-4212").await;
    assert_eq!(states(&r), ["pending", "pending"]);
    let items = ids(&r);
    let deny = format!("/v1/requests/{}/deny", items[0]);
    let r = t.post("alice", &deny, None).await;
    assert_eq!((r.status, r.slug()), (403, "self-approval"));
    let r = t
        .post("bob", &deny, Some(json!({"comment": "use the runbook"})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    for id in &items {
        let rec = t.broker.store.get(id).await.unwrap();
        assert_eq!(rec.state(), State::Denied);
        assert_eq!(
            rec.request.decision_comment.as_deref(),
            Some("use the runbook")
        );
    }

    // A catalog bundle by name: its items, in order.
    let r = post(
        t,
        "alice",
        json!({"name": "incident-db-access", "ttl_secs": 600, "reason": "INC-4213"}),
        "named",
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["name"], "incident-db-access");
    let got: Vec<(&str, &str)> = r.body["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q["resource"].as_str().unwrap(), q["role"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [("prod-k8s", "view"), ("prod-db", "readwrite")]);
    let path = format!("/v1/bundles/{}", r.body["id"].as_str().unwrap());
    let read = t.get("bob", &path).await;
    assert_eq!(read.status, 200);
    assert_eq!(ids(&read), ids(&r));
}

#[tokio::test]
async fn bundles_are_all_or_nothing_and_approved_once_sqlite() {
    let t = TestBroker::start().await;
    bundles_are_all_or_nothing_and_approved_once(&t).await;
    t.stop().await;
}

#[tokio::test]
async fn bundles_are_all_or_nothing_and_approved_once_postgres() {
    let Some(pg) = TestPg::start() else { return };
    let t = TestBroker::start_on_postgres(&pg.superuser_url("postgres")).await;
    bundles_are_all_or_nothing_and_approved_once(&t).await;
    t.stop().await;
}

/// A policy denies one item (prod-aws for everyone here): the bundle is created, that item
/// denied with the policy's reason, the others decided as usual and approved together.
#[tokio::test]
async fn a_policy_denies_one_item_and_the_bundle_says_which() {
    let dir = zt_testkit::broker::demo_policies_with(
        "\n@id(\"test/no-aws-today\")\n@reason(\"no AWS during the freeze\")\nforbid (principal, action in [Action::\"request\", Action::\"break_glass\"], resource == Resource::\"prod-aws\");\n",
    );
    let t = TestBroker::start_with_policies(dir.path()).await;
    let body = json!({"items": [{"resource": "prod-k8s", "role": "admin"},
        {"resource": "prod-aws", "role": "readonly"},
        {"resource": "prod-db", "role": "readwrite"}], "ttl_secs": 600, "reason": "INC-1"});
    let r = post(&t, "alice", body, "freeze").await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(states(&r), ["pending", "denied", "pending"]);
    let denied = &r.body["requests"][1];
    assert_eq!(denied["decision"]["reason"], "no AWS during the freeze");
    assert_eq!(denied["decision"]["policy_ids"][0], "test/no-aws-today");
    let items = ids(&r);
    let r = t
        .post("bob", &format!("/v1/requests/{}/approve", items[0]), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let states: Vec<State> = {
        let mut s = vec![];
        for id in &items {
            s.push(t.broker.store.get(id).await.unwrap().state());
        }
        s
    };
    assert_eq!(states, [State::Approved, State::Denied, State::Approved]);
    t.stop().await;
}

/// A bundle one approval could not approve whole — its pending items need a passkey — is
/// refused at creation, and nothing is made.
#[tokio::test]
async fn a_bundle_needing_a_passkey_approval_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let demo = include_str!("../../../src/dev/demo/demo.cedar").replace(
        "@approvers(\"sre-leads\")",
        "@approvers(\"sre-leads\")\n@approval_assurance(\"passkey\")",
    );
    std::fs::write(dir.path().join("demo.cedar"), demo).unwrap();
    let t = TestBroker::start_with_policies(dir.path()).await;
    let before = alices(&t).await;
    let body = json!({"items": [{"resource": "prod-k8s", "role": "view"},
        {"resource": "prod-db", "role": "readwrite"}], "ttl_secs": 600});
    let r = post(&t, "alice", body, "passkey").await;
    assert_eq!((r.status, r.slug()), (400, "invalid-request"), "{}", r.body);
    assert!(
        r.body["detail"].as_str().unwrap().contains("passkey"),
        "{}",
        r.body
    );
    assert_eq!(alices(&t).await, before);
    t.stop().await;
}

/// Items whose approver groups differ: an approver must be allowed to decide every pending
/// item, else nothing is decided (403, naming the bundle).
#[tokio::test]
async fn an_approver_of_only_some_items_decides_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("catalog.toml");
    std::fs::write(
        &catalog,
        r#"
[[resource]]
name = "k8s"
kind = "kubernetes"
default_role = "admin"
max_ttl = "1h"
requester_groups = ["engineering"]
[[resource.role]]
name = "admin"
approver_groups = ["sre-leads"]

[[resource]]
name = "db"
kind = "postgres"
default_role = "admin"
max_ttl = "1h"
requester_groups = ["engineering"]
settings = { host = "127.0.0.1", port = 5432, dbname = "app" }
[[resource.role]]
name = "admin"
approver_groups = ["zt-admins"]
"#,
    )
    .unwrap();
    let t = TestBroker::start_with_catalog(&catalog).await;
    let body = json!({"items": [{"resource": "k8s"}, {"resource": "db"}], "ttl_secs": 600});
    let r = post(&t, "alice", body, "mixed").await;
    assert_eq!(states(&r), ["pending", "pending"], "{}", r.body);
    let items = ids(&r);
    for (who, through) in [("bob", &items[0]), ("root", &items[1])] {
        let r = t
            .post(who, &format!("/v1/requests/{through}/approve"), None)
            .await;
        assert_eq!(
            (r.status, r.slug()),
            (403, "forbidden"),
            "{who}: {}",
            r.body
        );
        assert!(
            r.body["detail"].as_str().unwrap().contains("bundle"),
            "{}",
            r.body
        );
        for id in &items {
            assert_eq!(
                t.broker.store.get(id).await.unwrap().state(),
                State::Pending
            );
        }
    }
    t.stop().await;
}

/// A bundle asked to start in an hour: every item carries the start (`start_at`, activation
/// `scheduled`), a granted item's window runs from it, and no item gives a credential before
/// then; one approval approves the pending items with the same window.
#[tokio::test]
async fn a_scheduled_bundle_starts_every_item_at_its_start() {
    let t = TestBroker::start().await;
    let start = zt_api::Timestamp::now().add_secs(3600);
    let body = json!({"items": [{"resource": "prod-k8s", "role": "view"},
        {"resource": "prod-db", "role": "readwrite"}],
        "ttl_secs": 600, "reason": "CHG-7", "start_at": start});
    let r = post(&t, "alice", body, "change-window").await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(states(&r), ["approved", "pending"]);
    for item in r.body["requests"].as_array().unwrap() {
        assert_eq!(item["start_at"], json!(start), "{item}");
        assert_eq!(item["activation"], "scheduled", "{item}");
    }
    let granted = &r.body["requests"][0];
    assert_eq!(granted["not_before"], json!(start));
    assert_eq!(granted["expires_at"], json!(start.add_secs(600)));
    let items = ids(&r);
    let early = t
        .post(
            "alice",
            &format!("/v1/grants/{}/credentials", items[0]),
            None,
        )
        .await;
    assert_eq!(
        (early.status, early.slug()),
        (409, "grant-not-started"),
        "{}",
        early.body
    );

    let r = t
        .post("bob", &format!("/v1/requests/{}/approve", items[1]), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let approved = t.broker.store.get(&items[1]).await.unwrap();
    assert_eq!(approved.state(), State::Approved);
    assert_eq!(approved.request.not_before, Some(start));
    assert_eq!(approved.request.expires_at, Some(start.add_secs(600)));
    t.stop().await;
}

/// A start already past is refused for the whole bundle: nothing is created.
#[tokio::test]
async fn a_bundle_starting_in_the_past_creates_nothing() {
    let t = TestBroker::start().await;
    let before = alices(&t).await;
    let body = json!({"items": [{"resource": "prod-k8s", "role": "view"},
        {"resource": "prod-db", "role": "readwrite"}], "ttl_secs": 600,
        "start_at": zt_api::Timestamp::now().add_secs(-3600)});
    let r = post(&t, "alice", body, "too-late").await;
    assert_eq!((r.status, r.slug()), (422, "invalid-start"), "{}", r.body);
    assert_eq!(alices(&t).await, before);
    t.stop().await;
}
