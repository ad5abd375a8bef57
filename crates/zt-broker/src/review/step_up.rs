//! A `@step_up` decision on the review page (RFC 9470 in a browser): when approving or denying
//! needs a stronger or fresher sign-in than the page's session shows (its ID token's `acr` and
//! `auth_time`), nothing is decided (the refusal is audited, as the API's is) and the answer
//! says what is needed and offers to sign in again. `GET /review/{id}/step-up` sends the person
//! to the identity provider asking for exactly that (`acr_values`, `max_age`) and back to the
//! request, where they decide again with the new session.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::page::{escape, html, layout, message, text};
use super::view::{human_secs, plausible_id};
use super::{ReviewState, Session, oidc};
use crate::policy::step_up::{MAX_MAX_AGE, Missing};

/// At most this many ACR values are asked for, each at most this long.
const MAX_ACRS: usize = 8;
const MAX_ACR_LEN: usize = 256;

/// The answer to a decision that needs a step-up: what is needed, what the session shows, and
/// a link that signs in again asking for it.
pub(crate) fn needed(session: &Session, id: &str, missing: &Missing) -> Response {
    let facts = &session.principal.auth;
    let level = match &facts.acr {
        Some(acr) => format!("at level {}", text(acr, 120)),
        None => "without a level the identity provider named".to_string(),
    };
    let age = match facts.auth_time {
        Some(t) => format!(
            ", {} ago",
            human_secs((zt_api::Timestamp::now().0 - t).max(0) as u64)
        ),
        None => ", at a time the identity provider did not say".to_string(),
    };
    let body = format!(
        "<p class=\"message\">Deciding this request needs {need}. This session signed in \
{level}{age}. Nothing was decided.</p>\
<p class=\"buttons\"><a class=\"button\" href=\"{link}\">Sign in again</a> \
<a href=\"/review/{id}\">Back to the request</a></p>\
<p class=\"muted\">After signing in you come back to the request; approve or deny it again \
there.</p>",
        need = escape(&missing.describe()),
        link = escape(&link(id, missing)),
        id = escape(id),
    );
    html(
        StatusCode::UNAUTHORIZED,
        layout("A stronger sign-in is needed", Some(session), &body),
    )
}

/// `/review/{id}/step-up?acr_values=…&max_age=…` for `missing`.
fn link(id: &str, missing: &Missing) -> String {
    // Only the query is taken from this URL: its encoding is the form encoding browsers send.
    let mut u = reqwest::Url::parse("http://review.invalid/").expect("a valid URL");
    {
        let mut q = u.query_pairs_mut();
        if !missing.acr_values.is_empty() {
            q.append_pair("acr_values", &missing.acr_values.join(" "));
        }
        if let Some(age) = missing.max_age {
            q.append_pair("max_age", &age.to_string());
        }
    }
    format!("/review/{id}/step-up?{}", u.query().unwrap_or(""))
}

#[derive(Deserialize)]
pub(crate) struct StepUpQuery {
    #[serde(default)]
    acr_values: Option<String>,
    #[serde(default)]
    max_age: Option<u64>,
}

/// What a step-up link asks for, if it is one this page could have made: ACR values of
/// visible ASCII, a `max_age` no longer than a policy may give.
fn asked(q: StepUpQuery) -> Option<Missing> {
    let acr_values: Vec<String> = q
        .acr_values
        .as_deref()
        .unwrap_or("")
        .split(' ')
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect();
    let ok = acr_values.len() <= MAX_ACRS
        && acr_values
            .iter()
            .all(|a| a.len() <= MAX_ACR_LEN && a.bytes().all(|b| b.is_ascii_graphic()))
        && q.max_age.is_none_or(|s| s <= MAX_MAX_AGE)
        && (!acr_values.is_empty() || q.max_age.is_some());
    ok.then_some(Missing {
        acr_values,
        max_age: q.max_age,
    })
}

/// `GET /review/{id}/step-up`: sign in again asking the identity provider for what the link
/// names, coming back to the request. Changes nothing by itself (a GET).
pub(crate) async fn start(
    State(review): State<ReviewState>,
    session: Session,
    Path(id): Path<String>,
    query: Result<Query<StepUpQuery>, QueryRejection>,
) -> Response {
    let back = format!("/review/{id}");
    let missing = query.ok().and_then(|Query(q)| asked(q));
    match missing {
        Some(m) if plausible_id(&id) => oidc::start_step_up(&review, &back, &m).await,
        _ => message(
            StatusCode::BAD_REQUEST,
            "Not a step-up link",
            "This link does not ask for a sign-in this page could have asked for.",
            Some(&session),
            Some("/review"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_carry_what_is_missing_and_only_such_links_are_followed() {
        let m = Missing {
            acr_values: vec!["urn:zt:acr:mfa".into()],
            max_age: Some(300),
        };
        let l = link("0123abcd", &m);
        assert_eq!(
            l,
            "/review/0123abcd/step-up?acr_values=urn%3Azt%3Aacr%3Amfa&max_age=300"
        );
        let q = |acr: Option<&str>, age: Option<u64>| {
            asked(StepUpQuery {
                acr_values: acr.map(str::to_owned),
                max_age: age,
            })
        };
        assert_eq!(q(Some("urn:zt:acr:mfa"), Some(300)), Some(m));
        assert_eq!(
            q(None, Some(60)),
            Some(Missing {
                acr_values: vec![],
                max_age: Some(60)
            })
        );
        // Nothing asked, too old an age, a control character, too many values.
        assert_eq!(q(None, None), None);
        assert_eq!(q(Some("a"), Some(MAX_MAX_AGE + 1)), None);
        assert_eq!(q(Some("a\u{7}b"), None), None);
        assert_eq!(q(Some(&["a"; 9].join(" ")), None), None);
        assert_eq!(q(Some(&"a".repeat(MAX_ACR_LEN + 1)), None), None);
    }
}
