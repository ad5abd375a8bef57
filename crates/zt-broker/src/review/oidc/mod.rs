//! Signing in to the review page: OpenID Connect authorization code flow with PKCE (RFC 7636,
//! S256) against the `[login]` issuer.
//!
//! [`start_sign_in`] makes a fresh `state`, `nonce` and PKCE verifier, keeps them (and the page
//! to come back to) in a short-lived sealed cookie named after the state — so two tabs signing
//! in at once do not trip over each other — and answers 303 to the provider's authorization
//! endpoint ([`start_step_up`]: also asking for `acr_values` and `max_age`, for a decision
//! that needs a stronger or fresher sign-in). [`callback`] takes the provider's answer: the state must match a cookie this
//! broker sealed within the last 10 minutes, the code is redeemed at the token endpoint with
//! the verifier, and the ID token is checked by the broker's verifier (signature, issuer,
//! audience = the page's client id, expiry) and its `nonce`; then the session cookie is set and
//! the person is sent back to the page they asked for. `provider`: the calls to the identity
//! provider (discovery, the token endpoint).

mod provider;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::session::{clear_cookie, cookie, prefixed, random_token, set_cookie};
use super::{Review, ReviewState, Session, page};
pub(crate) use provider::Provider;
use provider::clip;

/// The sign-in cookie's purpose (its sealed associated data).
const PURPOSE: &str = "zt review sign-in v1";
/// How long a sign-in may take, from the redirect to the callback.
const SIGN_IN_SECS: i64 = 600;
/// Query values longer than this (a code, a state) are refused unread.
const MAX_PARAM: usize = 4096;
/// A page to come back to longer than this is replaced by the inbox.
const MAX_RETURN: usize = 512;
/// A PKCE pair (RFC 7636): the verifier (43 characters of base64url from 32 random bytes) and
/// its S256 challenge.
pub(crate) struct Pkce {
    pub(crate) verifier: String,
    pub(crate) challenge: String,
}

impl Pkce {
    pub(crate) fn new() -> Result<Self, String> {
        let verifier = random_token()?;
        let challenge = challenge_of(&verifier);
        Ok(Self {
            verifier,
            challenge,
        })
    }
}

/// `BASE64URL(SHA256(verifier))`, RFC 7636 §4.2.
pub(crate) fn challenge_of(verifier: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// What the sign-in cookie holds (sealed).
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    back: String,
    exp: i64,
}

/// The sign-in cookie for `state`: its first 16 characters name it.
fn pending_cookie_name(review: &Review, state: &str) -> String {
    let short: String = state.chars().take(16).collect();
    prefixed(review, &format!("zt-signin-{short}"))
}

/// Where to come back to after sign-in: a path of the review page, else the inbox.
pub(crate) fn safe_return(back: &str) -> &str {
    let ok = back.len() <= MAX_RETURN
        && (back == "/review" || back.starts_with("/review/") || back.starts_with("/review?"))
        && !back.contains("//")
        && !back.contains('\\')
        && back.bytes().all(|b| b.is_ascii_graphic());
    if ok { back } else { "/review" }
}

/// The answer to an anonymous visit: a 303 to the identity provider with a fresh state, nonce
/// and PKCE challenge, coming back to `back` (a path of the review page).
pub(crate) async fn start_sign_in(review: &Review, back: &str) -> Response {
    start(review, back, None).await
}

/// [`start_sign_in`] for a step-up (RFC 9470): the provider is asked for `missing`'s
/// `acr_values` and `max_age` (OpenID Connect Core §3.1.2.1), so it signs the person in again
/// as strongly and as recently as the decision needs.
pub(crate) async fn start_step_up(
    review: &Review,
    back: &str,
    missing: &crate::policy::step_up::Missing,
) -> Response {
    start(review, back, Some(missing)).await
}

async fn start(
    review: &Review,
    back: &str,
    step_up: Option<&crate::policy::step_up::Missing>,
) -> Response {
    match sign_in_redirect(review, safe_return(back), step_up).await {
        Ok(resp) => resp,
        Err(e) => {
            tracing::warn!("review page: cannot start a sign-in: {e}");
            page::message(
                StatusCode::BAD_GATEWAY,
                "Cannot sign in",
                &format!("The sign-in with the identity provider could not start: {e}"),
                None,
                None,
            )
        }
    }
}

async fn sign_in_redirect(
    review: &Review,
    back: &str,
    step_up: Option<&crate::policy::step_up::Missing>,
) -> Result<Response, String> {
    let s = &review.settings;
    let endpoints = review.provider.endpoints(&s.issuer).await?;
    let pkce = Pkce::new()?;
    let pending = Pending {
        state: random_token()?,
        nonce: random_token()?,
        verifier: pkce.verifier,
        back: back.to_owned(),
        exp: zt_api::Timestamp::now().0 + SIGN_IN_SECS,
    };
    let sealed = review.broker.store.key().seal_cookie(
        PURPOSE,
        &serde_json::to_vec(&pending).map_err(|e| e.to_string())?,
    )?;
    let mut url = reqwest::Url::parse(&endpoints.authorization_endpoint)
        .map_err(|e| format!("authorization endpoint: {e}"))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &s.client_id)
        .append_pair("redirect_uri", &s.redirect_uri)
        .append_pair("scope", &s.scopes.join(" "))
        .append_pair("state", &pending.state)
        .append_pair("nonce", &pending.nonce)
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", "S256");
    if let Some(m) = step_up {
        if !m.acr_values.is_empty() {
            url.query_pairs_mut()
                .append_pair("acr_values", &m.acr_values.join(" "));
        }
        if let Some(age) = m.max_age {
            url.query_pairs_mut()
                .append_pair("max_age", &age.to_string());
        }
    }
    let name = pending_cookie_name(review, &pending.state);
    let cookie = set_cookie(review, &name, &sealed, SIGN_IN_SECS);
    Ok(page::see_other(url.as_str(), &[cookie]))
}

