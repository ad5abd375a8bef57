//! Running one row of the authz table: a fresh target, every anonymous caller and every refused
//! caller with a snapshot before and after, then each allowed caller on a target of its own.

use serde_json::{Value, json};

use super::{Row, Target};
use zt_broker::dev::idp::{DevIdp, DevIdpConfig};
use zt_broker::dev::wire::IDP_KEY_FILE;
use zt_testkit::broker::{self, Resp, TestBroker};

/// `Authorization` headers (or none) that every protected route must refuse with 401.
pub(crate) async fn bad_credentials(t: &TestBroker) -> Vec<(&'static str, Option<String>)> {
    let issuer = format!("{}/oidc", t.url);
    // Signed with the broker's own dev IdP key, so only the claims can be wrong.
    let forged = |iss: &str, aud: &str| {
        let idp = DevIdp::new(DevIdpConfig {
            issuer: iss.into(),
            audience: aud.into(),
            users: broker::users(),
            key_path: Some(t.dir.as_ref().unwrap().path().join(IDP_KEY_FILE)),
            ..DevIdpConfig::default()
        })
        .unwrap();
        format!("Bearer {}", idp.mint_access_token("alice").unwrap())
    };
    // The control: the right claims pass, so the forgeries below fail for their claims.
    let good = forged(&issuer, "zt-broker");
    assert_eq!(
        send(t, Some(&good), "GET", "/v1/me", None, None)
            .await
            .status,
        200
    );
    vec![
        ("no Authorization header", None),
        (
            "a bearer that is not a JWT",
            Some("Bearer not.a.jwt".into()),
        ),
        ("an empty bearer", Some("Bearer ".into())),
        ("the Basic scheme", Some("Basic YWxpY2U6eA==".into())),
        (
            "a token for another audience",
            Some(forged(&issuer, "someone-else")),
        ),
        (
            "a token from another issuer",
            Some(forged("http://127.0.0.1:9/oidc", "zt-broker")),
        ),
    ]
}

async fn send(
    t: &TestBroker,
    auth: Option<&str>,
    method: &str,
    path: &str,
    body: Option<Value>,
    key: Option<&str>,
) -> Resp {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = reqwest::Client::new().request(m, format!("{}{path}", t.url));
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    let body = r.json().await.unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        body,
    }
}

/// The row's call: the body (and Idempotency-Key) a caller allowed to would send.
pub(crate) async fn call(t: &TestBroker, auth: Option<&str>, row: &Row, path: &str) -> Resp {
    let key = zt_broker::crypto::new_id().unwrap();
    let (body, key) = match (row.method, row.path) {
        ("POST", "/v1/bundles") => (
            Some(json!({"items": [{"resource": "prod-k8s", "role": "view"},
                {"resource": "prod-db", "role": "readonly"}], "ttl_secs": 600})),
            Some(key.as_str()),
        ),
        ("POST", "/v1/requests") => (
            Some(json!({"resource": "prod-k8s", "role": "view", "ttl_secs": 600})),
            Some(key.as_str()),
        ),
        (_, "/v1/grants/{id}/extend") => (Some(json!({"ttl_secs": 900})), None),
        _ => (None, None),
    };
    send(t, auth, row.method, path, body, key).await
}

pub(crate) async fn target(t: &TestBroker, target: Target) -> Option<String> {
    let (user, role, state) = match target {
        Target::None => return None,
        Target::AlicePending => ("alice", "admin", "pending"),
        Target::DavePending => ("dave", "admin", "pending"),
        Target::AliceGrant => ("alice", "view", "approved"),
        Target::AliceBundle | Target::AliceBundleItem => {
            let body = json!({"items": [{"resource": "prod-k8s", "role": "admin"},
                {"resource": "prod-aws", "role": "admin"}], "ttl_secs": 600});
            let key = zt_broker::crypto::new_id().unwrap();
            let r = send(
                t,
                Some(&format!("Bearer {}", t.token("alice"))),
                "POST",
                "/v1/bundles",
                Some(body),
                Some(&key),
            )
            .await;
            assert_eq!(r.status, 201, "{}", r.body);
            assert_eq!(r.body["requests"][1]["state"], "pending");
            let id = match target {
                Target::AliceBundle => &r.body["id"],
                _ => &r.body["requests"][0]["id"],
            };
            return Some(id.as_str().unwrap().to_owned());
        }
        Target::AliceScheduled => return Some(scheduled(t).await),
    };
    let r = t.create(user, "prod-k8s", role, 600).await;
    assert_eq!((r.status, r.body["state"].as_str()), (201, Some(state)));
    Some(r.id())
}

