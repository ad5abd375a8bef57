//! Checks of single values the sections share: a non-empty string, an http(s) URL (https
//! unless it stays on this machine).

use std::net::IpAddr;

use toml::Spanned;

use super::source::Source;
use crate::error::Result;

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
