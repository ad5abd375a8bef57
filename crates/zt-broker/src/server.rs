//! The HTTP server: the `/v1` routes, problem+json for unknown routes and methods, and
//! [`serve`], which runs on a listener the caller bound (tests bind `127.0.0.1:0`) until the
//! shutdown future resolves, then drains in-flight requests (long-polls answer at once).

use std::future::Future;

use axum::Router;
use axum::http::{Method, Uri};
use axum::routing::{get, post};

use crate::problem::ApiError;
use crate::routes::{audit, bundles, create, decide, extend, grants, info, requests, ssh};
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
    ("POST", "/v1/bundles"),
    ("GET", "/v1/bundles/{id}"),
    ("POST", "/v1/grants/{id}/revoke"),
    ("POST", "/v1/grants/{id}/credentials"),
    ("POST", "/v1/grants/{id}/extend"),
    ("GET", "/v1/audit"),
    ("GET", "/v1/ssh/ca"),
    ("GET", "/v1/ssh/krl"),
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
        .route("/v1/bundles", post(bundles::create))
        .route("/v1/bundles/{id}", get(bundles::get))
        .route("/v1/grants/{id}/revoke", post(grants::revoke))
        .route("/v1/grants/{id}/credentials", post(grants::credentials))
        .route("/v1/grants/{id}/extend", post(extend::extend))
        .route("/v1/audit", get(audit::list))
        .route("/v1/ssh/ca", get(ssh::ca))
        .route("/v1/ssh/krl", get(ssh::krl))
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
