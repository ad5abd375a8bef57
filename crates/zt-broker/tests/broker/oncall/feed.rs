//! An iCalendar feed served on 127.0.0.1:0 the way PagerDuty serves one: `GET /feed.ics` with
//! an `ETag`, `304 Not Modified` to a request that names it; the test swaps the body or makes it
//! fail, and counts the answers.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

#[derive(Default)]
struct Feed {
    body: String,
    status: u16,
    version: u32,
    full: u32,
    not_modified: u32,
}

#[derive(Clone, Default)]
pub(super) struct FeedServer {
    pub(super) url: String,
    feed: Arc<Mutex<Feed>>,
}

impl FeedServer {
    pub(super) async fn start(body: &str) -> FeedServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/feed.ics", listener.local_addr().unwrap());
        let s = FeedServer {
            url,
            feed: Arc::default(),
        };
        s.set(body);
        let app = Router::new()
            .route("/feed.ics", get(answer))
            .with_state(s.feed.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        s
    }

    /// Serve `body` (200, a new ETag) from now on.
    pub(super) fn set(&self, body: &str) {
        let mut f = self.feed.lock().unwrap();
        f.body = body.to_owned();
        f.status = 200;
        f.version += 1;
    }

    /// Answer `status` from now on.
    pub(super) fn fail(&self, status: u16) {
        self.feed.lock().unwrap().status = status;
    }

    /// (full answers, 304s) so far.
    pub(super) fn counts(&self) -> (u32, u32) {
        let f = self.feed.lock().unwrap();
        (f.full, f.not_modified)
    }
}

async fn answer(State(feed): State<Arc<Mutex<Feed>>>, headers: HeaderMap) -> Response {
    let mut f = feed.lock().unwrap();
    if f.status != 200 {
        return StatusCode::from_u16(f.status).unwrap().into_response();
    }
    let etag = format!("\"v{}\"", f.version);
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        f.not_modified += 1;
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    f.full += 1;
    (
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_owned(),
            ),
            (header::ETAG, etag),
        ],
        f.body.clone(),
    )
        .into_response()
}
