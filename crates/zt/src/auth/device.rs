//! The OAuth 2.0 device authorization grant (RFC 8628) against any OpenID provider: discovery,
//! the device authorization request, and polling the token endpoint with the server's interval,
//! honouring `slow_down`, `expired_token` and `access_denied`.

use std::time::Duration;

use oauth2::RequestTokenError;
use serde::{Deserialize, Serialize};

use super::{oauth, show};
use crate::error::{Error, ErrorKind, Result};
use crate::http;
use crate::output::{Printer, field};

pub use super::oauth::TokenResponse;

/// The parts of an OpenID provider's discovery document zt needs.
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub device_authorization_endpoint: Option<String>,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    #[serde(default)]
    pub grant_types_supported: Vec<String>,
}

/// RFC 8693's grant type.
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// zt's development provider (`zt-broker dev --auto-login`) approves the code itself: there
/// is nothing for the person to open or type. Other providers do not send it.
#[derive(Debug, Serialize, Deserialize)]
struct DevFields {
    #[serde(default)]
    auto_approved: bool,
}
impl oauth2::ExtraDeviceAuthorizationFields for DevFields {}

type DeviceAuthorization = oauth2::DeviceAuthorizationResponse<DevFields>;

/// A device code's lifetime is the provider's (`expires_in`), at most this: a wait is bounded
/// whatever a provider says.
const MAX_CODE_LIFETIME: Duration = Duration::from_secs(3600);

pub async fn discover(http: &reqwest::Client, issuer: &str) -> Result<ProviderMetadata> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let (status, bytes) = http::idp_get(http, &url).await?;
    if status != 200 {
        return Err(Error::new(
            ErrorKind::Unavailable,
            format!("the identity provider's discovery document at {url} answered HTTP {status}"),
        )
        .with_hint("check the issuer URL the broker advertises (`zt login --broker URL`)"));
    }
    let meta: ProviderMetadata = http::decode("identity provider", &url, status, &bytes)?;
    // OpenID Connect Discovery §4.3: the issuer in the document must be the one asked for.
    if meta.issuer.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err(Error::other(format!(
            "the identity provider at {url} calls itself {:?}, not {issuer:?}",
            meta.issuer
        ))
        .with_hint(
            "the broker's issuer setting and the provider disagree; tell the broker's operators",
        ));
    }
    Ok(meta)
}

/// zt's own poll interval for the device flow, when `ZT_DEVICE_POLL_INTERVAL` sets one (tests).
pub fn poll_override() -> Option<Duration> {
    crate::env::var(crate::env::ZT_DEVICE_POLL_INTERVAL)
        .and_then(|s| s.parse::<f64>().ok())
        .map(Duration::from_secs_f64)
}

pub struct DeviceLogin<'a> {
    pub http: &'a reqwest::Client,
    pub meta: &'a ProviderMetadata,
    pub client_id: &'a str,
    pub scopes: &'a [String],
    pub audience: &'a str,
    /// OIDC `login_hint`: who the person says they are.
    pub login_hint: Option<&'a str>,
    pub open_browser: bool,
    /// Overrides the interval (tests; `ZT_DEVICE_POLL_INTERVAL`).
    pub poll_override: Option<Duration>,
    /// OIDC `acr_values` and `max_age` to ask the IdP for: a step-up (RFC 9470).
    pub acr_values: Option<&'a str>,
    pub max_age: Option<u64>,
}

