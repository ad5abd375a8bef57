//! Minting: one `AssumeRole` for a grant, its length worked out from the time the grant has
//! left, and STS's answer (or failure) made into a credential (or a message).

use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::types::Tag;

use super::{
    AwsStsIssuer, FALLBACK_REGION, MIN_SESSION_SECS, RoleSettings, session_name, tag_value,
};
use super::{Grant, IssueError};
use zt_api::{Credential, Timestamp};

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

impl AwsStsIssuer {
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
