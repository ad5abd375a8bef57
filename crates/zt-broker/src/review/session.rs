//! Who is signed in to the review page: a session cookie holding the person as their ID token
//! named them (issuer, subject, email, name, groups) and how they signed in (`acr`, `amr`,
//! `auth_time`: a `@step_up` approval weighs them), when it ends, and the session's CSRF
//! token — sealed with the store's key ([`crate::store::StoreKey::seal_cookie`]), so it cannot
//! be read or forged in the browser and every replica given the same key accepts it. Nothing
//! is kept server-side; the session ends at its `exp` (`[review] session_ttl`, 30 minutes by
//! default) or when the person signs out (the cookie is cleared).
//!
//! [`Session`] is the extractor: a signed-in person, or — for an anonymous GET — a 303 to the
//! identity provider that comes back to the same page; any other anonymous call is refused.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{Review, ReviewState, page};
use crate::auth::Principal;

/// The sealed cookie's purpose (its associated data): a session cookie opens as nothing else.
const PURPOSE: &str = "zt review session v1";
/// A `Cookie` header longer than this is not read (a browser sends at most a few KiB).
const MAX_COOKIE_HEADER: usize = 16 * 1024;
/// A session cookie longer than this is not set: browsers drop cookies past 4 KiB.
pub(crate) const MAX_COOKIE_VALUE: usize = 3800;

/// A signed-in person on the review page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Session {
    /// Who, as the API would see them (the same issuer's claim names).
    pub(crate) principal: Principal,
    /// The token every form of this session carries ([`super::csrf::check`]).
    pub(crate) csrf: String,
    /// Unix seconds.
    pub(crate) expires_at: i64,
}

/// What the cookie holds (sealed).
#[derive(Serialize, Deserialize)]
struct Sealed {
    iss: String,
    sub: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
    exp: i64,
    csrf: String,
    /// How the person signed in (the ID token's `acr`, `amr`, `auth_time`, and the issuer's
    /// ACR values that `acr` meets), for a `@step_up` approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    acr: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    amr: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    auth_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    acr_meets: Vec<String>,
}

impl Session {
    /// A new session for `principal`, ending `review.settings.session_ttl` from now, with a
    /// fresh CSRF token.
    pub(crate) fn new(review: &Review, principal: Principal) -> Result<Self, String> {
        let ttl = i64::try_from(review.settings.session_ttl.as_secs()).unwrap_or(i64::MAX);
        Ok(Self {
            principal,
            csrf: random_token()?,
            expires_at: zt_api::Timestamp::now().0.saturating_add(ttl),
        })
    }

    /// The `Set-Cookie` value that holds this session.
    pub(crate) fn cookie(&self, review: &Review) -> Result<String, String> {
        let p = &self.principal;
        let sealed = Sealed {
            iss: p.issuer.clone(),
            sub: p.sub.clone(),
            email: p.email.clone(),
            name: p.name.clone(),
            groups: p.groups.clone(),
            exp: self.expires_at,
            csrf: self.csrf.clone(),
            acr: p.auth.acr.clone(),
            amr: p.auth.amr.clone(),
            auth_time: p.auth.auth_time,
            acr_meets: p.auth.acr_meets.clone(),
        };
        let json = serde_json::to_vec(&sealed).map_err(|e| e.to_string())?;
        let value = review.broker.store.key().seal_cookie(PURPOSE, &json)?;
        if value.len() > MAX_COOKIE_VALUE {
            return Err(format!(
                "the identity provider named {} groups and {} authentication methods: too many \
                 to keep in a session cookie",
                p.groups.len(),
                p.auth.amr.len()
            ));
        }
        let max_age = (self.expires_at - zt_api::Timestamp::now().0).max(0);
        Ok(set_cookie(
            review,
            &session_cookie_name(review),
            &value,
            max_age,
        ))
    }

    /// The session the request's cookie holds, if it is one this broker sealed and it has not
    /// ended.
    pub(crate) fn from_headers(review: &Review, headers: &HeaderMap) -> Option<Self> {
        let value = cookie(headers, &session_cookie_name(review))?;
        let plain = review.broker.store.key().open_cookie(PURPOSE, value)?;
        let s: Sealed = serde_json::from_slice(&plain).ok()?;
        if s.exp <= zt_api::Timestamp::now().0 {
            return None;
        }
        Some(Self {
            principal: Principal {
                sub: s.sub,
                issuer: s.iss,
                email: s.email,
                name: s.name,
                groups: s.groups,
                auth: crate::auth::AuthFacts {
                    acr: s.acr,
                    amr: s.amr,
                    auth_time: s.auth_time,
                    acr_meets: s.acr_meets,
                },
            },
            csrf: s.csrf,
            expires_at: s.exp,
        })
    }
}

/// 32 random bytes, base64url.
pub(crate) fn random_token() -> Result<String, String> {
    use base64::Engine;
    let bytes = crate::crypto::random_bytes(32)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The session cookie's name: `__Host-` prefixed when `Secure` (the browser then refuses it
/// unless set by this very host over HTTPS, path `/`, no `Domain`).
pub(crate) fn session_cookie_name(review: &Review) -> String {
    prefixed(review, "zt-review")
}

/// `name` with the `__Host-` prefix when the page's cookies are `Secure`.
pub(crate) fn prefixed(review: &Review, name: &str) -> String {
    if review.secure {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax` (sent on the top-level navigation back
/// from the identity provider, never on another site's POST), path `/`, `Secure` off loopback.
pub(crate) fn set_cookie(review: &Review, name: &str, value: &str, max_age: i64) -> String {
    let secure = if review.secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// A `Set-Cookie` value that removes the cookie `name`.
pub(crate) fn clear_cookie(review: &Review, name: &str) -> String {
    set_cookie(review, name, "", 0)
}

/// The value of the cookie `name` in the request's `Cookie` headers (the first one).
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| v.len() <= MAX_COOKIE_HEADER)
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim_matches('"'))
}

impl FromRequestParts<ReviewState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, review: &ReviewState) -> Result<Self, Response> {
        if let Some(mut s) = Session::from_headers(review, &parts.headers) {
            // Who is on call is decided now, not at sign-in.
            crate::oncall::enrich(&review.broker, &mut s.principal);
            return Ok(s);
        }
        if parts.method == Method::GET || parts.method == Method::HEAD {
            let back = parts
                .uri
                .path_and_query()
                .map_or("/review", |pq| pq.as_str());
            return Err(super::oidc::start_sign_in(review, back).await);
        }
        Err(page::message(
            StatusCode::FORBIDDEN,
            "Not signed in",
            "Your session has ended or this browser is not signed in; nothing was changed. \
             Open the review link again to sign in.",
            None,
            Some("/review"),
        ))
    }
}

#[derive(Deserialize)]
pub(crate) struct SignOutForm {
    #[serde(default)]
    csrf: Option<String>,
}

/// `POST /review/signout`: clears the session cookie (with the session's CSRF token, from this
/// origin).
pub(crate) async fn sign_out(
    State(review): State<ReviewState>,
    session: Session,
    headers: HeaderMap,
    form: Result<axum::extract::Form<SignOutForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let token = form.ok().and_then(|f| f.0.csrf);
    if let Err(refused) = super::csrf::check(&review, &headers, &session, token.as_deref()) {
        return *refused;
    }
    let clear = clear_cookie(&review, &session_cookie_name(&review));
    let mut resp = page::message(
        StatusCode::OK,
        "Signed out",
        "You are signed out of the zt review page.",
        None,
        None,
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(&clear) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}
