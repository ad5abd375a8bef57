//! What a token's claims say, once its signature is checked: the registered claims' failures
//! (`exp`, `nbf`, `aud`, `iss`, checked by the [`Validation`](jsonwebtoken::Validation) each key
//! is pinned with) as messages safe to return, and the mapping of the configured claim names
//! onto a [`Principal`] (dot paths into nested objects, groups as a list or one string).

use jsonwebtoken::errors::ErrorKind;
use serde_json::{Map, Value};

use super::{AuthError, Principal, TrustedIssuer};

/// The client's message for a failed `jsonwebtoken` check.
pub(super) fn map_jwt_error(kind: &ErrorKind) -> AuthError {
    AuthError::new(match kind {
        ErrorKind::ExpiredSignature => "token has expired".to_string(),
        ErrorKind::ImmatureSignature => "token is not valid yet (nbf)".to_string(),
        ErrorKind::InvalidAudience => "token audience does not include this broker".to_string(),
        ErrorKind::InvalidIssuer => "token issuer mismatch".to_string(),
        ErrorKind::InvalidSignature => "token signature is invalid".to_string(),
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            "token algorithm not accepted".to_string()
        }
        // The claim names come from our own Validation, never from the token.
        ErrorKind::MissingRequiredClaim(c) => format!("token lacks the `{c}` claim"),
        ErrorKind::InvalidClaimFormat(c) => format!("token has a malformed `{c}` claim"),
        _ => "malformed token".to_string(),
    })
}

/// Looks a claim up by its literal name, else as a dot path into nested objects.
fn claim<'a>(claims: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(path) {
        return Some(v);
    }
    let mut segments = path.split('.');
    let mut cur = claims.get(segments.next()?)?;
    for seg in segments {
        cur = cur.as_object()?.get(seg)?;
    }
    Some(cur)
}

fn string_claim(claims: &Map<String, Value>, path: &str) -> Option<String> {
    match claim(claims, path) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

pub(super) fn principal_from_claims(
    claims: &Map<String, Value>,
    cfg: &TrustedIssuer,
) -> Result<Principal, AuthError> {
    let names = &cfg.claims;
    let sub =
        string_claim(claims, &names.sub).ok_or_else(|| AuthError::new("token has no subject"))?;
    let groups = match claim(claims, &names.groups) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    };
    Ok(Principal {
        sub,
        issuer: cfg.issuer.clone(),
        email: string_claim(claims, &names.email),
        name: string_claim(claims, &names.name),
        groups,
        auth: super::AuthFacts::from_claims(claims, &cfg.acr_values),
    })
}

#[cfg(test)]
mod tests {
    //! The registered claims a token must carry (`aud`, `iss`, `exp`, `nbf`, with leeway) and the
    //! mapping of configurable claim names onto a [`Principal`](crate::auth::Principal), through
    //! the verifier, with the auth tests' helpers (`auth/tests.rs`).

    use jsonwebtoken::Algorithm;
    use serde_json::json;

    use crate::auth::tests::{
        AUD, ISS, claims, ec_key, jwks, now, refused, sign, verifier, with, without,
    };
    use crate::auth::{ClaimNames, JwksSource, TrustedIssuer, Verifier};

    #[tokio::test]
    async fn audience_is_checked() {
        let k = ec_key(Algorithm::ES256);
        let v = verifier(&[&k]);
        let msg = refused(&v, &sign(&k, &with(claims(), "aud", json!("zt-cli")))).await;
        assert!(msg.contains("audience"), "{msg}");
        refused(&v, &sign(&k, &with(claims(), "aud", json!(["a", "b"])))).await;
        refused(&v, &sign(&k, &with(claims(), "aud", json!([])))).await;
        let msg = refused(&v, &sign(&k, &without(claims(), "aud"))).await;
        assert!(msg.contains("aud"), "{msg}");
        let ok = sign(&k, &with(claims(), "aud", json!(["zt-cli", AUD])));
        assert!(v.verify(&ok).await.is_ok());
    }

    #[tokio::test]
    async fn issuer_is_checked() {
        let k = ec_key(Algorithm::ES256);
        let v = verifier(&[&k]);
        let msg = refused(
            &v,
            &sign(&k, &with(claims(), "iss", json!("https://evil.test"))),
        )
        .await;
        assert!(msg.contains("not trusted"), "{msg}");
        refused(
            &v,
            &sign(&k, &with(claims(), "iss", json!(format!("{ISS}/")))),
        )
        .await;
        refused(&v, &sign(&k, &with(claims(), "iss", json!([ISS])))).await;
        refused(&v, &sign(&k, &with(claims(), "iss", json!("")))).await;
        refused(&v, &sign(&k, &without(claims(), "iss"))).await;
    }

