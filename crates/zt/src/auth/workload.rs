//! Workload (CI job) login: the platform's own OIDC token — read from a file or a variable on
//! every call, never stored — either exchanged at the IdP for a broker access token (RFC 8693
//! token exchange) or, where the broker trusts the platform's issuer directly, presented as is.

use crate::config::{Profile, Workload};
use crate::error::{Error, ErrorKind, Result};
use crate::{env, http};

/// `env:VAR` or `file:PATH` as a profile records it.
pub fn source_of(file: Option<&std::path::Path>, var: Option<&str>) -> Option<String> {
    match (file, var) {
        (Some(f), _) => Some(format!(
            "file:{}",
            std::path::absolute(f)
                .unwrap_or_else(|_| f.to_path_buf())
                .display()
        )),
        (None, Some(v)) => Some(format!("env:{v}")),
        (None, None) => None,
    }
}

/// The platform token, now (CI platforms rotate the file or variable).
pub fn read(source: &str) -> Result<String> {
    let token = if let Some(var) = source.strip_prefix("env:") {
        env::var(var).ok_or_else(|| {
            Error::auth_required(format!(
                "the workload token variable {var} is empty or unset"
            ))
        })?
    } else if let Some(path) = source.strip_prefix("file:") {
        std::fs::read_to_string(path).map_err(|e| {
            Error::auth_required(format!("cannot read the workload token file {path}: {e}"))
        })?
    } else {
        return Err(Error::other(format!(
            "unknown workload token source {source:?} in the profile"
        )));
    };
    let token = token.trim().to_string();
    if token.is_empty() || token.len() > 64 * 1024 || token.chars().any(char::is_whitespace) {
        return Err(Error::auth_required(format!(
            "the workload token from {source} is not a token"
        )));
    }
    Ok(token)
}

/// A bearer token for the broker from a workload profile.
pub async fn token(http: &reqwest::Client, profile: &Profile, w: &Workload) -> Result<String> {
    let subject = read(&w.source)?;
    if !w.exchange {
        return Ok(subject);
    }
    exchange(http, profile, &subject).await
}

/// RFC 8693 §2.1: trade the platform's JWT for an access token for the broker's audience.
pub async fn exchange(http: &reqwest::Client, profile: &Profile, subject: &str) -> Result<String> {
    let url = &profile.token_endpoint;
    let form = [
        ("grant_type", super::device::TOKEN_EXCHANGE),
        ("subject_token", subject),
        ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
        (
            "requested_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
        ("client_id", profile.client_id.as_str()),
        ("audience", profile.audience.as_str()),
        ("resource", profile.audience.as_str()),
    ];
    let (status, bytes) = http::post_form(http, url, &form).await?;
    if status != 200 {
        return Err(Error::new(
            ErrorKind::AuthRequired,
            format!("the identity provider refused to exchange the workload token (HTTP {status})"),
        )
        .with_hint("check that the IdP trusts the CI platform's issuer for token exchange"));
    }
    let t: super::device::TokenResponse = http::decode("identity provider", url, status, &bytes)?;
    Ok(t.access_token)
}
