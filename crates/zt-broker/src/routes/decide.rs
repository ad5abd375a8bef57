//! `POST /v1/requests/{id}/approve` and `/deny`: a member of the request's approver groups
//! decides a pending request — never its own requester (separation of duties). A decision that
//! needs N approvals (`approvals_required`) takes N distinct approvers: each approval is
//! counted once and the request stays pending until the last; one deny ends it. The last
//! approval opens the grant window: the TTL starts then, not at the request.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};

use super::acts::{self, Word};
use super::extract::{ApiPath, Caller, OptionalJson};
use crate::auth::Principal;
use crate::lifecycle;
use crate::policy::Action;
use crate::problem::ApiError;
use crate::state::AppState;
use crate::store::{Approval, AuditEntry, Change, Record};
use zt_api::{self as api, Comment, Timestamp};

#[derive(Clone, Copy)]
enum Verdict {
    Approve,
    Deny,
}

fn authorize(rec: &Record, p: &Principal, verb: &str) -> Result<(), ApiError> {
    let id = rec.id();
    if rec.is_requester(p) {
        return Err(ApiError::self_approval(format!(
            "you requested {id}; someone else in {} must {verb} it",
            rec.request.decision.approver_groups.join(" or ")
        )));
    }
    if !rec.is_approver(p) {
        let groups = &rec.request.decision.approver_groups;
        return Err(ApiError::forbidden(if groups.is_empty() {
            format!("request {id} takes no approvals")
        } else {
            format!(
                "only members of {} may {verb} request {id}",
                groups.join(" or ")
            )
        }));
    }
    Ok(())
}

