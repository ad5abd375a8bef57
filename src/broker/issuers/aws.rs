//! The AWS STS issuer: `AssumeRole` into the grant's `role_arn`, named after the requester and
//! tagged with the request, for no longer than the grant has left (see `docs/aws-revocation.md`).
//!
//! Catalog settings (the resource's, overlaid with the role's):
//! - `issuer = "aws-sts"` (resource) — picks this issuer instead of the dev one.
//! - `role_arn` (role, required) — the IAM role to assume.
//! - `region` — the STS region, and the region handed to the client; else the broker's own
//!   (`AWS_REGION`, profile), else `us-east-1`.
//! - `endpoint_url` — another STS endpoint (a VPC endpoint; moto in tests).
//! - `max_session_secs` (900–43200, default 3600) — the role's `MaxSessionDuration`: asking
//!   STS for more fails. 3600 is also AWS's cap when the broker's own credentials are a role
//!   session (role chaining).
//! - `session_policy` — an inline session policy (JSON text) that narrows the role.
//! - `source_identity`, `session_tags` (default true) — set `SourceIdentity` and the
//!   `zt-request`/`zt-ticket` session tags; the role's trust policy must then allow
//!   `sts:SetSourceIdentity` / `sts:TagSession`. Turn them off only for a trust policy that
//!   cannot be changed.
//!
//! The broker's own AWS credentials come from the SDK's standard chain (environment, profile,
//! web identity, container or instance role), loaded on the first mint, not at start-up.

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig, timeout::TimeoutConfig};
use aws_sdk_sts::config::{Region, SharedCredentialsProvider};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::types::Tag;

use super::{Grant, IssueError, IssueFuture, Issuer, Issuers};
use crate::api::{Credential, ResourceKind, Timestamp};
use crate::broker::catalog::{Catalog, Resource};

/// The value of a resource's `settings.issuer` that selects this issuer.
pub const ISSUER_NAME: &str = "aws-sts";

/// STS mints nothing shorter: `DurationSeconds` below 900 is a validation error.
pub const MIN_SESSION_SECS: i64 = 900;
/// The longest `MaxSessionDuration` an IAM role can have (12 h).
pub const MAX_SESSION_SECS: i64 = 43_200;
/// Every role's default `MaxSessionDuration`, and the cap under role chaining.
pub const DEFAULT_MAX_SESSION_SECS: i64 = 3600;
/// STS's region when neither the resource nor the broker's environment names one: its
/// historical global endpoint lives there.
const FALLBACK_REGION: &str = "us-east-1";
/// `RoleSessionName` and `SourceIdentity`: `[\w+=,.@-]`, 2–64 characters.
const NAME_MAX: usize = 64;
/// Session tag values: at most 256 characters.
const TAG_VALUE_MAX: usize = 256;
/// A credential endpoint call must not hang on an unreachable STS: connect and whole-call
/// limits (the SDK retries transient failures inside the latter).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

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

/// The requester as a `RoleSessionName` / `SourceIdentity`: AWS allows `[\w+=,.@-]` and 2–64
/// characters, so every other character (space, quote, `;`, any non-ASCII letter) becomes `_`,
/// the name is cut at 64 and a 1-character one is padded. An email address stays as it is,
/// which is what CloudTrail readers look for.
pub fn session_name(requester: &str) -> String {
    let mut name: String = requester
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(NAME_MAX)
        .collect();
    if name.is_empty() {
        name.push_str("zt");
    }
    while name.len() < 2 {
        name.push('_');
    }
    name
}

/// A session tag value: AWS allows letters, digits, spaces and `_.:/=+-@`, at most 256
/// characters. Kept to ASCII (AWS's letters include Unicode ones, but IAM condition keys
/// compared against these are written in ASCII); anything else becomes `_`.
pub fn tag_value(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " _.:/=+-@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(TAG_VALUE_MAX)
        .collect()
}

/// `DurationSeconds` for a grant with `left` seconds to run: the rest of the grant, at most
/// the role's maximum, but never under STS's minimum of 900 s.
///
/// A grant with less than 900 s left thus gets a session that outlives it at AWS by up to
/// 15 minutes. zt still stops it being used: the credential it hands out says it expires at
/// the grant's end (the client and `credential_process` drop the keys then and the reaper
/// wipes them), and the credential endpoint refuses once the grant is over. Only an
/// `aws:TokenIssueTime` deny on the role (docs/aws-revocation.md) kills the session itself.
pub fn duration_secs(left: i64, max_session_secs: i64) -> i64 {
    left.min(max_session_secs).max(MIN_SESSION_SECS)
}

