//! The dev Kubernetes API of `zt-broker dev`: just what `kubectl get namespaces` and
//! `kubectl get pods -n NS` (the command `zt request` suggests; there are never any pods)
//! need (discovery, `/api/v1/namespaces`, `/api/v1/namespaces/NS/pods`), in the real wire format, with Kubernetes `Status` objects
//! for 401/404. A bearer token is accepted only while it belongs to a live grant (state, window
//! and credential all checked at every call), so `kubectl --context zt-prod-k8s get namespaces`
//! works during the grant and fails after it.
//!
//! It is a stand-in, not a cluster, served at the root of its own loopback port over HTTPS
//! ([`tls`]): kubectl (client-go) sends no credentials — neither a token nor an exec plugin's —
//! to an `http://` server (kubernetes/kubectl#744), so the broker's plain-HTTP port would not do.

pub mod tls;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::crypto::sha256_hex;
use crate::store::Store;
use zt_api::Timestamp;

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
        }, {
            "name": "pods", "singularName": "pod", "namespaced": true,
            "kind": "Pod", "verbs": ["get", "list"], "shortNames": ["po"],
        }],
    }))
}

async fn namespaces() -> Json<Value> {
    Json(json!({
        "kind": "NamespaceList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"},
        "items": [namespace("default"), namespace("zt-sandbox")],
    }))
}

async fn pods() -> Json<Value> {
    Json(json!({
        "kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"},
        "items": [],
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
            tracing::error!("dev k8s: {e}");
            status(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                Some("internal error"),
            )
        }
    }
}

/// The routes, served at the root of the HTTPS port.
pub fn router(store: Store) -> Router {
    Router::new()
        .route("/version", get(version))
        .route("/api", get(api_versions))
        .route("/apis", get(api_groups))
        .route("/api/v1", get(core_v1))
        .route("/api/v1/namespaces", get(namespaces))
        .route("/api/v1/namespaces/{ns}/pods", get(pods))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(store, authenticate))
}

/// Serve `app` ([`router`]) on the HTTPS listener until the broker starts closing
/// (`Broker::closing`, set when the main server's shutdown future resolves).
pub async fn serve(
    listener: tls::TlsListener,
    app: Router,
    mut closing: watch::Receiver<bool>,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = closing.wait_for(|c| *c).await;
        })
        .await
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::testkit::TestBroker;

    async fn kubectl_get(t: &TestBroker, token: &str, path: &str) -> (u16, serde_json::Value) {
        let r = t
            .k8s_client()
            .get(format!("{}{path}", t.k8s.server))
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
            assert_eq!(kubectl_get(&t, &token, path).await.0, 200, "{path}");
        }
        let (status, body) = kubectl_get(&t, &token, "/api/v1/namespaces?limit=500").await;
        assert_eq!(status, 200);
        assert_eq!(body["kind"], "NamespaceList");
        assert_eq!(body["items"][0]["metadata"]["name"], "default");
        let (status, body) = kubectl_get(&t, &token, "/api/v1/pods").await;
        assert_eq!(
            (status, body["kind"].as_str(), body["reason"].as_str()),
            (404, Some("Status"), Some("NotFound"))
        );

        let (status, body) = kubectl_get(&t, "not-a-grant", "/api/v1/namespaces").await;
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
        let (status, body) = kubectl_get(&t, &token, "/api/v1/namespaces").await;
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
        assert_eq!(kubectl_get(&t, &token, "/api/v1/namespaces").await.0, 200);
        tokio::time::sleep(Duration::from_millis(3100)).await;
        let (status, body) = kubectl_get(&t, &token, "/api/v1/namespaces").await;
        assert_eq!(
            (status, body["kind"].as_str(), body["reason"].as_str()),
            (401, Some("Status"), Some("Unauthorized"))
        );
    }

    #[tokio::test]
    async fn only_https_with_the_ca_and_not_on_the_broker_port() {
        let t = TestBroker::start().await;
        let id = t.create("alice", "prod-k8s", "view", 600).await.id();
        let token = token_for(&t, &id).await;
        // The certificate names localhost as well as the address.
        let port = t.k8s.server.rsplit(':').next().unwrap();
        let r = t
            .k8s_client()
            .get(format!("https://localhost:{port}/api/v1/namespaces"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // A client without the CA does not get through; nor does plain HTTP.
        let untrusting = reqwest::Client::builder()
            .tls_certs_only([])
            .build()
            .unwrap();
        let url = format!("{}/api/v1/namespaces", t.k8s.server);
        assert!(untrusting.get(&url).send().await.is_err());
        let plain = url.replacen("https://", "http://", 1);
        assert!(reqwest::Client::new().get(&plain).send().await.is_err());
        // The broker's own port no longer serves the Kubernetes API.
        let r = reqwest::Client::new()
            .get(format!("{}/dev/k8s/api/v1/namespaces", t.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }

    #[tokio::test]
    async fn a_restart_on_the_same_data_keeps_old_credentials_working() {
        let t = TestBroker::start().await;
        let id = t.create("alice", "prod-k8s", "view", 600).await.id();
        let token = token_for(&t, &id).await;
        let before = t.k8s.clone();
        let t = TestBroker::start_in(t.stop().await).await;
        assert_eq!(
            (t.k8s.server.as_str(), t.k8s.ca_pem.as_str()),
            (before.server.as_str(), before.ca_pem.as_str())
        );
        assert_eq!(kubectl_get(&t, &token, "/api/v1/namespaces").await.0, 200);
    }
}