async fn decide(
    s: AppState,
    p: Principal,
    id: String,
    comment: Comment,
    verdict: Verdict,
) -> Result<Decided, ApiError> {
    let b = &s.broker;
    let comment = super::text::comment(comment)?;
    let verb = match verdict {
        Verdict::Approve => "approve",
        Verdict::Deny => "deny",
    };
    let rec = b.store.get(&id).await?;
    authorize(&rec, &p, verb)?;
    // Policy may forbid a decision the groups allow (never allow one they do not).
    if let Word::Forbids(d) = acts::ask(b, &p, Action::Approve, &rec) {
        return Err(Word::refusal(&d, verb, &id));
    }
    // Expired before anyone decided (the reaper got there first): over, not a conflict.
    if rec.state() == api::State::Expired && rec.request.not_before.is_none() {
        return Err(ApiError::request_expired(format!(
            "request {id} expired: nobody decided it within the review window"
        )));
    }
    if rec.state() != api::State::Pending {
        return Err(ApiError::conflict(format!(
            "request {id} is {}, not pending",
            rec.state()
        )));
    }
    let now = Timestamp::now();
    // Past the review window the request is over, whether or not the reaper got to it yet.
    let deadline = b.review_deadline(rec.request.created_at);
    if now >= deadline {
        let actor = lifecycle::BROKER_ACTOR;
        match lifecycle::expire_pending(b, &rec, actor).await {
            Ok(_) | Err(crate::store::StoreError::Refused { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        return Err(ApiError::request_expired(format!(
            "request {id} expired at {deadline}: nobody decided it within the review window"
        )));
    }
    let r = &rec.request;
    let mut detail = format!(
        "{}/{} for {}s requested by {}",
        r.resource, r.role, r.ttl_secs, r.requester
    );
    if let Some(c) = &comment.comment {
        detail.push_str(&format!("; comment: {c}"));
    }
    let audit = AuditEntry::new(p.display(), format!("request.{verb}"), Some(&id))
        .decision(verb, &r.decision.policy_ids)
        .detail(detail);
    let (rec, said) = match verdict {
        // Counted once per approver; the last one needed approves (and opens the window).
        Verdict::Approve => {
            let done = lifecycle::approve(b, &id, &p, comment.comment, audit).await?;
            let said = match &done {
                Approval::Counted(_) => "counted",
                Approval::Already(_) => "already-counted",
                Approval::Approved(_) => "approved",
            };
            (done.record().clone(), Some(said))
        }
        // One approver's no is enough. From `pending` only: a concurrent decision makes this
        // one a 409, never a second change.
        Verdict::Deny => {
            let change = Change {
                decided_by: Some(p.display().to_owned()),
                comment: comment.comment,
                window: None,
            };
            let rec = lifecycle::transition(
                b,
                &id,
                api::State::Pending,
                api::State::Denied,
                change,
                audit,
            )
            .await?;
            (rec, None)
        }
    };
    Ok(Decided(Json(rec.request), said))
}

/// A decision's answer: the request, and for an approval the [`api::APPROVAL_HEADER`] saying
/// whether it counted, was counted before, or approved the request.
#[derive(Debug)]
pub struct Decided(pub Json<api::Request>, pub Option<&'static str>);

impl IntoResponse for Decided {
    fn into_response(self) -> Response {
        let mut resp = self.0.into_response();
        if let Some(said) = self.1 {
            resp.headers_mut()
                .insert(api::APPROVAL_HEADER, HeaderValue::from_static(said));
        }
        resp
    }
}

pub async fn approve(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<String>,
    OptionalJson(c): OptionalJson<Comment>,
) -> Result<Decided, ApiError> {
    decide(s, p, id, c, Verdict::Approve).await
}

pub async fn deny(
    State(s): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<String>,
    OptionalJson(c): OptionalJson<Comment>,
) -> Result<Decided, ApiError> {
    decide(s, p, id, c, Verdict::Deny).await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testkit::TestBroker;
    use zt_api::Timestamp;

    fn ts(v: &serde_json::Value) -> Timestamp {
        Timestamp::parse_rfc3339(v.as_str().expect("a time")).unwrap()
    }

    #[tokio::test]
    async fn an_approver_approves_and_the_ttl_starts_then() {
        let t = TestBroker::start().await;
        let r = t.create("alice", "prod-k8s", "admin", 1800).await;
        let id = r.id();
        let a = t
            .post(
                "bob",
                &format!("/v1/requests/{id}/approve"),
                Some(json!({"comment": "ok for INC-1"})),
            )
            .await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!(a.body["state"], "approved");
        assert_eq!(a.body["decided_by"], "bob@example.com");
        let (nb, exp) = (ts(&a.body["not_before"]), ts(&a.body["expires_at"]));
        assert_eq!(exp.0 - nb.0, 1800);
        assert!((nb.0 - Timestamp::now().0).abs() <= 2);
        // Decided once: a second decision is a conflict.
        let again = t
            .post("dave", &format!("/v1/requests/{id}/deny"), None)
            .await;
        assert_eq!((again.status, again.slug()), (409, "conflict"));
    }

    #[tokio::test]
    async fn nobody_approves_their_own_request_even_an_approver() {
        let t = TestBroker::start().await;
        let id = t.create("alice", "prod-k8s", "admin", 600).await.id();
        let r = t
            .post("alice", &format!("/v1/requests/{id}/approve"), None)
            .await;
        assert_eq!((r.status, r.slug()), (403, "self-approval"));
        // dave is in sre-leads, and still may not approve his own request.
        let id = t.create("dave", "prod-k8s", "admin", 600).await.id();
        let r = t
            .post("dave", &format!("/v1/requests/{id}/approve"), None)
            .await;
        assert_eq!((r.status, r.slug()), (403, "self-approval"));
        let r = t
            .post("dave", &format!("/v1/requests/{id}/deny"), None)
            .await;
        assert_eq!((r.status, r.slug()), (403, "self-approval"));
        let r = t.get("dave", &format!("/v1/requests/{id}")).await;
        assert_eq!(r.body["state"], "pending");
    }

    #[tokio::test]
    async fn non_approvers_cannot_decide() {
        let t = TestBroker::start().await;
        let id = t.create("alice", "prod-k8s", "edit", 600).await.id();
        for user in ["mallory", "root", "outsider"] {
            let r = t
                .post(user, &format!("/v1/requests/{id}/approve"), None)
                .await;
            assert_eq!((r.status, r.slug()), (403, "forbidden"), "{user}");
        }
        let r = t
            .post("bob", "/v1/requests/0000000000000000/approve", None)
            .await;
        assert_eq!((r.status, r.slug()), (404, "not-found"));
    }

    #[tokio::test]
    async fn an_approver_denies_with_a_comment() {
        let t = TestBroker::start().await;
        let id = t.create("alice", "prod-aws", "admin", 600).await.id();
        let r = t
            .post(
                "bob",
                &format!("/v1/requests/{id}/deny"),
                Some(json!({"comment": "use readonly"})),
            )
            .await;
        assert_eq!((r.status, r.body["state"].as_str()), (200, Some("denied")));
        assert!(r.body.get("expires_at").is_none());
        let c = t
            .post("alice", &format!("/v1/grants/{id}/credentials"), None)
            .await;
        assert_eq!((c.status, c.slug()), (410, "grant-not-live"));
        let rows = t.broker.store.audit_rows(0, 100).await.unwrap();
        let deny = rows
            .iter()
            .find(|r| r.entry.action == "request.deny")
            .unwrap();
        assert_eq!(deny.entry.actor, "bob@example.com");
        assert!(deny.entry.detail.contains("use readonly"));
    }

    #[tokio::test]
    async fn two_approvals_take_two_approvers_and_one_deny_ends_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("p.cedar"),
            r#"@id("two-leads") @outcome("approval") @approvers("sre-leads") @approvals("2")
               permit (principal in Group::"engineering", action == Action::"request", resource);"#,
        )
        .unwrap();
        let t = TestBroker::start_with_policies(dir.path()).await;
        let id = t.create("alice", "prod-k8s", "admin", 900).await.id();
        let approve = |who: &'static str| {
            let (t, path) = (&t, format!("/v1/requests/{id}/approve"));
            async move { t.post(who, &path, None).await }
        };

        let a = approve("bob").await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!(a.body["state"], "pending");
        assert_eq!(a.body["decision"]["approvals_required"], 2);
        assert_eq!(a.body["approvals"][0]["by"], "bob@example.com");
        assert!(a.body.get("expires_at").is_none());
        // bob has done his part: his inbox no longer lists it; dave's does.
        let inbox = |who: &'static str| {
            let t = &t;
            async move {
                let r = t.get(who, "/v1/requests?approver=me").await;
                r.body["requests"].as_array().unwrap().len()
            }
        };
        assert_eq!((inbox("bob").await, inbox("dave").await), (0, 1));
        // Asking again changes nothing.
        let again = approve("bob").await;
        assert_eq!((again.status, again.body.clone()), (200, a.body.clone()));
        // The requester still may not, whatever the count.
        assert_eq!(approve("alice").await.slug(), "self-approval");

        let b = approve("dave").await;
        assert_eq!(b.status, 200, "{:?}", b.body);
        assert_eq!(b.body["state"], "approved");
        assert_eq!(b.body["decided_by"], "dave@example.com");
        assert_eq!(b.body["approvals"].as_array().unwrap().len(), 2);
        let (nb, exp) = (ts(&b.body["not_before"]), ts(&b.body["expires_at"]));
        assert_eq!(exp.0 - nb.0, 900);
        let rows = t.broker.store.audit_rows(0, 100).await.unwrap();
        let counts: Vec<&str> = rows
            .iter()
            .filter(|r| r.entry.action == "request.approve")
            .map(|r| r.entry.detail.rsplit("; ").next().unwrap())
            .collect();
        assert_eq!(counts, ["approval 1 of 2", "approval 2 of 2"]);

        // One approval, then a deny: denied.
        let id = t.create("alice", "prod-k8s", "admin", 900).await.id();
        assert_eq!(
            t.post("bob", &format!("/v1/requests/{id}/approve"), None)
                .await
                .body["state"],
            "pending"
        );
        let d = t
            .post("dave", &format!("/v1/requests/{id}/deny"), None)
            .await;
        assert_eq!((d.status, d.body["state"].as_str()), (200, Some("denied")));
    }
}