    #[tokio::test]
    async fn expiry_not_before_and_leeway() {
        let k = ec_key(Algorithm::ES256);
        let v = verifier(&[&k]);
        let t = now();
        let msg = refused(&v, &sign(&k, &with(claims(), "exp", json!(t - 120)))).await;
        assert!(msg.contains("expired"), "{msg}");
        // Within the default 60 s leeway.
        assert!(
            v.verify(&sign(&k, &with(claims(), "exp", json!(t - 30))))
                .await
                .is_ok()
        );
        let msg = refused(&v, &sign(&k, &with(claims(), "nbf", json!(t + 120)))).await;
        assert!(msg.contains("not valid yet"), "{msg}");
        assert!(
            v.verify(&sign(&k, &with(claims(), "nbf", json!(t + 30))))
                .await
                .is_ok()
        );
        assert!(
            v.verify(&sign(&k, &with(claims(), "nbf", json!(t - 30))))
                .await
                .is_ok()
        );
        let msg = refused(&v, &sign(&k, &without(claims(), "exp"))).await;
        assert!(msg.contains("exp"), "{msg}");
        refused(&v, &sign(&k, &with(claims(), "exp", json!("tomorrow")))).await;
        refused(&v, &sign(&k, &with(claims(), "nbf", json!("yesterday")))).await;

        let mut strict = TrustedIssuer::new(ISS, AUD, JwksSource::Static(jwks(&[&k])));
        strict.leeway_secs = 0;
        let v = Verifier::new(vec![strict], reqwest::Client::new());
        refused(&v, &sign(&k, &with(claims(), "exp", json!(t - 30)))).await;
        refused(&v, &sign(&k, &with(claims(), "nbf", json!(t + 30)))).await;
    }

    #[tokio::test]
    async fn claim_mapping() {
        let k = ec_key(Algorithm::ES256);
        let mut keycloak = TrustedIssuer::new(ISS, AUD, JwksSource::Static(jwks(&[&k])));
        keycloak.claims = ClaimNames {
            sub: "preferred_username".into(),
            groups: "realm_access.roles".into(),
            ..ClaimNames::default()
        };
        let v = Verifier::new(vec![keycloak], reqwest::Client::new());
        let c = with(
            with(claims(), "preferred_username", json!("alice.k")),
            "realm_access",
            json!({ "roles": ["admin", 7, "", "ops"] }),
        );
        let p = v.verify(&sign(&k, &c)).await.unwrap();
        assert_eq!(p.sub, "alice.k");
        assert_eq!(p.groups, vec!["admin", "ops"]);
        // The subject claim missing: refused even though `sub` exists.
        let msg = refused(&v, &sign(&k, &claims())).await;
        assert!(msg.contains("subject"), "{msg}");

        let mut auth0 = TrustedIssuer::new(ISS, AUD, JwksSource::Static(jwks(&[&k])));
        auth0.claims.groups = "https://zt.dev/groups".into();
        let v = Verifier::new(vec![auth0], reqwest::Client::new());
        let c = with(claims(), "https://zt.dev/groups", json!(["a.b"]));
        assert_eq!(v.verify(&sign(&k, &c)).await.unwrap().groups, vec!["a.b"]);

        let v = verifier(&[&k]);
        let one = with(claims(), "groups", json!("admins"));
        assert_eq!(
            v.verify(&sign(&k, &one)).await.unwrap().groups,
            vec!["admins"]
        );
        for odd in [json!(null), json!(3), json!({ "a": 1 }), json!("")] {
            let c = with(claims(), "groups", odd);
            assert!(v.verify(&sign(&k, &c)).await.unwrap().groups.is_empty());
        }
        assert!(
            v.verify(&sign(&k, &without(claims(), "groups")))
                .await
                .unwrap()
                .groups
                .is_empty()
        );
        for bad_sub in [json!(""), json!(42), json!(null)] {
            refused(&v, &sign(&k, &with(claims(), "sub", bad_sub))).await;
        }
        refused(&v, &sign(&k, &without(claims(), "sub"))).await;
    }
}
