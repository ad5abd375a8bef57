//! Step-up authentication (RFC 9470), the client's side: the broker answers 401 with
//! `WWW-Authenticate: Bearer error="insufficient_user_authentication", acr_values="…",
//! max_age=N` when policy asks for a stronger or fresher sign-in than the token shows. On a
//! terminal zt says why on stderr, runs the device flow again asking the IdP for those
//! `acr_values`/`max_age`, stores the new tokens as `zt login` does, and the caller retries
//! once ([`crate::client`]). Without a terminal nothing is asked: exit 4 with the assurance
//! named. A refresh never helps (a refreshed token keeps the sign-in's `acr` and
//! `auth_time`), so none is tried.

use super::{device, store};
use crate::config::Profile;
use crate::error::{Error, ErrorKind, Result};
use crate::output::{Printer, field};

/// What the broker's challenge asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Challenge {
    /// Space-separated ACR values, as the challenge gave them.
    pub acr_values: Option<String>,
    pub max_age: Option<u64>,
}

/// The longest challenge header read: anything longer is not a step-up challenge of a broker.
const MAX_HEADER: usize = 4096;

impl Challenge {
    /// The RFC 9470 challenge in a `WWW-Authenticate` value, if it is one (`Bearer` with
    /// `error="insufficient_user_authentication"`).
    pub fn parse(header: &str) -> Option<Self> {
        if header.len() > MAX_HEADER {
            return None;
        }
        let rest = header.trim_start();
        let rest = rest
            .get(..6)
            .filter(|s| s.eq_ignore_ascii_case("bearer"))
            .map(|_| &rest[6..])?;
        let params = auth_params(rest);
        let get = |k: &str| {
            params
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
        };
        if get("error") != Some("insufficient_user_authentication") {
            return None;
        }
        let acr_values = get("acr_values")
            .map(|a| a.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|a| !a.is_empty() && a.chars().all(|c| c.is_ascii_graphic() || c == ' '));
        let max_age = get("max_age").and_then(|m| m.parse::<u64>().ok());
        Some(Self {
            acr_values,
            max_age,
        })
    }

    /// For people: "a sign-in of urn:zt:acr:mfa at most 5m old".
    pub fn describe(&self) -> String {
        let acr = self
            .acr_values
            .as_deref()
            .map(|a| {
                format!(
                    " of {}",
                    field(&a.split(' ').collect::<Vec<_>>().join(" or "))
                )
            })
            .unwrap_or_default();
        match self.max_age {
            Some(s) => format!(
                "a sign-in{acr} at most {} old",
                crate::output::human_secs(s as i64)
            ),
            None => format!("a sign-in{acr}"),
        }
    }
}

/// `name=value` and `name="quoted value"` pairs, comma separated (RFC 9110 §11.2).
fn auth_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let name: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ','))
            .collect::<String>()
            .trim()
            .to_string();
        if name.is_empty() {
            return out;
        }
        if chars.next() != Some('=') {
            continue;
        }
        let value = if chars.peek() == Some(&'"') {
            chars.next();
            let mut v = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => v.extend(chars.next()),
                    '"' => break,
                    c => v.push(c),
                }
            }
            v
        } else {
            std::iter::from_fn(|| chars.next_if(|c| *c != ','))
                .collect::<String>()
                .trim()
                .to_string()
        };
        out.push((name, value));
    }
}

/// The error of a step-up zt does not (or cannot) do here: exit 4, the assurance named.
pub fn needed(ch: &Challenge, broker_says: &str) -> Error {
    Error::new(
        ErrorKind::AuthRequired,
        format!(
            "the broker needs {} for this (step-up authentication): {broker_says}",
            ch.describe()
        ),
    )
    .with_hint(
        "run this on a terminal, where zt signs you in again by itself; or run `zt login --force` first and approve the sign-in at the required level",
    )
}

/// On a terminal: say why, sign in again at the level `ch` asks for, store the tokens for
/// profile `name`, and answer the new access token. Without one: [`needed`].
pub async fn sign_in_again(
    name: &str,
    profile: &Profile,
    http: &reqwest::Client,
    ch: &Challenge,
    broker_says: &str,
) -> Result<String> {
    if !crate::prompt::can_prompt() || profile.workload.is_some() {
        return Err(needed(ch, broker_says));
    }
    let printer = Printer::new(false);
    printer.note(format!(
        "The broker needs {} for this (step-up authentication): sign in again.",
        ch.describe()
    ));
    let meta = device::discover(http, &profile.issuer).await?;
    let login = device::DeviceLogin {
        http,
        meta: &meta,
        client_id: &profile.client_id,
        scopes: &profile.scopes,
        audience: &profile.audience,
        login_hint: None,
        open_browser: true,
        poll_override: device::poll_override(),
        acr_values: ch.acr_values.as_deref(),
        max_age: ch.max_age,
    };
    let mut tokens = store::Tokens::issued(login.run(&printer).await?);
    // Stored under the refreshers' lock: none of them stores older tokens over these.
    let _lock = super::tokens_lock(name)?;
    if tokens.refresh_token.is_none() {
        let previous = store::load(name, &profile.token_store)?;
        tokens.refresh_token = previous.and_then(|p| p.refresh_token);
    }
    store::save(name, &profile.token_store, &tokens)?;
    printer.note("Signed in again; retrying.");
    Ok(tokens.access_token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_rfc_9470_challenge() {
        let c = Challenge::parse(
            "Bearer error=\"insufficient_user_authentication\", error_description=\"needs, \
             \\\"more\\\"\", acr_values=\"urn:zt:acr:mfa  urn:x\", max_age=300",
        )
        .unwrap();
        assert_eq!(c.acr_values.as_deref(), Some("urn:zt:acr:mfa urn:x"));
        assert_eq!(c.max_age, Some(300));
        assert_eq!(
            c.describe(),
            "a sign-in of urn:zt:acr:mfa or urn:x at most 5m old"
        );
        let only =
            Challenge::parse("bearer error=insufficient_user_authentication,max_age=60").unwrap();
        assert_eq!(only.acr_values, None);
        assert_eq!(only.describe(), "a sign-in at most 1m old");
        for not in [
            "Bearer",
            "Bearer error=\"invalid_token\"",
            "Basic realm=\"x\"",
            "",
        ] {
            assert_eq!(Challenge::parse(not), None, "{not}");
        }
        assert_eq!(
            Challenge::parse(&format!(
                "Bearer error=\"insufficient_user_authentication\", x=\"{}\"",
                "a".repeat(5000)
            )),
            None
        );
    }
}
