//! The one HTTP client zt uses (broker and IdP): TLS verified against the platform's roots,
//! connect/request timeouts, bodies capped so a misbehaving server cannot exhaust memory, and
//! errors phrased for people — never including a token.

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorKind, Result};

/// Bodies larger than this are refused (the API's largest answers are a few KiB).
pub const MAX_BODY: usize = 1 << 20;

pub fn client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!("zt/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(90))
        .build()
        .map_err(|e| Error::other(format!("cannot set up HTTPS: {e}")))
}

/// "cannot reach …" with a next step, for connection-level failures.
pub fn send_error(what: &str, url: &str, e: reqwest::Error) -> Error {
    if let Some(cause) = certificate_error(&e) {
        return Error::new(
            ErrorKind::Unavailable,
            format!(
                "cannot reach the {what} at {url}: its TLS certificate failed verification ({cause})"
            ),
        )
        .with_hint(format!(
            "the {what}'s certificate is not trusted by this machine (self-signed, expired, another \
             name, or a private CA that is not installed); fix the certificate or install its CA"
        ))
        .with_source(e);
    }
    let why = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "connection failed".to_string()
    } else {
        // reqwest's Display does not include headers or bodies; the URL carries no secret.
        e.to_string()
    };
    Error::new(
        ErrorKind::Unavailable,
        format!("cannot reach the {what} at {url}: {why}"),
    )
    .with_hint(format!(
        "check that the {what} is running and the URL is right"
    ))
    .with_source(e)
}

/// The TLS layer's reason when the connection failed on certificate verification (rustls says
/// "invalid peer certificate: UnknownIssuer"), found along the error's causes.
fn certificate_error(e: &reqwest::Error) -> Option<String> {
    // The innermost cause that speaks of a certificate is the most precise one.
    let mut found = None;
    let mut cause: Option<&dyn std::error::Error> = Some(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if text.contains("certificate") {
            found = Some(text);
        }
        cause = c.source();
    }
    found.map(|t| crate::output::inert(&t, 200))
}

/// How long one call to the identity provider (discovery, device authorization, a token poll,
/// a refresh, a revocation) may take in all: these answer in milliseconds, so a provider that
/// accepts the connection and then says nothing must not hold zt for the client's 90 s.
pub fn idp_timeout() -> Duration {
    crate::env::var(crate::env::ZT_IDP_TIMEOUT)
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(Duration::from_secs(20))
}

/// [`send_error`] for the identity provider: a timeout says it did not answer (exit 7).
pub fn idp_error(url: &str, e: reqwest::Error) -> Error {
    if !e.is_timeout() {
        return send_error("identity provider", url, e);
    }
    did_not_answer(url)
}

/// GET from the identity provider under [`idp_timeout`]: its status and (capped) body.
pub async fn idp_get(http: &reqwest::Client, url: &str) -> Result<(u16, Vec<u8>)> {
    idp_send(url, http.get(url)).await
}

/// POST a form to the identity provider (device authorization, token endpoint, revocation)
/// under [`idp_timeout`]: its HTTP status and (capped) body, with connection failures already
/// phrased for people.
pub async fn post_form(
    http: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> Result<(u16, Vec<u8>)> {
    idp_send(url, http.post(url).form(form)).await
}

/// Send `req` to the identity provider under [`idp_timeout`] (what `post_form` and
/// `auth::oauth`'s client for the `oauth2` crate both use).
pub async fn idp_send(url: &str, req: reqwest::RequestBuilder) -> Result<(u16, Vec<u8>)> {
    let limit = idp_timeout();
    // reqwest's own limit ends the call; the outer one is a backstop for a body that stalls
    // between chunks, so either way the person hears "did not answer".
    let call = async {
        let resp = req
            .timeout(limit)
            .send()
            .await
            .map_err(|e| idp_error(url, e))?;
        let status = resp.status().as_u16();
        Ok((status, body("identity provider", url, resp).await?))
    };
    tokio::time::timeout(limit + Duration::from_millis(250), call)
        .await
        .unwrap_or_else(|_| Err(did_not_answer(url)))
}

fn did_not_answer(url: &str) -> Error {
    Error::new(
        ErrorKind::Unavailable,
        format!(
            "the identity provider did not answer: {url} took longer than {}s",
            idp_timeout().as_secs_f64()
        ),
    )
    .with_hint("try again later; if it keeps happening, tell the identity provider's operators")
}

/// Read a response body, at most [`MAX_BODY`] bytes.
pub async fn body(what: &str, url: &str, mut resp: reqwest::Response) -> Result<Vec<u8>> {
    if resp.content_length().is_some_and(|n| n as usize > MAX_BODY) {
        return Err(oversized(what, url));
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| send_error(what, url, e))? {
        if buf.len() + chunk.len() > MAX_BODY {
            return Err(oversized(what, url));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

fn oversized(what: &str, url: &str) -> Error {
    Error::other(format!(
        "the {what} at {url} sent an answer larger than {} KiB",
        MAX_BODY / 1024
    ))
    .with_hint(format!("check that {url} is the right address"))
}

/// Decode JSON, or say plainly that the server did not speak the expected protocol.
pub fn decode<T: DeserializeOwned>(what: &str, url: &str, status: u16, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        let looks = if bytes.trim_ascii_start().starts_with(b"<") {
            "an HTML page".to_string()
        } else if serde_json::from_slice::<serde_json::Value>(bytes).is_ok() {
            format!("JSON of another shape ({e})")
        } else {
            "something that is not JSON".to_string()
        };
        Error::other(format!(
            "the {what} at {url} answered HTTP {status} with {looks}"
        ))
        .with_hint(format!(
            "check that {url} is a {what} (and not a proxy or login page)"
        ))
    })
}
