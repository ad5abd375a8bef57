//! Where a broker answer that is not a success becomes the client's [`Error`]: an RFC 9457
//! problem by its `type` slug ([`problem_kind`] is the slug's kind, and so its exit code;
//! [`problem_error`] adds the broker's words and a hint), anything else by its HTTP status.

use crate::error::{Error, ErrorKind};
use crate::output::{self, inert};
use zt_api::{self as api, problem};

/// The kind (and so the exit code) of each problem slug the broker sends; `None` for a slug
/// this client does not know (a newer broker), which [`problem_error`] reports as `Other`.
/// Every slug in [`problem::ALL`] has its own arm: a new slug must be classified here.
pub fn problem_kind(slug: &str) -> Option<ErrorKind> {
    Some(match slug {
        problem::UNAUTHENTICATED => ErrorKind::AuthRequired,
        // Logged in, but not strongly or recently enough for this act (RFC 9470): a sign-in
        // is what is missing, as for no login at all (exit 4).
        problem::STEP_UP_REQUIRED => ErrorKind::AuthRequired,
        problem::FORBIDDEN | problem::SELF_APPROVAL => ErrorKind::Forbidden,
        problem::NOT_FOUND => ErrorKind::NotFound,
        // An unknown role was a 400 invalid-request before it was a 422: still exit 2.
        problem::INVALID_REQUEST | problem::TTL_EXCEEDED | problem::UNKNOWN_ROLE => {
            ErrorKind::Usage
        }
        problem::DENIED => ErrorKind::Denied,
        // Not approved, and still waiting: the approval is given on the review page, with a
        // passkey (`zt approve` says where).
        problem::PASSKEY_REQUIRED => ErrorKind::Pending,
        problem::GRANT_NOT_LIVE => ErrorKind::GrantEnded,
        problem::ISSUER_FAILED => ErrorKind::Unavailable,
        // The request is not in the state the action needs, or a key was reused: nothing a
        // flag fixes, so the general error (exit 1), with the broker's explanation.
        problem::CONFLICT => ErrorKind::Other,
        // Approved ahead of its start: not yet, like a request still waiting (the detail says
        // when it starts).
        problem::GRANT_NOT_STARTED => ErrorKind::Pending,
        // A start already past or too far ahead: fix the flag (--start-at/--start-in).
        problem::INVALID_START => ErrorKind::Usage,
        // The broker broke (it answered, so it is not unreachable): the general error.
        problem::INTERNAL => ErrorKind::Other,
        _ => return None,
    })
}

/// The broker's problem `type` decides the kind; its `detail` is the message.
pub fn problem_error(p: &api::Problem) -> Error {
    // The broker's words, made inert and capped: a detail may be of any size and content.
    let msg = inert(
        p.detail.as_deref().unwrap_or(&p.title),
        output::NOTE_MAX / 2,
    );
    let slug = inert(problem::slug(&p.type_), 100);
    let slug = slug.as_str();
    let Some(kind) = problem_kind(slug) else {
        return Error::other(format!("the broker answered: {msg} ({slug})"));
    };
    let e = match kind {
        // The broker's words name the assurance; `client` turns this into a new sign-in or
        // `auth::step_up::needed`.
        ErrorKind::AuthRequired if slug == problem::STEP_UP_REQUIRED => {
            return Error::new(kind, msg).with_hint(
                "sign in again at the required level: run this on a terminal, or `zt login --force`",
            );
        }
        ErrorKind::AuthRequired => {
            return Error::auth_required(format!("the broker did not accept your login: {msg}"));
        }
        kind => Error::new(kind, msg),
    };
    match slug {
        // The detail already says who may decide (and whether approve or deny was asked).
        problem::SELF_APPROVAL => e.with_hint(
            "your own requests are decided by someone else; `zt revoke ID` withdraws one you no longer need",
        ),
        problem::TTL_EXCEEDED => e.with_hint("ask for a shorter --ttl"),
        problem::PASSKEY_REQUIRED => e.with_hint(
            "open the request's review page in a browser and approve it there with your passkey",
        ),
        problem::UNKNOWN_ROLE => e.with_hint("`zt catalog` lists each resource's roles"),
        problem::ISSUER_FAILED => e.with_hint(
            "the broker could not reach the target system; try again, or tell the broker's operators",
        ),
        problem::INTERNAL => e.with_hint("the broker failed; its operators will find the cause in its log"),
        problem::GRANT_NOT_STARTED => e.with_hint(
            "zt writes its entries at the start; `zt status` shows when it starts",
        ),
        _ => e,
    }
}

