//! The feed reader on PagerDuty- and Opsgenie-shaped exports (the fixtures in
//! `tests/fixtures/oncall/`), folding, escapes, values, and every refusal: malformed lines,
//! unbalanced components, bounds, recurring events, unknown time zones.

use super::values::{date_time, duration, text};
use super::*;

const PAGERDUTY: &str = include_str!("../../../../../tests/fixtures/oncall/pagerduty-primary.ics");
const OPSGENIE: &str = include_str!("../../../../../tests/fixtures/oncall/opsgenie-sre-lead.ics");
const ALL: [PeopleFrom; 3] = [
    PeopleFrom::Attendee,
    PeopleFrom::Summary,
    PeopleFrom::Description,
];

/// 2030-01-01T00:00:00Z.
const JAN_1_2030: i64 = 1_893_456_000;
const H: i64 = 3600;
const D: i64 = 86_400;

fn read(text: &str) -> Result<Calendar, IcsError> {
    parse(text.as_bytes(), &ALL, &LIMITS)
}

fn feed(events: &str) -> String {
    format!("BEGIN:VCALENDAR\nVERSION:2.0\n{events}END:VCALENDAR\n")
}

fn refused(text: &str, line: Option<usize>, says: &str) {
    let e = read(text).expect_err("refused");
    assert_eq!(e.line, line, "{e}");
    assert!(e.to_string().contains(says), "{e} does not say {says:?}");
}

#[test]
fn a_pagerduty_export_reads_as_its_shifts() {
    let cal = read(PAGERDUTY).unwrap();
    assert_eq!(cal.events, 2);
    assert_eq!(
        cal.shifts,
        vec![
            Shift {
                start: JAN_1_2030 + 9 * H,
                end: JAN_1_2030 + 7 * D + 9 * H,
                people: vec!["alice@example.com".into()],
            },
            // The address is lowercased: matching is case-insensitive.
            Shift {
                start: JAN_1_2030 + 7 * D + 9 * H,
                end: JAN_1_2030 + 14 * D + 9 * H,
                people: vec!["bob@example.com".into()],
            },
        ]
    );
}

#[test]
fn an_opsgenie_export_reads_with_crlf_tzid_utc_duration_and_description() {
    let cal = read(OPSGENIE).unwrap();
    assert_eq!(
        (cal.events, cal.unnamed),
        (3, 1),
        "the cancelled one is skipped"
    );
    let people: Vec<_> = cal.shifts.iter().map(|s| s.people.clone()).collect();
    // The first names dave as its ATTENDEE (its VALARM's DESCRIPTION is not the event's); the
    // second names nobody there, so its DESCRIPTION is read.
    assert_eq!(
        people,
        [
            vec!["dave@example.com".to_string()],
            vec!["bob@example.com".to_string()]
        ]
    );
    assert_eq!(cal.shifts[0].start, JAN_1_2030);
    assert_eq!(cal.shifts[1].end, JAN_1_2030 + 14 * D, "DURATION:P1W");
    // Reading only ATTENDEE, the second names nobody.
    let only = parse(OPSGENIE.as_bytes(), &[PeopleFrom::Attendee], &LIMITS).unwrap();
    assert_eq!((only.shifts.len(), only.unnamed), (1, 2));
}

#[test]
fn folding_quoting_and_escapes() {
    let cal = read(&feed(
        "BEGIN:VEVENT\r\nDTSTART:20300101T000000Z\r\nDTEND:20300102T000000Z\r\n\
         ATTENDEE;CN=\"Doe: Jane; on call\";X=1:MAILTO:\r\n\tJane.Doe%40Example.com\r\n\
         END:VEVENT\r\n",
    ))
    .unwrap();
    assert_eq!(cal.shifts[0].people, ["jane.doe@example.com"]);
    assert_eq!(text(r"a\, b\; c\\d\nline"), "a, b; c\\d\nline");
    assert_eq!(
        emails_in("On Call - Jane <JANE@example.com>, (bob@x.io). mailto:c@y.org"),
        ["jane@example.com", "bob@x.io", "c@y.org"]
    );
    assert_eq!(
        attendee_email("mailto:a@b.c?subject=x"),
        Some("a@b.c".into())
    );
    assert_eq!(attendee_email("urn:uuid:1234"), None);
}

#[test]
fn values_dates_and_durations() {
    assert_eq!(date_time("20300101T000000Z", None, None), Ok(JAN_1_2030));
    assert_eq!(date_time("20300101", Some("DATE"), None), Ok(JAN_1_2030));
    assert_eq!(
        date_time("20300101T000000", None, Some("UTC")),
        Ok(JAN_1_2030)
    );
    // Floating: read as UTC.
    assert_eq!(
        date_time("20300101T010203", None, None),
        Ok(JAN_1_2030 + H + 123)
    );
    assert_eq!(date_time("20240229T000000Z", None, None), Ok(1_709_164_800));
    for bad in [
        "20230229T000000Z",
        "20301301T000000Z",
        "2030-01-01",
        "20300101T2500Z",
        "",
    ] {
        assert!(date_time(bad, None, None).is_err(), "{bad}");
    }
    let e = date_time("20300101T090000", None, Some("Europe/Berlin")).unwrap_err();
    assert!(e.contains("only UTC times"), "{e}");
    // A UTC time with a TZID is UTC whatever the TZID says (§3.3.5: the Z wins).
    assert!(date_time("20300101T090000Z", None, Some("Europe/Berlin")).is_ok());
    assert_eq!(duration("P1W"), Ok(7 * D));
    assert_eq!(duration("P1DT8H30M5S"), Ok(D + 8 * H + 30 * 60 + 5));
    assert_eq!(duration("PT15M"), Ok(900));
    for bad in ["-P1D", "P", "PT", "P1H", "1D", "P1DT"] {
        assert!(duration(bad).is_err(), "{bad}");
    }
}

