//! How long a grant's harmless entries outlive it (the grace) and how early the credential
//! helpers warn of its end: an environment variable first, then `[grants]` in `config.toml`,
//! then the default. Values are seconds (`90`) or human durations (`90s`, `5m`, `1h`); a value
//! that is neither counts as unset.

use crate::{env, paths};

/// Kept after the end, so a person on the context learns why it stopped working.
pub const DEFAULT_GRACE_SECS: i64 = 3600;
/// The helpers warn when less than this is left.
pub const DEFAULT_WARN_BEFORE_SECS: i64 = 300;

/// The grace after a grant ends (0: wipe everything at once).
pub fn grace_secs() -> i64 {
    setting(env::ZT_GRACE, "grace").unwrap_or(DEFAULT_GRACE_SECS)
}

/// How much time left makes a credential helper warn (0: never).
pub fn warn_before_secs() -> i64 {
    setting(env::ZT_WARN_BEFORE, "warn_before").unwrap_or(DEFAULT_WARN_BEFORE_SECS)
}

fn setting(var: &str, key: &str) -> Option<i64> {
    if let Some(v) = env::var(var) {
        return parse(&v);
    }
    let text = std::fs::read_to_string(paths::config_file().ok()?).ok()?;
    // The helpers run on every kubectl call: parse the TOML only when it speaks of the key.
    if !text.contains(key) {
        return None;
    }
    let cfg = toml::from_str::<crate::config::Config>(&text).ok()?;
    let value = match key {
        "grace" => cfg.grants.grace,
        _ => cfg.grants.warn_before,
    }?;
    parse(&value)
}

/// `90` (seconds), `90s`, `5m`, `1h 30m`; never negative.
pub fn parse(s: &str) -> Option<i64> {
    let s = s.trim();
    let secs = match s.parse::<u64>() {
        Ok(n) => n,
        Err(_) => humantime::parse_duration(s).ok()?.as_secs(),
    };
    Some(secs.min(i64::MAX as u64) as i64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_in_seconds_or_words() {
        assert_eq!(super::parse("90"), Some(90));
        assert_eq!(super::parse(" 5m "), Some(300));
        assert_eq!(super::parse("1h 30m"), Some(5400));
        assert_eq!(super::parse("0"), Some(0));
        assert_eq!(super::parse("-5"), None);
        assert_eq!(super::parse("soon"), None);
    }
}
