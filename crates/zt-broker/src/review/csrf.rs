//! Cross-site request forgery: every form of the review page carries its session's CSRF token
//! (a hidden `csrf` field), and [`check`] accepts a POST only when that token matches the
//! session's (in constant time) and the browser says the form came from this origin — `Origin`
//! when it sends one, else `Sec-Fetch-Site`, else `Referer`. The session cookie is
//! `SameSite=Lax`, so another site's POST carries no session either: three locks, any one of
//! which stops a forged approval.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use super::{Review, Session, page};

/// Why a form was refused (for the page and the tests).
#[derive(Debug, PartialEq)]
pub(crate) enum Refusal {
    /// No `csrf` field, or not this session's.
    Token,
    /// `Origin`, `Sec-Fetch-Site` or `Referer` names another site.
    CrossSite,
}

/// Whether a POST with these headers and form token may act for `session`. The refusal is a
/// 403 page that says nothing was changed (boxed: a response is large).
pub(crate) fn check(
    review: &Review,
    headers: &HeaderMap,
    session: &Session,
    token: Option<&str>,
) -> Result<(), Box<Response>> {
    verdict(&review.origin, headers, &session.csrf, token).map_err(|why| {
        let message = match why {
            Refusal::Token => {
                "The form did not carry this session's security token (it may be from an \
                 older page or another browser). Nothing was changed: reload the page and try \
                 again."
            }
            Refusal::CrossSite => {
                "The form was not sent from the zt review page itself. Nothing was changed."
            }
        };
        Box::new(page::message(
            StatusCode::FORBIDDEN,
            "Request refused",
            message,
            Some(session),
            Some("/review"),
        ))
    })
}

/// [`check`]'s decision, free of the page: `origin` is the page's own
/// (`scheme://host[:port]`), `expected` the session's token.
pub(crate) fn verdict(
    origin: &str,
    headers: &HeaderMap,
    expected: &str,
    token: Option<&str>,
) -> Result<(), Refusal> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match (
        header(header::ORIGIN.as_str()),
        header("sec-fetch-site"),
        header(header::REFERER.as_str()),
    ) {
        // `Origin: null` (a sandboxed frame, a redirect from elsewhere) is not this origin.
        (Some(o), _, _) if !o.eq_ignore_ascii_case(origin) => return Err(Refusal::CrossSite),
        (Some(_), _, _) => {}
        (None, Some(site), _) if site != "same-origin" => return Err(Refusal::CrossSite),
        (None, Some(_), _) => {}
        (None, None, Some(r)) if !same_origin_url(origin, r) => return Err(Refusal::CrossSite),
        // Neither (a non-browser client): the token alone decides.
        _ => {}
    }
    match token {
        Some(t) if !expected.is_empty() && equal(t.as_bytes(), expected.as_bytes()) => Ok(()),
        _ => Err(Refusal::Token),
    }
}

/// Whether `url` is on `origin` (`origin` itself, or `origin/…`).
fn same_origin_url(origin: &str, url: &str) -> bool {
    let Some(rest) = url.get(..origin.len()) else {
        return false;
    };
    rest.eq_ignore_ascii_case(origin)
        && matches!(url.as_bytes().get(origin.len()), None | Some(b'/'))
}

/// Constant-time equality (of equal-length inputs; the length is no secret).
fn equal(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};

    use super::{Refusal, verdict};

    const ORIGIN: &str = "https://zt.example.com";

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_session_token_from_this_origin_passes() {
        for h in [
            headers(&[("origin", ORIGIN)]),
            headers(&[("sec-fetch-site", "same-origin")]),
            headers(&[("referer", "https://zt.example.com/review/ab12")]),
            headers(&[]),
        ] {
            assert_eq!(verdict(ORIGIN, &h, "tok", Some("tok")), Ok(()), "{h:?}");
        }
    }

    #[test]
    fn a_missing_or_wrong_token_is_refused() {
        let h = headers(&[("origin", ORIGIN)]);
        assert_eq!(verdict(ORIGIN, &h, "tok", None), Err(Refusal::Token));
        assert_eq!(verdict(ORIGIN, &h, "tok", Some("tak")), Err(Refusal::Token));
        assert_eq!(verdict(ORIGIN, &h, "tok", Some("")), Err(Refusal::Token));
        assert_eq!(
            verdict(ORIGIN, &h, "tok", Some("tok2")),
            Err(Refusal::Token)
        );
        // A session without a token accepts nothing, not even an empty one.
        assert_eq!(verdict(ORIGIN, &h, "", Some("")), Err(Refusal::Token));
    }

    #[test]
    fn another_site_is_refused_even_with_the_token() {
        for h in [
            headers(&[("origin", "https://evil.example")]),
            headers(&[("origin", "null")]),
            headers(&[("origin", "https://zt.example.com.evil.example")]),
            headers(&[("sec-fetch-site", "cross-site")]),
            headers(&[("sec-fetch-site", "same-site")]),
            headers(&[("referer", "https://evil.example/review")]),
            headers(&[("referer", "https://zt.example.com.evil.example/")]),
            // Origin wins over a same-origin Sec-Fetch-Site.
            headers(&[
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "same-origin"),
            ]),
        ] {
            assert_eq!(
                verdict(ORIGIN, &h, "tok", Some("tok")),
                Err(Refusal::CrossSite),
                "{h:?}"
            );
        }
    }
}
