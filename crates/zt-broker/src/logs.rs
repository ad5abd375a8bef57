//! The broker's logs (issue 12): `tracing` events filtered like `RUST_LOG` (`ZT_BROKER_LOG`
//! first), as text lines or JSON lines for log shippers, on stderr; and one line per HTTP
//! request (method, route, status, latency, request id) from `tower-http`'s trace layer.
//!
//! What a log line may hold: ids, names, routes, statuses, error texts. Never a token, a
//! password or a key: requests are logged by their matched route (`/v1/grants/{id}/…`), never
//! by their URI, headers or body (tests/it/logs.rs runs a journey at debug level to prove it).

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Response};
use axum::middleware::Next;
use tower_http::trace::TraceLayer;
use tracing::Span;
use tracing_subscriber::EnvFilter;

/// The filter variables, first found wins; `info` when neither is set.
pub const FILTER_VARS: [&str; 2] = ["ZT_BROKER_LOG", "RUST_LOG"];

/// The response header naming the request's id, as its log line does.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

static FORMAT: OnceLock<LogFormat> = OnceLock::new();

/// The format [`init`] chose (`dev --detach` passes it on to the broker it starts).
pub fn format() -> LogFormat {
    FORMAT.get().copied().unwrap_or_default()
}

/// Install the process's subscriber. A filter that does not parse is said once and replaced
/// by `info`, rather than leaving a production broker silent or refusing to start.
pub fn init(format: LogFormat) {
    let _ = FORMAT.set(format);
    let spec = FILTER_VARS
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()));
    let (filter, bad) = match spec.as_deref().map(EnvFilter::try_new) {
        None => (EnvFilter::new("info"), None),
        Some(Ok(f)) => (f, None),
        Some(Err(e)) => (EnvFilter::new("info"), Some(e)),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
    };
    if installed.is_ok()
        && let Some(e) = bad
    {
        tracing::warn!("the log filter does not parse ({e}); logging at info");
    }
}

/// `app` with a request id on every request and response and one log line per request.
pub fn traced(app: Router) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request| {
            // The matched route, never the URI: paths and queries can carry codes and ids
            // that are not ours to log (the dev IdP's device codes, for one).
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map_or("(unmatched)", MatchedPath::as_str);
            let id = req
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!("http", method = %req.method(), route = %route, request_id = %id)
        })
        .on_request(())
        .on_failure(())
        .on_response(|res: &Response<_>, latency: Duration, _: &Span| {
            tracing::info!(
                status = res.status().as_u16(),
                latency_ms = latency.as_secs_f64() * 1000.0,
                "request"
            );
        });
    // Added last, so outermost: the id exists before the trace layer's span reads it.
    app.layer(trace)
        .layer(axum::middleware::from_fn(request_id))
}

/// Give the request a fresh id (any id a client sent is replaced: a log line's fields come
/// from the broker, not from whoever sent the request) and answer with it.
async fn request_id(mut req: Request, next: Next) -> axum::response::Response {
    let id = crate::crypto::random_bytes(8)
        .map(|b| crate::crypto::hex(&b))
        .unwrap_or_default();
    let value = HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static(""));
    req.headers_mut().insert(REQUEST_ID, value.clone());
    let mut res = next.run(req).await;
    res.headers_mut().insert(REQUEST_ID, value);
    res
}