/// alice's prod-k8s/view grant, approved at once, starting in an hour.
async fn scheduled(t: &TestBroker) -> String {
    let start = zt_api::Timestamp::now().add_secs(3600);
    let key = zt_broker::crypto::new_id().unwrap();
    let body = json!({"resource": "prod-k8s", "role": "view", "ttl_secs": 600, "start_at": start});
    let r = send(
        t,
        Some(&format!("Bearer {}", t.token("alice"))),
        "POST",
        "/v1/requests",
        Some(body),
        Some(&key),
    )
    .await;
    assert_eq!(
        (r.status, r.body["state"].as_str()),
        (201, Some("approved"))
    );
    r.id()
}

pub(crate) async fn before_start(t: &TestBroker) {
    let id = scheduled(t).await;
    let path = format!("/v1/grants/{id}/credentials");
    let before = snapshot(t, Some(&id)).await;
    for (user, status, slug) in [
        ("alice", 409, "grant-not-started"),
        ("bob", 403, "forbidden"),
        ("root", 403, "forbidden"),
        ("mallory", 403, "forbidden"),
        ("outsider", 403, "forbidden"),
    ] {
        let r = send(
            t,
            Some(&format!("Bearer {}", t.token(user))),
            "POST",
            &path,
            None,
            None,
        )
        .await;
        assert_eq!((r.status, r.slug()), (status, slug), "{user}: {}", r.body);
        assert_eq!(
            snapshot(t, Some(&id)).await,
            before,
            "{user} changed something"
        );
    }
}

/// What a refused call must leave as it was.
#[derive(Debug, PartialEq)]
pub(crate) struct Snapshot {
    /// Every store write is audited: the same count, no request or grant made or changed.
    pub(crate) audit_rows: usize,
    pub(crate) request: Option<Value>,
    pub(crate) unrevoked_credential: bool,
}

pub(crate) async fn snapshot(t: &TestBroker, id: Option<&str>) -> Snapshot {
    let store = &t.broker.store;
    let audit_rows = store.audit_rows(0, 1_000_000).await.unwrap().len();
    let Some(id) = id else {
        return Snapshot {
            audit_rows,
            request: None,
            unrevoked_credential: false,
        };
    };
    // A request, or a bundle's requests.
    let request = match store.get(id).await {
        Ok(rec) => serde_json::to_value(rec.request).unwrap(),
        Err(_) => serde_json::to_value(
            store
                .bundle(id)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.request)
                .collect::<Vec<_>>(),
        )
        .unwrap(),
    };
    Snapshot {
        audit_rows,
        request: Some(request),
        unrevoked_credential: store.has_unrevoked_credential(id).await.unwrap(),
    }
}

pub(crate) async fn row(t: &TestBroker, row: &Row, anonymous: &[(&str, Option<String>)]) {
    let what = |who: &str| {
        let (m, p, target, why) = (row.method, row.path, row.target, row.why);
        format!("{m} {p} on {target:?} by {who} ({why})")
    };
    let id = target(t, row.target).await;
    let path = row.path.replace("{id}", id.as_deref().unwrap_or_default());
    let before = snapshot(t, id.as_deref()).await;
    for (who, header) in anonymous {
        let r = call(t, header.as_deref(), row, &path).await;
        if row.public {
            assert_eq!(r.status, 200, "{}", what(who));
            continue;
        }
        assert_eq!(
            (r.status, r.slug()),
            (401, "unauthenticated"),
            "{}",
            what(who)
        );
        let challenge = r
            .headers
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap());
        assert!(
            challenge.is_some_and(|c| c.starts_with("Bearer")),
            "{}",
            what(who)
        );
        assert_eq!(snapshot(t, id.as_deref()).await, before, "{}", what(who));
    }
    for &(user, status, slug) in row.refused {
        let r = call(t, Some(&format!("Bearer {}", t.token(user))), row, &path).await;
        assert_eq!(
            (r.status, r.slug()),
            (status, slug),
            "{}: {}",
            what(user),
            r.body
        );
        let after = snapshot(t, id.as_deref()).await;
        assert_eq!(after, before, "{} changed something", what(user));
    }
    for user in row.allowed {
        let id = target(t, row.target).await;
        let path = row.path.replace("{id}", id.as_deref().unwrap_or_default());
        let r = call(t, Some(&format!("Bearer {}", t.token(user))), row, &path).await;
        assert!(
            (200..300).contains(&r.status),
            "{}: {} {}",
            what(user),
            r.status,
            r.body
        );
    }
}
