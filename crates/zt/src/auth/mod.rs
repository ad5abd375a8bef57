//! Logging in and staying logged in: the device flow ([`device`], what the person sees in
//! `show` and `qr`), where tokens live ([`store`]), and a fresh access token on demand —
//! refreshed silently, one refresh at a time across concurrent zt processes. The OAuth
//! protocol itself (device grant, refresh, revocation) goes through the `oauth2` crate over
//! zt's HTTP client (`oauth`); RFC 8693 token exchange, which it lacks, is [`workload`]'s own.
//! [`step_up`]: signing in again at the level a broker's RFC 9470 challenge asks for.

pub mod device;
mod oauth;
mod qr;
mod show;
pub mod step_up;
pub mod store;
pub mod workload;

use oauth2::{RefreshToken, RequestTokenError, StandardRevocableToken};

use crate::config::Profile;
use crate::error::{Error, ErrorKind, Result};
use crate::output::field;
use crate::{fsutil, http, paths};
use zt_api::Timestamp;

pub use store::Tokens;

/// Refresh when the access token has less than this left — or a quarter of its lifetime,
/// when that is shorter, so a token that lives a minute is not refreshed on every call.
const REFRESH_MARGIN_SECS: i64 = 60;

fn fresh_enough(t: &Tokens) -> bool {
    let now = Timestamp::now().0;
    let margin = if t.issued_at > 0 {
        REFRESH_MARGIN_SECS.min((t.expires_at - t.issued_at) / 4)
    } else {
        REFRESH_MARGIN_SECS
    };
    t.expires_at - now > margin
}

/// When a token response's access token expires: `expires_in`, else the JWT's own `exp`
/// (some IdPs omit `expires_in`), else five minutes.
pub fn expiry_of(access_token: &str, expires_in: Option<u64>) -> i64 {
    let now = Timestamp::now().0;
    if let Some(s) = expires_in {
        // A provider's absurd lifetime saturates rather than wraps.
        return now.saturating_add(i64::try_from(s).unwrap_or(i64::MAX));
    }
    use base64::Engine;
    access_token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p.trim_end_matches('='))
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v["exp"].as_i64())
        .filter(|exp| *exp > now)
        .unwrap_or(now + 300)
}

/// A usable access token for `profile`: the stored one, or a refreshed one. Never starts a
/// login: when nothing works the caller gets `AuthRequired` ("run `zt login`").
pub async fn access_token(name: &str, profile: &Profile, http: &reqwest::Client) -> Result<String> {
    token(name, profile, http, false).await
}

/// Like [`access_token`], but refresh even if the stored token looks fresh: the broker just
/// refused it (clock skew, a rotated key at the IdP).
pub async fn refreshed_token(
    name: &str,
    profile: &Profile,
    http: &reqwest::Client,
) -> Result<String> {
    token(name, profile, http, true).await
}

async fn token(
    name: &str,
    profile: &Profile,
    http: &reqwest::Client,
    force: bool,
) -> Result<String> {
    if let Some(w) = &profile.workload {
        return workload::token(http, profile, w).await;
    }
    let tokens = store::load(name, &profile.token_store)?
        .ok_or_else(|| Error::auth_required(format!("not logged in to {}", profile.broker)))?;
    if !force && fresh_enough(&tokens) {
        return Ok(tokens.access_token);
    }
    let seen = tokens.access_token.clone();
    // One refresher at a time: the others wait, then find the fresh token already stored.
    let _lock = tokens_lock(name)?;
    let tokens = store::load(name, &profile.token_store)?
        .ok_or_else(|| Error::auth_required(format!("not logged in to {}", profile.broker)))?;
    // Someone else refreshed while we waited for the lock.
    if (!force && fresh_enough(&tokens)) || (force && tokens.access_token != seen) {
        return Ok(tokens.access_token);
    }
    let Some(refresh) = tokens.refresh_token.as_deref() else {
        return Err(Error::auth_required(
            "your login has expired (no refresh token)",
        ));
    };
    let mut new = Tokens::issued(refresh_tokens(http, profile, refresh).await?);
    new.refresh_token = new.refresh_token.or(tokens.refresh_token);
    new.id_token = new.id_token.or(tokens.id_token);
    store::save(name, &profile.token_store, &new)?;
    Ok(new.access_token)
}

/// The lock every writer of profile `name`'s stored tokens holds (a refresh, a step-up's new
/// sign-in), so one never stores over the other's newer tokens.
pub(crate) fn tokens_lock(name: &str) -> Result<fsutil::Flock> {
    fsutil::Flock::exclusive(&paths::state_dir()?.join(format!("refresh-{name}.lock")))
}

