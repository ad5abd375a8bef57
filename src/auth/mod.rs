//! Logging in and staying logged in: the device flow ([`device`]), where tokens live
//! ([`store`]), and a fresh access token on demand — refreshed silently, one refresh at a time
//! across concurrent zt processes.

pub mod device;
pub mod store;
pub mod workload;

use crate::api::Timestamp;
use crate::config::Profile;
use crate::error::{Error, ErrorKind, Result};
use crate::{fsutil, http, paths};

pub use store::Tokens;

/// Refresh when the access token has less than this left.
const REFRESH_MARGIN_SECS: i64 = 60;

/// A usable access token for `profile`: the stored one, or a refreshed one. Never starts a
/// login: when nothing works the caller gets `AuthRequired` ("run `zt login`").
pub async fn access_token(name: &str, profile: &Profile, http: &reqwest::Client) -> Result<String> {
    if let Some(w) = &profile.workload {
        return workload::token(http, profile, w).await;
    }
    let tokens = store::load(name, &profile.token_store)?
        .ok_or_else(|| Error::auth_required(format!("not logged in to {}", profile.broker)))?;
    if tokens.expires_at - Timestamp::now().0 > REFRESH_MARGIN_SECS {
        return Ok(tokens.access_token);
    }
    // One refresher at a time: the others wait, then find the fresh token already stored.
    let _lock =
        fsutil::Flock::exclusive(&paths::state_dir()?.join(format!("refresh-{name}.lock")))?;
    let tokens = store::load(name, &profile.token_store)?
        .ok_or_else(|| Error::auth_required(format!("not logged in to {}", profile.broker)))?;
    if tokens.expires_at - Timestamp::now().0 > REFRESH_MARGIN_SECS {
        return Ok(tokens.access_token);
    }
    let Some(refresh) = tokens.refresh_token.as_deref() else {
        return Err(Error::auth_required(
            "your login has expired (no refresh token)",
        ));
    };
    let fresh = refresh_tokens(http, profile, refresh).await?;
    let new = Tokens {
        access_token: fresh.access_token,
        refresh_token: fresh.refresh_token.or(tokens.refresh_token),
        id_token: fresh.id_token.or(tokens.id_token),
        expires_at: Timestamp::now().0 + fresh.expires_in.unwrap_or(300) as i64,
    };
    store::save(name, &profile.token_store, &new)?;
    Ok(new.access_token)
}

async fn refresh_tokens(
    http: &reqwest::Client,
    profile: &Profile,
    refresh: &str,
) -> Result<device::TokenResponse> {
    let url = &profile.token_endpoint;
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("client_id", profile.client_id.as_str()),
    ];
    if let Some(r) = device::resource_indicator(&profile.audience) {
        form.push(("resource", r));
    }
    let resp = http
        .post(url)
        .form(&form)
        .send()
        .await
        .map_err(|e| http::send_error("identity provider", url, e))?;
    let status = resp.status().as_u16();
    let bytes = http::body("identity provider", url, resp).await?;
    if status != 200 {
        // RFC 6749 §5.2: a refused refresh (400/401, `invalid_grant`, …) means the login is
        // over; a server error or rate limit means the IdP is unwell, not that the login is.
        if status >= 500 || status == 429 {
            return Err(Error::new(
                ErrorKind::Unavailable,
                format!("the identity provider at {url} answered HTTP {status} to a token refresh"),
            )
            .with_hint("try again later; your login is kept"));
        }
        let why = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v["error"].as_str().map(|e| format!(" ({e})")))
            .unwrap_or_default();
        return Err(Error::auth_required(format!(
            "your login has expired and could not be refreshed{why}"
        )));
    }
    http::decode("identity provider", url, status, &bytes)
}

/// Best-effort RFC 7009 revocation of the refresh token at logout.
pub async fn revoke_at_idp(http: &reqwest::Client, profile: &Profile, tokens: &Tokens) -> bool {
    let (Some(url), Some(rt)) = (&profile.revocation_endpoint, &tokens.refresh_token) else {
        return false;
    };
    let form = [
        ("token", rt.as_str()),
        ("token_type_hint", "refresh_token"),
        ("client_id", profile.client_id.as_str()),
    ];
    matches!(http.post(url).form(&form).send().await, Ok(r) if r.status().is_success())
}
