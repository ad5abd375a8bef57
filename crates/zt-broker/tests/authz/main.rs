//! The authorization matrix: for every route of [`ROUTES`], who gets through and who is
//! refused, with what, and why — anonymous callers (no token, a malformed one, a well-signed
//! one for another audience or issuer), the wrong user, the requester deciding their own
//! request (even one in the approver group), and non-approvers. After every refusal nothing
//! has changed: not the request, not its credential, not the audit log (every store write is
//! audited, so an unchanged log means no request, grant or credential was made).

use zt_broker::server::ROUTES;
use zt_testkit::broker::{Resp, TestBroker};

/// What a row's `{id}` names; made afresh for the row and for each allowed caller.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    /// The path has no `{id}`.
    None,
    /// alice's prod-k8s/admin request, pending; its approvers are sre-leads (bob, dave).
    AlicePending,
    /// dave's prod-k8s/admin request, pending; dave is in sre-leads himself.
    DavePending,
    /// alice's prod-k8s/view grant, granted at once, live.
    AliceGrant,
    /// alice's bundle of prod-k8s/admin and prod-aws/admin, both pending (sre-leads).
    AliceBundle,
    /// The first request of such a bundle.
    AliceBundleItem,
    /// alice's prod-k8s/view grant, granted at once to start in an hour (issue 16).
    AliceScheduled,
}
use Target::*;

struct Row {
    method: &'static str,
    path: &'static str,
    target: Target,
    /// Needs no token (discovery).
    public: bool,
    /// Callers that succeed (2xx), each on a fresh target.
    allowed: &'static [&'static str],
    /// Callers refused, with status and problem slug.
    refused: &'static [(&'static str, u16, &'static str)],
    /// Why, as the handlers decide it.
    why: &'static str,
}

const FORBIDDEN: u16 = 403;
const OTHERS: &str = "forbidden";
const SELF: &str = "self-approval";

