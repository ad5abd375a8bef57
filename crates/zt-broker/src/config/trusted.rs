//! The `[[trusted_issuer]]` entries: each checked, and turned into the [`TrustedIssuer`] the
//! verifier holds tokens to (audience, keys, claim mapping, leeway).

use toml::Spanned;

use super::raw::RawIssuer;
use super::source::Source;
use super::values::{http_url, non_empty};
use crate::auth::{ClaimNames, JwksSource, TrustedIssuer};
use crate::error::Result;

/// More clock skew than this would let expired tokens live on for minutes.
const MAX_LEEWAY_SECS: u64 = 300;

fn claim_path(src: &Source<'_>, v: Option<Spanned<String>>, default: String) -> Result<String> {
    let Some(v) = v else { return Ok(default) };
    let path = v.get_ref();
    if path.is_empty() || path.split('.').any(str::is_empty) {
        return Err(src.at(
            v.span(),
            format!("claim {path:?} must be a name or a dot path like \"realm_access.roles\""),
        ));
    }
    Ok(v.into_inner())
}

pub(super) fn trusted_issuers(
    src: &Source<'_>,
    raw: Vec<Spanned<RawIssuer>>,
) -> Result<Vec<TrustedIssuer>> {
    let mut out: Vec<TrustedIssuer> = Vec::new();
    for r in raw {
        let r = r.into_inner();
        http_url(src, &r.issuer, "issuer", true)?;
        let issuer = r.issuer.get_ref().clone();
        if out.iter().any(|t| t.issuer == issuer) {
            return Err(src.at(
                r.issuer.span(),
                format!("issuer {issuer:?} is trusted twice; one [[trusted_issuer]] per issuer"),
            ));
        }
        let audience = non_empty(src, &r.audience, "audience")?;
        let jwks = match &r.jwks_uri {
            Some(u) => {
                http_url(src, u, "jwks_uri", true)?;
                JwksSource::Url(u.get_ref().clone())
            }
            None => JwksSource::Discover,
        };
        let mut t = TrustedIssuer::new(issuer, audience, jwks);
        if let Some(c) = r.claims {
            let d = ClaimNames::default();
            t.claims = ClaimNames {
                sub: claim_path(src, c.sub, d.sub)?,
                email: claim_path(src, c.email, d.email)?,
                name: claim_path(src, c.name, d.name)?,
                groups: claim_path(src, c.groups, d.groups)?,
            };
        }
        if let Some(l) = r.leeway_secs {
            if *l.get_ref() > MAX_LEEWAY_SECS {
                return Err(src.at(
                    l.span(),
                    format!(
                        "leeway_secs {} is more than {MAX_LEEWAY_SECS}: expired tokens would \
                         stay good that long",
                        l.get_ref()
                    ),
                ));
            }
            t.leeway_secs = l.into_inner();
        }
        if let Some(a) = r.acr_values {
            t.acr_values = acr_values(src, a)?;
        }
        out.push(t);
    }
    Ok(out)
}

/// `acr_values = ["urn:…:pwd", "urn:…:mfa"]`: each a non-empty word of visible ASCII (it goes
/// into the RFC 9470 challenge's quoted `acr_values`), none twice.
fn acr_values(src: &Source<'_>, v: Spanned<Vec<String>>) -> Result<Vec<String>> {
    let span = v.span();
    let values = v.into_inner();
    for (i, a) in values.iter().enumerate() {
        let ok = !a.is_empty()
            && a.len() <= 256
            && a.chars()
                .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\');
        if !ok {
            return Err(src.at(
                span.clone(),
                format!(
                    "acr_values: {a:?} is not an ACR value (visible ASCII without spaces,                      quotes or backslashes, at most 256 characters)"
                ),
            ));
        }
        if values[..i].contains(a) {
            return Err(src.at(span.clone(), format!("acr_values: {a:?} is listed twice")));
        }
    }
    Ok(values)
}

