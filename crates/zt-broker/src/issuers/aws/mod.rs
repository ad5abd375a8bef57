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

mod client;
mod mint;
mod naming;
pub(crate) mod settings;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_sts::config::SharedCredentialsProvider;

use super::{Grant, IssueError, IssueFuture, Issuer, Issuers};
use crate::catalog::{Catalog, Resource};
use client::ClientKey;
pub use mint::{Minted, duration_secs};
pub use naming::{session_name, tag_value};
pub use settings::RoleSettings;
use zt_api::{Credential, ResourceKind, Timestamp};

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

    /// A first-use grant's profile before its first use: the region minting would hand the
    /// client (the role's `region`, else the broker's own once loaded) and no keys. `None`
    /// while that region is not known without loading the broker's AWS configuration (no
    /// `region` in the settings and nothing minted yet): zt then fetches, which starts the
    /// grant at request time.
    fn connection(&self, grant: &Grant) -> Option<Credential> {
        let s = RoleSettings::from_settings(&grant.settings).ok()?;
        let region = match s.region {
            Some(r) => r,
            None => self
                .base
                .get()?
                .region()
                .map_or_else(|| FALLBACK_REGION.into(), |r| r.to_string()),
        };
        Some(Credential::Aws {
            access_key_id: String::new(),
            secret_access_key: String::new(),
            session_token: String::new(),
            expires_at: grant.expires_at,
            region: Some(region),
        })
    }
}
