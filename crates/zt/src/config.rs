//! `config.toml`: one `[profiles.NAME]` table per broker login. It holds where to log in and
//! which token store holds the secrets — never a secret itself.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::{fsutil, paths};

/// A config.toml holds a few lines per profile; anything near this size is not one.
const MAX_CONFIG: u64 = 1 << 20;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// `[grants]`: how grants end on this machine (see [`crate::settings`]).
    #[serde(default, skip_serializing_if = "Grants::is_empty")]
    pub grants: Grants,
}

/// `[grants] grace = "1h"`, `warn_before = "5m"` (overridden by `ZT_GRACE`, `ZT_WARN_BEFORE`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Grants {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_before: Option<String>,
}

impl Grants {
    fn is_empty(&self) -> bool {
        self.grace.is_none() && self.warn_before.is_none()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Profile {
    pub broker: String,
    pub issuer: String,
    pub client_id: String,
    pub audience: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// From the issuer's discovery document, so a refresh needs no discovery round trip.
    #[serde(default)]
    pub token_endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// Which store holds this profile's tokens (`secret-service`, `keyutils`, `file`, …).
    #[serde(default)]
    pub token_store: String,
    /// A workload login: where the platform's OIDC token is read on every call. Nothing
    /// secret is stored for such a profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<Workload>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Workload {
    /// `env:VAR` or `file:PATH`.
    pub source: String,
    /// Exchange it at the IdP (RFC 8693) rather than presenting it to the broker as is.
    #[serde(default)]
    pub exchange: bool,
}

impl Config {
    pub fn load() -> Result<Config> {
        let path = paths::config_file()?;
        let Some(text) = fsutil::read_optional_max(&path, MAX_CONFIG)? else {
            return Ok(Config::default());
        };
        Self::parse(&text).map_err(|e| {
            Error::config(
                format!("cannot read {}: {}", path.display(), e.message()),
                "fix the file, or move it away and run `zt login` again",
            )
        })
    }

    /// The text of a `config.toml`; the toml crate's parser bounds nesting itself (a deep
    /// `a = [[[…` is an error, not a stack overflow).
    fn parse(text: &str) -> std::result::Result<Config, toml::de::Error> {
        toml::from_str(text)
    }

    pub fn save(&self) -> Result<()> {
        let path = paths::config_file()?;
        paths::ensure_private_dir(&paths::config_dir()?)?;
        let text = toml::to_string_pretty(self)
            .map_err(|e| Error::other(format!("cannot encode the configuration: {e}")))?;
        fsutil::atomic_write(&path, text.as_bytes(), 0o600)
    }

    pub fn profile(&self, name: &str) -> Result<&Profile> {
        self.profiles
            .get(name)
            .ok_or_else(|| Error::auth_required(format!("not logged in (profile {name:?})")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_nesting_is_an_error_not_a_crash() {
        for deep in [
            format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000)),
            format!("a = {}1{}", "{b = ".repeat(100_000), "}".repeat(100_000)),
            format!("{}\n", "[a.".repeat(50_000)),
        ] {
            let start = std::time::Instant::now();
            assert!(Config::parse(&deep).is_err());
            assert!(start.elapsed() < std::time::Duration::from_secs(5));
        }
    }
}
