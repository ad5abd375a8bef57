//! Passkeys on the review page (WebAuthn): approvers enrol passkeys (`GET /review/passkeys`),
//! and a request whose decision asks for one (`@approval_assurance("passkey")`, or the role's
//! `approval_assurance`) is approved only with an assertion from one of them, whose challenge
//! binds the request id and a fresh nonce ([`ceremony`], [`crate::domain::passkey`]).
//!
//! The browser's side is one script the broker serves, `/review/assets/passkey.js` (no inline
//! script, no CDN: the pages that load it allow `script-src 'self'` and nothing more). It calls
//! `navigator.credentials.create` / `get` with the options these routes answer, and posts the
//! answer back as JSON with the session's CSRF token in the `x-zt-csrf` header, checked like a
//! form's ([`super::csrf::check`]: the token, and this origin):
//! - `POST /review/passkeys/register/start` → creation options; the ceremony's state is kept in
//!   the store (any replica can finish it), for [`ceremony::CEREMONY_SECS`];
//! - `POST /review/passkeys/register/finish` `{credential}` → the passkey is kept and audited
//!   (`passkey.register`, with its credential id);
//! - `POST /review/{id}/passkey/start` → request options whose challenge is
//!   SHA-256(label, id, nonce) under a fresh nonce for this approver and request;
//! - `POST /review/{id}/passkey/approve` `{assertion, comment}` → the approval, audited with
//!   the credential id and the UV flag; a refused assertion is audited and changes nothing.
//!
//! Answers are JSON: `{"location": …}` to go to, or `{"error": …}` with the status.

pub mod ceremony;
mod enrol;
#[cfg(test)]
mod tests;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use webauthn_rs::prelude::Passkey;

use super::view::plausible_id;
use super::{Review, ReviewState, Session, csrf};
use crate::domain::{self, DomainError};
use crate::problem::ApiError;
use crate::routes::text::{MAX_COMMENT, free_text};
use crate::store::PasskeyProof;
use ceremony::{Refusal, RelyingParty};

/// The header the script sends the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-zt-csrf";

/// The policy of a page that runs the passkey script: the review page's, plus scripts and
/// `fetch` from this origin only.
pub(crate) const CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; \
style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The script, served as a file (the policy allows no inline script).
const SCRIPT: &str = include_str!("passkey.js");

/// The passkey routes, merged into the review page's.
pub(crate) fn routes() -> Router<ReviewState> {
    Router::new()
        .route("/review/assets/passkey.js", get(script))
        .route("/review/passkeys", get(enrol::page))
        .route("/review/passkeys/register/start", post(enrol::start))
        .route("/review/passkeys/register/finish", post(enrol::finish))
        .route("/review/{id}/passkey/start", post(start))
        .route("/review/{id}/passkey/approve", post(approve))
}

/// Give a page that loads the script [`CSP`].
pub(crate) fn allow_script(resp: &mut Response) {
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
}

/// Whether `decision` asks for a passkey approval.
pub(crate) fn needed(decision: &zt_api::Decision) -> bool {
    decision.approval_assurance.is_some()
}

/// The approve / deny form of a request that needs a passkey: approving runs the script (the
/// button does nothing without it), denying is the plain form.
pub(crate) fn form(id: &str, csrf: &str) -> String {
    let id = super::page::escape(id);
    let csrf = super::page::escape(csrf);
    format!(
        "<form class=\"decide card\" method=\"post\" action=\"/review/{id}/deny\">\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<p class=\"banner note\">This request needs an approval confirmed with a passkey: your \
browser asks for it when you approve. No passkey yet? <a href=\"/review/passkeys\">Enrol one\
</a>.</p>\
<label for=\"comment\">Comment <span class=\"muted\">(optional; the requester sees it)</span>\
</label><textarea id=\"comment\" name=\"comment\" maxlength=\"1000\" rows=\"4\"></textarea>\
<div class=\"buttons\"><button class=\"approve\" type=\"button\" id=\"passkey-approve\" \
data-request=\"{id}\" data-csrf=\"{csrf}\">Approve with passkey</button>\
<button class=\"deny\" type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></div>\
<p id=\"passkey-status\" class=\"muted\" role=\"status\"></p></form>\
<script src=\"/review/assets/passkey.js\"></script>"
    )
}

/// What the request page says of an approval confirmed with a passkey (HTML, escaped).
pub(crate) fn approval_note(a: &zt_api::Approval) -> String {
    match &a.passkey {
        Some(k) => format!(
            " <span class=\"muted\">with passkey <code>{}</code>{}</span>",
            super::page::text(&k.credential_id, 24),
            if k.user_verified {
                ", user verified"
            } else {
                ""
            }
        ),
        None => String::new(),
    }
}

