//! `[oncall.NAME]`: defaults, each source (a file read and parsed here, URLs checked but never
//! echoed, `url_env`), and every refusal at its line.

use std::time::Duration;

use crate::config::tests::{BASE, PATH, parse};
use crate::oncall::ics::PeopleFrom;
use crate::oncall::{MatchClaim, Source};

fn with(section: &str) -> Result<crate::config::Config, String> {
    parse(&format!("{BASE}\n{section}"))
}

fn refused(section: &str, says: &str) {
    let e = with(section).expect_err("refused");
    assert!(e.contains(says), "{e} does not say {says:?}");
    assert!(e.starts_with(&format!("{PATH}:")), "{e}");
}

const FEED: &str = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20300101T000000Z\n\
                    DTEND:20300102T000000Z\nATTENDEE:a@b.c\nEND:VEVENT\nEND:VCALENDAR\n";

#[test]
fn a_url_schedule_with_defaults_and_one_with_every_key() {
    let c = with(
        "[oncall.primary]\nurl = \"webcal://acme.pagerduty.com/private/SECRET/feed/P1\"\n\n\
         [oncall.sre-lead]\nurl = \"https://acme.app.opsgenie.com/webapi/webcal/getRecentSchedule?webcalToken=SECRET&scheduleId=x\"\n\
         refresh = \"1m\"\nstale_after = \"30m\"\npeople_from = [\"description\", \"attendee\"]\n\
         match_claim = \"sub\"\n",
    )
    .unwrap();
    let (p, l) = (&c.oncall[0], &c.oncall[1]);
    assert_eq!(p.name, "primary");
    assert!(matches!(&p.source, Source::Url(u) if u.scheme() == "https"));
    assert_eq!(
        (p.refresh, p.stale_after),
        (Duration::from_secs(300), Duration::from_secs(3600))
    );
    assert_eq!(p.people_from.len(), 3);
    assert_eq!(p.match_claim, MatchClaim::Email);
    assert_eq!(l.name, "sre-lead");
    assert_eq!(
        (l.refresh, l.stale_after),
        (Duration::from_secs(60), Duration::from_secs(1800))
    );
    assert_eq!(
        l.people_from,
        [PeopleFrom::Description, PeopleFrom::Attendee]
    );
    assert_eq!(l.match_claim, MatchClaim::Sub);
    // The token in the URL is never shown: not in the summary, not in Debug.
    let shown = format!("{} {:?}", c.summary(), c.oncall);
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(
        shown.contains("primary (https://acme.pagerduty.com/…)"),
        "{shown}"
    );
}

#[test]
fn a_file_is_read_and_parsed_by_check() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("primary.ics"), FEED).unwrap();
    let path = dir.path().join("broker.toml");
    let text = format!("{BASE}\n[oncall.primary]\nfile = \"primary.ics\"\n");
    let c = crate::config::Config::parse(&text, &path).unwrap();
    assert_eq!(
        c.oncall[0].source,
        Source::File(dir.path().join("primary.ics"))
    );
    // Malformed: refused at the key, with the feed's line.
    std::fs::write(
        dir.path().join("primary.ics"),
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:soon\nEND:VEVENT\nEND:VCALENDAR\n",
    )
    .unwrap();
    let e = crate::config::Config::parse(&text, &path)
        .unwrap_err()
        .message;
    assert!(e.contains("file: ") && e.contains("line 3: DTSTART"), "{e}");
    std::fs::remove_file(dir.path().join("primary.ics")).unwrap();
    let e = crate::config::Config::parse(&text, &path)
        .unwrap_err()
        .message;
    assert!(e.contains("cannot read"), "{e}");
}

#[test]
fn url_env_names_a_variable_that_holds_the_url() {
    // SAFETY: this test's own variable, read only here.
    unsafe {
        std::env::set_var(
            "ZT_TEST_ONCALL_FEED_URL",
            "https://feeds.example.com/x?token=SECRET",
        )
    };
    let c = with("[oncall.primary]\nurl_env = \"ZT_TEST_ONCALL_FEED_URL\"\n").unwrap();
    assert!(
        matches!(&c.oncall[0].source, Source::Url(u) if u.host_str() == Some("feeds.example.com"))
    );
    refused(
        "[oncall.primary]\nurl_env = \"ZT_TEST_ONCALL_UNSET\"\n",
        "is not set",
    );
}

#[test]
fn mistakes_are_refused_where_they_are() {
    refused(
        "[oncall.primary]\nrefresh = \"1m\"\n",
        "exactly one of url, url_env or file",
    );
    refused(
        "[oncall.primary]\nurl = \"https://a.example.com/f\"\nfile = \"x.ics\"\n",
        "exactly one of",
    );
    refused(
        "[oncall.primary]\nurl = \"https://a.example.com/f\"\nrefesh = \"1m\"\n",
        "unknown field `refesh`",
    );
    refused(
        "[oncall.primary]\nurl = \"not a url SECRET\"\n",
        "is not a URL",
    );
    refused(
        "[oncall.primary]\nurl = \"ftp://a.example.com/f\"\n",
        "must be an https://",
    );
    refused(
        "[oncall.primary]\nurl = \"http://a.example.com/f\"\n",
        "plain http to another machine",
    );
    refused(
        "[oncall.primary]\nurl = \"https://u:p@a.example.com/f\"\n",
        "no user, password",
    );
    refused(
        "[oncall.primary]\nurl = \"https://a.example.com/f\"\nrefresh = \"soon\"\n",
        "not a duration",
    );
    refused(
        "[oncall.primary]\nurl = \"https://a.example.com/f\"\nrefresh = \"1h\"\nstale_after = \"30m\"\n",
        "must be longer than refresh",
    );
    refused(
        "[oncall.primary]\nurl = \"https://a.example.com/f\"\npeople_from = [\"organizer\"]\n",
        "is not one of attendee, summary, description",
    );
    refused(
        "[oncall.primary]\nurl = \"https://a.example.com/f\"\nmatch_claim = \"name\"\n",
        "is not email or sub",
    );
    refused(
        "[oncall.\"on call\"]\nurl = \"https://a.example.com/f\"\n",
        "a schedule's name is",
    );
    // Never echoed: the URL may hold the feed's token.
    let e = with("[oncall.primary]\nurl = \"not a url SECRET\"\n").unwrap_err();
    assert!(!e.contains("SECRET"), "{e}");
    // Loopback http is fine (a local feed, the tests).
    assert!(with("[oncall.primary]\nurl = \"http://127.0.0.1:8080/f.ics\"\n").is_ok());
}