#[test]
fn all_day_and_open_ended_events() {
    let cal = read(&feed(
        "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20300101\nSUMMARY:a@x.io\nEND:VEVENT\n\
         BEGIN:VEVENT\nDTSTART:20300101T000000Z\nSUMMARY:b@x.io\nEND:VEVENT\n",
    ))
    .unwrap();
    // A DATE without an end is that day; a DATE-TIME without one lasts no time (skipped).
    assert_eq!(cal.shifts.len(), 1);
    assert_eq!(
        (cal.shifts[0].start, cal.shifts[0].end),
        (JAN_1_2030, JAN_1_2030 + D)
    );
    assert_eq!(cal.unnamed, 1);
}

#[test]
fn malformed_feeds_are_refused_at_their_line() {
    refused("hello", Some(1), "without ':'");
    refused("", None, "no VCALENDAR");
    refused(
        "<html><body>Sign in</body></html>\n",
        Some(1),
        "without ':'",
    );
    refused("SUMMARY:x\n", Some(1), "outside a VCALENDAR");
    refused("BEGIN:VEVENT\n", Some(1), "outside a VCALENDAR");
    refused(
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\n",
        None,
        "ends inside BEGIN:VEVENT",
    );
    refused(
        &feed("BEGIN:VEVENT\nEND:VTODO\n"),
        Some(4),
        "END:VTODO where BEGIN:VEVENT",
    );
    refused(
        &feed("END:VEVENT\n"),
        Some(3),
        "END:VEVENT where BEGIN:VCALENDAR",
    );
    refused("END:VCALENDAR\n", Some(1), "without a BEGIN");
    refused(" folded\n", Some(1), "continuation line before");
    refused(
        &feed("BEGIN:VEVENT\nSUMMARY:x@y.z\nEND:VEVENT\n"),
        Some(5),
        "without DTSTART",
    );
    refused(
        &feed("BEGIN:VEVENT\nDTSTART:2030-01-01\nEND:VEVENT\n"),
        Some(4),
        "DTSTART: \"2030-01-01\" is not",
    );
    refused(
        &feed("BEGIN:VEVENT\nDTSTART:20300102T000000Z\nDTEND:20300101T000000Z\nEND:VEVENT\n"),
        Some(6),
        "ends before it starts",
    );
    refused(
        &feed("BEGIN:VEVENT\nDTSTART:20300101T000000Z\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n"),
        Some(5),
        "recurring events are not supported",
    );
    refused(
        &feed("BEGIN:VEVENT\nDTSTART;TZID=America/New_York:20300101T000000\nEND:VEVENT\n"),
        Some(4),
        "only UTC times",
    );
    refused(
        &feed("BEGIN:VEVENT\nBEGIN:VEVENT\n"),
        Some(4),
        "inside a VEVENT",
    );
    refused(&feed("X-A;B:1\n"), Some(3), "has no '='");
    assert!(
        parse(&[0xff, 0xfe, 0x00], &ALL, &LIMITS)
            .unwrap_err()
            .to_string()
            .contains("UTF-8")
    );
}

#[test]
fn bounds_are_kept() {
    let small = Limits {
        max_bytes: 400,
        max_line: 40,
        max_events: 2,
        max_shift_secs: 2 * D,
    };
    let ev = |day: u32| {
        format!(
            "BEGIN:VEVENT\nDTSTART:203001{day:02}T000000Z\nDURATION:P1D\nSUMMARY:a@b.c\nEND:VEVENT\n"
        )
    };
    let two = feed(&format!("{}{}", ev(1), ev(2)));
    assert_eq!(parse(two.as_bytes(), &ALL, &small).unwrap().shifts.len(), 2);
    let three = feed(&format!("{}{}{}", ev(1), ev(2), ev(3)));
    let e = parse(three.as_bytes(), &ALL, &small).unwrap_err();
    assert!(e.to_string().contains("more than 2 events"), "{e}");
    let big = " ".repeat(401);
    let e = parse(big.as_bytes(), &ALL, &small).unwrap_err();
    assert!(e.to_string().contains("larger than 400 bytes"), "{e}");
    let long = feed(&format!("X-LONG:{}\n", "a".repeat(40)));
    let e = parse(long.as_bytes(), &ALL, &small).unwrap_err();
    assert!(
        e.to_string().contains("line 3: the line is longer than 40"),
        "{e}"
    );
    let folded = feed(&format!("X-LONG:{}\n {}\n", "a".repeat(20), "b".repeat(20)));
    let e = parse(folded.as_bytes(), &ALL, &small).unwrap_err();
    assert!(e.to_string().contains("unfolded line is longer"), "{e}");
    let week = feed("BEGIN:VEVENT\nDTSTART:20300101T000000Z\nDURATION:P1W\nEND:VEVENT\n");
    let e = parse(week.as_bytes(), &ALL, &small).unwrap_err();
    assert!(e.to_string().contains("longer than 2 days"), "{e}");
    let deep = format!("BEGIN:VCALENDAR\n{}", "BEGIN:X\n".repeat(MAX_DEPTH));
    let e = read(&deep).unwrap_err();
    assert!(e.to_string().contains("nested deeper"), "{e}");
}
