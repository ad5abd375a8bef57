//! RFC 3339 `date-time` (§5.6), all of it and nothing more: what openapi.yaml's
//! `format: date-time` lets a client send (a request's `start_at`, the audit log's `since` and
//! `until`; [`crate::Timestamp::parse_date_time`]). Any offset (`Z`, `z`,
//! `+05:30`), a `T` or `t`, fractions of a second (dropped), a leap second (taken as :59), years
//! 0000–9999 — so a valid time is never a 400, and anything else is.

/// Seconds since the Unix epoch (negative before 1970), or `None` when `s` is not a date-time.
pub(crate) fn parse(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let d = b.get(r)?;
        d.iter()
            .all(u8::is_ascii_digit)
            .then(|| d.iter().fold(0, |n, c| n * 10 + i64::from(c - b'0')))
    };
    let sep = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return None;
    }
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    if sep(i, b".") {
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        i += 1 + digits;
    }
    let offset = match b.get(i..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec.min(59) - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The days of month `m` (1–12) of year `y` in the proleptic Gregorian calendar.
pub fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn every_rfc3339_date_time_and_nothing_else() {
        for (s, want) in [
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2026-11-23T17:00:00Z", Some(1_795_453_200)),
            ("2026-11-23t18:00:00.123456+01:00", Some(1_795_453_200)),
            ("2026-11-23T16:30:00-00:30", Some(1_795_453_200)),
            ("2016-12-31T23:59:60Z", Some(1_483_228_799)),
            ("2000-02-29T00:00:00z", Some(951_782_400)),
            ("0000-01-01T00:00:00Z", Some(-62_167_219_200)),
            ("1900-02-29T00:00:00Z", None),
            ("2026-11-23T24:00:00Z", None),
            ("2026-11-23T17:00:00", None),
            ("2026-11-23 17:00:00Z", None),
            ("2026-11-23T17:00:00.Z", None),
            ("2026-11-23T17:00:00+1:00", None),
            (" 2026-11-23T17:00:00Z", None),
            ("yesterday", None),
            ("", None),
        ] {
            assert_eq!(parse(s), want, "{s}");
        }
    }
}
