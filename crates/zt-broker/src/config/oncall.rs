//! The `[oncall.NAME]` sections: on-call schedules read from iCalendar feeds (README "On-call
//! schedules"). Each takes exactly one of `url` (https; `webcal://` is read as https; plain http
//! only on loopback), `url_env` (the variable holding such a URL — feed URLs carry a secret
//! token, which a config file may not want to) or `file`; `refresh` (default 5m) and
//! `stale_after` (default 1h, more than `refresh`); `people_from` (where events name people,
//! default `["attendee", "summary", "description"]`, the first that names anyone wins) and
//! `match_claim` (`email`, the default, or `sub`: which claim of the caller's token is compared
//! with the addresses, case-insensitively). A `file` is read and parsed here, so `check` names a
//! malformed one; a URL is not contacted. A URL is never printed: only its scheme and host.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::source::{Dirs, Source};
use super::values::{self, loopback_host};
use crate::error::Result;
use crate::oncall::ics::{self, PeopleFrom};
use crate::oncall::schedule::{DEFAULT_REFRESH, DEFAULT_STALE_AFTER};
use crate::oncall::{MatchClaim, Settings, Source as FeedSource};

/// The shortest `refresh`: faster than this would only load the feed's server.
const MIN_REFRESH: Duration = Duration::from_secs(1);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOnCall {
    url: Option<Spanned<String>>,
    url_env: Option<Spanned<String>>,
    file: Option<Spanned<String>>,
    refresh: Option<Spanned<String>>,
    stale_after: Option<Spanned<String>>,
    people_from: Option<Vec<Spanned<String>>>,
    match_claim: Option<Spanned<String>>,
}

pub(super) type RawSchedules = Spanned<BTreeMap<String, Spanned<RawOnCall>>>;

/// Whether `name` may name a schedule: it becomes the group `oncall:NAME` and a string in
/// `context.oncall`, so letters, digits, `-`, `_` and `.`, at most 64.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

pub(super) fn oncall_section(
    src: &Source<'_>,
    dirs: &Dirs,
    raw: Option<RawSchedules>,
) -> Result<Vec<Settings>> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let span = raw.span();
    let mut out = Vec::new();
    for (name, s) in raw.into_inner() {
        if !valid_name(&name) {
            return Err(src.at(
                span.clone(),
                format!(
                    "[oncall.{name}]: a schedule's name is 1 to 64 letters, digits, '-', '_' or \
                     '.'"
                ),
            ));
        }
        out.push(schedule(src, dirs, name, s)?);
    }
    Ok(out)
}

