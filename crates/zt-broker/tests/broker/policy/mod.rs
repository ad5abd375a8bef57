//! Integration tests of `src/policy`: policies put to the dev broker through its HTTP API —
//! the shipped examples' TTL caps, `holds_grant`, and policies on `approve` and `revoke`
//! ([`acts`]). (How policies decide and load is unit-tested in `src/policy/tests.rs`.)

use std::path::{Path, PathBuf};

use zt_testkit::broker::TestBroker;

mod acts;
mod schedule;
mod step_up;

/// The shipped example policies (`policies/` at the workspace root).
fn examples_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("policies")
}

/// Through the API: a policy's TTL cap is a 422 naming the policy, not a stored request.
#[tokio::test]
async fn a_policy_cap_refuses_a_longer_ttl_through_the_api() {
    let t = TestBroker::start_with_policies(&examples_dir()).await;
    // prod-k8s/view allows 8h in the catalog; the examples cap prod at 2h. alice is in
    // engineering: granted in business hours, else sent for approval; capped either way.
    let r = t.create("alice", "prod-k8s", "view", 3 * 3600).await;
    assert_eq!((r.status, r.slug()), (422, "ttl-exceeded"), "{:?}", r.body);
    assert_eq!(
        r.body["detail"],
        "the longest prod-k8s/view grant is 2h (policy ttl-cap-prod)"
    );
    let r = t.create("alice", "prod-k8s", "view", 2 * 3600).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let ids = r.body["decision"]["policy_ids"].as_array().unwrap();
    assert_eq!(ids.last().unwrap(), "ttl-cap-prod");
    // A denied request is stored whatever its TTL: the cap only limits what is given.
    let r = t.create("alice", "prod-k8s", "admin", 3600).await;
    assert_eq!(
        r.body["decision"]["policy_ids"],
        serde_json::json!(["prod-admin-needs-ticket"])
    );
    assert_eq!(r.body["state"], "denied");
}

/// Through the API: `holds_grant` is true once the requester has a live grant there.
#[tokio::test]
async fn holds_grant_sees_a_live_grant_on_the_same_resource() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.cedar"),
        r#"
        @id("view") @outcome("grant")
        permit (principal in Group::"engineering", action == Action::"request", resource);
        @id("one-at-a-time") @reason("{principal} already holds a grant on {resource}")
        forbid (principal, action == Action::"request", resource) when { context.holds_grant };
        "#,
    )
    .unwrap();
    let t = TestBroker::start_with_policies(dir.path()).await;
    let first = t.create("alice", "prod-k8s", "view", 600).await;
    assert_eq!(first.body["state"], "approved", "{:?}", first.body);
    let second = t.create("alice", "prod-k8s", "edit", 600).await;
    assert_eq!(second.body["state"], "denied", "{:?}", second.body);
    assert_eq!(
        second.body["decision"]["reason"],
        "alice@example.com already holds a grant on prod-k8s"
    );
    // Another resource, or another person: no grant held there.
    let other = t.create("alice", "prod-db", "readonly", 600).await;
    assert_eq!(other.body["state"], "approved", "{:?}", other.body);
    let bob = t.create("bob", "prod-k8s", "view", 600).await;
    assert_eq!(bob.body["state"], "approved", "{:?}", bob.body);
}
