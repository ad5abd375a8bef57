//! PLACEHOLDER — the real module is being written in /work/wt-idp and replaces this file.
//! Same public API: verify a bearer JWT against trusted issuers and turn its claims into a
//! [`Principal`]. This stand-in only checks HS256 tokens against a static JWKS of octet keys.

use std::time::Duration;

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

/// Who made a request, as the identity provider vouched for them.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub sub: String,
    pub issuer: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub groups: Vec<String>,
}

impl Principal {
    /// What people see: the email, else the name, else the subject.
    pub fn display(&self) -> &str {
        self.email
            .as_deref()
            .or(self.name.as_deref())
            .unwrap_or(&self.sub)
    }
}

/// Which claims carry what.
#[derive(Debug, Clone)]
pub struct ClaimNames {
    pub sub: String,
    pub email: String,
    pub name: String,
    pub groups: String,
}

impl Default for ClaimNames {
    fn default() -> Self {
        Self {
            sub: "sub".into(),
            email: "email".into(),
            name: "name".into(),
            groups: "groups".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum JwksSource {
    Static(JwkSet),
    Url(String),
    Discover,
}

#[derive(Debug, Clone)]
pub struct TrustedIssuer {
    pub issuer: String,
    pub audience: String,
    pub jwks: JwksSource,
    pub claims: ClaimNames,
    pub leeway_secs: u64,
    pub min_refetch_interval: Duration,
}

#[derive(Debug, Clone)]
pub struct AuthError(pub String);

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub struct Verifier {
    issuers: Vec<TrustedIssuer>,
}

impl Verifier {
    pub fn new(issuers: Vec<TrustedIssuer>, _http: reqwest::Client) -> Self {
        Self { issuers }
    }

    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        for ti in &self.issuers {
            let JwksSource::Static(set) = &ti.jwks else {
                continue;
            };
            for jwk in &set.keys {
                if !matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
                    continue;
                }
                let Ok(key) = DecodingKey::from_jwk(jwk) else {
                    continue;
                };
                let mut v = Validation::new(Algorithm::HS256);
                v.set_issuer(&[&ti.issuer]);
                v.set_audience(&[&ti.audience]);
                v.leeway = ti.leeway_secs;
                let Ok(data) = jsonwebtoken::decode::<serde_json::Value>(token, &key, &v) else {
                    continue;
                };
                let c = data.claims;
                let s = |k: &str| c.get(k).and_then(|v| v.as_str()).map(str::to_owned);
                let sub = s(&ti.claims.sub).ok_or_else(|| AuthError("token has no subject".into()))?;
                let groups = c
                    .get(&ti.claims.groups)
                    .and_then(|g| g.as_array())
                    .map(|a| a.iter().filter_map(|g| g.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default();
                return Ok(Principal {
                    sub,
                    issuer: ti.issuer.clone(),
                    email: s(&ti.claims.email),
                    name: s(&ti.claims.name),
                    groups,
                });
            }
        }
        Err(AuthError("the token is not valid for this broker".into()))
    }
}
