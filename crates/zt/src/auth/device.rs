//! The OAuth 2.0 device authorization grant (RFC 8628) against any OpenID provider: discovery,
//! the device authorization request, and polling the token endpoint with the server's interval,
//! honouring `slow_down`, `expired_token` and `access_denied`.

use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::http;
use crate::output::{Printer, field};

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

/// RFC 8628 §3.2, tolerating `verification_url` (Google's older spelling).
#[derive(Debug, Deserialize)]
struct DeviceAuthorization {
    device_code: String,
    user_code: String,
    #[serde(alias = "verification_url")]
    verification_uri: String,
    #[serde(default)]
    verification_uri_complete: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    interval: Option<u64>,
    /// zt's development provider (`zt-broker dev --auto-login`) approves the code itself:
    /// there is nothing for the person to open or type.
    #[serde(default)]
    auto_approved: bool,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub id_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct TokenError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

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
}

impl DeviceLogin<'_> {
    /// The code and where to confirm it (and the browser opened there, when asked).
    fn ask_person(&self, printer: &Printer, auth: &DeviceAuthorization) {
        // What the IdP sent is shown as data: escaped, one line each, capped (issue 11).
        printer.note(format!(
            "First copy your one-time code: {}",
            field(&auth.user_code)
        ));
        let open_url = auth
            .verification_uri_complete
            .as_deref()
            .unwrap_or(&auth.verification_uri);
        printer.note(format!(
            "Then open {} in a browser and confirm.",
            field(&auth.verification_uri)
        ));
        if let Some(c) = &auth.verification_uri_complete {
            printer.note(format!(
                "(or open {}, which has the code filled in)",
                field(c)
            ));
        }
        if self.open_browser {
            open_in_browser(open_url);
        }
    }

    pub async fn run(&self, printer: &Printer) -> Result<TokenResponse> {
        let endpoint = self.meta.device_authorization_endpoint.as_deref().ok_or_else(|| {
            Error::other(format!("the identity provider {} does not offer the device flow (no device_authorization_endpoint)", self.meta.issuer))
                .with_hint("ask the IdP's administrators to enable the OAuth 2.0 device authorization grant for the zt client")
        })?;
        let scope = self.scopes.join(" ");
        let mut form = vec![("client_id", self.client_id), ("scope", scope.as_str())];
        if let Some(r) = resource_indicator(self.audience) {
            form.push(("resource", r));
        }
        if let Some(h) = self.login_hint {
            form.push(("login_hint", h));
        }
        let (status, bytes) = http::post_form(self.http, endpoint, &form).await?;
        if status != 200 {
            let msg = serde_json::from_slice::<TokenError>(&bytes)
                .map(|e| {
                    format!(
                        "{}{}",
                        e.error,
                        e.error_description
                            .map(|d| format!(": {}", field(&d)))
                            .unwrap_or_default()
                    )
                })
                .unwrap_or_else(|_| format!("HTTP {status}"));
            return Err(Error::other(format!("the identity provider refused to start a device login: {msg}"))
                .with_hint("check the client id and scopes (`zt login --broker URL` takes them from the broker)"));
        }
        let auth: DeviceAuthorization =
            http::decode("identity provider", endpoint, status, &bytes)?;

        if auth.auto_approved {
            printer.note(
                "The development identity provider signs you in by itself (zt-broker dev --auto-login); nothing to open.",
            );
        } else {
            self.ask_person(printer, &auth);
        }

        let mut interval = self
            .poll_override
            .unwrap_or(Duration::from_secs(auth.interval.unwrap_or(5).max(1)));
        let deadline =
            tokio::time::Instant::now() + Duration::from_secs(auth.expires_in.unwrap_or(900));
        let spinner = (!auth.auto_approved)
            .then(|| printer.spinner("Waiting for you to confirm in the browser"))
            .flatten();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = tokio::signal::ctrl_c() => {
                    if let Some(s) = &spinner { s.finish_and_clear(); }
                    return Err(Error::new(ErrorKind::Cancelled, "login cancelled"));
                }
            }
            if tokio::time::Instant::now() > deadline {
                return Err(expired());
            }
            let mut form = vec![
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", auth.device_code.as_str()),
                ("client_id", self.client_id),
            ];
            // Named again at the token endpoint (RFC 8707 §2.2): providers such as
            // oidc-provider otherwise issue a token for their own userinfo endpoint.
            if let Some(r) = resource_indicator(self.audience) {
                form.push(("resource", r));
            }
            let url = &self.meta.token_endpoint;
            let (status, bytes) = http::post_form(self.http, url, &form).await?;
            if status == 200 {
                if let Some(s) = spinner {
                    s.finish_and_clear();
                }
                return http::decode("identity provider", url, status, &bytes);
            }
            let err: TokenError = http::decode("identity provider", url, status, &bytes)?;
            match err.error.as_str() {
                "authorization_pending" => {}
                // RFC 8628 §3.5: slow down by 5 seconds, for this and all later requests.
                "slow_down" => interval += Duration::from_secs(5),
                "expired_token" => return Err(expired()),
                // The person said no at the IdP: they are not logged in (exit 4), which is
                // not a policy denial (exit 3).
                "access_denied" => {
                    return Err(Error::new(
                        ErrorKind::AuthRequired,
                        "the login was denied in the browser",
                    )
                    .with_hint("run `zt login` again and approve the request"));
                }
                other => {
                    return Err(Error::new(
                        ErrorKind::AuthRequired,
                        format!(
                            "the identity provider ended the login: {}{}",
                            field(other),
                            err.error_description
                                .map(|d| format!(" ({})", field(&d)))
                                .unwrap_or_default()
                        ),
                    )
                    .with_hint("run `zt login` again"));
                }
            }
        }
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
    .with_hint("run `zt login` again and confirm the code within its lifetime")
}

/// Open a URL in the user's browser, if there is a display; failures are silent (the URL is
/// printed anyway).
fn open_in_browser(url: &str) {
    use crate::env;
    // Only a web address goes to the opener: an IdP's `file:` or `javascript:` URI, or one
    // with controls in it, is shown (escaped) and never opened.
    let web = url.starts_with("https://") || url.starts_with("http://");
    if !web || url.chars().any(crate::output::is_hostile) {
        return;
    }
    let has_display = cfg!(target_os = "macos")
        || env::var(env::DISPLAY).is_some()
        || env::var(env::WAYLAND_DISPLAY).is_some();
    if !has_display {
        return;
    }
    let opener = env::var(env::BROWSER).unwrap_or_else(|| {
        if cfg!(target_os = "macos") {
            "open".into()
        } else {
            "xdg-open".into()
        }
    });
    let _ = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

#[cfg(test)]
mod tests {
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
