//! The HTTP server: the `/v1` routes, problem+json for unknown routes and methods, and
//! [`serve`], which runs on a listener the caller bound (tests bind `127.0.0.1:0`) until the
//! shutdown future resolves, then drains in-flight requests (long-polls answer at once).

use std::future::Future;

use axum::Router;
use axum::http::{Method, Uri};
use axum::routing::{get, post};

use crate::problem::ApiError;
use crate::routes::{audit, create, decide, extend, grants, info, requests};
use crate::state::AppState;

/// Every route of the API, as `openapi.yaml` documents it (the contract test in
/// `crates/zt-broker/tests/contract` holds the two together, and the authz matrix has rows for each).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/.well-known/zt"),
    ("GET", "/v1/me"),
    ("GET", "/v1/catalog"),
    ("GET", "/v1/requests"),
    ("POST", "/v1/requests"),
    ("GET", "/v1/requests/{id}"),
    ("DELETE", "/v1/requests/{id}"),
    ("POST", "/v1/requests/{id}/approve"),
    ("POST", "/v1/requests/{id}/deny"),
    ("POST", "/v1/grants/{id}/revoke"),
    ("POST", "/v1/grants/{id}/credentials"),
    ("POST", "/v1/grants/{id}/extend"),
    ("GET", "/v1/audit"),
];

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!("no such endpoint: {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::method_not_allowed(format!("{method} is not allowed on {}", uri.path()))
}

/// The whole application: the API plus the state's extra routes (dev IdP, dev Kubernetes).
pub fn router(state: AppState) -> Router {
    let extra = state.extra.clone();
    Router::new()
        .route("/.well-known/zt", get(info::discovery))
        .route("/v1/me", get(info::me))
        .route("/v1/catalog", get(info::catalog))
        .route("/v1/requests", get(requests::list).post(create::create))
        .route(
            "/v1/requests/{id}",
            get(requests::get).delete(requests::withdraw),
        )
        .route("/v1/requests/{id}/approve", post(decide::approve))
        .route("/v1/requests/{id}/deny", post(decide::deny))
        .route("/v1/grants/{id}/revoke", post(grants::revoke))
        .route("/v1/grants/{id}/credentials", post(grants::credentials))
        .route("/v1/grants/{id}/extend", post(extend::extend))
        .route("/v1/audit", get(audit::list))
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .merge(extra)
        .fallback(not_found)
}

/// Serve until `shutdown` resolves; then tell long-polls and the reaper to stop
/// (`Broker::closing`) and let in-flight requests finish. Any axum listener: a plain
/// `TcpListener`, or the TLS one `zt-broker serve` uses ([`crate::tls`]).
pub async fn serve<L>(
    listener: L,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    let broker = state.broker.clone();
    let app = crate::logs::traced(router(state));
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            broker.closing.send_replace(true);
        })
        .await
}

#[cfg(test)]
mod tests {
    use reqwest::Method;

    use super::ROUTES;
    use crate::testkit::TestBroker;

    #[tokio::test]
    async fn protected_routes_need_a_valid_bearer_token() {
        let t = TestBroker::start().await;
        let http = reqwest::Client::new();
        for (method, path) in ROUTES.iter().skip(1) {
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
}
