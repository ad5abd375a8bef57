//! The review page's pieces that need no server: where the page is served (its origin, and
//! whether its cookies are `Secure`), durations as people read them, plausible ids.

use super::origin_of;
use super::view::{human_secs, plausible_id};

#[test]
fn the_origin_and_secure_flag_come_from_the_redirect_uri() {
    assert_eq!(
        origin_of("https://zt.example.com/review/callback").unwrap(),
        ("https://zt.example.com".to_string(), true)
    );
    assert_eq!(
        origin_of("http://localhost:8421/review/callback").unwrap(),
        ("http://localhost:8421".to_string(), false)
    );
    assert_eq!(
        origin_of("http://127.0.0.1:9/review/callback").unwrap(),
        ("http://127.0.0.1:9".to_string(), false)
    );
    assert_eq!(
        origin_of("http://[::1]:9/review/callback").unwrap(),
        ("http://[::1]:9".to_string(), false)
    );
    for (bad, why) in [
        ("http://zt.example.com/review/callback", "plain HTTP"),
        (
            "https://zt.example.com/callback",
            "must end in /review/callback",
        ),
        ("https://zt.example.com/review/callback?x=1", "no query"),
        (
            "https://u:p@zt.example.com/review/callback",
            "user or password",
        ),
        ("ftp://zt.example.com/review/callback", "not http(s)"),
        ("zt.example.com/review/callback", "not a URL"),
    ] {
        let e = origin_of(bad).unwrap_err();
        assert!(e.contains(why), "{bad}: {e}");
    }
}

#[test]
fn durations_and_ids() {
    assert_eq!(human_secs(3600), "1h");
    assert_eq!(human_secs(5400), "1h 30m");
    assert_eq!(human_secs(45), "45s");
    assert_eq!(human_secs(0), "0s");
    assert_eq!(human_secs(90_061), "1d 1h 1m");
    assert!(plausible_id("0123456789abcdef"));
    assert!(!plausible_id(""));
    assert!(!plausible_id("../v1"));
    assert!(!plausible_id(&"a".repeat(65)));
}
