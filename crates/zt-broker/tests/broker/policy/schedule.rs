//! The shipped `policies/schedule.cedar`: Cedar sees `context.starts_in_secs`, so a production
//! grant may be scheduled a day ahead at most.

use serde_json::json;
use zt_api::Timestamp;
use zt_testkit::broker::TestBroker;

#[tokio::test]
async fn production_starts_more_than_a_day_ahead_are_forbidden() {
    let t = TestBroker::start_with_policies(&super::examples_dir()).await;
    let ask = |secs: i64, key: &'static str| {
        let body = json!({"resource": "prod-k8s", "role": "view", "ttl_secs": 3600,
            "reason": "CHG-1", "start_at": Timestamp::now().add_secs(secs)});
        t.send(
            Some("alice"),
            reqwest::Method::POST,
            "/v1/requests",
            Some(body),
            Some(key),
        )
    };
    let far = ask(2 * 86_400, "k-far").await;
    assert_eq!(far.body["state"], "denied", "{:?}", far.body);
    assert_eq!(
        far.body["decision"]["policy_ids"],
        json!(["prod-start-within-a-day"])
    );
    let near = ask(3600, "k-near").await;
    assert_ne!(near.body["state"], "denied", "{:?}", near.body);
    assert!(near.body["start_at"].is_string());
}
