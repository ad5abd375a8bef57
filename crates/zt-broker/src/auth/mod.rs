//! Bearer-token verification: every broker call carries an OAuth access token (a JWT from the
//! OpenID provider `zt login` signed in with); this module decides whether to believe it and
//! who it names. The embedded development provider and a production IdP go through the same
//! code path: keys come from a JWKS (static, a URL, or OpenID discovery), are cached, and are
//! refetched — rate-limited — when a token names a key the cache does not know.
//!
//! - `claims`: what the claims of a verified token say — the registered claims' failures as
//!   messages, and the configured claim names mapped onto a [`Principal`].
//! - `keys`: the per-issuer key cache — which JWKs are usable and for which algorithm, and
//!   fetching the key set (by URL or discovery) with its refetch rate limit.
//! - `facts`: how and when the person authenticated (`acr`, `amr`, `auth_time`), for policy
//!   and step-up authentication.

mod claims;
mod facts;
mod keys;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::AlgorithmFamily;
use jsonwebtoken::jwk::JwkSet;
use serde::Deserialize;
use serde_json::{Map, Value};

use claims::{map_jwt_error, principal_from_claims};
pub use facts::{AuthFacts, UNKNOWN_AUTH_AGE, discover_acr_values};
use keys::{FetchState, IssuerState, KeySet};

/// Tokens longer than this are refused before any parsing.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Who a verified token names.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Principal {
    pub sub: String,
    pub issuer: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub groups: Vec<String>,
    /// How and when they authenticated (`acr`, `amr`, `auth_time`): step-up authentication.
    pub auth: AuthFacts,
}

impl Principal {
    /// How to show this person: the email when the token has one, else the subject.
    pub fn display(&self) -> &str {
        self.email.as_deref().unwrap_or(&self.sub)
    }
}

/// Which claims hold the subject, email, name and groups. Each may be a dot path into nested
/// objects (`realm_access.roles` for Keycloak); a claim whose literal name contains dots
/// (`https://example.com/groups`) is found too.
#[derive(Debug, Clone)]
pub struct ClaimNames {
    pub sub: String,
    pub email: String,
    pub name: String,
    pub groups: String,
}

impl Default for ClaimNames {
    fn default() -> Self {
        Self {
            sub: "sub".into(),
            email: "email".into(),
            name: "name".into(),
            groups: "groups".into(),
        }
    }
}

/// Where an issuer's public keys come from.
#[derive(Debug, Clone)]
pub enum JwksSource {
    /// A fixed key set (the embedded development provider; tests). Never refetched.
    Static(JwkSet),
    /// The provider's `jwks_uri`.
    Url(String),
    /// `{issuer}/.well-known/openid-configuration` → `jwks_uri`.
    Discover,
}

/// One identity provider the broker accepts tokens from.
#[derive(Debug, Clone)]
pub struct TrustedIssuer {
    /// Compared exactly with the token's `iss`.
    pub issuer: String,
    /// Must be in the token's `aud` (a string or an array).
    pub audience: String,
    pub jwks: JwksSource,
    pub claims: ClaimNames,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// At most one JWKS fetch per this interval, however many unknown `kid`s arrive.
    pub min_refetch_interval: Duration,
    /// The ACR values this issuer puts in `acr`, weakest first: what `@step_up` policies may
    /// name, and how one value meets another (see [`AuthFacts`]).
    pub acr_values: Vec<String>,
}

impl TrustedIssuer {
    /// An issuer with the default claim names, 60 s leeway and a 30 s refetch interval.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>, jwks: JwksSource) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            jwks,
            claims: ClaimNames::default(),
            leeway_secs: 60,
            min_refetch_interval: Duration::from_secs(30),
            acr_values: Vec::new(),
        }
    }
}

/// Why a token was refused. The message is safe to return to the client: it never contains
/// the token (nor any claim value taken from it).
#[derive(Debug, Clone, PartialEq)]
pub struct AuthError(pub String);

impl AuthError {
    fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AuthError {}

/// Verifies bearer tokens against a fixed list of trusted issuers. `Send + Sync`; share it
/// through an `Arc`.
pub struct Verifier {
    issuers: Vec<Arc<IssuerState>>,
    http: reqwest::Client,
    /// Tokens already verified: SHA-256 of the token → who it names, until when. A client
    /// sends the same access token on every call for minutes; checking its signature once is
    /// enough. Entries last at most [`VERIFIED_FOR_SECS`] and never past the token's `exp`.
    verified: std::sync::Mutex<std::collections::HashMap<[u8; 32], (Principal, i64)>>,
}

/// How long a verified token is believed without checking its signature again.
const VERIFIED_FOR_SECS: i64 = 60;
/// The verified-token cache is emptied of expired entries (and, if still full, cleared) here.
const VERIFIED_MAX: usize = 10_000;

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.issuers.iter().map(|i| i.cfg.issuer.as_str()).collect();
        f.debug_struct("Verifier").field("issuers", &names).finish()
    }
}

impl Verifier {
    pub fn new(issuers: Vec<TrustedIssuer>, http: reqwest::Client) -> Self {
        let issuers = issuers
            .into_iter()
            .map(|cfg| {
                let keys = match &cfg.jwks {
                    JwksSource::Static(set) => KeySet::build(set, &cfg, 0),
                    JwksSource::Url(_) | JwksSource::Discover => KeySet::empty(),
                };
                Arc::new(IssuerState {
                    cfg,
                    keys: RwLock::new(Arc::new(keys)),
                    fetch: tokio::sync::Mutex::new(FetchState::default()),
                })
            })
            .collect();
        Self {
            issuers,
            http,
            verified: Default::default(),
        }
    }

