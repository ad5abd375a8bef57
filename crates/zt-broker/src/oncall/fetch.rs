//! Getting a feed's bytes: a file read whole (bounded), or an HTTP GET with the last answer's
//! validators (`If-None-Match`, `If-Modified-Since`, RFC 9110 §13.1) so an unchanged feed
//! costs a `304`, within [`TIMEOUT`], the body read in chunks and refused past the size
//! limit. Errors never carry the URL (it holds the feed's secret token).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};

use super::schedule::Source;

/// The whole fetch (connect, answer, body) takes at most this long.
pub const TIMEOUT: Duration = Duration::from_secs(20);
/// Connecting takes at most this long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What a fetch brought.
#[derive(Debug)]
pub enum Fetched {
    /// A new body, with the validators to send next time.
    Body {
        bytes: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    /// `304 Not Modified`: what was read last time still holds.
    NotModified,
}

/// The HTTP client feeds are fetched with: bounded in time, redirects only to https (or
/// loopback, where a test's feed is).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::custom(|a| {
            let ok = a.url().scheme() == "https"
                || a.url().host_str().is_some_and(|h| {
                    h == "localhost"
                        || h.parse::<std::net::IpAddr>()
                            .is_ok_and(|ip| ip.is_loopback())
                });
            if a.previous().len() >= 5 {
                a.error("more than 5 redirects")
            } else if ok {
                a.follow()
            } else {
                a.error("a redirect away from https")
            }
        }))
        .user_agent(concat!(
            "zt-broker/",
            env!("CARGO_PKG_VERSION"),
            " (on-call feed)"
        ))
        .build()
        .unwrap_or_default()
}

/// Fetch `source`, at most `max_bytes`, conditionally on `etag`/`last_modified`.
pub async fn fetch(
    http: &reqwest::Client,
    source: &Source,
    etag: Option<&str>,
    last_modified: Option<&str>,
    max_bytes: usize,
) -> Result<Fetched, String> {
    match source {
        Source::File(path) => read_file(path, max_bytes).await,
        Source::Url(url) => get(http, url, etag, last_modified, max_bytes).await,
    }
}

async fn read_file(path: &std::path::Path, max_bytes: usize) -> Result<Fetched, String> {
    use tokio::io::AsyncReadExt;
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    // One byte past the limit tells "too large" from "exactly the limit".
    file.take(max_bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() > max_bytes {
        return Err(format!(
            "{} is larger than {max_bytes} bytes",
            path.display()
        ));
    }
    Ok(Fetched::Body {
        bytes,
        etag: None,
        last_modified: None,
    })
}

async fn get(
    http: &reqwest::Client,
    url: &reqwest::Url,
    etag: Option<&str>,
    last_modified: Option<&str>,
    max_bytes: usize,
) -> Result<Fetched, String> {
    let mut req = http
        .get(url.clone())
        .header("accept", "text/calendar, */*;q=0.5");
    if let Some(v) = etag {
        req = req.header(IF_NONE_MATCH, v);
    }
    if let Some(v) = last_modified {
        req = req.header(IF_MODIFIED_SINCE, v);
    }
    let mut resp = req
        .send()
        .await
        .map_err(|e| format!("fetching the feed failed: {}", e.without_url()))?;
    let status = resp.status();
    if status == StatusCode::NOT_MODIFIED {
        return Ok(Fetched::NotModified);
    }
    if !status.is_success() {
        return Err(format!("the feed answered HTTP {status}"));
    }
    if resp.content_length().is_some_and(|n| n > max_bytes as u64) {
        return Err(format!("the feed is larger than {max_bytes} bytes"));
    }
    let header = |name| {
        resp.headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .filter(|v| v.len() <= 256)
            .map(str::to_owned)
    };
    let (etag, last_modified) = (header(ETAG), header(LAST_MODIFIED));
    let mut bytes = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("reading the feed failed: {}", e.without_url()))?
    {
        if bytes.len() + chunk.len() > max_bytes {
            return Err(format!("the feed is larger than {max_bytes} bytes"));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Fetched::Body {
        bytes,
        etag,
        last_modified,
    })
}
