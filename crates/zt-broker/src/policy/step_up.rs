//! Step-up authentication in policy (RFC 9470): a permit annotated
//! `@step_up("acr=urn:zt:acr:mfa max_age=300")` lets its request through only when the
//! caller's token shows that ACR (or a stronger one of its issuer's, see
//! [`crate::auth::AuthFacts`]) and an authentication at most `max_age` seconds old. Either part
//! may be left out; a Cedar annotation holds one string, so the parts are `key=value` words
//! separated by spaces or commas. `max_age` is whole seconds or a duration (`5m`).
//!
//! A permit whose `@step_up` the token does not meet still matches; the decision carries what
//! is missing ([`crate::policy::Verdict::step_up`]) and the broker answers 401
//! `insufficient_user_authentication` instead of deciding (`domain/step_up.rs`).
//!
//! ACR names are checked against the trusted issuers' `acr_values` when the policies load
//! ([`check_acrs`]): a misspelt one would otherwise demand something no login can give.

use super::load::{Meta, PolicyError, Problem};
use crate::auth::AuthFacts;

/// What a permit's `@step_up` demands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StepUp {
    /// An ACR value the token's `acr` must meet.
    pub acr: Option<String>,
    /// The oldest authentication accepted, in seconds.
    pub max_age: Option<u64>,
}

/// The longest `max_age` a policy may give: a day (longer is not a step-up).
pub const MAX_MAX_AGE: u64 = 86_400;

impl StepUp {
    /// Parse an annotation's value; `Err` says what is wrong with it.
    pub fn parse(v: &str) -> Result<Self, String> {
        let mut s = StepUp::default();
        let words: Vec<&str> = v
            .split([' ', ',', '\t'])
            .filter(|w| !w.is_empty())
            .collect();
        if words.is_empty() {
            return Err(
                "@step_up needs acr=… and/or max_age=… (e.g. \"acr=urn:zt:acr:mfa max_age=300\")"
                    .into(),
            );
        }
        for w in words {
            let Some((k, val)) = w.split_once('=') else {
                return Err(format!(
                    "@step_up({v:?}): {w:?} is not key=value (keys: acr, max_age)"
                ));
            };
            match k {
                "acr" if s.acr.is_some() => return Err(format!("@step_up({v:?}): acr twice")),
                "acr" if val.is_empty() || val.chars().any(char::is_control) => {
                    return Err(format!("@step_up({v:?}): acr is empty"));
                }
                "acr" => s.acr = Some(val.to_owned()),
                "max_age" if s.max_age.is_some() => {
                    return Err(format!("@step_up({v:?}): max_age twice"));
                }
                "max_age" => {
                    let secs = match val.parse::<u64>() {
                        Ok(n) => n,
                        Err(_) => humantime::parse_duration(val)
                            .map_err(|e| format!("@step_up({v:?}): max_age {val:?}: {e}"))?
                            .as_secs(),
                    };
                    if !(1..=MAX_MAX_AGE).contains(&secs) {
                        return Err(format!(
                            "@step_up({v:?}): max_age must be from 1 second to {MAX_MAX_AGE} (a day)"
                        ));
                    }
                    s.max_age = Some(secs);
                }
                other => {
                    return Err(format!(
                        "@step_up({v:?}): unknown key {other:?} (keys: acr, max_age)"
                    ));
                }
            }
        }
        Ok(s)
    }

    /// Whether `facts` meet this at `now` (Unix seconds).
    pub fn met(&self, facts: &AuthFacts, now: i64) -> bool {
        self.acr.as_deref().is_none_or(|a| facts.meets_acr(a))
            && self.max_age.is_none_or(|m| facts.fresh(m, now))
    }

    /// What is still missing when several permits' demands are unmet: each ACR the unmet
    /// demands name (RFC 9470 `acr_values` is a list; named even when the token has it, so the
    /// fresher login is not a weaker one), and the shortest `max_age`.
    pub fn unmet<'a>(
        demands: impl IntoIterator<Item = &'a StepUp>,
        facts: &AuthFacts,
        now: i64,
    ) -> Option<Missing> {
        let mut out: Option<Missing> = None;
        for d in demands {
            if d.met(facts, now) {
                continue;
            }
            let m = out.get_or_insert_with(Missing::default);
            if let Some(a) = &d.acr
                && !m.acr_values.contains(a)
            {
                m.acr_values.push(a.clone());
            }
            if let Some(age) = d.max_age {
                m.max_age = Some(m.max_age.map_or(age, |x| x.min(age)));
            }
        }
        out
    }
}

/// What a token lacks for a decision: the RFC 9470 challenge's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Missing {
    /// ACR values to ask the IdP for (empty: only a fresher login is needed).
    pub acr_values: Vec<String>,
    /// The oldest authentication accepted, in seconds.
    pub max_age: Option<u64>,
}

impl Missing {
    /// For people: "an authentication of urn:zt:acr:mfa at most 300 seconds old".
    pub fn describe(&self) -> String {
        let acr = match self.acr_values.as_slice() {
            [] => String::new(),
            [one] => format!(" of {one}"),
            many => format!(" of {}", many.join(" or ")),
        };
        match self.max_age {
            Some(s) => format!("an authentication{acr} at most {s} seconds old"),
            None => format!("an authentication{acr}"),
        }
    }
}

