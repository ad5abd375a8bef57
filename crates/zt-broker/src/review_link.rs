//! Where a person reviews a request: `{base}/review/{id}`, and the inbox `{base}/review`.
//! `{base}` is the broker's `[server] public_url` when set, else the URL it listens on; the dev
//! broker's is `http://localhost:PORT` (WebAuthn takes no IP address as its relying party).
//! The API's [`api::Request::review_url`] carries the link while a request is pending, and the
//! webhooks put it behind their "Review" button.

use reqwest::Url;

use crate::state::{AppState, Broker};
use zt_api as api;

/// The review page of request `id`, once the broker knows its base (at wiring; never before).
pub fn url(s: &AppState, id: &str) -> Option<String> {
    url_for(&s.broker, id)
}

/// [`url`] from the broker itself (the webhooks, the reaper).
pub fn url_for(b: &Broker, id: &str) -> Option<String> {
    b.public_base().map(|base| join(base, id))
}

/// The approver's inbox page.
pub fn inbox(s: &AppState) -> Option<String> {
    s.broker.public_base().map(|base| format!("{base}/review"))
}

/// `{base}/review/{id}`, the id percent-encoded: it is one path segment whatever it holds.
pub fn join(base: &str, id: &str) -> String {
    let mut out = format!("{}/review/", base.trim_end_matches('/'));
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The request as the API answers it: with its review link while it waits for a decision
/// (absent once decided: there is nothing left to review).
pub fn stamped(b: &Broker, mut r: api::Request) -> api::Request {
    r.review_url = match r.state {
        api::State::Pending => url_for(b, &r.id),
        _ => None,
    };
    r
}

/// A base for a broker reached at `url`: the same, no trailing slash, except that a loopback
/// IP address becomes `localhost` (the dev broker: a browser's passkey needs a host name).
pub fn localhost_base(url: &str) -> String {
    let trimmed = url.trim_end_matches('/');
    let Ok(mut u) = Url::parse(trimmed) else {
        return trimmed.to_owned();
    };
    let loopback = u
        .host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
        .and_then(|h| h.parse::<std::net::IpAddr>().ok())
        .is_some_and(|ip| ip.is_loopback());
    if loopback && u.set_host(Some("localhost")).is_ok() {
        return u.as_str().trim_end_matches('/').to_owned();
    }
    trimmed.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_is_the_base_and_one_path_segment() {
        assert_eq!(
            join("https://zt.example.com", "req_abc123"),
            "https://zt.example.com/review/req_abc123"
        );
        assert_eq!(
            join("https://zt.example.com/zt/", "r1"),
            "https://zt.example.com/zt/review/r1"
        );
        assert_eq!(
            join("http://localhost:1", "a/b?c#d e"),
            "http://localhost:1/review/a%2Fb%3Fc%23d%20e"
        );
    }

    #[test]
    fn a_loopback_address_becomes_localhost() {
        assert_eq!(
            localhost_base("http://127.0.0.1:8080"),
            "http://localhost:8080"
        );
        assert_eq!(
            localhost_base("http://[::1]:8080/"),
            "http://localhost:8080"
        );
        assert_eq!(
            localhost_base("https://zt.example.com/"),
            "https://zt.example.com"
        );
        assert_eq!(localhost_base("http://10.0.0.1:80"), "http://10.0.0.1:80");
    }
}