/// An error and its sources, each by its `Display`, joined with `: ` — what people need
/// ("dispatch failure: io error: … Connection refused") without the SDK's `Debug` dump.
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        // Some layers repeat their source's text in their own; say it once.
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

/// What one `AssumeRole` produced: the credential handed out (capped at the grant's end) and,
/// for tests and the audit trail, what STS was asked for and answered.
#[derive(Debug, Clone)]
pub struct Minted {
    pub credential: Credential,
    pub duration_secs: i64,
    /// When the session really ends at AWS; may be after `credential.expires_at()`.
    pub sts_expires_at: Timestamp,
    /// The `AssumedRoleUser` ARN STS reported.
    pub assumed_role_arn: Option<String>,
}

/// STS clients are built once per (region, endpoint): each keeps its connection pool, and all
/// share the broker's own credentials and their cache.
type ClientKey = (String, Option<String>);

pub struct AwsStsIssuer {
    /// The broker's own credentials; `None`: the SDK's standard chain.
    credentials: Option<SharedCredentialsProvider>,
    base: tokio::sync::OnceCell<SdkConfig>,
    clients: Mutex<HashMap<ClientKey, aws_sdk_sts::Client>>,
}

impl AwsStsIssuer {
    /// The issuer with the broker's credentials from the standard chain.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            credentials: None,
            base: tokio::sync::OnceCell::new(),
            clients: Mutex::new(HashMap::new()),
        })
    }

    /// The issuer with given credentials for the broker itself (tests: dummy ones for moto).
    pub fn with_credentials(credentials: SharedCredentialsProvider) -> Arc<Self> {
        Arc::new(Self {
            credentials: Some(credentials),
            base: tokio::sync::OnceCell::new(),
            clients: Mutex::new(HashMap::new()),
        })
    }

    /// Give every catalog resource with `settings.issuer = "aws-sts"` this issuer (in place of
    /// the dev one), after checking each of its roles' settings, so a bad catalog fails at
    /// start-up rather than at the first mint.
    /// The process-wide issuer with the standard credential chain: one STS client cache for
    /// every `aws-sts` resource.
    pub fn shared() -> Arc<Self> {
        static SHARED: std::sync::OnceLock<Arc<AwsStsIssuer>> = std::sync::OnceLock::new();
        SHARED.get_or_init(Self::new).clone()
    }

    /// Check a resource's (and each role's) settings for this issuer, without contacting AWS.
    pub fn check(res: &Resource) -> Result<(), String> {
        if res.kind != ResourceKind::Aws {
            return Err(format!(
                "catalog: {}: issuer \"{ISSUER_NAME}\" needs kind \"aws\", not {:?}",
                res.name,
                res.kind.to_string()
            ));
        }
        for role in &res.roles {
            RoleSettings::from_settings(&res.settings_for(role))
                .map_err(|e| format!("catalog: {}/{}: {e}", res.name, role.name))?;
        }
        Ok(())
    }

    /// Make this issuer the one of every `aws-sts` resource in `catalog` (tests use it with
    /// their own credentials; the broker goes through [`super::real`]).
    pub fn install(
        self: &Arc<Self>,
        issuers: &mut Issuers,
        catalog: &Catalog,
    ) -> Result<(), String> {
        for res in catalog.resources() {
            if res.settings.get("issuer").and_then(|v| v.as_str()) != Some(ISSUER_NAME) {
                continue;
            }
            Self::check(res)?;
            issuers.insert(res.name.clone(), self.clone());
        }
        Ok(())
    }

    async fn base(&self) -> &SdkConfig {
        self.base
            .get_or_init(|| async {
                let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(
                    TimeoutConfig::builder()
                        .connect_timeout(CONNECT_TIMEOUT)
                        .operation_timeout(OPERATION_TIMEOUT)
                        .build(),
                );
                if let Some(c) = &self.credentials {
                    // Given credentials mean no environment to read a region from either:
                    // skip the region chain (its instance-metadata probe costs seconds off
                    // EC2). Resources name their region; else the fallback applies.
                    loader = loader
                        .credentials_provider(c.clone())
                        .region(Region::new(FALLBACK_REGION));
                }
                loader.load().await
            })
            .await
    }

    async fn client(&self, region: &str, endpoint_url: Option<&str>) -> aws_sdk_sts::Client {
        let key = (region.to_string(), endpoint_url.map(str::to_string));
        // A poisoned lock only means another mint panicked mid-insert; the map is still sound.
        if let Some(c) = self
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return c.clone();
        }
        let base = self.base().await;
        let mut conf = aws_sdk_sts::config::Builder::from(base).region(Region::new(key.0.clone()));
        if let Some(u) = &key.1 {
            conf = conf.endpoint_url(u.clone());
        }
        let client = aws_sdk_sts::Client::from_conf(conf.build());
        self.clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_insert(client)
            .clone()
    }

    /// `AssumeRole` for the grant as of `now`.
    pub async fn mint(&self, grant: &Grant, now: Timestamp) -> Result<Minted, IssueError> {
        let s = RoleSettings::from_settings(&grant.settings)
            .map_err(|e| IssueError(format!("aws-sts: {}/{}: {e}", grant.resource, grant.role)))?;
        let left = grant.expires_at.0 - now.0;
        if left <= 0 {
            return Err(IssueError(format!(
                "aws-sts: grant {} ended at {}; nothing to mint",
                grant.id, grant.expires_at
            )));
        }
        let duration = duration_secs(left, s.max_session_secs);
        let region = match &s.region {
            Some(r) => r.clone(),
            None => self
                .base()
                .await
                .region()
                .map(|r| r.to_string())
                .unwrap_or_else(|| FALLBACK_REGION.into()),
        };
        let client = self.client(&region, s.endpoint_url.as_deref()).await;

        let name = session_name(&grant.requester);
        let mut call = client
            .assume_role()
            .role_arn(&s.role_arn)
            .role_session_name(&name)
            // Checked to 900..=43200 above, so it fits an i32.
            .duration_seconds(i32::try_from(duration).unwrap_or(MIN_SESSION_SECS as i32));
        if s.source_identity {
            call = call.source_identity(&name);
        }
        if s.session_tags {
            let mut tags = vec![("zt-request", tag_value(&grant.id))];
            if let Some(t) = grant.ticket.as_deref().filter(|t| !t.is_empty()) {
                tags.push(("zt-ticket", tag_value(t)));
            }
            for (k, v) in tags {
                let tag = Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(|e| IssueError(format!("aws-sts: session tag {k}: {e}")))?;
                call = call.tags(tag);
            }
        }
        if let Some(p) = &s.session_policy {
            call = call.policy(p);
        }

        let out = call.send().await.map_err(|e| {
            let target = match &s.endpoint_url {
                Some(u) => format!("STS at {u}"),
                None => format!("STS in {region}"),
            };
            IssueError(match &e {
                SdkError::ServiceError(se) => {
                    let err = se.err();
                    format!(
                        "aws-sts: {target} refused AssumeRole into {}: {}: {}",
                        s.role_arn,
                        err.code().unwrap_or("error"),
                        err.message().unwrap_or("no message")
                    )
                }
                SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                    format!("aws-sts: {target} could not be reached: {}", causes(&e))
                }
                // Construction failures include "no credentials": the broker's own chain
                // found none. The SDK's errors name what failed, never key material.
                _ => format!(
                    "aws-sts: AssumeRole into {} via {target} failed: {}",
                    s.role_arn,
                    causes(&e)
                ),
            })
        })?;
        let creds = out.credentials().ok_or_else(|| {
            IssueError(format!(
                "aws-sts: STS answered AssumeRole into {} without credentials",
                s.role_arn
            ))
        })?;
        let sts_expires_at = Timestamp(creds.expiration().secs());
        Ok(Minted {
            credential: Credential::Aws {
                access_key_id: creds.access_key_id().to_string(),
                secret_access_key: creds.secret_access_key().to_string(),
                session_token: creds.session_token().to_string(),
                // Never past the grant: the client, credential_process and the reaper stop
                // using the keys at this time even when the AWS session lasts longer.
                expires_at: sts_expires_at.min(grant.expires_at),
                region: Some(region),
            },
            duration_secs: duration,
            sts_expires_at,
            assumed_role_arn: out.assumed_role_user().map(|u| u.arn().to_string()),
        })
    }
}

impl Issuer for AwsStsIssuer {
    fn issue<'a>(&'a self, grant: &'a Grant) -> IssueFuture<'a, Credential> {
        Box::pin(async move { Ok(self.mint(grant, Timestamp::now()).await?.credential) })
    }

    /// STS sessions cannot be deleted: nothing to do at AWS. The credential endpoint refuses
    /// from the moment the grant ends (the lifecycle's check), the client wipes its copy, and
    /// the session dies at its own expiry, at most 15 minutes after the grant's end for a
    /// short grant and the rest of the session for an early revoke — unless the role carries
    /// the `aws:TokenIssueTime` deny of docs/aws-revocation.md.
    fn revoke<'a>(&'a self, _grant: &'a Grant) -> IssueFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
}
