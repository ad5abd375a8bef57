//! The `[[webhook]]` entries: where the broker posts notifications (new request, decision,
//! grant expired or revoked, break-glass), which events, the body's format, and the secret
//! that signs them.

use serde::Deserialize;
use toml::Spanned;

use super::source::Source;
use super::values::{http_url, loopback_host};
use crate::error::Result;
use crate::webhooks::{EVENTS, Format, Secret, WebhookConfig};

/// Attempts per delivery when `attempts` is not given (waits 1s, 2s, 4s, 8s in between).
pub(super) const DEFAULT_ATTEMPTS: u32 = 5;
const MAX_ATTEMPTS: u32 = 12;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebhook {
    url: Spanned<String>,
    events: Option<Vec<Spanned<String>>>,
    secret_env: Option<Spanned<String>>,
    attempts: Option<Spanned<u32>>,
    format: Option<Spanned<String>>,
}

pub(super) fn webhooks(
    src: &Source<'_>,
    raw: Option<Vec<RawWebhook>>,
) -> Result<Vec<WebhookConfig>> {
    raw.unwrap_or_default()
        .into_iter()
        .map(|w| webhook(src, w))
        .collect()
}

fn webhook(src: &Source<'_>, raw: RawWebhook) -> Result<WebhookConfig> {
    let url = http_url(src, &raw.url, "webhook url", false)?;
    if url.scheme() == "http" && !loopback_host(&url) {
        return Err(src.at(
            raw.url.span(),
            "webhook url is plain http to another machine: what it carries (who asked for what, \
             and the signature) would cross the network in the clear; use https",
        ));
    }
    let events = match raw.events {
        None => EVENTS.iter().map(|e| e.to_string()).collect(),
        Some(list) => {
            let mut out = Vec::new();
            for e in list {
                if !EVENTS.contains(&e.get_ref().as_str()) {
                    return Err(src.at(
                        e.span(),
                        format!(
                            "webhook event {:?} is not one of {}",
                            e.get_ref(),
                            EVENTS.join(", ")
                        ),
                    ));
                }
                out.push(e.into_inner());
            }
            out
        }
    };
    let secret = match raw.secret_env {
        None => None,
        Some(name) => match std::env::var(name.get_ref()) {
            Ok(v) if !v.is_empty() => Some(Secret(v.into_bytes())),
            _ => {
                return Err(src.at(
                    name.span(),
                    format!(
                        "webhook secret_env: the variable {} is not set (or empty) in the \
                         broker's environment",
                        name.get_ref()
                    ),
                ));
            }
        },
    };
    let attempts = match raw.attempts {
        None => DEFAULT_ATTEMPTS,
        Some(a) if (1..=MAX_ATTEMPTS).contains(a.get_ref()) => a.into_inner(),
        Some(a) => {
            return Err(src.at(
                a.span(),
                format!("webhook attempts must be 1 to {MAX_ATTEMPTS}"),
            ));
        }
    };
    let format = match raw.format {
        None => Format::default(),
        Some(f) => Format::parse(f.get_ref()).ok_or_else(|| {
            src.at(
                f.span(),
                format!(
                    "webhook format {:?} is not one of {}",
                    f.get_ref(),
                    Format::NAMES.join(", ")
                ),
            )
        })?,
    };
    Ok(WebhookConfig {
        url,
        events,
        secret,
        attempts,
        format,
    })
}

#[cfg(test)]
mod tests {

    use crate::webhooks::Format;

    use crate::config::tests::base_with as parse;

    #[test]
    fn webhooks_are_checked() {
        assert!(parse("").unwrap().webhooks.is_empty());
        let c = parse(
            "[[webhook]]\nurl = \"https://hooks.example.com/zt\"\n\n\
             [[webhook]]\nurl = \"http://127.0.0.1:9/x\"\nevents = [\"break_glass\"]\nattempts = 2\n\
             format = \"slack\"\n\n[[webhook]]\nurl = \"https://h.example.com\"\nformat = \"text\"\n",
        )
        .unwrap();
        assert_eq!(c.webhooks.len(), 3);
        assert_eq!(c.webhooks[0].events.len(), crate::webhooks::EVENTS.len());
        // No format: the body of earlier versions.
        let formats: Vec<Format> = c.webhooks.iter().map(|w| w.format).collect();
        assert_eq!(formats, [Format::Json, Format::Slack, Format::Text]);
        assert_eq!(c.webhooks[0].attempts, 5);
        assert_eq!(
            (c.webhooks[1].events.as_slice(), c.webhooks[1].attempts),
            (&["break_glass".to_string()][..], 2)
        );
        for (bad, says) in [
            ("url = \"http://hooks.example.com/zt\"", "plain http"),
            (
                "url = \"ftp://hooks.example.com/zt\"",
                "http:// or https://",
            ),
            (
                "url = \"https://h.example.com\"\nevents = [\"grant.created\"]",
                "not one of",
            ),
            (
                "url = \"https://h.example.com\"\nsecret_env = \"ZT_TEST_NO_SUCH_VARIABLE\"",
                "ZT_TEST_NO_SUCH_VARIABLE",
            ),
            ("url = \"https://h.example.com\"\nattempts = 0", "attempts"),
            (
                "url = \"https://h.example.com\"\nformat = \"teams\"",
                "format \"teams\" is not one of slack, text, json",
            ),
            ("url = \"https://h.example.com\"\nretries = 3", "retries"),
        ] {
            let e = parse(&format!("[[webhook]]\n{bad}\n")).unwrap_err();
            assert!(e.message.contains(says), "{bad}: {}", e.message);
            assert!(e.message.contains("broker.toml:"), "{}", e.message);
        }
    }
}
