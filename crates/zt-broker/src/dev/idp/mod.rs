//! The development OpenID provider embedded in `zt-broker dev`, so `zt login` (the OAuth 2.0
//! device authorization grant, RFC 8628) works on a fresh machine with no IdP to set up. It
//! speaks the same protocol as a real provider — discovery, JWKS, device authorization,
//! token, refresh-token rotation, revocation — and signs ES256 access tokens that the broker's
//! [`Verifier`](super::auth::Verifier) checks exactly as it checks Okta's or Keycloak's.
//! Not for production: anyone who can reach `/device` may approve a sign-in as any user.
//!
//!
//! For web sign-ins (the broker's review page) it also speaks the authorization code flow with
//! PKCE (S256 only) to the web clients it is given ([`WebClient`]): `/authorize` shows a page
//! where the person picks the user from a list and signs in — always, even with `auto_login`
//! (which is for the CLI's device flow only).
//!
//! - `keys`: the P-256 signing key (generated, or loaded from `key_path`).
//! - `routes`: the HTTP endpoints; `pages`: the HTML of the sign-in pages.

mod keys;
mod pages;
mod routes;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use serde::Serialize;

use keys::SigningKey;

/// How long a device code stays usable (RFC 8628 `expires_in`).
const DEVICE_CODE_TTL: Duration = Duration::from_secs(600);
/// How long a refresh token stays usable (they live in memory only).
const REFRESH_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Added to a device code's poll interval on each `slow_down` (RFC 8628 §3.5).
const SLOW_DOWN_PENALTY: Duration = Duration::from_secs(5);
/// Outstanding device codes beyond this are refused (the endpoint is unauthenticated).
const MAX_PENDING_DEVICE_CODES: usize = 10_000;
/// How long an authorization code may wait to be redeemed.
const AUTH_CODE_TTL: Duration = Duration::from_secs(60);
/// Outstanding authorization codes beyond this are refused.
const MAX_PENDING_AUTH_CODES: usize = 10_000;
/// The user-code alphabet of RFC 8628 §6.1: consonants only, no look-alikes.
const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// A web client of the development provider (authorization code flow with PKCE): the
/// broker's review page.
#[derive(Debug, Clone, PartialEq)]
pub struct WebClient {
    pub client_id: String,
    /// Exactly the redirect URIs it may use.
    pub redirect_uris: Vec<String>,
}

/// A user of the development provider.
#[derive(Debug, Clone)]
pub struct DevUser {
    pub name: String,
    pub email: String,
    pub groups: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct DevIdpConfig {
    /// e.g. `http://127.0.0.1:8421/oidc`; the caller mounts the router at that path.
    pub issuer: String,
    /// The public client `zt` uses (`zt-cli`).
    pub client_id: String,
    /// The broker's audience (`zt-broker`), put in every access token's `aud`.
    pub audience: String,
    pub users: Vec<DevUser>,
    /// Approve every device code as this user at once (dev only).
    pub auto_login: Option<String>,
    /// Persist the signing key here (mode 0600) so tokens survive a restart; `None`: memory.
    pub key_path: Option<PathBuf>,
    pub access_ttl: Duration,
    /// The device-flow poll interval announced, in seconds.
    pub interval_secs: u64,
    /// Web clients (authorization code with PKCE); none by default.
    pub web_clients: Vec<WebClient>,
}

impl Default for DevIdpConfig {
    fn default() -> Self {
        Self {
            issuer: "http://127.0.0.1:8421/oidc".into(),
            client_id: "zt-cli".into(),
            audience: "zt-broker".into(),
            users: DevIdp::demo_users(),
            auto_login: None,
            key_path: None,
            access_ttl: Duration::from_secs(15 * 60),
            interval_secs: 1,
            web_clients: Vec::new(),
        }
    }
}

/// The development OpenID provider. Build it with [`DevIdp::new`], serve [`DevIdp::router`].
pub struct DevIdp {
    cfg: DevIdpConfig,
    /// `cfg.issuer` without a trailing slash, the base of every endpoint URL.
    base: String,
    key: SigningKey,
    device_ttl: Duration,
    poll_interval: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// By device code.
    devices: HashMap<String, DeviceGrant>,
    /// User code → device code.
    user_codes: HashMap<String, String>,
    /// By refresh token.
    refresh: HashMap<String, RefreshGrant>,
    /// Authorization codes not yet redeemed, by code.
    codes: HashMap<String, AuthCode>,
}

/// An authorization code: for whom, for which client and redirect URI, with the PKCE
/// challenge and the nonce to put in the ID token. Redeemed once.
struct AuthCode {
    user: String,
    client_id: String,
    redirect_uri: String,
    scope: String,
    nonce: Option<String>,
    code_challenge: String,
    expires_at: Instant,
}

struct DeviceGrant {
    user_code: String,
    client_id: String,
    scope: String,
    expires_at: Instant,
    interval: Duration,
    last_poll: Option<Instant>,
    decision: Decision,
}

#[derive(Clone, PartialEq)]
enum Decision {
    Pending,
    Approved(String),
    Denied,
}

struct RefreshGrant {
    user: String,
    client_id: String,
    scope: String,
    expires_at: Instant,
}

/// RFC 6749 §5.1 successful token response.
#[derive(Debug, Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    refresh_token: String,
    id_token: String,
    scope: String,
}