    /// Checks a bearer token (without the `Bearer ` prefix) and says whom it names.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::new("token too large"));
        }
        if token.is_empty() {
            return Err(AuthError::new("empty token"));
        }
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
        let mut id = [0u8; 32];
        id.copy_from_slice(digest.as_ref());
        let now = zt_api::Timestamp::now().0;
        if let Ok(cache) = self.verified.lock()
            && let Some((p, until)) = cache.get(&id)
            && *until > now
        {
            return Ok(p.clone());
        }
        let (principal, exp) = self.verify_signed(token).await?;
        if let Ok(mut cache) = self.verified.lock() {
            if cache.len() >= VERIFIED_MAX {
                cache.retain(|_, (_, until)| *until > now);
                if cache.len() >= VERIFIED_MAX {
                    cache.clear();
                }
            }
            cache.insert(id, (principal.clone(), exp.min(now + VERIFIED_FOR_SECS)));
        }
        Ok(principal)
    }

    /// The full check: header, issuer, key, signature, claims. Also returns `exp`.
    async fn verify_signed(&self, token: &str) -> Result<(Principal, i64), AuthError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| AuthError::new("malformed token (header)"))?;
        if header.alg.family() == AlgorithmFamily::Hmac {
            return Err(AuthError::new(
                "token algorithm not accepted (HMAC-signed tokens are refused)",
            ));
        }
        // RFC 7515 §4.1.11: no header extension is understood here. Keys named in the header
        // (`jwk`, `jku`, `x5u`, `x5c`) are never used: keys come only from the issuer's JWKS.
        if header.crit.is_some() || header.zip.is_some() || header.enc.is_some() {
            return Err(AuthError::new(
                "token uses header extensions that are not supported",
            ));
        }
        let issuer = self.issuer_of(token)?;
        let key = issuer.key_for(&header, &self.http).await?;
        if key.alg != header.alg {
            return Err(AuthError::new(
                "token algorithm does not match its signing key",
            ));
        }
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &key.validation)
            .map_err(|e| map_jwt_error(e.kind()))?;
        // `exp` is required by the validation, so it is there and numeric.
        let exp = data.claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
        Ok((principal_from_claims(&data.claims, &issuer.cfg)?, exp))
    }

    /// Checks an OpenID Connect ID token (the review page's sign-in, OIDC Core §3.1.3.7): it
    /// must come from `issuer` (one of the trusted issuers), be signed with one of its keys
    /// (the same key cache, algorithm pinning and refetching as access tokens), be for
    /// `client_id` (`aud`; with several audiences `azp` must name it), unexpired, and not an
    /// access token (`typ` `at+jwt`). Answers who it names — through the issuer's configured
    /// claim names, exactly as an access token from it would — and its claims (the caller
    /// checks `nonce`).
    pub async fn verify_id_token(
        &self,
        token: &str,
        issuer: &str,
        client_id: &str,
    ) -> Result<(Principal, Map<String, Value>), AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::new("ID token too large"));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| AuthError::new("malformed ID token (header)"))?;
        if header.alg.family() == AlgorithmFamily::Hmac {
            return Err(AuthError::new(
                "ID token algorithm not accepted (HMAC-signed tokens are refused)",
            ));
        }
        if header.crit.is_some() || header.zip.is_some() || header.enc.is_some() {
            return Err(AuthError::new(
                "ID token uses header extensions that are not supported",
            ));
        }
        if header
            .typ
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("at+jwt"))
        {
            return Err(AuthError::new("an access token is not an ID token"));
        }
        let state = self.issuer_of(token)?;
        if state.cfg.issuer != issuer {
            return Err(AuthError::new("ID token issuer mismatch"));
        }
        let key = state.key_for(&header, &self.http).await?;
        if key.alg != header.alg {
            return Err(AuthError::new(
                "ID token algorithm does not match its signing key",
            ));
        }
        let mut validation = key.validation.clone();
        validation.set_audience(&[client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
            .map_err(|e| map_jwt_error(e.kind()))?;
        let claims = data.claims;
        if let Some(Value::Array(auds)) = claims.get("aud")
            && auds.len() > 1
            && claims.get("azp").and_then(Value::as_str) != Some(client_id)
        {
            return Err(AuthError::new(
                "ID token has several audiences and its azp is not this client",
            ));
        }
        let principal = principal_from_claims(&claims, &state.cfg)?;
        Ok((principal, claims))
    }

    /// The trusted issuer named by the token's `iss`, read before the signature is checked
    /// (to choose whose keys check it).
    fn issuer_of(&self, token: &str) -> Result<&Arc<IssuerState>, AuthError> {
        #[derive(Deserialize)]
        struct Peek<'a> {
            #[serde(borrow, default)]
            iss: Option<Cow<'a, str>>,
        }
        let malformed = || AuthError::new("malformed token (payload)");
        let mut parts = token.split('.');
        let (Some(_), Some(payload), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::new("malformed token (not three parts)"));
        };
        let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| malformed())?;
        let peek: Peek<'_> = serde_json::from_slice(&bytes).map_err(|_| malformed())?;
        let iss = match peek.iss {
            Some(iss) if !iss.is_empty() => iss,
            _ => return Err(AuthError::new("token has no issuer")),
        };
        self.issuers
            .iter()
            .find(|i| i.cfg.issuer == iss)
            .ok_or_else(|| AuthError::new("token issuer is not trusted"))
    }
}
