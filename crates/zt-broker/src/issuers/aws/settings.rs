//! The AWS STS issuer's catalog settings: what one resource+role asks of STS, read from its
//! settings and checked before any call.

use super::{DEFAULT_MAX_SESSION_SECS, MAX_SESSION_SECS, MIN_SESSION_SECS};

/// Every setting this issuer reads (a resource's and its roles' together); another is refused,
/// as a misspelt one would otherwise be ignored.
pub(crate) const SETTINGS: [&str; 8] = [
    "issuer",
    "role_arn",
    "region",
    "endpoint_url",
    "max_session_secs",
    "session_policy",
    "source_identity",
    "session_tags",
];

/// What one resource+role asks of STS, read and checked from its settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleSettings {
    pub role_arn: String,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub max_session_secs: i64,
    /// Compacted JSON.
    pub session_policy: Option<String>,
    pub source_identity: bool,
    pub session_tags: bool,
}

impl RoleSettings {
    /// Read and check the settings an issuer gets (see the module docs). The message names
    /// the offending key, never a value that could be a secret (there are none here, but a
    /// policy document can be long).
    pub fn from_settings(s: &toml::Table) -> Result<Self, String> {
        if let Some(k) = s.keys().find(|k| !SETTINGS.contains(&k.as_str())) {
            return Err(format!(
                "unknown setting {k} (the aws-sts issuer reads {})",
                SETTINGS.join(", ")
            ));
        }
        let string = |k: &str| -> Result<Option<String>, String> {
            match s.get(k) {
                None => Ok(None),
                Some(toml::Value::String(v)) => Ok(Some(v.clone())),
                Some(_) => Err(format!("settings.{k} must be a string")),
            }
        };
        let flag = |k: &str| -> Result<bool, String> {
            match s.get(k) {
                None => Ok(true),
                Some(toml::Value::Boolean(b)) => Ok(*b),
                Some(_) => Err(format!("settings.{k} must be true or false")),
            }
        };
        let role_arn = string("role_arn")?
            .ok_or_else(|| "settings.role_arn is missing (the IAM role to assume)".to_string())?;
        check_role_arn(&role_arn)?;
        let max_session_secs = match s.get("max_session_secs") {
            None => DEFAULT_MAX_SESSION_SECS,
            Some(toml::Value::Integer(n)) if (MIN_SESSION_SECS..=MAX_SESSION_SECS).contains(n) => {
                *n
            }
            Some(_) => {
                return Err(format!(
                    "settings.max_session_secs must be a whole number of seconds from \
                     {MIN_SESSION_SECS} to {MAX_SESSION_SECS} (the role's MaxSessionDuration)"
                ));
            }
        };
        let session_policy = match string("session_policy")? {
            None => None,
            Some(text) => {
                let v: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|e| format!("settings.session_policy is not JSON: {e}"))?;
                if !v.is_object() {
                    return Err("settings.session_policy must be a JSON policy object".into());
                }
                // Compact: STS counts the policy's characters against a 2,048 limit.
                Some(v.to_string())
            }
        };
        let endpoint_url = string("endpoint_url")?;
        if let Some(u) = &endpoint_url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            return Err("settings.endpoint_url must be an http(s) URL".into());
        }
        let region = string("region")?;
        if let Some(r) = &region
            && (r.is_empty()
                || !r
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
        {
            return Err(format!("settings.region {r:?} is not an AWS region name"));
        }
        Ok(Self {
            role_arn,
            region,
            endpoint_url,
            max_session_secs,
            session_policy,
            source_identity: flag("source_identity")?,
            session_tags: flag("session_tags")?,
        })
    }
}

/// `arn:<partition>:iam::<12-digit account>:role/<path/>name`. STS would refuse a malformed
/// ARN too, but only after a round trip and with a less helpful message (and moto not at all).
fn check_role_arn(arn: &str) -> Result<(), String> {
    let bad = |why: &str| {
        Err(format!(
            "settings.role_arn {arn:?} is not an IAM role ARN ({why}); expected \
             arn:aws:iam::123456789012:role/NAME"
        ))
    };
    if arn.len() < 20 || arn.len() > 2048 {
        return bad("its length must be 20 to 2048");
    }
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return bad("it needs six ':'-separated parts");
    };
    if prefix != "arn"
        || !partition.starts_with("aws")
        || !partition
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '-')
    {
        return bad("it must start with arn:aws");
    }
    if service != "iam" || !region.is_empty() {
        return bad("the service must be iam, with no region");
    }
    if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
        return bad("the account must be 12 digits");
    }
    let Some(path_name) = resource.strip_prefix("role/") else {
        return bad("the resource must be role/NAME");
    };
    let name = path_name.rsplit('/').next().unwrap_or_default();
    let name_ok = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
    if name.is_empty() || name.len() > 64 || !name.chars().all(name_ok) {
        return bad("the role name must be 1-64 of [A-Za-z0-9_+=,.@-]");
    }
    if !path_name.chars().all(|c| c == '/' || name_ok(c)) {
        return bad("the role path has characters IAM does not allow");
    }
    Ok(())
}