impl DeviceLogin<'_> {
    pub async fn run(&self, printer: &Printer) -> Result<TokenResponse> {
        let endpoint = self.meta.device_authorization_endpoint.as_deref().ok_or_else(|| {
            Error::other(format!("the identity provider {} does not offer the device flow (no device_authorization_endpoint)", field(&self.meta.issuer)))
                .with_hint("ask the IdP's administrators to enable the OAuth 2.0 device authorization grant for the zt client")
        })?;
        let token_endpoint = &self.meta.token_endpoint;
        let client = oauth::client(self.client_id)
            .set_device_authorization_url(oauth::endpoint(
                "device authorization endpoint",
                endpoint,
                oauth2::DeviceAuthorizationUrl::new,
            )?)
            .set_token_uri(oauth::endpoint(
                "token endpoint",
                token_endpoint,
                oauth2::TokenUrl::new,
            )?);

        let idp = oauth::Idp::new(self.http);
        let mut ask = client
            .exchange_device_code()
            .add_scopes(self.scopes.iter().map(|s| oauth2::Scope::new(s.clone())));
        if let Some(r) = resource_indicator(self.audience) {
            ask = ask.add_extra_param("resource", r);
        }
        if let Some(h) = self.login_hint {
            ask = ask.add_extra_param("login_hint", h);
        }
        if let Some(a) = self.acr_values {
            ask = ask.add_extra_param("acr_values", a);
        }
        if let Some(m) = self.max_age {
            ask = ask.add_extra_param("max_age", m.to_string());
        }
        let auth: DeviceAuthorization = ask
            .request_async(&idp)
            .await
            .map_err(|e| refused_to_start(e, endpoint, idp.status()))?;

        let lifetime = auth.expires_in().min(MAX_CODE_LIFETIME);
        let spinner = if auth.extra_fields().auto_approved {
            printer.note(
                "The development identity provider signs you in by itself (zt-broker dev --auto-login); nothing to open.",
            );
            None
        } else {
            let code = show::Code {
                user_code: auth.user_code().secret(),
                verification_uri: auth.verification_uri().as_str(),
                verification_uri_complete: auth
                    .verification_uri_complete()
                    .map(|c| c.secret().as_str()),
                deadline: tokio::time::Instant::now() + lifetime,
            };
            show::ask_person(printer, &code, self.open_browser)
        };

        // oauth2 polls (authorization_pending: again; slow_down: 5 s slower from then on;
        // access_denied, expired_token: over; RFC 8628 §3.5) and sleeps through this function,
        // which puts zt's interval in place of the provider's when one is set
        // (ZT_DEVICE_POLL_INTERVAL), keeping the slow_downs on top of it.
        let base = auth.interval();
        let poll_override = self.poll_override;
        let sleep = move |asked| tokio::time::sleep(poll_wait(asked, base, poll_override));
        let mut poll = client.exchange_device_access_token(&auth);
        // Named again at the token endpoint (RFC 8707 §2.2): providers such as oidc-provider
        // otherwise issue a token for their own userinfo endpoint.
        if let Some(r) = resource_indicator(self.audience) {
            poll = poll.add_extra_param("resource", r);
        }
        let poller = oauth::Idp::new(self.http);
        let got = tokio::select! {
            r = poll.request_async(&poller, sleep, Some(lifetime)) => {
                r.map_err(|e| poll_failed(e, token_endpoint, poller.status()))
            }
            e = poller.failure() => Err(e),
            _ = tokio::signal::ctrl_c() => Err(Error::new(ErrorKind::Cancelled, "login cancelled")),
        };
        if let Some(s) = spinner {
            s.finish_and_clear();
        }
        got.map(Into::into)
    }
}

/// How long to wait before the next poll when oauth2 asks for `asked`: the provider's
/// interval `base` plus 5 s per `slow_down` so far. zt's own interval (`ZT_DEVICE_POLL_INTERVAL`)
/// replaces `base` and keeps the slow-downs; a provider's `interval: 0` must not make zt
/// hammer it.
fn poll_wait(asked: Duration, base: Duration, poll_override: Option<Duration>) -> Duration {
    match poll_override {
        Some(o) => o + asked.saturating_sub(base),
        None => asked.max(Duration::from_secs(1)),
    }
}

