//! The `/device` sign-in page: the form (prefilled from `verification_uri_complete`) and its
//! submission, which approves or denies a pending device code as one of the dev users.

use std::collections::HashMap;
use std::time::Instant;

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::Idp;
use crate::dev::idp::{Decision, normalize_user_code, pages};

fn html(status: StatusCode, body: String) -> Response {
    let mut resp = (status, Html(body)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    resp
}

pub(super) async fn device_page(
    State(idp): Idp,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let code = query
        .as_ref()
        .ok()
        .and_then(|Query(q)| q.get("user_code"))
        .map(|c| clip(c))
        .unwrap_or_default();
    html(StatusCode::OK, pages::device_form(&code, &idp.cfg.users))
}

/// Echoed input is escaped, and clipped so a huge parameter is not reflected whole.
fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

#[derive(Deserialize)]
pub(super) struct DeviceSubmitForm {
    user_code: Option<String>,
    user: Option<String>,
    action: Option<String>,
}

pub(super) async fn device_submit(
    State(idp): Idp,
    form: Result<Form<DeviceSubmitForm>, FormRejection>,
) -> Response {
    let bad = |title: &str, message: String| {
        html(StatusCode::BAD_REQUEST, pages::result(title, &message))
    };
    let Ok(Form(form)) = form else {
        return bad("Bad request", "The form could not be read.".into());
    };
    let raw = form.user_code.unwrap_or_default();
    let unknown = || {
        bad(
            "Unknown or expired code",
            format!(
                "The code “{}” is unknown or has expired. Run zt login again for a new one.",
                clip(&raw)
            ),
        )
    };
    let Some(code) = normalize_user_code(&raw) else {
        return unknown();
    };
    let now = Instant::now();
    let mut st = idp.state();
    st.sweep(now, idp.device_ttl);
    let Some(device_code) = st.user_codes.get(&code).cloned() else {
        return unknown();
    };
    let Some(grant) = st.devices.get_mut(&device_code) else {
        return unknown();
    };
    if now >= grant.expires_at {
        return unknown();
    }
    if grant.decision != Decision::Pending {
        return bad(
            "Code already used",
            format!("The code {code} has already been approved or denied."),
        );
    }
    match form.action.as_deref() {
        Some("approve") => {
            let name = form.user.unwrap_or_default();
            let Some(user) = idp.user(&name) else {
                return bad(
                    "Unknown user",
                    format!("There is no user “{}”.", clip(&name)),
                );
            };
            grant.decision = Decision::Approved(user.name.clone());
            html(
                StatusCode::OK,
                pages::result(
                    "Signed in",
                    &format!(
                        "You are signed in to zt as {} <{}>. Return to your terminal.",
                        user.name, user.email
                    ),
                ),
            )
        }
        Some("deny") => {
            grant.decision = Decision::Denied;
            html(
                StatusCode::OK,
                pages::result(
                    "Sign-in denied",
                    "The sign-in was denied. Your terminal will say so.",
                ),
            )
        }
        _ => bad("Bad request", "Choose Approve or Deny.".into()),
    }
}