/// Every `@step_up` ACR of `metas` that no trusted issuer lists in `known`: one problem each,
/// at the annotation.
pub fn check_acrs<'a>(
    metas: impl IntoIterator<Item = &'a Meta>,
    known: &[String],
) -> Result<(), PolicyError> {
    let mut problems: Vec<Problem> = Vec::new();
    for m in metas {
        let (Some(s), Some(at)) = (&m.step_up, &m.step_up_at) else {
            continue;
        };
        if let Some(a) = &s.acr
            && !known.contains(a)
        {
            let listed = if known.is_empty() {
                "no trusted issuer lists acr_values".to_string()
            } else {
                format!("known: {}", known.join(", "))
            };
            problems.push(Problem {
                message: format!(
                    "policy {:?}: @step_up names the unknown ACR value {a:?} ({listed}; \
                     they come from [[trusted_issuer]] acr_values)",
                    m.id
                ),
                ..at.clone()
            });
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    problems.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    Err(PolicyError { problems })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_acr_and_max_age() {
        assert_eq!(
            StepUp::parse("acr=urn:zt:acr:mfa max_age=300").unwrap(),
            StepUp {
                acr: Some("urn:zt:acr:mfa".into()),
                max_age: Some(300)
            }
        );
        assert_eq!(StepUp::parse(" max_age=5m, ").unwrap().max_age, Some(300));
        assert_eq!(StepUp::parse("acr=x").unwrap().max_age, None);
        for (bad, needle) in [
            ("", "needs acr"),
            ("acr", "not key=value"),
            ("acr=", "acr is empty"),
            ("level=3", "unknown key \"level\""),
            ("max_age=soon", "max_age \"soon\""),
            ("max_age=0", "from 1 second"),
            ("max_age=2d", "from 1 second"),
            ("acr=a acr=b", "acr twice"),
        ] {
            let e = StepUp::parse(bad).unwrap_err();
            assert!(e.contains(needle), "{bad:?}: {e}");
        }
    }

    #[test]
    fn unmet_names_what_is_missing() {
        let known = vec!["pwd".to_string(), "mfa".to_string()];
        let f = |v| AuthFacts::from_claims(&serde_json::from_value(v).unwrap(), &known);
        let mfa = StepUp::parse("acr=mfa max_age=300").unwrap();
        let fresh = StepUp::parse("max_age=60").unwrap();
        let weak = f(json!({"acr": "pwd", "auth_time": 1_000}));
        assert_eq!(
            StepUp::unmet([&mfa, &fresh], &weak, 1_100),
            Some(Missing {
                acr_values: vec!["mfa".into()],
                max_age: Some(60)
            })
        );
        let strong = f(json!({"acr": "mfa", "auth_time": 1_000}));
        assert_eq!(StepUp::unmet([&mfa, &fresh], &strong, 1_050), None);
        // Strong but stale: a fresh one of the same ACR.
        let m = StepUp::unmet([&mfa], &strong, 1_301).unwrap();
        assert_eq!(
            m.describe(),
            "an authentication of mfa at most 300 seconds old"
        );
        let m = StepUp::unmet([&fresh], &strong, 1_061).unwrap();
        assert_eq!(m.describe(), "an authentication at most 60 seconds old");
        // No auth_time: never fresh.
        assert!(StepUp::unmet([&fresh], &f(json!({"acr": "mfa"})), 0).is_some());
    }
}

#[cfg(test)]
mod load_tests {
    //! `@step_up` through the loader: the ACR values it names are checked against the trusted
    //! issuers' (an unknown one is a problem at the annotation), and a decision carries what
    //! the caller's token lacks.

    use crate::policy::CedarPolicy;

    const SRC: &str = "@id(\"base\") @outcome(\"grant\")\npermit (principal, action, resource);\n\n@id(\"mfa\") @outcome(\"cap\") @max_ttl(\"8h\")\n  @step_up(\"acr=urn:zt:acr:mfa max_age=300\")\npermit (principal, action, resource);\n";

    #[test]
    fn unknown_acr_values_are_refused_at_the_annotation() {
        let set = CedarPolicy::from_sources(&[("p.cedar", SRC)]).unwrap();
        let known = vec!["urn:zt:acr:pwd".to_string(), "urn:zt:acr:mfa".to_string()];
        set.check_acrs(&known).unwrap();
        let e = set.check_acrs(&known[..1]).unwrap_err();
        let p = &e.problems[0];
        assert_eq!(
            (p.file.as_str(), p.line, p.column),
            ("p.cedar", Some(5), Some(3))
        );
        assert!(
            p.message.contains("unknown ACR value \"urn:zt:acr:mfa\""),
            "{p}"
        );
        assert!(p.message.contains("known: urn:zt:acr:pwd"), "{p}");
        let e = set.check_acrs(&[]).unwrap_err();
        assert!(
            e.problems[0]
                .message
                .contains("no trusted issuer lists acr_values"),
            "{e}"
        );
    }
}
