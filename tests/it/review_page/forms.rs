//! The review page over plain HTTP, as a browser or a forger would speak to it: refusals that
//! change nothing, and what the page sends (redirects, cookies, headers, escaping).

use super::{ask, dev_world, request_of};
use crate::common::browser::{WebClient, field, review_base, review_link};

#[test]
fn forged_cross_site_anonymous_and_self_approvals_are_refused_and_change_nothing() {
    let (broker, alice) = dev_world();
    let id = ask(
        &alice,
        &[
            "prod-k8s", "--role", "admin", "--ttl", "30m", "--reason", "r",
        ],
    );
    let link = review_link(&broker.url, &id);
    let origin = review_base(&broker.url);
    let approve = format!("{link}/approve");
    let pending = || assert_eq!(request_of(&alice, &id)["state"], "pending", "changed");

    let mut bob = WebClient::new();
    let page = bob.sign_in_dev(&link, "bob");
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = field(&page.body, "csrf").expect("the page's forms carry a CSRF token");

    // No token; another session's token.
    let a = bob.post(&approve, &[("comment", "x")], &[("origin", &origin)]);
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(
        a.body.contains("security token") && a.body.contains("Nothing was changed"),
        "{}",
        a.body
    );
    pending();
    let a = bob.post(
        &approve,
        &[("csrf", "AAAA"), ("comment", "x")],
        &[("origin", &origin)],
    );
    assert_eq!(a.status, 403, "{}", a.body);
    pending();
    // The right token, from another site: refused whether the browser says so by Origin or by
    // Sec-Fetch-Site.
    for headers in [
        vec![("origin", "https://evil.example")],
        vec![("origin", "null")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("referer", "https://evil.example/page")],
    ] {
        let a = bob.post(&approve, &[("csrf", &csrf)], &headers);
        assert_eq!(a.status, 403, "{headers:?}: {}", a.body);
        assert!(
            a.body.contains("not sent from the zt review page"),
            "{}",
            a.body
        );
        pending();
    }
    // No session cookie at all (what another site's form gets under SameSite=Lax).
    let mut anonymous = WebClient::new();
    let a = anonymous.post(&approve, &[("csrf", &csrf)], &[("origin", &origin)]);
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(a.body.contains("Not signed in"), "{}", a.body);
    pending();
    // GET changes nothing: the decision routes take POST only.
    assert_eq!(bob.get(&approve).status, 405);
    pending();

    // alice, signed in, on her own request: no form, and a forged POST is refused by the API's
    // rule (never the requester).
    let mut own = WebClient::new();
    let page = own.sign_in_dev(&link, "alice");
    assert!(
        page.body.contains("This is your own request"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("/approve\""), "{}", page.body);
    let her_csrf = field(&page.body, "csrf").unwrap();
    let a = own.post(&approve, &[("csrf", &her_csrf)], &[("origin", &origin)]);
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(a.body.contains("you requested"), "{}", a.body);
    pending();

    // A comment the API would refuse (a control character) is refused the same way.
    let a = bob.post(
        &approve,
        &[("csrf", &csrf), ("comment", "a\u{1b}[2J")],
        &[("origin", &origin)],
    );
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(a.body.contains("control character"), "{}", a.body);
    pending();

    // The same form, done right, works: the refusals above were not a broken setup.
    let a = bob.post(
        &approve,
        &[("csrf", &csrf), ("comment", "ok")],
        &[("origin", &origin)],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(
        a.location.as_deref(),
        Some(format!("{link}?done=approved").as_str())
    );
    assert_eq!(request_of(&alice, &id)["state"], "approved");
}

#[test]
fn the_sign_in_redirect_the_cookies_the_headers_and_hostile_text() {
    let (broker, alice) = dev_world();
    let id = ask(
        &alice,
        &[
            "prod-db",
            "--role",
            "readwrite",
            "--ttl",
            "1h",
            "--reason",
            "<script>alert(1)</script>\"><img src=x onerror=alert(2)>",
        ],
    );
    let link = review_link(&broker.url, &id);
    let mut web = WebClient::new();

    // Anonymous: 303 straight to the IdP's authorization endpoint with PKCE, state and nonce,
    // and a short-lived sign-in cookie (HttpOnly, SameSite=Lax; no Secure on loopback HTTP).
    let a = web.get(&link);
    assert_eq!(a.status, 303);
    let to = reqwest::Url::parse(a.location.as_deref().unwrap()).unwrap();
    assert_eq!(
        to.as_str().split('?').next().unwrap(),
        format!("{}/oidc/authorize", broker.url)
    );
    let q: std::collections::HashMap<_, _> = to.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], "zt-review");
    assert_eq!(
        q["redirect_uri"],
        format!("{}/review/callback", review_base(&broker.url))
    );
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert!(q["state"].len() >= 43 && q["nonce"].len() >= 43, "{q:?}");
    let cookie = a.header("set-cookie");
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && !cookie.contains("Secure"),
        "{cookie}"
    );
    // A callback whose state this browser did not start: refused, no session.
    let mut stranger = WebClient::new();
    let cb = format!(
        "{}/review/callback?code=x&state={}",
        review_base(&broker.url),
        q["state"]
    );
    let a = stranger.get(&cb);
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(!a.header("set-cookie").contains("zt-review="), "{a:?}");

    // Signed in: the session cookie's flags, the page's headers, the hostile reason as text.
    let page = web.sign_in_dev(&link, "bob");
    assert_eq!(page.status, 200, "{}", page.body);
    let session = &web.cookies[&format!("localhost:{}", broker.url.rsplit(':').next().unwrap())];
    assert!(session.contains_key("zt-review"), "{session:?}");
    let csp = page.header("content-security-policy");
    for d in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(d), "{d} not in {csp}");
    }
    assert_eq!(page.header("x-frame-options"), "DENY");
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(
        !page.body.contains("<script>") && !page.body.contains("<img"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"
        ),
        "{}",
        page.body
    );

    // A session cookie edited in the browser is no session: back to sign-in.
    let host = format!("localhost:{}", broker.url.rsplit(':').next().unwrap());
    let jar = web.cookies.get_mut(&host).unwrap();
    let v = jar.get_mut("zt-review").unwrap();
    let flipped = if v.ends_with('A') { 'B' } else { 'A' };
    v.pop();
    v.push(flipped);
    let a = web.get(&link);
    assert_eq!(a.status, 303, "{}", a.body);
    assert!(a.location.unwrap().contains("/oidc/authorize?"));

    // Signing out (a POST with the token) clears the session: the link asks to sign in again.
    let mut bob = WebClient::new();
    let page = bob.sign_in_dev(&link, "bob");
    let csrf = field(&page.body, "csrf").unwrap();
    let origin = review_base(&broker.url);
    let signout = format!("{origin}/review/signout");
    let a = bob.post(&signout, &[], &[("origin", &origin)]);
    assert_eq!(a.status, 403, "signed out without the token: {}", a.body);
    let a = bob.post(&signout, &[("csrf", &csrf)], &[("origin", &origin)]);
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(
        a.header("set-cookie")
            .contains("zt-review=; Path=/; Max-Age=0"),
        "{a:?}"
    );
    let a = bob.get(&link);
    assert_eq!(a.status, 303, "{}", a.body);

    // An id that is no request, and one nobody may see: pages, not problems.
    let mut bob = WebClient::new();
    let a = bob.sign_in_dev(
        &format!("{}/review/0000000000000000", review_base(&broker.url)),
        "bob",
    );
    assert_eq!(a.status, 404, "{}", a.body);
    assert!(a.header("content-type").starts_with("text/html"), "{a:?}");
}
