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
//! - `tokens`: the access and ID tokens it signs; `codes`: its random tokens and user codes.

mod codes;
mod keys;
mod pages;
mod routes;
#[cfg(test)]
mod tests;
mod tokens;

pub use tokens::DEV_ACR;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::JwkSet;

use codes::{normalize_user_code, random_token, random_user_code};
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
    /// When it was approved (Unix seconds): the sign-in's `auth_time`.
    approved_at: u64,
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
    /// The sign-in's `auth_time`, kept by every refresh (a refresh is not a sign-in).
    auth_time: u64,
    user: String,
    client_id: String,
    scope: String,
    expires_at: Instant,
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
        self.sign_access(user, &self.cfg.client_id, "openid", unix_now())
    }

    /// Test convenience: an access token whose sign-in (`auth_time`) was at `auth_time` (Unix
    /// seconds), to try step-up policies with an old sign-in.
    pub fn mint_access_token_at(&self, user: &str, auth_time: u64) -> Result<String, String> {
        let user = self
            .user(user)
            .ok_or_else(|| format!("no dev user named {user:?}"))?;
        self.sign_access(user, &self.cfg.client_id, "openid", auth_time)
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
