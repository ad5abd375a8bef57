//! The `[review]` section: the review page's sign-in — its own client at the `[login]`
//! issuer (`client_id`, optionally a confidential client's secret from `client_secret_env`),
//! the `redirect_uri` registered there (`…/review/callback`; default: `public_url`'s), the
//! scopes it asks for, and how long a session lasts. Without the section the broker serves no
//! review page.

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::Server;
use super::source::{Source, TOP};
use super::values::non_empty;
use crate::error::Result;
use crate::review::{CALLBACK_PATH, DEFAULT_SESSION_TTL};

/// The scopes the page asks for unless `[review] scopes` says otherwise.
pub const REVIEW_SCOPES: [&str; 3] = ["openid", "email", "profile"];
/// The longest session `session_ttl` may ask for.
const MAX_SESSION: Duration = Duration::from_secs(12 * 3600);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReview {
    client_id: Spanned<String>,
    redirect_uri: Option<Spanned<String>>,
    scopes: Option<Vec<Spanned<String>>>,
    client_secret_env: Option<Spanned<String>>,
    session_ttl: Option<Spanned<String>>,
}

/// `[review]`, checked. The secret itself is read from its variable at start
/// ([`ReviewConfig::client_secret`]), never kept in the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewConfig {
    pub client_id: String,
    /// `scheme://host[:port]/review/callback`.
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    /// The name of the variable holding a confidential client's secret.
    pub client_secret_env: Option<String>,
    pub session_ttl: Duration,
}

impl ReviewConfig {
    /// The client secret from `client_secret_env`, if the section names one; an error when the
    /// variable is unset or empty (the message names the variable, never a value).
    pub fn client_secret(&self) -> std::result::Result<Option<String>, String> {
        let Some(name) = &self.client_secret_env else {
            return Ok(None);
        };
        match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => Ok(Some(v.trim().to_owned())),
            _ => Err(format!(
                "[review] client_secret_env: ${name} is not set (or empty or not UTF-8)"
            )),
        }
    }
}

