//! Checks of single values the sections share: a non-empty string, an http(s) URL (https
//! unless it stays on this machine), a duration.

use std::net::IpAddr;
use std::time::Duration;

use toml::Spanned;

use super::source::Source;
use crate::error::Result;

/// `key`'s duration, `None` when absent: at least `min` (and never zero), else an error at the
/// value saying what to write (`examples`, e.g. `"1h", "30m"`).
pub(super) fn duration(
    src: &Source<'_>,
    key: &str,
    v: Option<&Spanned<String>>,
    min: Duration,
    examples: &str,
) -> Result<Option<Duration>> {
    let Some(v) = v else { return Ok(None) };
    let text = v.get_ref().trim();
    let what = if min >= Duration::from_secs(1) {
        format!("a duration of at least {}", humantime::format_duration(min))
    } else {
        "a duration".to_string()
    };
    humantime::parse_duration(text)
        .ok()
        .filter(|d| !d.is_zero() && *d >= min)
        .map(Some)
        .ok_or_else(|| {
            src.at(
                v.span(),
                format!("{key} {text:?} is not {what} (write {examples})"),
            )
        })
}

pub(super) fn non_empty(src: &Source<'_>, v: &Spanned<String>, key: &str) -> Result<String> {
    let s = v.get_ref().trim();
    if s.is_empty() {
        return Err(src.at(v.span(), format!("{key} is empty")));
    }
    Ok(s.to_string())
}

/// An `http(s)://host…` URL without query or fragment. With `https_unless_loopback`, plain
/// http is accepted only for a loopback host: keys fetched over it could be swapped by anyone on
/// the path, and with them every token the broker believes.
pub(super) fn http_url(
    src: &Source<'_>,
    v: &Spanned<String>,
    key: &str,
    https_unless_loopback: bool,
) -> Result<reqwest::Url> {
    let raw = v.get_ref();
    let url = reqwest::Url::parse(raw)
        .map_err(|e| src.at(v.span(), format!("{key} {raw:?} is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(src.at(
            v.span(),
            format!("{key} {raw:?} must be an http:// or https:// URL with a host"),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(src.at(
            v.span(),
            format!("{key} {raw:?} must have no user, query or fragment"),
        ));
    }
    if https_unless_loopback && url.scheme() == "http" && !loopback_host(&url) {
        return Err(src.at(
            v.span(),
            format!(
                "{key} {raw:?} is plain http to another machine: whoever is on the path could \
                 swap the keys that sign tokens; use https"
            ),
        ));
    }
    Ok(url)
}

pub(super) fn loopback_host(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    // IPv6 hosts come bracketed.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    //! The URL checks ([`http_url`](super::http_url)): not a URL, another scheme, a user, query
    //! or fragment, plain http beyond loopback; and a `listen` that is no address.

    use crate::config::tests::{BASE, parse, refused, with};

    #[test]
    fn bad_urls_are_refused() {
        let t = with(
            "listen = \"127.0.0.1:0\"",
            "listen = \"127.0.0.1:0\"\npublic_url = \"zt.example.com\"",
        );
        refused(&t, Some("public_url"), "is not a URL");
        let t = with(
            "listen = \"127.0.0.1:0\"",
            "listen = \"127.0.0.1:0\"\npublic_url = \"ftp://zt.example.com\"",
        );
        refused(&t, Some("public_url"), "must be an http:// or https:// URL");
        let t = with(
            "listen = \"127.0.0.1:0\"",
            "listen = \"127.0.0.1:0\"\npublic_url = \"https://zt.example.com/?x=1\"",
        );
        refused(&t, Some("public_url"), "no user, query or fragment");
        // Keys over plain http from another machine could be swapped on the way.
        let t = with(
            "audience = \"zt-broker\"\n\n[catalog]",
            "audience = \"zt-broker\"\njwks_uri = \"http://id.example.com/jwks\"\n\n[catalog]",
        );
        refused(&t, Some("jwks_uri"), "plain http to another machine");
        let t = BASE.replace("https://id.example.com", "http://id.example.com");
        refused(&t, Some("issuer = "), "plain http to another machine");
        // ... but loopback is fine (a local IdP, the tests).
        let t = BASE.replace("https://id.example.com", "http://127.0.0.1:8080/realms/zt");
        assert!(parse(&t).is_ok());
        let t = BASE.replace("https://id.example.com", "http://[::1]:8080");
        assert!(parse(&t).is_ok());
        // Not an address at all.
        refused(
            &with("\"127.0.0.1:0\"", "\"localhost:8443\""),
            Some("listen"),
            "not an IP address and port",
        );
    }
}
