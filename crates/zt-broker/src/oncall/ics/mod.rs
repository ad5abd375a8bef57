//! A small, bounded reader of iCalendar (RFC 5545) on-call feeds: what PagerDuty's and
//! Opsgenie's schedule exports hold — `VEVENT`s with `DTSTART`/`DTEND` (or `DURATION`) and the
//! person on call in `ATTENDEE` (PagerDuty writes a bare address, others a `mailto:` URI) or
//! written in `SUMMARY`/`DESCRIPTION`. Lines are unfolded (§3.1), parameters may be quoted,
//! TEXT is unescaped. Everything else in a feed (VTIMEZONE, VALARM, X- properties) is skipped.
//!
//! Bounded: at most [`Limits::max_bytes`] of input, [`Limits::max_line`] bytes per line,
//! [`Limits::max_events`] events, components nested at most [`MAX_DEPTH`] deep. A feed that
//! breaks a bound or the grammar is refused whole with the line it broke at — never half-read:
//! the caller keeps the last good one. Recurring events (`RRULE`/`RDATE`) are refused too:
//! expanding them is a calendar's job, and the exports this is for list every shift.

mod lines;
#[cfg(test)]
mod tests;
mod values;

use std::fmt;

use lines::{Content, content, unfold};
pub use values::{attendee_email, emails_in};

/// Components nest at most this deep (VCALENDAR > VEVENT > VALARM is 3).
pub const MAX_DEPTH: usize = 8;

/// The bounds a feed must keep.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The whole feed, in bytes.
    pub max_bytes: usize,
    /// One line, folded or unfolded, in bytes.
    pub max_line: usize,
    /// Events (`VEVENT`s) in the feed.
    pub max_events: usize,
    /// The longest one event may last, in seconds.
    pub max_shift_secs: i64,
}

/// The defaults (README "On-call schedules"): 4 MiB, 16 KiB lines, 20 000 events, shifts of at
/// most 400 days. PagerDuty's feed of a weekly rotation holds a few hundred events.
pub const LIMITS: Limits = Limits {
    max_bytes: 4 * 1024 * 1024,
    max_line: 16 * 1024,
    max_events: 20_000,
    max_shift_secs: 400 * 86_400,
};

/// Where an event names the person on call; the first of a schedule's list that names anyone
/// in an event wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeopleFrom {
    /// Every `ATTENDEE`'s address.
    Attendee,
    /// Addresses written in `SUMMARY`.
    Summary,
    /// Addresses written in `DESCRIPTION`.
    Description,
}

impl PeopleFrom {
    pub const ALL: [(&'static str, PeopleFrom); 3] = [
        ("attendee", PeopleFrom::Attendee),
        ("summary", PeopleFrom::Summary),
        ("description", PeopleFrom::Description),
    ];
}

/// One shift: from `start` (inclusive) to `end` (exclusive), Unix seconds, and who is on call
/// (lowercased email addresses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    pub start: i64,
    pub end: i64,
    pub people: Vec<String>,
}

/// A feed, read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    /// The shifts that name someone, by start.
    pub shifts: Vec<Shift>,
    /// Events in the feed (cancelled and unnamed ones included).
    pub events: usize,
    /// Events that named nobody (skipped).
    pub unnamed: usize,
}