/// 403, not 404, for a request that exists but is not the caller's: the handlers look the id up
/// first (an unknown id is 404 for everyone) and then refuse, so the CLI can say "not yours"
/// (exit 9) rather than "no such request"; ids are 64 random bits, so this confirms only ids
/// the caller already holds.
#[rustfmt::skip]
const TABLE: &[Row] = &[
    Row { method: "GET", path: "/.well-known/zt", target: None, public: true,
        allowed: &["alice"], refused: &[],
        why: "discovery is public: zt login reads it before it has a token" },
    Row { method: "GET", path: "/v1/me", target: None, public: false,
        allowed: &["alice", "outsider"], refused: &[],
        why: "any signed-in caller; it describes only the caller" },
    Row { method: "GET", path: "/v1/catalog", target: None, public: false,
        allowed: &["alice", "outsider"], refused: &[],
        why: "any signed-in caller; policy filters what it lists (outsider: nothing)" },
    Row { method: "GET", path: "/v1/requests", target: None, public: false,
        allowed: &["alice", "mallory", "outsider"], refused: &[],
        why: "any signed-in caller, scoped to the caller: see lists_show_only_the_callers_own" },
    Row { method: "POST", path: "/v1/requests", target: None, public: false,
        allowed: &["alice", "outsider"], refused: &[],
        why: "anyone may ask; policy decides (outsider's request is created denied, no grant)" },
    Row { method: "GET", path: "/v1/requests/{id}", target: AlicePending, public: false,
        allowed: &["alice", "bob", "dave", "root"],
        refused: &[("mallory", FORBIDDEN, OTHERS), ("outsider", FORBIDDEN, OTHERS)],
        why: "the requester, an approver of the request, or an admin" },
    Row { method: "DELETE", path: "/v1/requests/{id}", target: AlicePending, public: false,
        allowed: &["alice"],
        refused: &[("bob", FORBIDDEN, OTHERS), ("root", FORBIDDEN, OTHERS),
            ("mallory", FORBIDDEN, OTHERS), ("outsider", FORBIDDEN, OTHERS)],
        why: "only the requester withdraws; approvers and admins may read it, not withdraw it" },
    Row { method: "POST", path: "/v1/requests/{id}/approve", target: AlicePending, public: false,
        allowed: &["bob", "dave"],
        refused: &[("alice", FORBIDDEN, SELF), ("mallory", FORBIDDEN, OTHERS),
            ("outsider", FORBIDDEN, OTHERS), ("root", FORBIDDEN, OTHERS)],
        why: "members of the decision's approver groups, never the requester; admins are not \
              approvers" },
    Row { method: "POST", path: "/v1/requests/{id}/approve", target: DavePending, public: false,
        allowed: &["bob"], refused: &[("dave", FORBIDDEN, SELF)],
        why: "separation of duties holds for an approver's own request" },
    Row { method: "POST", path: "/v1/requests/{id}/deny", target: AlicePending, public: false,
        allowed: &["bob", "dave"],
        refused: &[("alice", FORBIDDEN, SELF), ("mallory", FORBIDDEN, OTHERS),
            ("outsider", FORBIDDEN, OTHERS), ("root", FORBIDDEN, OTHERS)],
        why: "as approve" },
    Row { method: "POST", path: "/v1/requests/{id}/deny", target: DavePending, public: false,
        allowed: &["bob"], refused: &[("dave", FORBIDDEN, SELF)],
        why: "as approve: not even denying one's own" },
    Row { method: "POST", path: "/v1/requests/{id}/approve", target: AliceBundleItem,
        public: false, allowed: &["bob", "dave"],
        refused: &[("alice", FORBIDDEN, SELF), ("mallory", FORBIDDEN, OTHERS),
            ("outsider", FORBIDDEN, OTHERS), ("root", FORBIDDEN, OTHERS)],
        why: "a bundle's request: as approve, for every pending item of the bundle" },
    Row { method: "POST", path: "/v1/requests/{id}/deny", target: AliceBundleItem,
        public: false, allowed: &["bob"],
        refused: &[("alice", FORBIDDEN, SELF), ("mallory", FORBIDDEN, OTHERS),
            ("outsider", FORBIDDEN, OTHERS), ("root", FORBIDDEN, OTHERS)],
        why: "a bundle's request: as deny, for every pending item of the bundle" },
    Row { method: "POST", path: "/v1/bundles", target: None, public: false,
        allowed: &["alice", "outsider"], refused: &[],
        why: "anyone may ask; policy decides each item (outsider's are created denied)" },
    Row { method: "GET", path: "/v1/bundles/{id}", target: AliceBundle, public: false,
        allowed: &["alice", "bob", "dave", "root"],
        refused: &[("mallory", FORBIDDEN, OTHERS), ("outsider", FORBIDDEN, OTHERS)],
        why: "the requester, an approver of one of its requests, or an admin" },
    Row { method: "POST", path: "/v1/grants/{id}/revoke", target: AliceGrant, public: false,
        allowed: &["alice", "root"],
        refused: &[("bob", FORBIDDEN, OTHERS), ("mallory", FORBIDDEN, OTHERS),
            ("outsider", FORBIDDEN, OTHERS)],
        why: "the requester or an admin (zt-admins); an approver may not end it" },
    Row { method: "POST", path: "/v1/grants/{id}/credentials", target: AliceGrant,
        public: false, allowed: &["alice"],
        refused: &[("bob", FORBIDDEN, OTHERS), ("root", FORBIDDEN, OTHERS),
            ("mallory", FORBIDDEN, OTHERS), ("outsider", FORBIDDEN, OTHERS)],
        why: "only the requester holds the grant's credential; not even an admin" },
    Row { method: "POST", path: "/v1/grants/{id}/revoke", target: AliceScheduled,
        public: false, allowed: &["alice", "root"],
        refused: &[("bob", FORBIDDEN, OTHERS), ("mallory", FORBIDDEN, OTHERS)],
        why: "a grant approved ahead of its start is ended like any other" },
    Row { method: "POST", path: "/v1/grants/{id}/extend", target: AliceGrant, public: false,
        allowed: &["alice"],
        refused: &[("bob", FORBIDDEN, OTHERS), ("root", FORBIDDEN, OTHERS),
            ("mallory", FORBIDDEN, OTHERS)],
        why: "only the requester extends" },
    Row { method: "GET", path: "/v1/audit", target: None, public: false,
        allowed: &["root"],
        refused: &[("alice", FORBIDDEN, OTHERS), ("bob", FORBIDDEN, OTHERS),
            ("mallory", FORBIDDEN, OTHERS), ("outsider", FORBIDDEN, OTHERS)],
        why: "read_audit: no demo policy speaks to it, so members of zt-admins only" },
    Row { method: "GET", path: "/v1/ssh/ca", target: None, public: true,
        allowed: &["alice"], refused: &[],
        why: "public: SSH hosts fetch the CA's public key, no secret, without a login" },
    Row { method: "GET", path: "/v1/ssh/krl", target: None, public: true,
        allowed: &["alice"], refused: &[],
        why: "public: SSH hosts refresh the revocation list (serials only) without a login" },
];