pub(super) fn status_error(status: u16, base: &str, bytes: &[u8]) -> Error {
    match status {
        401 => Error::auth_required("the broker did not accept your login"),
        403 => Error::new(ErrorKind::Forbidden, "the broker refused (HTTP 403)"),
        404 => Error::new(
            ErrorKind::NotFound,
            format!("{base} has no such zt API route (HTTP 404)"),
        )
        .with_hint("check the broker URL; is it a zt broker?"),
        502..=504 => Error::new(
            ErrorKind::Unavailable,
            format!("the broker at {base} is unavailable (HTTP {status})"),
        ),
        _ => {
            let what = if bytes.trim_ascii_start().starts_with(b"<") {
                "an HTML page"
            } else {
                "an answer that is not zt's API"
            };
            Error::other(format!(
                "the broker at {base} answered HTTP {status} with {what}"
            ))
            .with_hint("check that the URL points at a zt broker")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_types_map_to_kinds() {
        let p = |slug: &str| api::Problem {
            type_: format!("{}{slug}", problem::BASE),
            title: "t".into(),
            status: 400,
            detail: Some("d".into()),
        };
        assert_eq!(
            problem_error(&p(problem::UNAUTHENTICATED)).kind,
            ErrorKind::AuthRequired
        );
        assert_eq!(
            problem_error(&p(problem::SELF_APPROVAL)).kind,
            ErrorKind::Forbidden
        );
        assert_eq!(
            problem_error(&p(problem::GRANT_NOT_LIVE)).kind,
            ErrorKind::GrantEnded
        );
        assert_eq!(
            problem_error(&p(problem::TTL_EXCEEDED)).kind,
            ErrorKind::Usage
        );
        assert_eq!(problem_error(&p("something-new")).kind, ErrorKind::Other);
    }

    /// Every slug the broker may send is classified on purpose, never by the fall-back arm,
    /// and the classification is the exit-code table's (README): changing one is deliberate.
    #[test]
    fn every_problem_slug_has_its_own_kind() {
        let expected = [
            (problem::UNAUTHENTICATED, 4),
            (problem::FORBIDDEN, 9),
            (problem::NOT_FOUND, 8),
            (problem::INVALID_REQUEST, 2),
            (problem::DENIED, 3),
            (problem::TTL_EXCEEDED, 2),
            (problem::CONFLICT, 1),
            (problem::SELF_APPROVAL, 9),
            (problem::GRANT_NOT_LIVE, 6),
            (problem::ISSUER_FAILED, 7),
            (problem::INTERNAL, 1),
            (problem::UNKNOWN_ROLE, 2),
            (problem::PASSKEY_REQUIRED, 5),
            (problem::STEP_UP_REQUIRED, 4),
            (problem::GRANT_NOT_STARTED, 5),
            (problem::INVALID_START, 2),
        ];
        let listed: Vec<&str> = expected.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            listed,
            problem::ALL,
            "problem::ALL changed: classify the new slug"
        );
        for (slug, code) in expected {
            let kind = problem_kind(slug).unwrap_or_else(|| panic!("{slug} is not classified"));
            assert_eq!(kind.exit_code(), code, "{slug}");
            let p = api::Problem {
                type_: format!("{}{slug}", problem::BASE),
                title: "t".into(),
                status: 400,
                detail: Some("d".into()),
            };
            assert_eq!(problem_error(&p).kind, kind, "{slug}");
        }
        assert_eq!(problem_kind("something-new"), None);
    }
}
