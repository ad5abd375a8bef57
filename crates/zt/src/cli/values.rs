//! Value parsers for the clap definitions: durations and ids, with messages that say what to
//! write instead.

use std::time::Duration;

/// `90s`, `30m`, `1h30m`, `2h`: humantime's grammar, at least one second, in whole seconds —
/// the broker counts in seconds, and `1500ms` silently becoming a 1s grant is a surprise.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    // humantime's own words for a bare number suggest `90ms`, which is refused below.
    if let Ok(n) = s.trim().parse::<u64>() {
        return Err(format!("{n} has no unit; write {n}s or {n}m"));
    }
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("{e}; write a duration like 30m, 1h or 90s"))?;
    if d < Duration::from_secs(1) {
        return Err("a duration must be at least 1s".into());
    }
    if d.subsec_nanos() != 0 {
        return Err(format!(
            "{:?} is not a whole number of seconds; write {}s or {}s",
            s.trim(),
            d.as_secs(),
            d.as_secs() + 1
        ));
    }
    Ok(d)
}

/// A request or grant id (or a resource name where one is accepted): not empty, which the
/// broker could only answer with a confusing route error.
pub fn parse_id(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        return Err("an id cannot be empty; `zt status` and `zt inbox` list them".into());
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("60m").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("-5m").is_err());
        assert!(parse_duration("1500ms").is_err());
        assert!(parse_duration("1s 500ms").is_err());
        assert_eq!(parse_duration("2000ms").unwrap(), Duration::from_secs(2));
        assert!(parse_id("").is_err());
        assert!(parse_id("  ").is_err());
    }
}
