//! The review page: approvers open `{base}/review/{id}` (or the inbox, `{base}/review`) in a
//! browser, sign in with the organisation's identity provider, read what is asked and approve
//! or deny — server-rendered HTML, no script, no CDN.
//!
//! - Sign-in ([`oidc`]): OpenID Connect authorization code with PKCE against the `[login]`
//!   issuer, with the page's own client id and redirect URI (`[review]`). An anonymous visit
//!   is sent (303) straight to the provider's authorization endpoint and comes back to the
//!   page it asked for. The ID token is checked by the broker's [`Verifier`] (the same keys,
//!   issuer and claim names as the API's access tokens), and its `nonce` against the one sent.
//! - Sessions ([`session`]): a short-lived cookie (`HttpOnly`, `SameSite=Lax`, `Secure` off
//!   loopback), sealed (AES-256-GCM) with a key derived from the store's key — so every replica
//!   given the same store key reads it, on SQLite or PostgreSQL alike, and nothing is kept
//!   server-side.
//! - Forms ([`csrf`]): every state change is a POST carrying the session's CSRF token, from this
//!   origin (`Origin`/`Sec-Fetch-Site`); GET never changes anything.
//! - Pages ([`page`]): one layout, every value escaped, `Content-Security-Policy` with
//!   `frame-ancestors 'none'`; [`view`] renders a request and the inbox, [`decide`] takes the
//!   approve / deny forms through [`crate::domain::decide`] — the API's rules and audit rows;
//!   [`step_up`] signs in again when a decision needs a stronger or fresher sign-in.
//!
//! For other parts of the page (the passkey step): [`Session`] is the extractor for "who is
//! signed in" (an anonymous GET is sent to sign in, anything else refused), [`csrf::check`]
//! checks a form, [`page::layout`] and [`page::html`] make a page (a page with a script sets its
//! own `Content-Security-Policy` beside [`page::secure_headers`]), and [`Review`] is the routes'
//! state.
//!
//! [`Verifier`]: crate::auth::Verifier

pub(crate) mod csrf;
pub(crate) mod decide;
pub(crate) mod oidc;
pub(crate) mod page;
pub mod passkey;
pub(crate) mod session;
pub(crate) mod step_up;
#[cfg(test)]
mod tests;
pub(crate) mod view;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::state::Broker;
pub(crate) use session::Session;

/// The review routes' axum state.
pub(crate) type ReviewState = Arc<Review>;

/// The path of the sign-in callback; a redirect URI must end in it.
pub const CALLBACK_PATH: &str = "/review/callback";

/// How long a session lasts unless `[review] session_ttl` says otherwise.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(30 * 60);

/// Form bodies larger than this are refused (a comment is at most 1,000 characters).
const MAX_FORM_BYTES: usize = 64 * 1024;

/// How the page signs people in: `[review]` with the `[login]` issuer, or the dev broker's own.
#[derive(Clone, PartialEq)]
pub struct ReviewSettings {
    /// The OpenID provider (`[login] issuer`): one of the broker's trusted issuers.
    pub issuer: String,
    /// The page's own client at the provider.
    pub client_id: String,
    /// A confidential client's secret (`client_secret_env`), sent with HTTP Basic; `None`
    /// for a public client (PKCE alone).
    pub client_secret: Option<String>,
    /// `…/review/callback` on the origin people open the page on.
    pub redirect_uri: String,
    /// Asked for at sign-in; always holds `openid`.
    pub scopes: Vec<String>,
    pub session_ttl: Duration,
}

impl std::fmt::Debug for ReviewSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReviewSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "…"))
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .field("session_ttl", &self.session_ttl)
            .finish()
    }
}

/// The review page's state: the broker, the settings, and what is derived from them.
pub struct Review {
    pub(crate) broker: Arc<Broker>,
    pub(crate) settings: ReviewSettings,
    /// `scheme://host[:port]` of the redirect URI: where the page is served, what a form's
    /// `Origin` must be.
    pub(crate) origin: String,
    /// Cookies get `Secure` (and the `__Host-` prefix) unless the page is plain HTTP on
    /// loopback.
    pub(crate) secure: bool,
    pub(crate) provider: oidc::Provider,
}

impl Review {
    /// The page's state, with the settings checked.
    pub fn new(broker: Arc<Broker>, settings: ReviewSettings) -> Result<Arc<Self>, String> {
        let (origin, secure) = origin_of(&settings.redirect_uri)?;
        if !settings.scopes.iter().any(|s| s == "openid") {
            return Err("the review page's scopes must include openid".into());
        }
        Ok(Arc::new(Self {
            broker,
            settings,
            origin,
            secure,
            provider: oidc::Provider::new(),
        }))
    }
}

/// The origin of a redirect URI (`scheme://host[:port]`) and whether its cookies must be
/// `Secure`: yes unless it is plain HTTP on a loopback host (`localhost`, 127.0.0.0/8, ::1).
/// The URI must be http(s), without user, query or fragment, and end in [`CALLBACK_PATH`].
pub fn origin_of(redirect_uri: &str) -> Result<(String, bool), String> {
    let url = reqwest::Url::parse(redirect_uri)
        .map_err(|e| format!("redirect_uri {redirect_uri:?} is not a URL: {e}"))?;
    let scheme = url.scheme();
    if scheme != "https" && scheme != "http" {
        return Err(format!("redirect_uri {redirect_uri:?} is not http(s)"));
    }
    let Some(host) = url.host_str() else {
        return Err(format!("redirect_uri {redirect_uri:?} has no host"));
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err("redirect_uri must not carry a user or password".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "redirect_uri {redirect_uri:?} must have no query or fragment"
        ));
    }
    if url.path() != CALLBACK_PATH {
        return Err(format!(
            "redirect_uri {redirect_uri:?} must end in {CALLBACK_PATH} (the page's callback)"
        ));
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if scheme == "http" && !loopback {
        return Err(format!(
            "redirect_uri {redirect_uri:?} is plain HTTP beyond this machine: the session \
             cookie would cross the network readable; use https"
        ));
    }
    let origin = url.origin().ascii_serialization();
    Ok((origin, scheme == "https" || !loopback))
}

/// The review page's routes, for [`crate::state::AppState::with_routes`].
pub fn router(review: Arc<Review>) -> Router {
    Router::new()
        .route("/review", get(view::inbox))
        .route("/review/style.css", get(page::stylesheet))
        .route(CALLBACK_PATH, get(oidc::callback))
        .route("/review/signout", post(session::sign_out))
        .route("/review/{id}", get(view::request))
        .route("/review/{id}/approve", post(decide::approve))
        .route("/review/{id}/deny", post(decide::deny))
        .route("/review/{id}/step-up", get(step_up::start))
        .merge(passkey::routes())
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .with_state(review)
}