fn schedule(
    src: &Source<'_>,
    dirs: &Dirs,
    name: String,
    raw: Spanned<RawOnCall>,
) -> Result<Settings> {
    let span = raw.span();
    let raw = raw.into_inner();
    let key = |k: &str| format!("[oncall.{name}] {k}");
    let source = match (&raw.url, &raw.url_env, &raw.file) {
        (Some(u), None, None) => {
            FeedSource::Url(feed_url(src, u.span(), u.get_ref(), &key("url"))?)
        }
        (None, Some(v), None) => {
            let value = std::env::var(v.get_ref())
                .ok()
                .filter(|s| !s.trim().is_empty());
            let Some(value) = value else {
                return Err(src.at(
                    v.span(),
                    format!(
                        "{}: the variable {} is not set (or empty) in the broker's environment",
                        key("url_env"),
                        v.get_ref()
                    ),
                ));
            };
            FeedSource::Url(feed_url(src, v.span(), &value, &key("url_env"))?)
        }
        (None, None, Some(f)) => {
            let path = dirs.resolve(f.get_ref());
            check_file(src, f, &path, &key("file"))?;
            FeedSource::File(path)
        }
        _ => {
            return Err(src.at(
                span,
                format!(
                    "[oncall.{name}] needs exactly one of url, url_env or file (where its \
                     iCalendar feed comes from)"
                ),
            ));
        }
    };
    let mut settings = Settings::new(name.clone(), source);
    settings.refresh =
        duration(src, raw.refresh.as_ref(), &key("refresh"))?.unwrap_or(DEFAULT_REFRESH);
    settings.stale_after = duration(src, raw.stale_after.as_ref(), &key("stale_after"))?
        .unwrap_or(DEFAULT_STALE_AFTER);
    if settings.refresh < MIN_REFRESH {
        return Err(src.at(span, format!("{} is shorter than 1s", key("refresh"))));
    }
    if settings.stale_after <= settings.refresh {
        let at = raw.stale_after.as_ref().map_or(span, |s| s.span());
        return Err(src.at(
            at,
            format!(
                "{} must be longer than refresh ({}s): otherwise the data goes stale between \
                 two fetches",
                key("stale_after"),
                settings.refresh.as_secs()
            ),
        ));
    }
    if let Some(list) = &raw.people_from {
        let mut from = Vec::new();
        for v in list {
            let Some((_, p)) = PeopleFrom::ALL.iter().find(|(n, _)| *n == v.get_ref()) else {
                return Err(src.at(
                    v.span(),
                    format!(
                        "{} {:?} is not one of attendee, summary, description",
                        key("people_from"),
                        v.get_ref()
                    ),
                ));
            };
            if !from.contains(p) {
                from.push(*p);
            }
        }
        if from.is_empty() {
            return Err(src.at(span, format!("{} is empty", key("people_from"))));
        }
        settings.people_from = from;
    }
    settings.match_claim = match raw.match_claim.as_ref().map(|m| (m, m.get_ref().as_str())) {
        None | Some((_, "email")) => MatchClaim::Email,
        Some((_, "sub")) => MatchClaim::Sub,
        Some((m, other)) => {
            return Err(src.at(
                m.span(),
                format!("{} {other:?} is not email or sub", key("match_claim")),
            ));
        }
    };
    Ok(settings)
}

/// A non-zero duration (`"5m"`, `"1h"`), `None` when absent.
fn duration(src: &Source<'_>, v: Option<&Spanned<String>>, key: &str) -> Result<Option<Duration>> {
    values::duration(src, key, v, Duration::ZERO, "\"5m\", \"1h\"")
}

/// A feed URL, checked without echoing it (it may hold the feed's token).
fn feed_url(
    src: &Source<'_>,
    span: std::ops::Range<usize>,
    raw: &str,
    key: &str,
) -> Result<reqwest::Url> {
    let raw = raw.trim();
    let https;
    let text = match raw.get(..9) {
        Some(p) if p.eq_ignore_ascii_case("webcal://") => {
            https = format!("https://{}", &raw[9..]);
            https.as_str()
        }
        _ => raw,
    };
    let url = reqwest::Url::parse(text)
        .map_err(|e| src.at(span.clone(), format!("{key} is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(src.at(
            span,
            format!("{key} must be an https:// (or webcal://) URL with a host"),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(src.at(
            span,
            format!("{key} must have no user, password or fragment"),
        ));
    }
    if url.scheme() == "http" && !loopback_host(&url) {
        return Err(src.at(
            span,
            format!(
                "{key} is plain http to another machine: whoever is on the path could put \
                 themselves on call; use https"
            ),
        ));
    }
    Ok(url)
}

/// A feed file must be there and read as a feed now: `check` says so before `serve`.
fn check_file(
    src: &Source<'_>,
    f: &Spanned<String>,
    path: &std::path::Path,
    key: &str,
) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| {
        src.at(
            f.span(),
            format!("{key}: cannot read {}: {e}", path.display()),
        )
    })?;
    ics::parse(&bytes, &PeopleFrom::ALL.map(|(_, p)| p), &ics::LIMITS).map_err(|e| {
        src.at(
            f.span(),
            format!(
                "{key}: {} is not a usable iCalendar feed: {e}",
                path.display()
            ),
        )
    })?;
    Ok(())
}

#[cfg(test)]
mod tests;
