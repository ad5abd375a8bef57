//! Whole seconds as JSON Schema counts them: `3600` and `3600.0` are the same integer
//! (2020-12 §6.1.1: a number with a zero fractional part is an integer), so a client whose
//! JSON library writes every number as a float is not refused for it.

use serde::de::{self, Deserializer, Visitor};

/// Deserialize a `u64` from a JSON integer or a float with no fractional part; a negative,
/// fractional or too large number is an error (a 400 at the API).
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(WholeSecs)
}

struct WholeSecs;

impl Visitor<'_> for WholeSecs {
    type Value = u64;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a whole number of seconds")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::custom(format!("{v} is not a whole number of seconds")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        // 2^64 is the first float past u64::MAX; `as` would saturate instead of refusing.
        if v.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&v) {
            Ok(v as u64)
        } else {
            Err(E::custom(format!("{v} is not a whole number of seconds")))
        }
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct T {
        #[serde(deserialize_with = "super::deserialize")]
        s: u64,
    }

    fn parse(json: &str) -> Option<u64> {
        serde_json::from_str::<T>(&format!(r#"{{"s": {json}}}"#))
            .ok()
            .map(|t| t.s)
    }

    #[test]
    fn whole_numbers_in_any_notation_and_nothing_else() {
        for (json, want) in [
            ("3732", Some(3732)),
            ("3732.0", Some(3732)),
            ("3.732e3", Some(3732)),
            ("0", Some(0)),
            ("-0.0", Some(0)),
            ("3732.5", None),
            ("-1", None),
            ("1e30", None),
            ("\"60\"", None),
            ("null", None),
        ] {
            assert_eq!(parse(json), want, "{json}");
        }
    }
}
