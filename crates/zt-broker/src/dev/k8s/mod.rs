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
