//! The `[grants]` section (issue 16): how long an approved first-use grant waits for its first
//! use (`claim_window`, default 1h) before it lapses, and how far ahead a request may schedule
//! its start (`max_start_ahead`, default 7d).

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::source::Source;
use super::values;
use crate::domain::schedule::{DEFAULT_CLAIM_WINDOW, DEFAULT_MAX_START_AHEAD};
use crate::error::Result;

const SECOND: Duration = Duration::from_secs(1);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGrants {
    claim_window: Option<Spanned<String>>,
    max_start_ahead: Option<Spanned<String>>,
}

/// `[grants]`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Grants {
    /// An approved first-use grant nobody used within this long lapses.
    pub claim_window: Duration,
    /// The latest a request's `start_at` may be, from now.
    pub max_start_ahead: Duration,
}

impl Default for Grants {
    fn default() -> Self {
        Self {
            claim_window: DEFAULT_CLAIM_WINDOW,
            max_start_ahead: DEFAULT_MAX_START_AHEAD,
        }
    }
}

pub(super) fn grants_section(src: &Source<'_>, raw: Option<RawGrants>) -> Result<Grants> {
    let Some(raw) = raw else {
        return Ok(Grants::default());
    };
    let at_least = |key, v: Option<Spanned<String>>| {
        values::duration(src, key, v.as_ref(), SECOND, "\"1h\", \"30m\"")
    };
    Ok(Grants {
        claim_window: at_least("claim_window", raw.claim_window)?.unwrap_or(DEFAULT_CLAIM_WINDOW),
        max_start_ahead: at_least("max_start_ahead", raw.max_start_ahead)?
            .unwrap_or(DEFAULT_MAX_START_AHEAD),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::config::tests::base_with as parse;

    #[test]
    fn the_grant_windows_default_and_are_checked() {
        let c = parse("").unwrap();
        assert_eq!(c.grants.claim_window, Duration::from_secs(3600));
        assert_eq!(c.grants.max_start_ahead, Duration::from_secs(7 * 86_400));
        let c = parse("[grants]\nclaim_window = \"90s\"\nmax_start_ahead = \"2d\"").unwrap();
        assert_eq!(c.grants.claim_window, Duration::from_secs(90));
        assert_eq!(c.grants.max_start_ahead, Duration::from_secs(2 * 86_400));
        for bad in [
            "claim_window = \"soon\"",
            "max_start_ahead = \"0s\"",
            "claim = \"1h\"",
        ] {
            let e = parse(&format!("[grants]\n{bad}")).unwrap_err();
            assert!(e.message.contains("broker.toml:"), "{}", e.message);
        }
    }
}
