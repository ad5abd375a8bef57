//! [`Timestamp`]: the wire's notion of time.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A point in time, seconds since the Unix epoch, written as RFC 3339 UTC on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    pub fn add_secs(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs))
    }

    /// Seconds from now until this time (negative once it has passed).
    pub fn secs_from_now(self) -> i64 {
        self.0.saturating_sub(Self::now().0)
    }

    /// The last second RFC 3339 can write (9999-12-31T23:59:59Z).
    pub const MAX_RFC3339: i64 = 253_402_300_799;

    /// As a `SystemTime`, clamped to 1970 … 9999: a value read from a file or another party
    /// (a ledger's `expires_at`) never makes formatting panic.
    pub fn to_system_time(self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0.clamp(0, Self::MAX_RFC3339) as u64)
    }

    pub fn to_rfc3339(self) -> String {
        humantime::format_rfc3339_seconds(self.to_system_time()).to_string()
    }

    /// An RFC 3339 `date-time` (any offset, fractions dropped, years 0000–9999: what
    /// openapi.yaml's `format: date-time` lets a client send), else the weaker forms zt wrote
    /// before (no zone, a space for the `T`), read as UTC.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        Self::parse_date_time(s).or_else(|| humantime::parse_rfc3339_weak(s).ok().map(Self::from))
    }

    /// Exactly an RFC 3339 `date-time` (§5.6), nothing else: how every time on the wire is
    /// read, so a valid one is never refused and anything else is.
    pub fn parse_date_time(s: &str) -> Option<Self> {
        crate::rfc3339::parse(s).map(Self)
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        Self(
            t.duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse_date_time(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_times_format_clamped_instead_of_panicking() {
        assert_eq!(Timestamp(i64::MAX).to_rfc3339(), "9999-12-31T23:59:59Z");
        assert_eq!(Timestamp(i64::MIN).to_rfc3339(), "1970-01-01T00:00:00Z");
        assert!(Timestamp(i64::MIN).secs_from_now() < 0);
        assert!(Timestamp(i64::MAX).secs_from_now() > 0);
    }

    #[test]
    fn timestamps_round_trip_rfc3339() {
        let t = Timestamp(1_795_000_000);
        let s = t.to_rfc3339();
        assert!(s.ends_with('Z'), "{s}");
        assert_eq!(Timestamp::parse_rfc3339(&s), Some(t));
        assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{s}\""));
    }
}
