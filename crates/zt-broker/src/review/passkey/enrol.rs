//! Enrolling passkeys: `GET /review/passkeys` lists the signed-in person's passkeys and offers
//! to add one; the script registers it through `register/start` and `register/finish`. The
//! registration in progress is kept in the store for [`super::ceremony::CEREMONY_SECS`], and
//! taken (deleted) by the finish that uses it, so each is finished once. A new passkey is
//! audited as `passkey.register` with its credential id.

use std::fmt::Write;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::ceremony::{CEREMONY_SECS, Refusal};
use super::{answer, checked, domain_refusal, passkeys_of, refused, relying_party};
use crate::review::page::{escape, html, layout, text};
use crate::review::{ReviewState, Session};
use crate::store::{AuditEntry, StoredPasskey};
use zt_api::Timestamp;

/// `GET /review/passkeys`.
pub(super) async fn page(State(review): State<ReviewState>, session: Session) -> Response {
    let p = &session.principal;
    let stored = match review.broker.store.passkeys_of(&p.issuer, &p.sub).await {
        Ok(s) => s,
        Err(e) => return crate::review::view::error_page(e.into(), &session, Some("/review")),
    };
    let mut body = String::from(
        "<p>A passkey confirms your approvals of requests whose policy asks for one: your \
         browser or security key signs the exact request you approve, after checking it is you \
         (PIN, fingerprint or face).</p>",
    );
    if let Err(e) = relying_party(&review) {
        let _ = write!(body, "<p class=\"banner no\">{}</p>", text(&e, 500));
    }
    if stored.is_empty() {
        body.push_str("<p class=\"muted\" id=\"passkey-none\">You have no passkey yet.</p>");
    } else {
        body.push_str(
            "<table id=\"passkeys\"><tr><th>Passkey</th><th>Enrolled</th><th>Last used</th></tr>",
        );
        for k in &stored {
            let _ = write!(
                body,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                text(&k.credential_id, 100),
                escape(&k.created_at.to_string()),
                k.last_used_at
                    .map(|t| escape(&t.to_string()))
                    .unwrap_or_else(|| "<span class=\"muted\">never</span>".into()),
            );
        }
        body.push_str("</table>");
    }
    let _ = write!(
        body,
        "<div class=\"buttons\"><button class=\"approve\" type=\"button\" id=\"passkey-enrol\" \
data-csrf=\"{}\">Add a passkey</button></div><p id=\"passkey-status\" class=\"muted\" \
role=\"status\"></p><p><a href=\"/review\">Back to your requests</a></p>\
<script src=\"/review/assets/passkey.js\"></script>",
        escape(&session.csrf)
    );
    let mut resp = html(
        StatusCode::OK,
        layout("Your passkeys", Some(&session), &body),
    );
    super::allow_script(&mut resp);
    resp
}

/// `POST /review/passkeys/register/start`.
pub(super) async fn start(
    State(review): State<ReviewState>,
    session: Session,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = checked(&review, &headers, &session) {
        return *r;
    }
    let rp = match relying_party(&review) {
        Ok(rp) => rp,
        Err(e) => return refused(StatusCode::SERVICE_UNAVAILABLE, e),
    };
    let existing = match passkeys_of(&review, &session).await {
        Ok(k) => k,
        Err(r) => return *r,
    };
    let p = &session.principal;
    let (options, state) = match rp.start_registration(&p.issuer, &p.sub, p.display(), &existing) {
        Ok(x) => x,
        Err(e) => return refused(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    if let Err(e) = review
        .broker
        .store
        .put_passkey_registration(&p.issuer, &p.sub, &state, Timestamp::now())
        .await
    {
        return domain_refusal(e.into());
    }
    answer(StatusCode::OK, serde_json::json!(options))
}

#[derive(Deserialize)]
pub(super) struct FinishBody {
    credential: serde_json::Value,
}

/// `POST /review/passkeys/register/finish`.
pub(super) async fn finish(
    State(review): State<ReviewState>,
    session: Session,
    headers: HeaderMap,
    body: Result<Json<FinishBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Err(r) = checked(&review, &headers, &session) {
        return *r;
    }
    let Ok(Json(body)) = body else {
        return refused(StatusCode::BAD_REQUEST, "the page sent no passkey");
    };
    let rp = match relying_party(&review) {
        Ok(rp) => rp,
        Err(e) => return refused(StatusCode::SERVICE_UNAVAILABLE, e),
    };
    let p = &session.principal;
    let store = &review.broker.store;
    let state = match store.take_passkey_registration(&p.issuer, &p.sub).await {
        Ok(Some((state, at))) if Timestamp::now().0 - at.0 <= CEREMONY_SECS => state,
        Ok(_) => {
            return refused(
                StatusCode::CONFLICT,
                "no passkey registration of yours is in progress (or it is over 10 minutes old): start again",
            );
        }
        Err(e) => return domain_refusal(e.into()),
    };
    let passkey = match rp.finish_registration(&body.credential.to_string(), &state) {
        Ok(k) => k,
        Err(Refusal(why)) => return refused(StatusCode::BAD_REQUEST, why),
    };
    let credential_id = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(passkey.cred_id())
    };
    let json = match serde_json::to_string(&passkey) {
        Ok(j) => j,
        Err(e) => return refused(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let key = StoredPasskey {
        credential_id: credential_id.clone(),
        owner: p.display().to_owned(),
        passkey: json,
        created_at: Timestamp::now(),
        last_used_at: None,
    };
    let audit = AuditEntry::new(p.display(), "passkey.register", None)
        .detail(format!("passkey {credential_id} enrolled for approvals"));
    match store.add_passkey(&p.issuer, &p.sub, &key, audit).await {
        Ok(true) => answer(
            StatusCode::OK,
            serde_json::json!({ "location": "/review/passkeys", "credential_id": credential_id }),
        ),
        Ok(false) => refused(StatusCode::CONFLICT, "this passkey is already enrolled"),
        Err(e) => domain_refusal(e.into()),
    }
}