#[derive(Serialize)]
struct AccessClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: u64,
    iat: u64,
    nbf: u64,
    jti: String,
    email: &'a str,
    name: &'a str,
    groups: &'a [String],
    client_id: &'a str,
    scope: &'a str,
}

#[derive(Serialize)]
struct IdClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    azp: &'a str,
    exp: u64,
    iat: u64,
    auth_time: u64,
    email: &'a str,
    email_verified: bool,
    name: &'a str,
    preferred_username: &'a str,
    groups: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
}

impl DevIdp {
    /// alice (engineering) and bob (engineering, sre-leads, zt-admins).
    pub fn demo_users() -> Vec<DevUser> {
        let user = |name: &str, groups: &[&str]| DevUser {
            name: name.into(),
            email: format!("{name}@example.com"),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        };
        vec![
            user("alice", &["engineering"]),
            user("bob", &["engineering", "sre-leads", "zt-admins"]),
        ]
    }

    pub fn new(cfg: DevIdpConfig) -> Result<Arc<Self>, String> {
        let poll = Duration::from_secs(cfg.interval_secs);
        Self::build(cfg, DEVICE_CODE_TTL, poll)
    }

    /// [`DevIdp::new`] with the device-code lifetime and the enforced poll interval chosen
    /// (tests use short ones).
    fn build(
        cfg: DevIdpConfig,
        device_ttl: Duration,
        poll_interval: Duration,
    ) -> Result<Arc<Self>, String> {
        let base = cfg.issuer.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(format!(
                "dev IdP issuer must be an http(s) URL, not {:?}",
                cfg.issuer
            ));
        }
        if cfg.client_id.is_empty() || cfg.audience.is_empty() {
            return Err("dev IdP needs a client id and an audience".into());
        }
        if cfg.users.is_empty() {
            return Err("dev IdP needs at least one user".into());
        }
        if let Some(auto) = &cfg.auto_login
            && !cfg.users.iter().any(|u| &u.name == auto)
        {
            return Err(format!(
                "dev IdP auto-login user {auto:?} is not one of its users"
            ));
        }
        let key = SigningKey::load_or_create(cfg.key_path.as_deref())?;
        Ok(Arc::new(Self {
            cfg,
            base,
            key,
            device_ttl,
            poll_interval,
            state: Mutex::new(State::default()),
        }))
    }

    /// The public key set, for `TrustedIssuer { jwks: JwksSource::Static(..) }`.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.key.jwk.clone()],
        }
    }

    /// The HTTP endpoints, paths relative to the issuer's path: the caller does
    /// `.nest("/oidc", idp.router())`.
    pub fn router(self: Arc<Self>) -> axum::Router {
        routes::router(self)
    }

    /// Test/dev convenience: mint an access token for a user directly.
    pub fn mint_access_token(&self, user: &str) -> Result<String, String> {
        let user = self
            .user(user)
            .ok_or_else(|| format!("no dev user named {user:?}"))?;
        self.sign_access(user, &self.cfg.client_id, "openid")
    }

    /// The web client `client_id`, if it is one.
    fn web_client(&self, client_id: &str) -> Option<&WebClient> {
        self.cfg
            .web_clients
            .iter()
            .find(|c| c.client_id == client_id)
    }

    fn user(&self, name: &str) -> Option<&DevUser> {
        self.cfg.users.iter().find(|u| u.name == name)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn sign_access(&self, user: &DevUser, client_id: &str, scope: &str) -> Result<String, String> {
        let now = unix_now();
        let claims = AccessClaims {
            iss: &self.cfg.issuer,
            sub: &user.name,
            aud: &self.cfg.audience,
            exp: now + self.cfg.access_ttl.as_secs(),
            iat: now,
            nbf: now,
            jti: random_token(16)?,
            email: &user.email,
            name: &user.name,
            groups: &user.groups,
            client_id,
            scope,
        };
        // RFC 9068: access tokens say so in `typ`, so an ID token cannot pass for one.
        self.key.sign(&claims, "at+jwt")
    }

    fn sign_id(
        &self,
        user: &DevUser,
        client_id: &str,
        nonce: Option<&str>,
    ) -> Result<String, String> {
        let now = unix_now();
        let claims = IdClaims {
            iss: &self.cfg.issuer,
            sub: &user.name,
            aud: client_id,
            azp: client_id,
            exp: now + self.cfg.access_ttl.as_secs(),
            iat: now,
            auth_time: now,
            email: &user.email,
            email_verified: true,
            name: &user.name,
            preferred_username: &user.name,
            groups: &user.groups,
            nonce,
        };
        self.key.sign(&claims, "JWT")
    }

    /// Mints an access token, an ID token and a fresh refresh token (recorded in `st`).
    fn issue(
        &self,
        st: &mut State,
        user: &DevUser,
        client_id: &str,
        scope: &str,
    ) -> Result<TokenResponse, String> {
        let access_token = self.sign_access(user, client_id, scope)?;
        let id_token = self.sign_id(user, client_id, None)?;
        let refresh_token = random_token(32)?;
        st.refresh.insert(
            refresh_token.clone(),
            RefreshGrant {
                user: user.name.clone(),
                client_id: client_id.to_string(),
                scope: scope.to_string(),
                expires_at: Instant::now() + REFRESH_TTL,
            },
        );
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: self.cfg.access_ttl.as_secs(),
            refresh_token,
            id_token,
            scope: scope.to_string(),
        })
    }
}

