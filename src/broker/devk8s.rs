//! The dev Kubernetes API of `zt-broker dev`, mounted at `/dev/k8s`: just what
//! `kubectl get namespaces` needs (discovery, `/api/v1/namespaces`), in the real wire format,
//! with Kubernetes `Status` objects for 401/404. A bearer token is accepted only while it
//! belongs to a live grant (state, window and credential all checked at every call), so
//! `kubectl --context zt-prod-k8s get namespaces` works during the grant and fails after it.
//!
//! It is a stand-in, not a cluster, served in plain HTTP on the dev broker's loopback port.
//! KNOWN GAP: kubectl (client-go) sends no credentials — neither a token nor an exec plugin's —
//! to an `http://` server (kubernetes/kubectl#744; seen here with kubectl 1.32), so real
//! kubectl needs this router behind TLS: a loopback HTTPS listener with a self-signed
//! certificate whose CA the dev issuer returns as `certificate_authority_data`.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::api::Timestamp;
use crate::broker::crypto::sha256_hex;
use crate::broker::store::Store;

fn status(code: StatusCode, reason: &str, message: Option<&str>) -> Response {
    let mut body = json!({
        "kind": "Status", "apiVersion": "v1", "status": "Failure",
        "reason": reason, "code": code.as_u16(),
    });
    if let Some(m) = message {
        body["message"] = json!(m);
    }
    (code, Json(body)).into_response()
}

fn namespace(name: &str) -> Value {
    json!({
        "metadata": {"name": name, "uid": name, "creationTimestamp": "2026-01-01T00:00:00Z"},
        "status": {"phase": "Active"},
    })
}

async fn version() -> Json<Value> {
    Json(
        json!({"major": "1", "minor": "34", "gitVersion": "v1.34.0-zt-dev", "platform": "linux/amd64"}),
    )
}

async fn api_versions() -> Json<Value> {
    Json(json!({
        "kind": "APIVersions", "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    }))
}

async fn api_groups() -> Json<Value> {
    Json(json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": []}))
}

async fn core_v1() -> Json<Value> {
    Json(json!({
        "kind": "APIResourceList", "groupVersion": "v1",
        "resources": [{
            "name": "namespaces", "singularName": "namespace", "namespaced": false,
            "kind": "Namespace", "verbs": ["get", "list"], "shortNames": ["ns"],
        }],
    }))
}

async fn namespaces() -> Json<Value> {
    Json(json!({
        "kind": "NamespaceList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"},
        "items": [namespace("default"), namespace("zt-sandbox")],
    }))
}

async fn not_found() -> Response {
    status(StatusCode::NOT_FOUND, "NotFound", None)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Every path needs a token of a live grant, as the real API server checks auth first.
async fn authenticate(State(store): State<Store>, req: Request, next: Next) -> Response {
    let unauthorized = || {
        status(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            Some("Unauthorized"),
        )
    };
    let Some(token) = bearer(req.headers()) else {
        return unauthorized();
    };
    match store
        .live_grant_by_token(&sha256_hex(token.as_bytes()), Timestamp::now())
        .await
    {
        Ok(Some(_grant)) => next.run(req).await,
        Ok(None) => unauthorized(),
        Err(e) => {
            eprintln!("zt-broker: dev k8s: {e}");
            status(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                Some("internal error"),
            )
        }
    }
}

/// The routes, to be nested at `/dev/k8s`.
pub fn router(store: Store) -> Router {
    Router::new()
        .route("/version", get(version))
        .route("/api", get(api_versions))
        .route("/apis", get(api_groups))
        .route("/api/v1", get(core_v1))
        .route("/api/v1/namespaces", get(namespaces))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(store, authenticate))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::broker::testkit::TestBroker;

    async fn kubectl_get(url: &str, token: &str, path: &str) -> (u16, serde_json::Value) {
        let r = reqwest::Client::new()
            .get(format!("{url}/dev/k8s{path}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn token_for(t: &TestBroker, id: &str) -> String {
        let c = t
            .post("alice", &format!("/v1/grants/{id}/credentials"), None)
            .await;
        c.body["token"].as_str().unwrap().to_owned()
    }

    #[tokio::test]
    async fn a_live_token_lists_namespaces_until_revoked() {
        let t = TestBroker::start().await;
        let id = t.create("alice", "prod-k8s", "view", 600).await.id();
        let token = token_for(&t, &id).await;
        for path in ["/version", "/api", "/apis", "/api/v1"] {
            assert_eq!(kubectl_get(&t.url, &token, path).await.0, 200, "{path}");
        }
        let (status, body) = kubectl_get(&t.url, &token, "/api/v1/namespaces?limit=500").await;
        assert_eq!(status, 200);
        assert_eq!(body["kind"], "NamespaceList");
        assert_eq!(body["items"][0]["metadata"]["name"], "default");
        let (status, body) = kubectl_get(&t.url, &token, "/api/v1/pods").await;
        assert_eq!(
            (status, body["kind"].as_str(), body["reason"].as_str()),
            (404, Some("Status"), Some("NotFound"))
        );

        let (status, body) = kubectl_get(&t.url, "not-a-grant", "/api/v1/namespaces").await;
        assert_eq!(
            (status, body["reason"].as_str()),
            (401, Some("Unauthorized"))
        );

        assert_eq!(
            t.post("alice", &format!("/v1/grants/{id}/revoke"), None)
                .await
                .status,
            200
        );
        let (status, body) = kubectl_get(&t.url, &token, "/api/v1/namespaces").await;
        assert_eq!(
            (status, body["kind"].as_str(), body["code"].as_u64()),
            (401, Some("Status"), Some(401))
        );
    }

    #[tokio::test]
    async fn a_token_stops_working_when_the_grant_expires() {
        let t = TestBroker::start().await;
        let id = t.create("alice", "prod-k8s", "view", 2).await.id();
        let token = token_for(&t, &id).await;
        assert_eq!(
            kubectl_get(&t.url, &token, "/api/v1/namespaces").await.0,
            200
        );
        tokio::time::sleep(Duration::from_millis(3100)).await;
        assert_eq!(
            kubectl_get(&t.url, &token, "/api/v1/namespaces").await.0,
            401
        );
    }
}