async fn refresh_tokens(
    http: &reqwest::Client,
    profile: &Profile,
    refresh_token: &str,
) -> Result<device::TokenResponse> {
    refresh(
        http,
        &profile.token_endpoint,
        &profile.client_id,
        device::resource_indicator(&profile.audience),
        refresh_token,
    )
    .await
}

/// Best-effort RFC 7009 revocation of the refresh token: at logout, and when a login that
/// was just issued cannot be kept (the broker refused it, or it could not be stored).
pub async fn revoke_at_idp(http: &reqwest::Client, profile: &Profile, tokens: &Tokens) -> bool {
    let (Some(url), Some(rt)) = (&profile.revocation_endpoint, &tokens.refresh_token) else {
        return false;
    };
    revoke(http, url, &profile.client_id, rt).await
}

/// Refresh the access token (RFC 6749 §6). A refused refresh means the login is over (exit 4);
/// a provider that is unwell (5xx, 429) or unreachable says nothing about the login (exit 7).
async fn refresh(
    http: &reqwest::Client,
    token_endpoint: &str,
    client_id: &str,
    resource: Option<&str>,
    refresh_token: &str,
) -> Result<device::TokenResponse> {
    let url = token_endpoint;
    let client = oauth::client(client_id).set_token_uri(oauth::endpoint(
        "token endpoint",
        url,
        oauth2::TokenUrl::new,
    )?);
    let idp = oauth::Idp::new(http);
    let rt = RefreshToken::new(refresh_token.to_string());
    let mut req = client.exchange_refresh_token(&rt);
    if let Some(r) = resource {
        // RFC 8707 §2.2: the audience is named again at every token request.
        req = req.add_extra_param("resource", r);
    }
    let answer = req.request_async(&idp).await;
    let status = idp.status();
    match answer {
        Ok(answer) => Ok(answer.into()),
        Err(RequestTokenError::Request(e)) => Err(e),
        Err(_) if status >= 500 || status == 429 => Err(Error::new(
            ErrorKind::Unavailable,
            format!("the identity provider at {url} answered HTTP {status} to a token refresh"),
        )
        .with_hint("try again later; your login is kept")),
        Err(RequestTokenError::Parse(_, body)) if status == 200 => {
            Err(oauth::unreadable::<oauth::Answer>(url, status, &body))
        }
        Err(RequestTokenError::ServerResponse(e)) => Err(Error::auth_required(format!(
            "your login has expired and could not be refreshed ({})",
            field(e.error().as_ref())
        ))),
        Err(_) => Err(Error::auth_required(
            "your login has expired and could not be refreshed",
        )),
    }
}

/// RFC 7009: revoke `refresh_token` at `url`. `oauth2` sends only to an HTTPS endpoint (RFC
/// 7009 §2 makes that the client's duty). The one plain-HTTP provider zt accepts is on this
/// machine (`zt-broker dev`, a test provider on 127.0.0.1): nothing crosses a network there,
/// and the same request is sent by hand. A plain-HTTP endpoint elsewhere is not sent a token.
async fn revoke(http: &reqwest::Client, url: &str, client_id: &str, refresh_token: &str) -> bool {
    let Ok(parsed) = oauth2::url::Url::parse(url) else {
        return false;
    };
    match parsed.scheme() {
        "https" => {
            let Ok(revocation) = oauth2::RevocationUrl::new(url.to_string()) else {
                return false;
            };
            let client = oauth::client(client_id).set_revocation_url(revocation);
            let token =
                StandardRevocableToken::RefreshToken(RefreshToken::new(refresh_token.to_string()));
            let Ok(req) = client.revoke_token(token) else {
                return false;
            };
            req.request_async(&oauth::Idp::new(http)).await.is_ok()
        }
        "http" if is_loopback(&parsed) => {
            let form = [
                ("token", refresh_token),
                ("token_type_hint", "refresh_token"),
                ("client_id", client_id),
            ];
            matches!(http::post_form(http, url, &form).await, Ok((s, _)) if (200..300).contains(&s))
        }
        _ => false,
    }
}

fn is_loopback(url: &oauth2::url::Url) -> bool {
    use oauth2::url::Host;
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_is_revoked_over_plain_http() {
        for (url, yes) in [
            ("http://127.0.0.1:8421/oidc/revoke", true),
            ("http://127.9.9.9/r", true),
            ("http://[::1]:80/r", true),
            ("http://LOCALHOST/r", true),
            ("http://idp.example.com/r", false),
            ("http://10.0.0.1/r", false),
        ] {
            let u = oauth2::url::Url::parse(url).unwrap();
            assert_eq!(is_loopback(&u), yes, "{url}");
        }
    }
}