impl State {
    /// Forgets device codes well past their expiry (an expired one still answers
    /// `expired_token` for one more lifetime) and expired refresh tokens.
    fn sweep(&mut self, now: Instant, device_ttl: Duration) {
        let user_codes = &mut self.user_codes;
        self.devices.retain(|_, g| {
            let keep = now < g.expires_at + device_ttl;
            if !keep {
                user_codes.remove(&g.user_code);
            }
            keep
        });
        self.refresh.retain(|_, r| now < r.expires_at);
        self.codes.retain(|_, c| now < c.expires_at);
    }

    fn remove_device(&mut self, device_code: &str) {
        if let Some(g) = self.devices.remove(device_code) {
            self.user_codes.remove(&g.user_code);
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `n` random bytes, base64url without padding.
fn random_token(n: usize) -> Result<String, String> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| format!("no randomness: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(&buf))
}

/// `XXXX-XXXX` from [`USER_CODE_ALPHABET`], uniformly (rejection sampling).
fn random_user_code() -> Result<String, String> {
    let mut out = String::with_capacity(9);
    let mut buf = [0u8; 32];
    while out.len() < 9 {
        getrandom::fill(&mut buf).map_err(|e| format!("no randomness: {e}"))?;
        for b in buf {
            // 240 = 12 × 20: values above would bias the first letters.
            if b >= 240 {
                continue;
            }
            if out.len() == 4 {
                out.push('-');
            }
            out.push(USER_CODE_ALPHABET[(b % 20) as usize] as char);
            if out.len() == 9 {
                break;
            }
        }
    }
    Ok(out)
}

/// Accepts what people type: any case, with or without the dash, stray spaces.
fn normalize_user_code(input: &str) -> Option<String> {
    let letters: String = input
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if letters.len() != 8 || !letters.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!("{}-{}", &letters[..4], &letters[4..]))
}
