//! The review page's calls to the identity provider: its discovery document (fetched when
//! first needed, kept an hour, its `issuer` checked) and its token endpoint (the code redeemed
//! with the PKCE verifier). Bounded in time and size; redirects are not followed.

use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::review::ReviewSettings;

/// How long the provider's discovery document is kept.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
/// Time limit of one call to the provider.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Answers from the provider larger than this are refused.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// The provider's endpoints, from its discovery document (fetched when first needed, kept an
/// hour).
pub(crate) struct Provider {
    http: reqwest::Client,
    endpoints: tokio::sync::Mutex<Option<(Endpoints, Instant)>>,
}

#[derive(Clone, Deserialize)]
pub(super) struct Endpoints {
    issuer: String,
    pub(super) authorization_endpoint: String,
    token_endpoint: String,
}

impl Provider {
    pub(crate) fn new() -> Self {
        let http = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            http,
            endpoints: tokio::sync::Mutex::new(None),
        }
    }

    /// The issuer's endpoints: `{issuer}/.well-known/openid-configuration`, whose `issuer` must
    /// be the configured one exactly.
    pub(super) async fn endpoints(&self, issuer: &str) -> Result<Endpoints, String> {
        let mut cached = self.endpoints.lock().await;
        if let Some((e, at)) = cached.as_ref()
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(e.clone());
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let resp = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("cannot reach the identity provider ({url}): {e}"))?;
        let body = bounded(resp).await?;
        let e: Endpoints = serde_json::from_slice(&body)
            .map_err(|e| format!("the identity provider's discovery document: {e}"))?;
        if e.issuer != issuer {
            return Err(format!(
                "the identity provider's discovery document names issuer {:?}, not {issuer:?}",
                e.issuer
            ));
        }
        for u in [&e.authorization_endpoint, &e.token_endpoint] {
            reqwest::Url::parse(u).map_err(|_| {
                "the identity provider's discovery document has an endpoint that is not a URL"
                    .to_string()
            })?;
        }
        *cached = Some((e.clone(), Instant::now()));
        Ok(e)
    }
}

/// A successful answer's body, at most [`MAX_ANSWER_BYTES`]; an error status is an error.
async fn bounded(mut resp: reqwest::Response) -> Result<Vec<u8>, String> {
    let status = resp.status();
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("reading the identity provider's answer: {e}"))?
    {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err("the identity provider's answer is too large".into());
        }
        body.extend_from_slice(&chunk);
    }
    if !status.is_success() {
        #[derive(Deserialize)]
        struct OAuthError {
            error: String,
            #[serde(default)]
            error_description: Option<String>,
        }
        return Err(match serde_json::from_slice::<OAuthError>(&body) {
            Ok(e) => format!(
                "the identity provider answered {status}: {}{}",
                clip(&e.error, 100),
                e.error_description
                    .map(|d| format!(" ({})", clip(&d, 300)))
                    .unwrap_or_default()
            ),
            Err(_) => format!("the identity provider answered {status}"),
        });
    }
    Ok(body)
}

pub(super) fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

impl Provider {
    /// Redeem an authorization `code` with its PKCE `verifier` at the token endpoint: the ID
    /// token (checked by the caller).
    pub(crate) async fn redeem(
        &self,
        s: &ReviewSettings,
        code: &str,
        verifier: &str,
    ) -> Result<String, String> {
        let endpoints = self.endpoints(&s.issuer).await?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", s.redirect_uri.as_str()),
            ("client_id", s.client_id.as_str()),
            ("code_verifier", verifier),
        ];
        let mut call = self
            .http
            .post(&endpoints.token_endpoint)
            .header("accept", "application/json")
            .form(&form);
        if let Some(secret) = &s.client_secret {
            call = call.basic_auth(form_encode(&s.client_id), Some(form_encode(secret)));
        }
        let resp = call
            .send()
            .await
            .map_err(|e| format!("cannot reach the identity provider's token endpoint: {e}"))?;
        let body = bounded(resp).await?;
        #[derive(Deserialize)]
        struct Tokens {
            id_token: Option<String>,
        }
        let tokens: Tokens = serde_json::from_slice(&body)
            .map_err(|_| "the identity provider's token answer is not JSON".to_string())?;
        tokens.id_token.ok_or_else(|| {
            "the identity provider sent no ID token (is `openid` among the scopes?)".into()
        })
    }
}

/// RFC 6749 §2.3.1: the client id and secret are form-encoded before HTTP Basic.
fn form_encode(s: &str) -> String {
    reqwest::Url::parse_with_params("x:", [("v", s)])
        .ok()
        .and_then(|u| u.query().map(|q| q.trim_start_matches("v=").to_owned()))
        .unwrap_or_default()
}
