//! The iCalendar (RFC 5545) values an on-call feed's events carry: DATE and DATE-TIME
//! (§3.3.4, §3.3.5), DURATION (§3.3.6), TEXT with its escapes (§3.3.11), and the email
//! addresses that name a person (an ATTENDEE's `mailto:` URI, or an address written in a
//! SUMMARY or DESCRIPTION).
//!
//! Times come out as Unix seconds in UTC. There is no time-zone database here: a DATE-TIME in
//! UTC (`…Z`) is what PagerDuty and Opsgenie export; one with a `TZID` naming UTC is read as
//! UTC; any other `TZID` is refused (the feed is reported, not misread by hours). Floating
//! times and DATE values (all-day events) are read as UTC.

use zt_api::{days_from_civil, days_in_month};

/// Earliest and latest years accepted: a schedule is about now, and this keeps every
/// computation far from overflow.
const MIN_YEAR: i64 = 1970;
const MAX_YEAR: i64 = 9999;

/// `TZID`s that mean UTC (the IANA names and the usual spellings).
const UTC_NAMES: &[&str] = &[
    "utc",
    "etc/utc",
    "gmt",
    "etc/gmt",
    "z",
    "zulu",
    "universal",
    "etc/universal",
    "coordinated universal time",
    "utc+00:00",
    "gmt+00:00",
];

fn digits(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// `YYYYMMDD` → days since the epoch.
fn date(s: &str) -> Option<i64> {
    if s.len() != 8 {
        return None;
    }
    let (y, m, d) = (digits(&s[..4])?, digits(&s[4..6])?, digits(&s[6..])?);
    if !(MIN_YEAR..=MAX_YEAR).contains(&y) || !(1..=12).contains(&m) {
        return None;
    }
    if !(1..=days_in_month(y, m)).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// A DTSTART/DTEND value with its parameters (`VALUE=DATE`, `TZID=…`) → Unix seconds.
/// `Err` says what is wrong, for the feed's error.
pub(super) fn date_time(
    value: &str,
    value_param: Option<&str>,
    tzid: Option<&str>,
) -> Result<i64, String> {
    let v = value.trim();
    let is_date = value_param.is_some_and(|p| p.eq_ignore_ascii_case("DATE")) || v.len() == 8;
    if is_date {
        return date(v)
            .map(|d| d * 86_400)
            .ok_or_else(|| format!("{v:?} is not an iCalendar DATE (YYYYMMDD)"));
    }
    let bad = || format!("{v:?} is not an iCalendar DATE-TIME (YYYYMMDDTHHMMSS[Z])");
    let (day, rest) = v.split_once(['T', 't']).ok_or_else(bad)?;
    let (clock, utc) = match rest.strip_suffix(['Z', 'z']) {
        Some(c) => (c, true),
        None => (rest, false),
    };
    if clock.len() != 6 {
        return Err(bad());
    }
    let days = date(day).ok_or_else(bad)?;
    let (h, m, s) = (
        digits(&clock[..2]).ok_or_else(bad)?,
        digits(&clock[2..4]).ok_or_else(bad)?,
        digits(&clock[4..]).ok_or_else(bad)?,
    );
    // 60: a leap second, read as the one before.
    if h > 23 || m > 59 || s > 60 {
        return Err(bad());
    }
    if !utc && let Some(tz) = tzid {
        let tz = tz.trim().trim_matches('"').trim_start_matches('/');
        if !UTC_NAMES.contains(&tz.to_ascii_lowercase().as_str()) {
            return Err(format!(
                "TZID {tz:?}: only UTC times are supported (export the schedule in UTC, as \
                 PagerDuty and Opsgenie do)"
            ));
        }
    }
    Ok(days * 86_400 + h * 3600 + m * 60 + s.min(59))
}

/// A DURATION value (`P1W`, `P1DT8H`, `PT30M`) → seconds. Negative durations are refused:
/// an on-call shift does not end before it starts.
pub(super) fn duration(value: &str) -> Result<i64, String> {
    let v = value.trim();
    let bad = || format!("{v:?} is not a positive iCalendar DURATION (e.g. P1W, P1DT8H, PT30M)");
    let rest = v.strip_prefix('+').unwrap_or(v);
    let rest = rest.strip_prefix(['P', 'p']).ok_or_else(bad)?;
    let mut total: i64 = 0;
    let mut num = String::new();
    let mut in_time = false;
    let mut any = false;
    let mut after_t = 0;
    for c in rest.chars() {
        match c.to_ascii_uppercase() {
            '0'..='9' if num.len() < 9 => num.push(c),
            'T' if !in_time && num.is_empty() => in_time = true,
            unit @ ('W' | 'D' | 'H' | 'M' | 'S') => {
                let n: i64 = num.parse().map_err(|_| bad())?;
                let secs = match (unit, in_time) {
                    ('W', false) => 7 * 86_400,
                    ('D', false) => 86_400,
                    ('H', true) => 3600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return Err(bad()),
                };
                total = total.saturating_add(n.saturating_mul(secs));
                num.clear();
                any = true;
                after_t += usize::from(in_time);
            }
            _ => return Err(bad()),
        }
    }
    if !any || !num.is_empty() || (in_time && after_t == 0) {
        return Err(bad());
    }
    Ok(total)
}

/// A TEXT value with its escapes undone (`\\`, `\;`, `\,`, `\n`/`\N`).
pub(super) fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// The email address an ATTENDEE names: its `mailto:` URI (RFC 6068), or a bare address as
/// PagerDuty writes it. Lowercased; `None` when it names none.
pub fn attendee_email(value: &str) -> Option<String> {
    let v = value.trim();
    let addr = match v.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => &v[7..],
        _ => v,
    };
    // A mailto URI may carry `?subject=…`; an address has no `?`.
    let addr = addr.split('?').next().unwrap_or(addr);
    plausible_email(&percent_decode(addr))
}

/// Every email address written in free text ("On Call - Jane Doe <jane@example.com>"),
/// lowercased, in order.
pub fn emails_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || "<>()[]{},;:\"'|".contains(c)) {
        if let Some(e) = plausible_email(word.trim_end_matches('.'))
            && !out.contains(&e)
        {
            out.push(e);
        }
    }
    out
}

/// `local@domain`, one `@`, both sides non-empty, no space or control: lowercased.
fn plausible_email(s: &str) -> Option<String> {
    let s = s.trim();
    let (local, domain) = s.split_once('@')?;
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && s.len() <= 254
        && s.chars().all(|c| !c.is_whitespace() && !c.is_control());
    ok.then(|| s.to_lowercase())
}

/// `%40` → `@` and the like (a mailto URI may encode its address); an invalid escape stays.
fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