#[derive(Deserialize)]
pub(crate) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /review/callback`: the provider's answer (RFC 6749 §4.1.2).
pub(crate) async fn callback(
    State(review): State<ReviewState>,
    headers: HeaderMap,
    query: Result<Query<CallbackQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let refused = |status, message: &str| {
        page::message(status, "Sign-in failed", message, None, Some("/review"))
    };
    let Ok(Query(q)) = query else {
        return refused(
            StatusCode::BAD_REQUEST,
            "The sign-in answer could not be read.",
        );
    };
    let too_long = [&q.code, &q.state, &q.error, &q.error_description]
        .iter()
        .any(|v| v.as_ref().is_some_and(|v| v.len() > MAX_PARAM));
    if too_long {
        return refused(StatusCode::BAD_REQUEST, "The sign-in answer is too large.");
    }
    let Some(state) = q.state.as_deref().filter(|s| !s.is_empty()) else {
        return refused(StatusCode::BAD_REQUEST, "The sign-in answer has no state.");
    };
    let name = pending_cookie_name(&review, state);
    let clear = clear_cookie(&review, &name);
    let pending = cookie(&headers, &name)
        .and_then(|v| review.broker.store.key().open_cookie(PURPOSE, v))
        .and_then(|plain| serde_json::from_slice::<Pending>(&plain).ok())
        .filter(|p| p.exp > zt_api::Timestamp::now().0)
        .filter(|p| {
            aws_lc_rs::constant_time::verify_slices_are_equal(p.state.as_bytes(), state.as_bytes())
                .is_ok()
        });
    let Some(pending) = pending else {
        let mut resp = refused(
            StatusCode::BAD_REQUEST,
            "This sign-in was not started by this browser, or took longer than 10 minutes. \
             Open the review link again.",
        );
        append_cookie(&mut resp, &clear);
        return resp;
    };
    if let Some(error) = &q.error {
        let detail = q
            .error_description
            .as_deref()
            .map(|d| format!(" ({})", clip(d, 300)))
            .unwrap_or_default();
        let mut resp = page::message(
            StatusCode::FORBIDDEN,
            "Sign-in cancelled",
            &format!(
                "The identity provider did not sign you in: {}{detail}",
                clip(error, 100)
            ),
            None,
            Some(&pending.back),
        );
        append_cookie(&mut resp, &clear);
        return resp;
    }
    let Some(code) = q.code.as_deref().filter(|c| !c.is_empty()) else {
        return refused(StatusCode::BAD_REQUEST, "The sign-in answer has no code.");
    };
    match finish(&review, code, &pending).await {
        Ok(session) => match session.cookie(&review) {
            Ok(c) => page::see_other(&pending.back, &[c, clear]),
            Err(e) => refused(StatusCode::FORBIDDEN, &e),
        },
        Err(e) => {
            tracing::warn!("review page: sign-in refused: {e}");
            let mut resp = refused(
                StatusCode::FORBIDDEN,
                &format!("The sign-in could not be completed: {e}"),
            );
            append_cookie(&mut resp, &clear);
            resp
        }
    }
}

fn append_cookie(resp: &mut Response, value: &str) {
    if let Ok(v) = axum::http::HeaderValue::from_str(value) {
        resp.headers_mut().append(axum::http::header::SET_COOKIE, v);
    }
}

/// Redeem `code` with the PKCE verifier, check the ID token and its nonce: the session.
async fn finish(review: &Review, code: &str, pending: &Pending) -> Result<Session, String> {
    let s = &review.settings;
    let id_token = review.provider.redeem(s, code, &pending.verifier).await?;
    let (principal, claims) = review
        .broker
        .verifier
        .verify_id_token(&id_token, &s.issuer, &s.client_id)
        .await
        .map_err(|e| e.0)?;
    let nonce = claims.get("nonce").and_then(|v| v.as_str()).unwrap_or("");
    if aws_lc_rs::constant_time::verify_slices_are_equal(nonce.as_bytes(), pending.nonce.as_bytes())
        .is_err()
    {
        return Err("the ID token's nonce is not this sign-in's".into());
    }
    Session::new(review, principal)
}

#[cfg(test)]
mod tests {
    use super::{challenge_of, safe_return};

    #[test]
    fn the_s256_challenge_is_rfc_7636s_example() {
        // RFC 7636 Appendix B.
        assert_eq!(
            challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let p = super::Pkce::new().unwrap();
        assert_eq!(p.verifier.len(), 43);
        assert_eq!(p.challenge, challenge_of(&p.verifier));
        assert_ne!(p.verifier, super::Pkce::new().unwrap().verifier);
    }

    #[test]
    fn only_review_paths_are_returned_to() {
        for ok in ["/review", "/review/0123abcd", "/review?x=1"] {
            assert_eq!(safe_return(ok), ok);
        }
        for bad in [
            "https://evil.example/review",
            "//evil.example/review",
            "/review//evil",
            "/reviewer",
            "/v1/requests",
            "/review/\\evil",
            "/review/a b",
        ] {
            assert_eq!(safe_return(bad), "/review", "{bad}");
        }
        assert_eq!(
            safe_return(&format!("/review/{}", "a".repeat(600))),
            "/review"
        );
    }
}
