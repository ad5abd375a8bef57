//! Integration tests of `src/server.rs`: the bearer token every route but discovery needs,
//! discovery and the catalog, problem+json for unknown routes and methods — over HTTP against
//! the dev broker harness.

use reqwest::Method;

use zt_broker::server::ROUTES;
use zt_testkit::broker::TestBroker;

#[tokio::test]
async fn protected_routes_need_a_valid_bearer_token() {
    let t = TestBroker::start().await;
    let http = reqwest::Client::new();
    // All but discovery and what SSH hosts fetch (public: no secret in them).
    for (method, path) in ROUTES
        .iter()
        .skip(1)
        .filter(|(_, p)| !p.starts_with("/v1/ssh/"))
    {
        let path = path.replace("{id}", "0123456789abcdef");
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let url = format!("{}{path}", t.url);
        for auth in [
            None,
            Some("Bearer not.a.jwt"),
            Some("Basic YWxpY2U6eA=="),
            Some("Bearer "),
        ] {
            let mut req = http.request(m.clone(), &url);
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 401, "{method} {path} {auth:?}");
            assert!(
                r.headers()["www-authenticate"]
                    .to_str()
                    .unwrap()
                    .starts_with("Bearer")
            );
            assert_eq!(r.headers()["content-type"], "application/problem+json");
        }
    }
    // A token from another issuer (or for another audience) is refused as well.
    let other = TestBroker::start().await;
    let r = http
        .get(format!("{}/v1/me", t.url))
        .bearer_auth(other.token("alice"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let me = t.get("alice", "/v1/me").await;
    assert_eq!(
        (me.status, me.body["email"].as_str()),
        (200, Some("alice@example.com"))
    );
    assert_eq!(me.body["groups"], serde_json::json!(["engineering"]));
}

#[tokio::test]
async fn discovery_and_catalog() {
    let t = TestBroker::start().await;
    let d = t
        .send(None, Method::GET, "/.well-known/zt", None, None)
        .await;
    assert_eq!(d.status, 200);
    let d: zt_api::Discovery = serde_json::from_value(d.body).unwrap();
    assert_eq!(d.issuer, format!("{}/oidc", t.url));
    assert_eq!(
        (d.client_id.as_str(), d.audience.as_str()),
        ("zt-cli", "zt-broker")
    );
    assert_eq!(d.scopes, ["openid", "offline_access", "email", "profile"]);

    let c = t.get("alice", "/v1/catalog").await;
    let c: zt_api::Catalog = serde_json::from_value(c.body).unwrap();
    let k8s = c.resources.iter().find(|r| r.name == "prod-k8s").unwrap();
    assert_eq!(
        (k8s.default_role.as_str(), k8s.max_ttl_secs),
        ("view", 8 * 3600)
    );
    let auto: Vec<_> = k8s
        .roles
        .iter()
        .map(|r| (r.name.as_str(), r.auto_approve))
        .collect();
    assert_eq!(auto, [("view", true), ("edit", false), ("admin", false)]);
    let none = t.get("outsider", "/v1/catalog").await;
    assert_eq!(none.body["resources"], serde_json::json!([]));
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let t = TestBroker::start().await;
    let r = t.get("alice", "/v2/nothing").await;
    assert_eq!((r.status, r.slug()), (404, "not-found"));
    assert_eq!(r.headers["content-type"], "application/problem+json");
    let r = t
        .send(Some("alice"), Method::PUT, "/v1/catalog", None, None)
        .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.headers["content-type"], "application/problem+json");
}
