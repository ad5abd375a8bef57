//! The OAuth 2.0 protocol through the `oauth2` crate: its requests and answers (device
//! authorization, token refresh, revocation) carried by zt's own reqwest client — the
//! [`Idp`] below implements `oauth2::AsyncHttpClient` over `http::idp_send`, so every call to
//! the identity provider keeps zt's time limit, body cap and plain-language errors. What the
//! crate reports is turned into zt's errors here, with the provider's words escaped (an IdP's
//! `error_description` is text from someone else).
//!
//! RFC 8693 token exchange is not in `oauth2` 5: it stays zt's own code (`workload.rs`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU16, Ordering};

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{AccessToken, ClientId, RefreshToken, Scope, StandardRevocableToken};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::error::{Error, Result};
use crate::http;
use crate::output::field;

/// A successful token response (RFC 6749 §5.1), as the rest of zt uses it.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub id_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

/// The token response as `oauth2` reads it: its own `StandardTokenResponse` requires
/// `token_type` and drops `id_token`; zt has always accepted answers without the first (a
/// bearer token is what every provider issues) and keeps the second.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Answer {
    access_token: AccessToken,
    #[serde(default = "bearer")]
    token_type: BasicTokenType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_in: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<RefreshToken>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(
        default,
        rename = "scope",
        deserialize_with = "oauth2::helpers::deserialize_space_delimited_vec",
        serialize_with = "oauth2::helpers::serialize_space_delimited_vec",
        skip_serializing_if = "Option::is_none"
    )]
    scopes: Option<Vec<Scope>>,
}

fn bearer() -> BasicTokenType {
    BasicTokenType::Bearer
}

impl oauth2::TokenResponse for Answer {
    type TokenType = BasicTokenType;
    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<std::time::Duration> {
        self.expires_in.map(std::time::Duration::from_secs)
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scopes.as_ref()
    }
}

impl From<Answer> for TokenResponse {
    fn from(a: Answer) -> Self {
        Self {
            access_token: a.access_token.into_secret(),
            refresh_token: a.refresh_token.map(RefreshToken::into_secret),
            id_token: a.id_token,
            expires_in: a.expires_in,
        }
    }
}

/// zt's OAuth client: a public client (no secret; RFC 8628 §5.6), the token answer above.
pub(crate) type Client = oauth2::Client<
    BasicErrorResponse,
    Answer,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
>;

pub(crate) fn client(client_id: &str) -> Client {
    Client::new(ClientId::new(client_id.to_string()))
}

/// An endpoint the provider named, as `oauth2` wants it; a provider's garbage is an error
/// that shows it escaped.
pub(crate) fn endpoint<T>(
    what: &str,
    url: &str,
    make: fn(String) -> Result<T, oauth2::url::ParseError>,
) -> Result<T> {
    make(url.to_string()).map_err(|e| {
        Error::other(format!(
            "the identity provider's {what} {} is not a URL ({e})",
            field(url)
        ))
        .with_hint("tell the identity provider's operators")
    })
}

/// `oauth2`'s HTTP client: zt's reqwest client under [`http::idp_send`]. It remembers the
/// status of the last answer (the crate's errors do not carry it, and "HTTP 503" is not "log
/// in again") and, for the device poll, the first failure to reach the provider.
pub(crate) struct Idp {
    http: reqwest::Client,
    last_status: AtomicU16,
    failed: Mutex<Option<Error>>,
    failure: Notify,
}

impl Idp {
    pub(crate) fn new(http: &reqwest::Client) -> Self {
        Self {
            http: http.clone(),
            last_status: AtomicU16::new(0),
            failed: Mutex::new(None),
            failure: Notify::new(),
        }
    }

    /// The HTTP status of the last answer (0 before any).
    pub(crate) fn status(&self) -> u16 {
        self.last_status.load(Ordering::Relaxed)
    }

