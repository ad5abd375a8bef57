//! When a grant's clock starts, client side (issue 16): `--start-at`/`--start-in` read into the
//! request's `start_at` ([`start_at`]; a time already past is a usage error, never
//! "tomorrow"), and the words `zt request` and `zt status` use for a grant approved ahead of
//! its start or waiting for its first use ([`clock_words`]).

use std::time::Duration;

use crate::error::{Error, Result};
use crate::output::human_secs;
use crate::tombstone;
use zt_api::{self as api, Timestamp};

/// `--start-at`'s forms: `HH:MM` or `HH:MM:SS` (local time, today), `YYYY-MM-DD HH:MM[:SS]`
/// (local time), or RFC 3339 with `Z` or an offset (`2026-12-07T14:00:00+01:00`).
pub fn parse_start_at(s: &str) -> std::result::Result<Timestamp, String> {
    let s = s.trim();
    let bad = || {
        format!(
            "{s:?} is not a time; write HH:MM (local time, today), \"YYYY-MM-DD HH:MM\" or an \
             RFC 3339 time like 2026-12-07T14:00:00Z"
        )
    };
    if s.contains(['T', 't']) {
        return Timestamp::parse_date_time(s).ok_or_else(bad);
    }
    let (date, time) = match s.split_once(' ') {
        Some((d, t)) => (Some(ymd(d).ok_or_else(bad)?), t.trim()),
        None => (None, s),
    };
    let (h, m, sec) = hms(time).ok_or_else(bad)?;
    local(date, h, m, sec).ok_or_else(|| format!("{s:?} does not exist in the local time zone"))
}

fn num(s: &str, digits: usize, max: u32) -> Option<u32> {
    (s.len() == digits && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
        .filter(|n| *n <= max)
}

fn hms(s: &str) -> Option<(u32, u32, u32)> {
    let mut parts = s.split(':');
    let h = parts
        .next()
        .and_then(|p| num(p, 2, 23).or_else(|| num(p, 1, 9)))?;
    let m = num(parts.next()?, 2, 59)?;
    let sec = match parts.next() {
        Some(p) => num(p, 2, 59)?,
        None => 0,
    };
    parts.next().is_none().then_some((h, m, sec))
}

fn ymd(s: &str) -> Option<(i32, u32, u32)> {
    let mut parts = s.split('-');
    let y = num(parts.next()?, 4, 9999)? as i32;
    let mo = num(parts.next()?, 2, 12).filter(|m| *m >= 1)?;
    let d = num(parts.next()?, 2, 31).filter(|d| *d >= 1)?;
    parts.next().is_none().then_some((y, mo, d))
}

/// A local wall-clock time (today's date when `date` is `None`) as a timestamp: mktime, which
/// honours TZ and /etc/localtime, as the times zt prints do.
fn local(date: Option<(i32, u32, u32)>, h: u32, m: u32, s: u32) -> Option<Timestamp> {
    let now = Timestamp::now().0 as libc::time_t;
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::localtime_r(&now, &mut tm) }.is_null() {
        return None;
    }
    if let Some((y, mo, d)) = date {
        (tm.tm_year, tm.tm_mon, tm.tm_mday) = (y - 1900, mo as i32 - 1, d as i32);
    }
    (tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_isdst) = (h as i32, m as i32, s as i32, -1);
    let want = (tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min);
    let t = unsafe { libc::mktime(&mut tm) };
    // mktime normalises what does not exist (Feb 30, a skipped DST hour): refuse instead.
    (t != -1 && want == (tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min))
        .then_some(Timestamp(t as i64))
}

/// The start a request asks for: `--start-at` or `--start-in` (clap keeps them apart), checked
/// against now: a time already past is a usage error (exit 2).
pub fn start_at(at: Option<Timestamp>, within: Option<Duration>) -> Result<Option<Timestamp>> {
    let now = Timestamp::now();
    if let Some(d) = within {
        return Ok(Some(now.add_secs(d.as_secs() as i64)));
    }
    match at {
        Some(t) if t <= now => Err(Error::usage(format!(
            "--start-at {} is in the past (it is {} now)",
            tombstone::clock(t.0, now.0),
            tombstone::clock(now.0, now.0)
        ))
        .with_hint(
            "give a later time, or --start-in DURATION; zt never reads a past time as tomorrow",
        )),
        other => Ok(other),
    }
}

/// "starts 14:00 (in 1h 59m)" for a grant approved ahead of its start; "waiting for first
/// use, lapses in 58m" for a first-use grant nobody used yet; `None` otherwise.
pub fn clock_words(r: &api::Request) -> Option<String> {
    let now = Timestamp::now();
    if r.is_scheduled_ahead(now) {
        let nb = r.not_before?;
        return Some(format!(
            "starts {} (in {})",
            tombstone::clock(nb.0, now.0),
            human_secs(nb.0 - now.0)
        ));
    }
    if r.is_unclaimed() {
        let by = r.claim_by?;
        return Some(format!(
            "waiting for first use, lapses in {}",
            human_secs(by.secs_from_now())
        ));
    }
    (r.state == api::State::Pending)
        .then_some(r.start_at)
        .flatten()
        .map(|s| format!("to start {}", tombstone::clock(s.0, now.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_times_parse_or_say_what_to_write() {
        assert_eq!(
            parse_start_at("2026-12-07T14:00:00Z").unwrap(),
            Timestamp(1_796_652_000)
        );
        assert_eq!(
            parse_start_at("2026-12-07T15:00:00+01:00").unwrap(),
            Timestamp(1_796_652_000)
        );
        assert_eq!(
            parse_start_at("2026-12-07T09:30:00.5-04:30").unwrap(),
            Timestamp(1_796_652_000)
        );
        for ok in ["14:00", "9:05", "23:59:59", "2030-01-02 08:00"] {
            assert!(parse_start_at(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "soon",
            "25:00",
            "14:60",
            "14",
            "14:00:00:00",
            "2pm",
            "2026-13-01T00:00:00Z",
            "2026-12-07T14:00:00",
            "2026-02-30 10:00",
            "１４:００",
            "14:00\u{202e}",
        ] {
            let e = parse_start_at(bad).unwrap_err();
            assert!(!e.is_empty(), "{bad}");
        }
    }

    #[test]
    fn a_past_start_is_a_usage_error_never_tomorrow() {
        let past = Timestamp(Timestamp::now().0 - 60);
        let e = start_at(Some(past), None).unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::Usage);
        let ahead = Timestamp(Timestamp::now().0 + 600);
        assert_eq!(start_at(Some(ahead), None).unwrap(), Some(ahead));
        let s = start_at(None, Some(Duration::from_secs(7200)))
            .unwrap()
            .unwrap();
        assert!((s.secs_from_now() - 7200).abs() <= 2);
        assert_eq!(start_at(None, None).unwrap(), None);
    }
}
