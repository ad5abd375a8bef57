//! The authorization endpoint (RFC 6749 §4.1, OpenID Connect Core §3.1.2) for web clients, with
//! PKCE (RFC 7636, S256 only): `GET /authorize` shows the sign-in page — pick a user from the
//! list, "Sign in" — and `POST /authorize` issues a one-time code (60 s) and sends the browser
//! back to the client's redirect URI. An unknown client or redirect URI is answered with a page
//! here, never a redirect (§4.1.2.1); other mistakes go back to the client as `error=…`.
//! `--auto-login` does not apply: a browser sign-in always shows the list. `code`: the token
//! endpoint's redemption of such a code.

mod code;
#[cfg(test)]
mod tests;

use std::time::Instant;

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

pub(super) use code::redeem;

use super::Idp;
use crate::dev::idp::{
    AUTH_CODE_TTL, AuthCode, DevIdp, MAX_PENDING_AUTH_CODES, WebClient, pages, random_token,
};

/// `state` and `nonce` longer than this are refused.
const MAX_OPAQUE: usize = 512;

/// The parameters of an authorization request, as a query (GET) or the page's form (POST).
#[derive(Deserialize, Default, Clone)]
pub(crate) struct AuthorizeParams {
    pub(crate) response_type: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) scope: Option<String>,
    pub(crate) state: Option<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) code_challenge_method: Option<String>,
    /// The page's form only: who signs in, and `signin` or `cancel`.
    pub(crate) user: Option<String>,
    pub(crate) action: Option<String>,
}

/// A checked authorization request.
pub(crate) struct Checked {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) scope: String,
    pub(crate) state: Option<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) code_challenge: String,
}