pub(super) fn review_section(
    src: &Source<'_>,
    server: &Server,
    raw: Option<Spanned<RawReview>>,
) -> Result<Option<ReviewConfig>> {
    let Some(raw) = raw else { return Ok(None) };
    let section = raw.span();
    let raw = raw.into_inner();
    let client_id = non_empty(src, &raw.client_id, "[review] client_id")?;
    let redirect_uri = match (&raw.redirect_uri, &server.public_url) {
        (Some(v), _) => {
            let uri = v.get_ref().trim().to_owned();
            crate::review::origin_of(&uri).map_err(|e| src.at(v.span(), e))?;
            uri
        }
        (None, Some(public)) => {
            let uri = format!("{public}{CALLBACK_PATH}");
            crate::review::origin_of(&uri).map_err(|e| {
                src.at(
                    section.clone(),
                    format!("[review] redirect_uri defaults to public_url's: {e}"),
                )
            })?;
            uri
        }
        (None, None) => {
            return Err(src.at(
                section,
                format!(
                    "[review] needs redirect_uri (https://HOST{CALLBACK_PATH}, as registered \
                     with the identity provider) when [server] has no public_url"
                ),
            ));
        }
    };
    let scopes = match raw.scopes {
        None => REVIEW_SCOPES.iter().map(|s| s.to_string()).collect(),
        Some(list) => {
            let mut out = Vec::new();
            for s in &list {
                let v = s.get_ref();
                if v.is_empty() || v.chars().any(char::is_whitespace) {
                    return Err(src.at(s.span(), format!("scope {v:?} must be one non-empty word")));
                }
                out.push(v.clone());
            }
            if !out.iter().any(|s| s == "openid") {
                let at = list.first().map_or(TOP, |s| s.span());
                return Err(src.at(
                    at,
                    "[review] scopes must include openid (the sign-in needs an ID token)",
                ));
            }
            out
        }
    };
    let client_secret_env = match &raw.client_secret_env {
        None => None,
        Some(v) => {
            let name = v.get_ref().trim();
            if name.is_empty() || name.contains('=') || name.contains('\0') {
                return Err(src.at(v.span(), "client_secret_env: not a variable name"));
            }
            Some(name.to_owned())
        }
    };
    let session_ttl = match &raw.session_ttl {
        None => DEFAULT_SESSION_TTL,
        Some(v) => humantime::parse_duration(v.get_ref().trim())
            .ok()
            .filter(|d| *d >= Duration::from_secs(60) && *d <= MAX_SESSION)
            .ok_or_else(|| {
                src.at(
                    v.span(),
                    format!(
                        "session_ttl {:?} is not a duration from 1m to 12h (write \"30m\")",
                        v.get_ref()
                    ),
                )
            })?,
    };
    Ok(Some(ReviewConfig {
        client_id,
        redirect_uri,
        scopes,
        client_secret_env,
        session_ttl,
    }))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::config::tests::{BASE, parse, refused};

    #[test]
    fn the_section_is_optional_and_checked() {
        assert_eq!(parse(BASE).unwrap().review, None);
        let ok = format!(
            "{BASE}\n[review]\nclient_id = \"zt-review\"\n\
             redirect_uri = \"https://zt.example.com/review/callback\"\n\
             scopes = [\"openid\", \"groups\"]\nsession_ttl = \"15m\"\n\
             client_secret_env = \"ZT_REVIEW_SECRET\""
        );
        let r = parse(&ok).unwrap().review.unwrap();
        assert_eq!(r.client_id, "zt-review");
        assert_eq!(r.redirect_uri, "https://zt.example.com/review/callback");
        assert_eq!(r.scopes, ["openid", "groups"]);
        assert_eq!(r.session_ttl, Duration::from_secs(900));
        assert_eq!(r.client_secret_env.as_deref(), Some("ZT_REVIEW_SECRET"));

        let defaults = format!(
            "{}\n[review]\nclient_id = \"zt-review\"",
            BASE.replace(
                "listen = \"127.0.0.1:0\"",
                "listen = \"127.0.0.1:0\"\npublic_url = \"https://zt.example.com\""
            )
        );
        let r = parse(&defaults).unwrap().review.unwrap();
        assert_eq!(r.redirect_uri, "https://zt.example.com/review/callback");
        assert_eq!(r.scopes, ["openid", "email", "profile"]);
        assert_eq!(r.session_ttl, Duration::from_secs(1800));
    }

    #[test]
    fn mistakes_are_refused_with_their_line() {
        let section = |body: &str| format!("{BASE}\n[review]\nclient_id = \"zt-review\"\n{body}");
        refused(
            &format!("{BASE}\n[review]\nclient_id = \"zt-review\""),
            Some("[review]"),
            "needs redirect_uri",
        );
        refused(
            &section("redirect_uri = \"http://zt.example.com/review/callback\""),
            Some("redirect_uri"),
            "plain HTTP",
        );
        refused(
            &section("redirect_uri = \"https://zt.example.com/callback\""),
            Some("redirect_uri"),
            "must end in /review/callback",
        );
        let uri = "redirect_uri = \"http://localhost:9/review/callback\"";
        refused(
            &section(&format!("{uri}\nscopes = [\"email\"]")),
            Some("scopes"),
            "must include openid",
        );
        refused(
            &section(&format!("{uri}\nscopes = [\"a b\"]")),
            Some("scopes"),
            "one non-empty word",
        );
        refused(
            &section(&format!("{uri}\nsession_ttl = \"1s\"")),
            Some("session_ttl"),
            "from 1m to 12h",
        );
        refused(
            &section(&format!("{uri}\nsession_ttl = \"2d\"")),
            Some("session_ttl"),
            "from 1m to 12h",
        );
        refused(
            &section(&format!("{uri}\nclient_secret_env = \"\"")),
            Some("client_secret_env"),
            "not a variable name",
        );
        refused(
            &format!("{BASE}\n[review]\nclient_id = \"\"\n{uri}"),
            Some("client_id = \"\""),
            "is empty",
        );
        refused(
            &section(&format!("{uri}\nsecret = \"x\"")),
            Some("secret"),
            "unknown field",
        );
    }
}
