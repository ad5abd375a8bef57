//! The matrix under a step-up policy (RFC 9470): on a broker whose policies ask for a sign-in
//! at most 5 minutes old to request, extend, approve or deny on prod-k8s, every caller the
//! table allows on those routes gets 401 `step-up-required` when their sign-in is an hour old
//! — the act not done, only the refusal audited — and every caller the table refuses is
//! refused exactly as before (a step-up is never asked of someone who may not act at all).

use super::{TABLE, Target};
use crate::run::{call, snapshot, target};
use zt_testkit::broker::TestBroker;

const ROUTES: [(&str, &str); 4] = [
    ("POST", "/v1/requests"),
    ("POST", "/v1/requests/{id}/approve"),
    ("POST", "/v1/requests/{id}/deny"),
    ("POST", "/v1/grants/{id}/extend"),
];

#[tokio::test]
async fn an_old_sign_in_gets_step_up_required_where_the_table_allows_and_nothing_changes() {
    let dir = zt_testkit::broker::step_up_policies();
    let t = TestBroker::start_with_policies(dir.path()).await;
    let hour_ago = zt_api::Timestamp::now().0 as u64 - 3600;
    let stale = |u: &str| {
        format!(
            "Bearer {}",
            t.idp.mint_access_token_at(u, hour_ago).unwrap()
        )
    };
    let mut seen = 0;
    for row in TABLE
        .iter()
        .filter(|r| ROUTES.contains(&(r.method, r.path)))
    {
        for &user in row.allowed {
            let id = target(&t, row.target).await;
            let path = row.path.replace("{id}", id.as_deref().unwrap_or_default());
            let before = snapshot(&t, id.as_deref()).await;
            let r = call(&t, Some(&stale(user)), row, &path).await;
            // outsider's request is decided `deny` by policy: no step-up makes it a grant.
            if row.target == Target::None && user == "outsider" {
                assert_eq!((r.status, r.body["state"].as_str()), (201, Some("denied")));
                continue;
            }
            let what = format!("{} {} by {user}", row.method, row.path);
            assert_eq!(
                (r.status, r.slug()),
                (401, "step-up-required"),
                "{what}: {}",
                r.body
            );
            assert!(
                r.headers["www-authenticate"]
                    .to_str()
                    .unwrap()
                    .contains("error=\"insufficient_user_authentication\""),
                "{what}"
            );
            let after = snapshot(&t, id.as_deref()).await;
            assert_eq!(after.request, before.request, "{what} changed the request");
            assert_eq!(
                after.unrevoked_credential, before.unrevoked_credential,
                "{what}"
            );
            assert_eq!(
                after.audit_rows,
                before.audit_rows + 1,
                "{what}: one audit row"
            );
            let last = t.broker.store.audit_rows(0, 1_000_000).await.unwrap();
            assert_eq!(
                last.last().unwrap().entry.action,
                "auth.step_up_required",
                "{what}"
            );
            seen += 1;
        }
        for &(user, status, slug) in row.refused {
            let id = target(&t, row.target).await;
            let path = row.path.replace("{id}", id.as_deref().unwrap_or_default());
            let before = snapshot(&t, id.as_deref()).await;
            let r = call(&t, Some(&stale(user)), row, &path).await;
            let what = format!("{} {} by {user}", row.method, row.path);
            assert_eq!((r.status, r.slug()), (status, slug), "{what}: {}", r.body);
            assert_eq!(snapshot(&t, id.as_deref()).await, before, "{what}");
        }
    }
    assert!(seen >= 6, "only {seen} step-up answers");
}
