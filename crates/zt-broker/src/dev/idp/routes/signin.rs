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
            grant.approved_at = super::super::unix_now();
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

#[cfg(test)]
mod tests {
    //! The `/device` page over HTTP with the shared harness (`idp::tests`): its form, its
    //! headers, escaping of echoed input, and denial.

    use reqwest::StatusCode;

    use crate::dev::idp::tests::start;

    #[tokio::test]
    async fn sign_in_page_has_the_form_and_escapes_input() {
        let r = start().await;
        let (status, page) = r.get_text("/device").await;
        assert_eq!(status, StatusCode::OK);
        for needle in [
            "<form method=\"post\"",
            "name=\"user_code\"",
            "name=\"user\"",
            "value=\"alice\"",
            "value=\"bob\"",
            "value=\"approve\"",
            "value=\"deny\"",
            "zt development sign-in",
            "not for production",
        ] {
            assert!(page.contains(needle), "missing {needle}: {page}");
        }

        let evil = "\"><script>alert(1)</script>";
        let resp = r
            .http
            .get(format!("{}/device", r.issuer))
            .query(&[("user_code", evil)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.headers()["x-frame-options"], "DENY");
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let page = resp.text().await.unwrap();
        assert!(!page.contains("<script>"), "{page}");
        assert!(
            page.contains("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{page}"
        );

        let (status, page) = r.submit(evil, "alice", "approve").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            !page.contains("<script>") && page.contains("&lt;script&gt;"),
            "{page}"
        );
        assert!(page.contains("unknown or has expired"), "{page}");

        let auth = r.device_auth().await;
        let code = auth["user_code"].as_str().unwrap();
        let (status, page) = r.submit(code, "<b>eve</b>", "approve").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            !page.contains("<b>eve") && page.contains("&lt;b&gt;eve"),
            "{page}"
        );
        let (status, _) = r.submit(code, "alice", "maybe").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // Still pending after the bad submissions.
        assert_eq!(r.poll_error_of(&auth).await, "authorization_pending");
    }

    #[tokio::test]
    async fn denied_sign_in() {
        let r = start().await;
        let auth = r.device_auth().await;
        let (status, page) = r
            .submit(auth["user_code"].as_str().unwrap(), "alice", "deny")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("denied"), "{page}");
        assert_eq!(r.poll_error_of(&auth).await, "access_denied");
        // The code cannot be approved afterwards.
        r.approval_refused(&auth, "already").await;
    }
}
