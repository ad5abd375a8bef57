//! How and when the person behind a token authenticated — the token's `acr`, `amr` and
//! `auth_time` (OpenID Connect Core §2, RFC 9068 §2.2.1) — for policies to weigh and for
//! step-up authentication (RFC 9470) to demand more of.
//!
//! ACR values are only comparable within one issuer: each trusted issuer lists the ones it
//! issues, weakest first (`acr_values` of `[[trusted_issuer]]`), and a token's `acr` meets its
//! own value and every weaker one of that list. An `acr` the issuer does not list meets
//! nothing (it is still shown to policy as `context.acr`).

use serde_json::{Map, Value};

/// `context.auth_time` (seconds since the authentication) of a token without `auth_time`:
/// the largest Cedar `Long`, so no `context.auth_time <= N` and no `max_age` is ever met by
/// an authentication whose time is unknown.
pub const UNKNOWN_AUTH_AGE: i64 = i64::MAX;

/// At most this many `amr` entries, each at most this long, are kept from a token.
const MAX_AMR: usize = 16;
const MAX_CLAIM_LEN: usize = 256;

/// The authentication facts of a verified token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthFacts {
    /// The token's `acr` (Authentication Context Class Reference), if any.
    pub acr: Option<String>,
    /// The token's `amr` (Authentication Methods References: `pwd`, `otp`, `hwk`, …).
    pub amr: Vec<String>,
    /// The token's `auth_time`: when the person authenticated (Unix seconds).
    pub auth_time: Option<i64>,
    /// The issuer's known ACR values this token's `acr` meets: its own and every weaker one
    /// of the issuer's list. Empty without an `acr` or with one the issuer does not list.
    pub acr_meets: Vec<String>,
}

fn short(s: &str) -> Option<String> {
    (!s.is_empty() && s.len() <= MAX_CLAIM_LEN && !s.chars().any(char::is_control))
        .then(|| s.to_owned())
}

impl AuthFacts {
    /// The facts in `claims`, against the issuer's `known` ACR values (weakest first). Claims
    /// of the wrong type count as absent.
    pub fn from_claims(claims: &Map<String, Value>, known: &[String]) -> Self {
        let acr = claims.get("acr").and_then(Value::as_str).and_then(short);
        let amr = match claims.get("amr") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .filter_map(short)
                .take(MAX_AMR)
                .collect(),
            _ => Vec::new(),
        };
        // Whole seconds; a float (some IdPs) is truncated, anything else is absent.
        let auth_time = claims.get("auth_time").and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
        });
        let acr_meets = match acr
            .as_deref()
            .and_then(|a| known.iter().position(|k| k == a))
        {
            Some(i) => known[..=i].to_vec(),
            None => Vec::new(),
        };
        Self {
            acr,
            amr,
            auth_time,
            acr_meets,
        }
    }

    /// Seconds between the authentication and `now` (0 when `auth_time` is in the future, by
    /// clock skew); [`UNKNOWN_AUTH_AGE`] without an `auth_time`.
    pub fn seconds_since(&self, now: i64) -> i64 {
        match self.auth_time {
            Some(t) => now.saturating_sub(t).max(0),
            None => UNKNOWN_AUTH_AGE,
        }
    }

    /// Whether the token's `acr` meets `required` (see the module doc).
    pub fn meets_acr(&self, required: &str) -> bool {
        self.acr_meets.iter().any(|a| a == required)
    }

    /// Whether the authentication is at most `max_age` seconds old at `now`. Never for an
    /// unknown `auth_time`.
    pub fn fresh(&self, max_age: u64, now: i64) -> bool {
        self.auth_time.is_some()
            && u64::try_from(self.seconds_since(now)).is_ok_and(|age| age <= max_age)
    }
}

/// At most this many ACR values are taken from a discovery document.
const MAX_ACR_VALUES: usize = 32;

/// The `acr_values_supported` of `issuer`'s OpenID discovery document, in its order (taken
/// as weakest first); empty when it lists none or cannot be read (then no `@step_up` may name
/// an ACR of it). Bounded: 5 seconds, 64 KiB.
pub async fn discover_acr_values(http: &reqwest::Client, issuer: &str) -> Vec<String> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let fetch = async {
        let mut resp = http.get(&url).send().await.ok()?.error_for_status().ok()?;
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.ok()? {
            body.extend_from_slice(&chunk);
            if body.len() > 64 * 1024 {
                return None;
            }
        }
        let doc: Value = serde_json::from_slice(&body).ok()?;
        Some(
            doc.get("acr_values_supported")?
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .filter_map(short)
                .take(MAX_ACR_VALUES)
                .collect::<Vec<_>>(),
        )
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), fetch)
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn known() -> Vec<String> {
        vec!["urn:zt:acr:pwd".into(), "urn:zt:acr:mfa".into()]
    }

    fn facts(v: Value) -> AuthFacts {
        AuthFacts::from_claims(v.as_object().unwrap(), &known())
    }

    #[test]
    fn acr_meets_itself_and_weaker_values_of_its_issuer() {
        let mfa = facts(json!({"acr": "urn:zt:acr:mfa"}));
        assert!(mfa.meets_acr("urn:zt:acr:mfa") && mfa.meets_acr("urn:zt:acr:pwd"));
        let pwd = facts(json!({"acr": "urn:zt:acr:pwd"}));
        assert!(pwd.meets_acr("urn:zt:acr:pwd") && !pwd.meets_acr("urn:zt:acr:mfa"));
        // Unknown to the issuer, absent, or not a string: meets nothing.
        for v in [
            json!({"acr": "urn:other:mfa"}),
            json!({}),
            json!({"acr": 2}),
            json!({"acr": ""}),
        ] {
            let f = facts(v.clone());
            assert!(f.acr_meets.is_empty(), "{v}");
            assert!(!f.meets_acr("urn:zt:acr:pwd"), "{v}");
        }
        assert_eq!(
            facts(json!({"acr": "urn:other:mfa"})).acr.as_deref(),
            Some("urn:other:mfa")
        );
    }

    #[test]
    fn auth_time_unknown_is_never_fresh() {
        let none = facts(json!({}));
        assert_eq!(none.seconds_since(1_000), UNKNOWN_AUTH_AGE);
        assert!(!none.fresh(u64::MAX, 1_000));
        assert!(!facts(json!({"auth_time": "yesterday"})).fresh(u64::MAX, 1_000));
        let t = facts(json!({"auth_time": 1_000}));
        assert_eq!(t.seconds_since(1_300), 300);
        assert!(t.fresh(300, 1_300) && !t.fresh(299, 1_300));
        // In the future by clock skew: 0 seconds ago.
        assert_eq!(t.seconds_since(900), 0);
        assert_eq!(facts(json!({"auth_time": 1_000.7})).auth_time, Some(1_000));
    }

    #[test]
    fn amr_keeps_short_strings_only() {
        let f = facts(json!({"amr": ["pwd", 3, "", "otp", "x\ny"]}));
        assert_eq!(f.amr, vec!["pwd", "otp"]);
        assert!(facts(json!({"amr": "pwd"})).amr.is_empty());
        let many: Vec<String> = (0..40).map(|i| format!("m{i}")).collect();
        assert_eq!(facts(json!({ "amr": many })).amr.len(), MAX_AMR);
    }
}
