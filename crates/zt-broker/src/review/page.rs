//! The review page's HTML: one layout for every page, escaping for everything put into it, and
//! the headers every answer carries (`Content-Security-Policy` with `frame-ancestors 'none'`,
//! no caching, no referrer). Text from people (reasons, tickets, comments, names) and from the
//! URL only ever reaches a page through [`escape`] (or [`text`], which also bounds it).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Session;

/// The page's policy: nothing but its own stylesheet and images, forms posting to itself,
/// never framed.
pub(crate) const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `s` cut to `max` characters (with "…" when cut), escaped.
pub(crate) fn text(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return escape(s);
    }
    let cut: String = s.chars().take(max).collect();
    format!("{}…", escape(&cut))
}

/// A whole page: `title` (plain text, escaped here) and `body` (HTML the caller built from
/// escaped parts). With a session, the header names who is signed in and offers to sign out
/// (a POST with the CSRF token).
pub(crate) fn layout(title: &str, session: Option<&Session>, body: &str) -> String {
    let who = match session {
        Some(s) => format!(
            "<form class=\"who\" method=\"post\" action=\"/review/signout\">Signed in as \
<strong>{}</strong> <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
<button type=\"submit\" class=\"link\">Sign out</button></form>",
            text(s.principal.display(), 120),
            escape(&s.csrf),
        ),
        None => String::new(),
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta name=\"referrer\" content=\"same-origin\">\
<title>{title} · zt review</title><link rel=\"stylesheet\" href=\"/review/style.css\"></head>\
<body><header><a class=\"home\" href=\"/review\">zt review</a>{who}</header>\
<main><h1>{title}</h1>{body}</main></body></html>\n",
        title = escape(title),
    )
}

/// An HTML answer with the page's headers.
pub(crate) fn html(status: StatusCode, page: String) -> Response {
    with_headers((status, axum::response::Html(page)).into_response(), CSP)
}

fn with_headers(mut resp: Response, csp: &'static str) -> Response {
    secure_headers(&mut resp);
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    resp
}

/// What every answer of the page carries: not cached (a page shows who is signed in and
/// holds a CSRF token), no referrer beyond this origin (a link's URL names a request; and
/// `no-referrer` would make the browser send `Origin: null` with the page's own forms, which
/// [`super::csrf`] refuses), no framing, no sniffing.
pub(crate) fn secure_headers(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

/// A page that only says something: `message` is plain text (escaped), with a link back to
/// `back` (a path of this page) when given.
pub(crate) fn message(
    status: StatusCode,
    title: &str,
    message: &str,
    session: Option<&Session>,
    back: Option<&str>,
) -> Response {
    let link = match back {
        Some(b) => format!("<p><a href=\"{}\">Back</a></p>", escape(b)),
        None => String::new(),
    };
    let body = format!("<p class=\"message\">{}</p>{link}", text(message, 2000));
    html(status, layout(title, session, &body))
}

/// A 303 to `location` (a path or URL the caller built), with the page's headers and any
/// `Set-Cookie` values.
pub(crate) fn see_other(location: &str, cookies: &[String]) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    secure_headers(&mut resp);
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(location) {
        h.insert(header::LOCATION, v);
    }
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            h.append(header::SET_COOKIE, v);
        }
    }
    resp
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;\
color:#1f2328;background:#f6f8fa;line-height:1.45}\
header{display:flex;justify-content:space-between;align-items:center;padding:.6rem 1.2rem;\
background:#24292f;color:#fff}header a.home{color:#fff;font-weight:700;text-decoration:none}\
header form.who{margin:0;font-size:.9rem}header button.link{background:none;border:0;\
color:#9ecbff;cursor:pointer;font-size:.9rem;text-decoration:underline;padding:0 0 0 .5rem}\
main{max-width:52rem;margin:1.5rem auto;padding:0 1.2rem}h1{font-size:1.5rem;margin:.4rem 0 1rem}\
h2{font-size:1.1rem;margin:1.6rem 0 .5rem}\
.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:1rem 1.2rem}\
dl.facts{display:grid;grid-template-columns:10rem 1fr;gap:.45rem 1rem;margin:0}\
dl.facts dt{color:#57606a;font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere}\
.prose{white-space:pre-wrap;overflow-wrap:anywhere}code{font-family:ui-monospace,monospace;\
font-size:.92em}\
.state{display:inline-block;padding:.05rem .5rem;border-radius:1rem;font-size:.85rem;\
font-weight:600;background:#eaeef2}.state-pending{background:#fff8c5}.state-approved,\
.state-active{background:#dafbe1}.state-denied,.state-revoked{background:#ffebe9}\
.glass{display:inline-block;padding:.1rem .55rem;border-radius:4px;background:#cf222e;\
color:#fff;font-weight:700}\
.banner{padding:.6rem .9rem;border-radius:6px;margin:0 0 1rem;border:1px solid}\
.banner.ok{background:#dafbe1;border-color:#4ac26b}.banner.no{background:#ffebe9;\
border-color:#ff8182}.banner.note{background:#ddf4ff;border-color:#54aeff}\
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d0d7de}\
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #d0d7de;vertical-align:top;\
overflow-wrap:anywhere}th{background:#f6f8fa;font-size:.9rem}td.nw{white-space:nowrap}\
form.decide label{display:block;font-weight:600;margin:.2rem 0 .3rem}\
form.decide textarea{width:100%;box-sizing:border-box;min-height:5rem;font:inherit;\
padding:.4rem}.buttons{display:flex;gap:.8rem;margin-top:.8rem}\
.buttons button{font-size:1rem;padding:.45rem 1.4rem;border-radius:6px;border:1px solid;\
cursor:pointer}button.approve{background:#1f883d;border-color:#1a7f37;color:#fff}\
button.deny{background:#fff;border-color:#cf222e;color:#cf222e}\
.buttons{align-items:center}a.button{display:inline-block;font-size:1rem;padding:.45rem 1.4rem;\
border-radius:6px;border:1px solid #1a7f37;background:#1f883d;color:#fff;text-decoration:none}\
ul.approvals{margin:0;padding-left:1.2rem}.muted{color:#57606a}";

/// `GET /review/style.css`: the page's only stylesheet (the policy allows no inline style).
pub(crate) async fn stylesheet() -> Response {
    let mut resp = ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=300"),
    );
    resp.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}
