//! Who the broker says is on call: the `oncall:NAME` groups it gives (and the claimed ones it
//! takes away), `context.oncall`'s names, the claim compared, and stale data meaning nobody.

use std::sync::Arc;
use std::time::Duration;

use super::clock::ManualClock;
use super::ics::{Calendar, Shift};
use super::*;

const T: i64 = 1_893_456_000;

fn principal(email: &str, groups: &[&str]) -> Principal {
    Principal {
        sub: format!("sub-{email}"),
        issuer: "http://idp".into(),
        email: Some(email.into()),
        name: None,
        groups: groups.iter().map(|g| g.to_string()).collect(),
        ..Default::default()
    }
}

/// Schedules `primary` (alice, then bob from T+100) and `lead` (by subject: sub-carol),
/// fetched at T.
fn oncall(clock: Arc<ManualClock>) -> Arc<OnCall> {
    let file = |n: &str| Source::File(format!("/nonexistent/{n}.ics").into());
    let mut lead = Settings::new("lead", file("lead"));
    lead.match_claim = MatchClaim::Sub;
    let oc = OnCall::new(vec![Settings::new("primary", file("primary")), lead], clock);
    let shift = |start, end, who: &str| Shift {
        start,
        end,
        people: vec![who.into()],
    };
    let cals = [
        vec![
            shift(T - 100, T + 100, "alice@example.com"),
            shift(T + 100, T + 200, "bob@example.com"),
        ],
        vec![shift(T - 100, T + 200, "sub-carol@example.com")],
    ];
    for (s, shifts) in oc.schedules.iter().zip(cals) {
        let mut st = s.write();
        st.calendar = Arc::new(Calendar {
            shifts,
            ..Calendar::default()
        });
        st.fetched_at = Some(Timestamp(T));
    }
    oc
}

#[test]
fn on_call_groups_replace_claimed_ones_and_follow_the_clock() {
    let clock = Arc::new(ManualClock::new(Timestamp(T)));
    let oc = oncall(clock.clone());
    // A token claiming to be on call gets nothing for it.
    let mut bob = principal("Bob@Example.com", &["eng", "oncall:primary", "oncall:lead"]);
    oc.enrich(&mut bob);
    assert_eq!(bob.groups, ["eng"]);
    assert!(names(&bob).is_empty());
    let mut alice = principal("ALICE@example.com", &["eng"]);
    oc.enrich(&mut alice);
    assert_eq!(alice.groups, ["eng", "oncall:primary"]);
    assert_eq!(names(&alice), ["primary"]);
    // `lead` compares the subject: carol's email is not it.
    let mut carol = principal("carol@example.com", &[]);
    oc.enrich(&mut carol);
    assert_eq!(names(&carol), ["lead"]);
    // The hand-over at T+100 (the end is exclusive), and enriching twice changes nothing.
    clock.set(Timestamp(T + 100));
    oc.enrich(&mut alice);
    oc.enrich(&mut bob);
    oc.enrich(&mut bob);
    assert_eq!(
        (names(&alice), names(&bob)),
        (vec![], vec!["primary".to_string()])
    );
}

#[test]
fn stale_data_puts_nobody_on_call() {
    let clock = Arc::new(ManualClock::new(Timestamp(T + 50)));
    let oc = oncall(clock.clone());
    let primary = oc.schedule("primary").unwrap();
    assert_eq!(primary.settings.stale_after, Duration::from_secs(3600));
    assert!(primary.on_call("alice@example.com", oc.now()));
    assert_eq!(primary.on_call_now(oc.now()), ["alice@example.com"]);
    // Exactly stale_after old is still fresh; a second more is not.
    clock.set(Timestamp(T + 3600));
    assert!(primary.is_fresh(oc.now()));
    clock.set(Timestamp(T + 3601));
    assert!(!primary.is_fresh(oc.now()));
    clock.set(Timestamp(T + 150));
    primary.write().fetched_at = Some(Timestamp(T - 3600));
    assert!(!primary.on_call("bob@example.com", oc.now()));
    assert!(primary.on_call_now(oc.now()).is_empty());
    // Never fetched: nobody.
    primary.write().fetched_at = None;
    assert!(!primary.on_call("bob@example.com", oc.now()));
    // No email: never on call by email.
    primary.write().fetched_at = Some(Timestamp(T));
    assert!(!primary.on_call("", oc.now()));
}