/// What is wrong with a request: shown here (no client to send it to) or sent back.
enum Refusal {
    Page(String),
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

fn check(idp: &DevIdp, p: &AuthorizeParams) -> Result<Checked, Refusal> {
    let client = p
        .client_id
        .as_deref()
        .and_then(|c| idp.web_client(c))
        .ok_or_else(|| Refusal::Page("Unknown client: no web client has this client_id.".into()))?;
    let redirect_uri = p
        .redirect_uri
        .clone()
        .filter(|r| client.redirect_uris.contains(r))
        .ok_or_else(|| {
            Refusal::Page("This redirect_uri is not registered for the client.".into())
        })?;
    let state = p.state.clone().filter(|s| !s.is_empty());
    let back = |error: &'static str, description: &str| Refusal::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: state.clone().filter(|s| s.len() <= MAX_OPAQUE),
        error,
        description: description.to_owned(),
    };
    if p.response_type.as_deref() != Some("code") {
        return Err(back(
            "unsupported_response_type",
            "only response_type=code is supported",
        ));
    }
    if state.as_ref().is_some_and(|s| s.len() > MAX_OPAQUE)
        || p.nonce.as_ref().is_some_and(|n| n.len() > MAX_OPAQUE)
    {
        return Err(back("invalid_request", "state or nonce is too long"));
    }
    let scope = p.scope.clone().unwrap_or_default();
    if !scope.split_whitespace().any(|s| s == "openid") {
        return Err(back("invalid_scope", "the scope must include openid"));
    }
    if p.code_challenge_method.as_deref() != Some("S256") {
        return Err(back(
            "invalid_request",
            "PKCE is required: code_challenge_method=S256",
        ));
    }
    let code_challenge = p
        .code_challenge
        .clone()
        .filter(|c| {
            (43..=128).contains(&c.len())
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .ok_or_else(|| back("invalid_request", "code_challenge is missing or malformed"))?;
    Ok(Checked {
        client_id: client.client_id.clone(),
        redirect_uri,
        scope,
        state,
        nonce: p.nonce.clone().filter(|n| !n.is_empty()),
        code_challenge,
    })
}

/// The page's headers: like the device page's, but the form may end at the client's redirect
/// URI (browsers hold a form's redirects to `form-action` too).
fn page(status: StatusCode, body: String, client: Option<&WebClient>) -> Response {
    let mut targets = String::from("'self'");
    for uri in client
        .map(|c| c.redirect_uris.as_slice())
        .unwrap_or_default()
    {
        if let Ok(u) = reqwest::Url::parse(uri) {
            targets.push(' ');
            targets.push_str(&u.origin().ascii_serialization());
        }
    }
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; form-action {targets}; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    let mut resp = (status, Html(body)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    resp
}

fn refused(idp: &DevIdp, r: Refusal) -> Response {
    match r {
        Refusal::Page(message) => page(
            StatusCode::BAD_REQUEST,
            pages::result_page("Sign-in refused", &message),
            None,
        ),
        Refusal::Redirect {
            redirect_uri,
            state,
            error,
            description,
        } => {
            let mut pairs = vec![
                ("error", error.to_owned()),
                ("error_description", description),
            ];
            if let Some(s) = state {
                pairs.push(("state", s));
            }
            pairs.push(("iss", idp.cfg.issuer.clone()));
            redirect(&redirect_uri, &pairs)
        }
    }
}

/// 303 to `uri` with `pairs` added to its query.
fn redirect(uri: &str, pairs: &[(&str, String)]) -> Response {
    let Ok(mut url) = reqwest::Url::parse(uri) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    let mut resp = StatusCode::SEE_OTHER.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(url.as_str()) {
        h.insert(header::LOCATION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

/// `GET /authorize`: the sign-in page.
pub(super) async fn authorize_page(
    State(idp): Idp,
    query: Result<Query<AuthorizeParams>, QueryRejection>,
) -> Response {
    let Ok(Query(params)) = query else {
        return refused(
            &idp,
            Refusal::Page("The sign-in request could not be read.".into()),
        );
    };
    match check(&idp, &params) {
        Ok(c) => page(
            StatusCode::OK,
            pages::authorize_form(&c, &idp.cfg.users),
            idp.web_client(&c.client_id),
        ),
        Err(r) => refused(&idp, r),
    }
}

/// `POST /authorize`: the page's answer — a code for the chosen user, or `access_denied`.
pub(super) async fn authorize_submit(
    State(idp): Idp,
    form: Result<Form<AuthorizeParams>, FormRejection>,
) -> Response {
    let Ok(Form(params)) = form else {
        return refused(&idp, Refusal::Page("The form could not be read.".into()));
    };
    let c = match check(&idp, &params) {
        Ok(c) => c,
        Err(r) => return refused(&idp, r),
    };
    let mut pairs = Vec::new();
    match params.action.as_deref() {
        Some("signin") => {}
        Some("cancel") => {
            return refused(
                &idp,
                Refusal::Redirect {
                    redirect_uri: c.redirect_uri,
                    state: c.state,
                    error: "access_denied",
                    description: "the person cancelled the sign-in".into(),
                },
            );
        }
        _ => {
            return page(
                StatusCode::BAD_REQUEST,
                pages::result_page("Bad request", "Choose Sign in or Cancel."),
                None,
            );
        }
    }
    let name = params.user.unwrap_or_default();
    let Some(user) = idp.user(&name) else {
        return page(
            StatusCode::BAD_REQUEST,
            pages::result_page(
                "Unknown user",
                &format!(
                    "There is no user “{}”.",
                    name.chars().take(64).collect::<String>()
                ),
            ),
            None,
        );
    };
    let code = match random_token(32) {
        Ok(c) => c,
        Err(e) => {
            return page(
                StatusCode::INTERNAL_SERVER_ERROR,
                pages::result_page("Error", &e),
                None,
            );
        }
    };
    let now = Instant::now();
    {
        let mut st = idp.state();
        st.sweep(now, idp.device_ttl);
        if st.codes.len() >= MAX_PENDING_AUTH_CODES {
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                pages::result_page("Busy", "Too many sign-ins at once; try again."),
                None,
            );
        }
        st.codes.insert(
            code.clone(),
            AuthCode {
                user: user.name.clone(),
                client_id: c.client_id,
                redirect_uri: c.redirect_uri.clone(),
                scope: c.scope,
                nonce: c.nonce,
                code_challenge: c.code_challenge,
                expires_at: now + AUTH_CODE_TTL,
            },
        );
    }
    pairs.push(("code", code));
    if let Some(s) = c.state {
        pairs.push(("state", s));
    }
    pairs.push(("iss", idp.cfg.issuer.clone()));
    redirect(&c.redirect_uri, &pairs)
}