/// Every ACR value some trusted issuer lists: what `@step_up` policies may name.
pub fn known_acrs(issuers: &[TrustedIssuer]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in issuers.iter().flat_map(|i| &i.acr_values) {
        if !out.contains(a) {
            out.push(a.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    //! The trusted issuers, and `[login]` agreeing with them: duplicates, leeway, claim paths,
    //! scopes, and the per-issuer claim mapping.

    use crate::auth::JwksSource;
    use crate::config::tests::{PATH, line_of, parse, refused, with};

    /// `acr_values`: kept in order (weakest first), each a word fit for the RFC 9470 challenge,
    /// none twice; what `@step_up` policies may name.
    #[test]
    fn acr_values_are_words_listed_once() {
        let t = with(
            "audience = \"zt-broker\"\n\n[catalog]",
            "audience = \"zt-broker\"\nacr_values = [\"urn:a:pwd\", \"urn:a:mfa\"]\n\n[catalog]",
        );
        let c = parse(&t).unwrap();
        assert_eq!(c.trusted_issuers[0].acr_values, ["urn:a:pwd", "urn:a:mfa"]);
        assert_eq!(
            crate::config::known_acrs(&c.trusted_issuers),
            ["urn:a:pwd", "urn:a:mfa"]
        );
        for (bad, needle) in [
            ("[\"urn:a\", \"urn:a\"]", "listed twice"),
            ("[\"two words\"]", "is not an ACR value"),
            ("[\"\"]", "is not an ACR value"),
            ("[\"q\\\"x\"]", "is not an ACR value"),
        ] {
            let t = with(
                "audience = \"zt-broker\"\n\n[catalog]",
                &format!("audience = \"zt-broker\"\nacr_values = {bad}\n\n[catalog]"),
            );
            refused(&t, Some("acr_values"), needle);
        }
    }

    #[test]
    fn issuers_and_login_must_agree() {
        let t = with(
            "audience = \"zt-broker\"\n\n[[trusted_issuer]]",
            "audience = \"zt-other\"\n\n[[trusted_issuer]]",
        );
        refused(&t, Some("issuer = "), "matches no [[trusted_issuer]]");
        let twice = with(
            "[catalog]",
            "[[trusted_issuer]]\nissuer = \"https://id.example.com\"\naudience = \"x\"\n\n[catalog]",
        );
        let line = line_of(&twice, "audience = \"x\"") - 1;
        let msg = parse(&twice).unwrap_err();
        assert!(
            msg.starts_with(&format!("{PATH}:{line}:")) && msg.contains("trusted twice"),
            "{msg}"
        );
        let t = with(
            "audience = \"zt-broker\"\n\n[catalog]",
            "audience = \"zt-broker\"\nleeway_secs = 3600\n\n[catalog]",
        );
        refused(&t, Some("leeway_secs"), "more than 300");
        let t = with(
            "audience = \"zt-broker\"\n\n[catalog]",
            "audience = \"zt-broker\"\nclaims = { groups = \"realm_access..roles\" }\n\n[catalog]",
        );
        refused(&t, Some("claims"), "dot path");
        refused(
            &with(
                "client_id = \"zt-cli\"",
                "client_id = \"zt-cli\"\nscopes = [\"openid email\"]",
            ),
            Some("scopes"),
            "one non-empty word",
        );
        refused(
            &with("\"zt-cli\"", "\"  \""),
            Some("client_id"),
            "client_id is empty",
        );
        // Per-issuer claim mapping, several issuers.
        let two = with(
            "[catalog]",
            "claims = { sub = \"oid\", groups = \"realm_access.roles\" }\nleeway_secs = 5\n\n\
             [[trusted_issuer]]\nissuer = \"https://ci.example.com\"\naudience = \"zt-ci\"\n\
             jwks_uri = \"https://ci.example.com/keys\"\n\n[catalog]",
        );
        let c = parse(&two).unwrap();
        let (a, b) = (&c.trusted_issuers[0], &c.trusted_issuers[1]);
        assert_eq!(
            (a.claims.sub.as_str(), a.claims.email.as_str()),
            ("oid", "email")
        );
        assert_eq!(
            (a.claims.groups.as_str(), a.leeway_secs),
            ("realm_access.roles", 5)
        );
        assert_eq!(
            (b.audience.as_str(), b.claims.groups.as_str()),
            ("zt-ci", "groups")
        );
        assert!(matches!(&b.jwks, JwksSource::Url(u) if u == "https://ci.example.com/keys"));
    }
}