    /// The first failure to reach the provider, once there is one. `oauth2`'s device polling
    /// loop swallows transport errors and backs off (RFC 8628 §3.5); zt ends the login on the
    /// first one instead, as it always has, so a provider that went away is said at once
    /// rather than after the code's whole lifetime.
    pub(crate) async fn failure(&self) -> Error {
        loop {
            if let Some(e) = self.failed.lock().ok().and_then(|mut f| f.take()) {
                return e;
            }
            self.failure.notified().await;
        }
    }

    fn fail(&self, e: &Error) {
        if let Ok(mut f) = self.failed.lock()
            && f.is_none()
        {
            *f = Some(Error {
                kind: e.kind,
                message: e.message.clone(),
                hint: e.hint.clone(),
                source: e.source.clone(),
            });
        }
        self.failure.notify_one();
    }
}

type Call<'c> = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse>> + Send + 'c>>;

impl<'c> oauth2::AsyncHttpClient<'c> for Idp {
    type Error = Error;
    type Future = Call<'c>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            // The endpoints' URLs carry no secret (those are in the form body).
            let url = request.uri().to_string();
            let request = reqwest::Request::try_from(request).map_err(|e| {
                Error::other(format!("cannot build the request to {}: {e}", field(&url)))
            })?;
            let builder = reqwest::RequestBuilder::from_parts(self.http.clone(), request);
            let (status, body) = http::idp_send(&url, builder)
                .await
                .inspect_err(|e| self.fail(e))?;
            self.last_status.store(status, Ordering::Relaxed);
            // No headers are passed on: the body's JSON is what counts, as zt has always read
            // providers (oauth2 checks a Content-Type only when there is one).
            oauth2::http::Response::builder()
                .status(status)
                .body(body)
                .map_err(|e| Error::other(format!("the answer of {}: {e}", field(&url))))
        })
    }
}

/// The provider's error code and description, escaped, as `code: description`.
pub(crate) fn describe<T>(e: &oauth2::StandardErrorResponse<T>, sep: (&str, &str)) -> String
where
    T: oauth2::ErrorResponseType + std::fmt::Display,
{
    let desc = e
        .error_description()
        .map(|d| format!("{}{}{}", sep.0, field(d), sep.1))
        .unwrap_or_default();
    format!("{}{desc}", field(&e.error().to_string()))
}

/// An answer `oauth2` could not read, phrased as zt phrases any undecodable answer ("an HTML
/// page", "something that is not JSON", …).
pub(crate) fn unreadable<T: DeserializeOwned>(url: &str, status: u16, body: &[u8]) -> Error {
    match http::decode::<T>("identity provider", url, status, body) {
        Err(e) => e,
        Ok(_) => Error::other(format!(
            "the identity provider at {url} answered HTTP {status} with an answer zt cannot use"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_without_token_type_keep_their_id_token() {
        let a: Answer = serde_json::from_str(
            r#"{"access_token":"a","refresh_token":"r","id_token":"i","expires_in":60,"scope":"openid email"}"#,
        )
        .unwrap();
        assert_eq!(
            oauth2::TokenResponse::token_type(&a),
            &BasicTokenType::Bearer
        );
        assert_eq!(oauth2::TokenResponse::scopes(&a).map(Vec::len), Some(2));
        let t = TokenResponse::from(a);
        assert_eq!(
            (
                t.access_token.as_str(),
                t.refresh_token.as_deref(),
                t.id_token.as_deref()
            ),
            ("a", Some("r"), Some("i"))
        );
        assert_eq!(t.expires_in, Some(60));
    }

    #[test]
    fn a_providers_error_is_described_escaped() {
        let e: BasicErrorResponse = serde_json::from_str(
            r#"{"error":"invalid_grant\u001b[2J","error_description":"no\nway"}"#,
        )
        .unwrap();
        let shown = describe(&e, (": ", ""));
        assert!(!shown.chars().any(crate::output::is_hostile), "{shown:?}");
        assert!(
            shown.contains("invalid_grant") && shown.contains("no\\nway"),
            "{shown}"
        );
    }
}