mod run;
mod step_up;

#[test]
fn the_table_covers_every_route_and_every_kind_of_caller() {
    for (method, path) in ROUTES {
        let rows: Vec<&Row> = TABLE
            .iter()
            .filter(|r| (r.method, r.path) == (*method, *path))
            .collect();
        assert!(
            !rows.is_empty(),
            "{method} {path} has no row in the authz table"
        );
        assert!(
            rows.iter().all(|r| !r.allowed.is_empty()),
            "{method} {path}: nobody allowed"
        );
        let refuses = |who: &str, slug: &str| {
            rows.iter()
                .flat_map(|r| r.refused)
                .any(|&(u, s, sl)| u == who && s == FORBIDDEN && sl == slug)
        };
        if path.contains("{id}") {
            assert!(
                refuses("mallory", OTHERS),
                "{method} {path}: no wrong-user row"
            );
        }
        if path.ends_with("/approve") || path.ends_with("/deny") {
            assert!(
                refuses("alice", SELF) && refuses("dave", SELF),
                "{path}: self-approval"
            );
            assert!(
                refuses("mallory", OTHERS) && refuses("outsider", OTHERS),
                "{path}"
            );
        }
    }
    for r in TABLE {
        assert!(
            ROUTES.contains(&(r.method, r.path)),
            "{} {}: no such route",
            r.method,
            r.path
        );
        assert_eq!(
            r.path.contains("{id}"),
            r.target != None,
            "{} {}",
            r.method,
            r.path
        );
    }
}

#[tokio::test]
async fn every_route_refuses_whom_the_table_says_and_changes_nothing() {
    let t = TestBroker::start().await;
    let anonymous = run::bad_credentials(&t).await;
    for row in TABLE {
        run::row(&t, row, &anonymous).await;
    }
}

/// Before its start a scheduled grant's credential goes to no one: its requester hears when it
/// starts (409 grant-not-started), anyone else is refused as for any grant, nothing changes.
#[tokio::test]
async fn a_grant_before_its_start_gives_its_credential_to_no_one() {
    let t = TestBroker::start().await;
    run::before_start(&t).await;
}

#[tokio::test]
async fn lists_show_only_the_callers_own() {
    let t = TestBroker::start().await;
    let id = t.create("alice", "prod-k8s", "admin", 600).await.id();
    let has = |r: Resp| -> bool {
        let list = r.body["requests"].as_array().cloned().unwrap_or_default();
        list.iter().any(|x| x["id"] == id.as_str())
    };
    for (user, query, sees) in [
        ("alice", "", true),
        ("alice", "?approver=me", false),
        ("bob", "", false),
        ("bob", "?approver=me", true),
        ("mallory", "", false),
        ("mallory", "?approver=me", false),
        ("mallory", "?state=pending", false),
        ("outsider", "?approver=me&state=pending", false),
        ("root", "?approver=me", false),
    ] {
        let r = t.get(user, &format!("/v1/requests{query}")).await;
        assert_eq!(r.status, 200);
        assert_eq!(has(r), sees, "{user} {query}");
    }
}