/// `GET /review/assets/passkey.js`.
async fn script() -> Response {
    let mut resp = (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
        .into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=300"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// A JSON answer for the script.
fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    let mut resp = (status, Json(body)).into_response();
    super::page::secure_headers(&mut resp);
    resp
}

fn refused(status: StatusCode, why: impl Into<String>) -> Response {
    answer(status, serde_json::json!({ "error": why.into() }))
}

/// A domain error for the script: the API's status, its message.
fn domain_refusal(e: DomainError) -> Response {
    if let DomainError::Store(ref err) = e {
        tracing::error!("review page passkey: store: {err}");
    }
    let api = ApiError::from(e);
    let detail = match api.status {
        StatusCode::INTERNAL_SERVER_ERROR => "Something went wrong inside the broker.".into(),
        _ => api.detail.clone().unwrap_or_default(),
    };
    refused(api.status, detail)
}

/// The session's CSRF token in [`CSRF_HEADER`], from this origin; the refusal as JSON.
fn checked(review: &Review, headers: &HeaderMap, session: &Session) -> Result<(), Box<Response>> {
    let token = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    csrf::verdict(&review.origin, headers, &session.csrf, token).map_err(|why| {
        Box::new(refused(
            StatusCode::FORBIDDEN,
            match why {
                csrf::Refusal::Token => {
                    "the page did not send this session's security token; reload it. Nothing was changed."
                }
                csrf::Refusal::CrossSite => {
                    "not sent from the zt review page itself. Nothing was changed."
                }
            },
        ))
    })
}

/// The relying party of this broker's review pages: its public base (`[server] public_url`),
/// else the origin the page is served on.
pub(crate) fn relying_party(review: &Review) -> Result<RelyingParty, String> {
    let base = review
        .broker
        .public_base()
        .map(str::to_owned)
        .unwrap_or_else(|| review.origin.clone());
    RelyingParty::from_base(&base)
}

/// The signed-in person's passkeys, as webauthn-rs reads them.
async fn passkeys_of(review: &Review, session: &Session) -> Result<Vec<Passkey>, Box<Response>> {
    let p = &session.principal;
    let stored = review
        .broker
        .store
        .passkeys_of(&p.issuer, &p.sub)
        .await
        .map_err(|e| Box::new(domain_refusal(e.into())))?;
    stored
        .iter()
        .map(|k| serde_json::from_str::<Passkey>(&k.passkey))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            tracing::error!("review page passkey: a stored passkey does not parse: {e}");
            Box::new(refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong inside the broker.",
            ))
        })
}

/// `POST /review/{id}/passkey/start`: the options to approve request `id` with a passkey.
async fn start(
    State(review): State<ReviewState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = checked(&review, &headers, &session) {
        return *r;
    }
    if !plausible_id(&id) {
        return refused(StatusCode::NOT_FOUND, "there is no request with this id");
    }
    let rp = match relying_party(&review) {
        Ok(rp) => rp,
        Err(e) => return refused(StatusCode::SERVICE_UNAVAILABLE, e),
    };
    let passkeys = match passkeys_of(&review, &session).await {
        Ok(k) => k,
        Err(r) => return *r,
    };
    if passkeys.is_empty() {
        return refused(
            StatusCode::CONFLICT,
            "you have no passkey yet: enrol one first (Passkeys, /review/passkeys)",
        );
    }
    let (rec, nonce) = match domain::passkey::start(&review.broker, &session.principal, &id).await {
        Ok(x) => x,
        Err(e) => return domain_refusal(e),
    };
    if !needed(&rec.request.decision) {
        return refused(
            StatusCode::CONFLICT,
            "this request takes a plain approval: use the Approve button",
        );
    }
    match rp.approval_options(&passkeys, &id, &nonce) {
        Ok(options) => answer(StatusCode::OK, serde_json::json!(options)),
        Err(e) => refused(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

#[derive(Deserialize)]
struct ApproveBody {
    assertion: serde_json::Value,
    #[serde(default)]
    comment: Option<String>,
}

/// `POST /review/{id}/passkey/approve`: approve request `id` with the assertion.
async fn approve(
    State(review): State<ReviewState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<ApproveBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Err(r) = checked(&review, &headers, &session) {
        return *r;
    }
    if !plausible_id(&id) {
        return refused(StatusCode::NOT_FOUND, "there is no request with this id");
    }
    let Ok(Json(body)) = body else {
        return refused(
            StatusCode::BAD_REQUEST,
            "the page sent no passkey assertion. Nothing was changed.",
        );
    };
    let comment = body.comment.filter(|c| !c.trim().is_empty());
    let comment = match free_text("comment", comment, MAX_COMMENT) {
        Ok(c) => c,
        Err(e) => {
            let why = e
                .detail
                .unwrap_or_else(|| "the comment is not acceptable".into());
            return refused(
                StatusCode::BAD_REQUEST,
                format!("{why}. Nothing was changed."),
            );
        }
    };
    let rp = match relying_party(&review) {
        Ok(rp) => rp,
        Err(e) => return refused(StatusCode::SERVICE_UNAVAILABLE, e),
    };
    let (b, p) = (&review.broker, &session.principal);
    let nonce = match domain::passkey::current_nonce(b, p, &id).await {
        Ok(n) => n,
        Err(e) => return domain_refusal(e),
    };
    let passkeys = match passkeys_of(&review, &session).await {
        Ok(k) => k,
        Err(r) => return *r,
    };
    let assertion = body.assertion.to_string();
    let verified = match rp.verify_approval(&passkeys, &id, &nonce, &assertion) {
        Ok(v) => v,
        Err(Refusal(why)) => {
            return domain_refusal(domain::passkey::refuse(b, p, &id, why).await);
        }
    };
    let passkey = match serde_json::to_string(&verified.passkey) {
        Ok(s) => s,
        Err(e) => return refused(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let proof = PasskeyProof {
        credential_id: verified.credential_id,
        user_verified: verified.user_verified,
        counter: verified.counter,
        nonce,
        passkey,
    };
    match domain::passkey::approve(b, p, &id, comment, proof).await {
        Ok((_, said)) => answer(
            StatusCode::OK,
            serde_json::json!({
                "location": format!("/review/{id}?done={}", said.unwrap_or("counted")),
            }),
        ),
        Err(e) => domain_refusal(e),
    }
}
