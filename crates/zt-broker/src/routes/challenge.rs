//! The RFC 9470 challenge of a step-up: `WWW-Authenticate: Bearer
//! error="insufficient_user_authentication", error_description="…", acr_values="…",
//! max_age=N`. Quoted values hold only what RFC 6750 §3 allows (visible ASCII but `"` and
//! `\`); anything else in an ACR value is left out of the header (the problem body still
//! names it).

use crate::policy::step_up::Missing;

/// The error code of RFC 9470 §3.
pub const INSUFFICIENT: &str = "insufficient_user_authentication";

/// `s` as RFC 6750 allows in a quoted value: other characters become `?`.
fn quotable(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '?',
        })
        .collect()
}

/// The header value for `missing`.
pub fn step_up(missing: &Missing) -> String {
    let mut out = format!(
        "Bearer error=\"{INSUFFICIENT}\", error_description=\"{}\"",
        quotable(&format!("this act needs {}", missing.describe()))
    );
    let acrs: Vec<&str> = missing
        .acr_values
        .iter()
        .map(String::as_str)
        .filter(|a| quotable(a) == *a && !a.contains(' '))
        .collect();
    if !acrs.is_empty() {
        out.push_str(&format!(", acr_values=\"{}\"", acrs.join(" ")));
    }
    if let Some(m) = missing.max_age {
        out.push_str(&format!(", max_age={m}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_format() {
        let m = Missing {
            acr_values: vec!["urn:zt:acr:mfa".into()],
            max_age: Some(300),
        };
        assert_eq!(
            step_up(&m),
            "Bearer error=\"insufficient_user_authentication\", error_description=\"this act \
             needs an authentication of urn:zt:acr:mfa at most 300 seconds old\", \
             acr_values=\"urn:zt:acr:mfa\", max_age=300"
        );
        let only_age = Missing {
            acr_values: vec![],
            max_age: Some(60),
        };
        assert!(!step_up(&only_age).contains("acr_values"));
        let odd = Missing {
            acr_values: vec!["a\"b".into(), "ok".into(), "é".into()],
            max_age: None,
        };
        let h = step_up(&odd);
        assert!(h.ends_with("acr_values=\"ok\""), "{h}");
        assert!(h.is_ascii() && !h.contains("a\"b"), "{h}");
        assert!(axum::http::HeaderValue::from_str(&h).is_ok());
    }
}