/// The device authorization request failed: the provider's reason, escaped.
fn refused_to_start(
    e: RequestTokenError<Error, oauth2::basic::BasicErrorResponse>,
    endpoint: &str,
    status: u16,
) -> Error {
    let msg = match e {
        RequestTokenError::Request(e) => return e,
        RequestTokenError::ServerResponse(r) => oauth::describe(&r, (": ", "")),
        RequestTokenError::Parse(_, body) if status == 200 => {
            return oauth::unreadable::<DeviceAuthorization>(endpoint, status, &body);
        }
        _ => format!("HTTP {status}"),
    };
    Error::other(format!(
        "the identity provider refused to start a device login: {msg}"
    ))
    .with_hint(
        "check the client id and scopes (`zt login --broker URL` takes them from the broker)",
    )
}

/// Polling ended without tokens: the person said no, the code expired, or the provider
/// ended the login or answered garbage.
fn poll_failed(
    e: RequestTokenError<Error, oauth2::DeviceCodeErrorResponse>,
    url: &str,
    status: u16,
) -> Error {
    use oauth2::DeviceCodeErrorResponseType as T;
    match e {
        RequestTokenError::ServerResponse(r) => match r.error() {
            T::ExpiredToken => expired(),
            // The person said no at the IdP: they are not logged in (exit 4), which is not a
            // policy denial (exit 3).
            T::AccessDenied => Error::new(
                ErrorKind::AuthRequired,
                "the login was denied in the browser",
            )
            .with_hint("run `zt login` again and approve the request"),
            _ => Error::new(
                ErrorKind::AuthRequired,
                format!(
                    "the identity provider ended the login: {}",
                    oauth::describe(&r, (" (", ")"))
                ),
            )
            .with_hint("run `zt login` again"),
        },
        RequestTokenError::Request(e) => e,
        RequestTokenError::Parse(_, body) => oauth::unreadable::<TokenResponse>(url, status, &body),
        RequestTokenError::Other(why) => Error::other(format!(
            "the identity provider at {url} answered a token poll with HTTP {status}: {}",
            field(&why)
        ))
        .with_hint(format!(
            "check that {url} is an identity provider's token endpoint"
        )),
    }
}

/// The RFC 8707 resource indicator to ask for so that the IdP mints the access token for the
/// broker (`aud`): the broker's audience when it is an absolute URI. Any other audience (like
/// `zt-broker`) is not sent — strict providers refuse the whole request with
/// `invalid_target` — and the IdP must put it in `aud` by its own configuration.
pub fn resource_indicator(audience: &str) -> Option<&str> {
    is_absolute_uri(audience).then_some(audience)
}

/// RFC 3986 §4.3 absolute URI: `scheme ":" …` (scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" /
/// "." )), without a fragment (RFC 8707 §2).
fn is_absolute_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !s.contains('#')
        && !s.chars().any(char::is_whitespace)
}

fn expired() -> Error {
    Error::new(
        ErrorKind::AuthRequired,
        "the login code expired before it was confirmed",
    )
    .with_hint("run `zt login` again for a new code, and confirm it before its countdown ends")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn polls_wait_the_providers_interval_or_zts_and_slow_down() {
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        assert_eq!(super::poll_wait(s(5), s(5), None), s(5));
        // Two slow_downs (RFC 8628 §3.5): 5 s more each.
        assert_eq!(super::poll_wait(s(15), s(5), None), s(15));
        assert_eq!(super::poll_wait(s(0), s(0), None), s(1));
        assert_eq!(super::poll_wait(s(5), s(5), Some(ms(200))), ms(200));
        assert_eq!(super::poll_wait(s(10), s(5), Some(ms(200))), ms(5200));
    }

    #[test]
    fn only_absolute_uris_are_resource_indicators() {
        for yes in [
            "urn:zt:broker",
            "https://broker.example.com",
            "api://zt",
            "http://127.0.0.1:8421",
        ] {
            assert!(super::is_absolute_uri(yes), "{yes}");
        }
        for no in [
            "",
            "zt-broker",
            ":x",
            "1http://x",
            "https://a#frag",
            "urn:",
            "a b:c",
        ] {
            assert!(!super::is_absolute_uri(no), "{no}");
        }
    }
}