/// Why a feed was refused: what, and at which (unfolded content line's first) line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcsError {
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for IcsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(n) => write!(f, "line {n}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for IcsError {}

fn at(line: usize, message: impl Into<String>) -> IcsError {
    IcsError {
        line: Some(line),
        message: message.into(),
    }
}

/// Read `bytes` as an on-call feed, naming people from `from` (in order), within `limits`.
pub fn parse(bytes: &[u8], from: &[PeopleFrom], limits: &Limits) -> Result<Calendar, IcsError> {
    let whole = |m: String| IcsError {
        line: None,
        message: m,
    };
    if bytes.len() > limits.max_bytes {
        return Err(whole(format!(
            "the feed is larger than {} bytes",
            limits.max_bytes
        )));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| whole(format!("the feed is not UTF-8 text ({e})")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = unfold(text, limits.max_line)?;
    let mut stack: Vec<String> = Vec::new();
    let mut cal = Calendar::default();
    let mut event: Option<Vec<Content<'_>>> = None;
    let mut seen_calendar = false;
    for (n, line) in &lines {
        let c = content(*n, line)?;
        match c.name.as_str() {
            "BEGIN" => {
                let comp = c.value.trim().to_ascii_uppercase();
                if stack.is_empty() && comp != "VCALENDAR" {
                    return Err(at(*n, format!("BEGIN:{comp} outside a VCALENDAR")));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(at(*n, format!("components nested deeper than {MAX_DEPTH}")));
                }
                if comp == "VEVENT" {
                    if event.is_some() {
                        return Err(at(*n, "a VEVENT inside a VEVENT"));
                    }
                    cal.events += 1;
                    if cal.events > limits.max_events {
                        return Err(at(
                            *n,
                            format!("more than {} events in the feed", limits.max_events),
                        ));
                    }
                    event = Some(Vec::new());
                }
                seen_calendar = true;
                stack.push(comp);
            }
            "END" => {
                let comp = c.value.trim().to_ascii_uppercase();
                match stack.pop() {
                    Some(open) if open == comp => {}
                    Some(open) => {
                        return Err(at(*n, format!("END:{comp} where BEGIN:{open} is open")));
                    }
                    None => return Err(at(*n, format!("END:{comp} without a BEGIN"))),
                }
                if comp == "VEVENT"
                    && let Some(props) = event.take()
                {
                    match shift(*n, &props, from, limits)? {
                        Some(s) => cal.shifts.push(s),
                        None => cal.unnamed += 1,
                    }
                }
            }
            _ if stack.is_empty() => {
                return Err(at(*n, format!("{} outside a VCALENDAR", c.name)));
            }
            // Only the event's own properties, not a VALARM's inside it.
            _ if stack.last().is_some_and(|s| s == "VEVENT") => {
                if let Some(props) = event.as_mut() {
                    props.push(c);
                }
            }
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(whole(format!(
            "the feed ends inside BEGIN:{open} (truncated?)"
        )));
    }
    if !seen_calendar {
        return Err(whole(
            "the feed holds no VCALENDAR: not an iCalendar feed".into(),
        ));
    }
    cal.shifts.sort_by_key(|s| (s.start, s.end));
    Ok(cal)
}

/// One event's shift: `None` when it names nobody or is cancelled or lasts no time.
fn shift(
    end_line: usize,
    props: &[Content<'_>],
    from: &[PeopleFrom],
    limits: &Limits,
) -> Result<Option<Shift>, IcsError> {
    let one = |name: &str| props.iter().find(|p| p.name == name);
    if let Some(r) = props
        .iter()
        .find(|p| p.name == "RRULE" || p.name == "RDATE")
    {
        return Err(at(
            r.line,
            format!(
                "{}: recurring events are not supported; export the schedule with every shift \
                 listed (PagerDuty and Opsgenie feeds are)",
                r.name
            ),
        ));
    }
    if one("STATUS").is_some_and(|s| s.value.trim().eq_ignore_ascii_case("CANCELLED")) {
        return Ok(None);
    }
    let time = |p: &Content<'_>| {
        values::date_time(p.value, p.param("VALUE"), p.param("TZID"))
            .map_err(|e| at(p.line, format!("{}: {e}", p.name)))
    };
    let start_prop = one("DTSTART").ok_or_else(|| at(end_line, "a VEVENT without DTSTART"))?;
    let start = time(start_prop)?;
    let end = match (one("DTEND"), one("DURATION")) {
        (Some(e), _) => time(e)?,
        (None, Some(d)) => start.saturating_add(
            values::duration(d.value).map_err(|e| at(d.line, format!("DURATION: {e}")))?,
        ),
        // §3.6.1: a DATE start without an end is one day; a DATE-TIME one, no time at all.
        (None, None) if start_prop.value.trim().len() == 8 => start + 86_400,
        (None, None) => start,
    };
    if end < start {
        return Err(at(end_line, "the event ends before it starts"));
    }
    if end - start > limits.max_shift_secs {
        return Err(at(
            end_line,
            format!(
                "the event lasts longer than {} days",
                limits.max_shift_secs / 86_400
            ),
        ));
    }
    if end == start {
        return Ok(None);
    }
    let mut people = Vec::new();
    for f in from {
        people = match f {
            PeopleFrom::Attendee => props
                .iter()
                .filter(|p| p.name == "ATTENDEE")
                .filter_map(|p| attendee_email(p.value))
                .collect(),
            PeopleFrom::Summary => {
                one("SUMMARY").map_or_else(Vec::new, |p| emails_in(&values::text(p.value)))
            }
            PeopleFrom::Description => {
                one("DESCRIPTION").map_or_else(Vec::new, |p| emails_in(&values::text(p.value)))
            }
        };
        if !people.is_empty() {
            break;
        }
    }
    if people.is_empty() {
        return Ok(None);
    }
    people.dedup();
    Ok(Some(Shift { start, end, people }))
}
