//! The `[requests]` section: how long a pending request waits for a decision
//! (`review_window`, default 24h) before the broker expires it.

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::source::Source;
use super::values;
use crate::error::Result;
use crate::state::DEFAULT_REVIEW_WINDOW;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRequests {
    pub(super) review_window: Option<Spanned<String>>,
}

/// `[requests]`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Requests {
    /// A pending request nobody decided within this long expires.
    pub review_window: Duration,
}

impl Default for Requests {
    fn default() -> Self {
        Self {
            review_window: DEFAULT_REVIEW_WINDOW,
        }
    }
}

pub(super) fn requests_section(src: &Source<'_>, raw: Option<RawRequests>) -> Result<Requests> {
    let w = raw.and_then(|r| r.review_window);
    let review_window = values::duration(
        src,
        "review_window",
        w.as_ref(),
        Duration::from_secs(1),
        "\"24h\", \"30m\"",
    )?;
    Ok(Requests {
        review_window: review_window.unwrap_or(DEFAULT_REVIEW_WINDOW),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::config::tests::base_with as parse;

    #[test]
    fn the_review_window_defaults_to_a_day_and_is_checked() {
        assert_eq!(
            parse("").unwrap().requests.review_window,
            Duration::from_secs(86_400)
        );
        let c = parse("[requests]\nreview_window = \"90m\"").unwrap();
        assert_eq!(c.requests.review_window, Duration::from_secs(5400));
        for bad in ["\"soon\"", "\"0s\""] {
            let e = parse(&format!("[requests]\nreview_window = {bad}")).unwrap_err();
            assert!(e.message.contains("review_window"), "{}", e.message);
            assert!(e.message.contains("broker.toml:"), "{}", e.message);
        }
        let e = parse("[requests]\nreview = \"1h\"").unwrap_err();
        assert!(e.message.contains("review"), "{}", e.message);
    }
}
