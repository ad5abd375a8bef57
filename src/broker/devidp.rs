//! PLACEHOLDER — the real development OpenID provider (device flow) is being written in
//! /work/wt-idp and replaces this file. Same public API; this stand-in only mints HS256
//! access tokens for the demo users so the broker can be built and tested meanwhile.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use base64::Engine;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, Jwk, JwkSet, OctetKeyParameters, OctetKeyType,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};

#[derive(Debug, Clone)]
pub struct DevUser {
    pub name: String,
    pub email: String,
    pub groups: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct DevIdpConfig {
    pub issuer: String,
    pub client_id: String,
    pub audience: String,
    pub users: Vec<DevUser>,
    pub auto_login: Option<String>,
    pub key_path: Option<PathBuf>,
    pub access_ttl: Duration,
    pub interval_secs: u64,
}

pub struct DevIdp {
    cfg: DevIdpConfig,
    secret: Vec<u8>,
}

impl DevIdp {
    pub fn demo_users() -> Vec<DevUser> {
        let u = |n: &str, g: &[&str]| DevUser {
            name: n.into(),
            email: format!("{n}@example.com"),
            groups: g.iter().map(|s| s.to_string()).collect(),
        };
        vec![
            u("alice", &["engineering"]),
            u("bob", &["engineering", "sre-leads"]),
            u("carol", &["zt-admins"]),
        ]
    }

    pub fn new(cfg: DevIdpConfig) -> Result<Arc<Self>, String> {
        let secret = match &cfg.key_path {
            Some(p) if p.exists() => std::fs::read(p).map_err(|e| e.to_string())?,
            Some(p) => {
                let s = crate::broker::crypto::random_bytes(32)?;
                std::fs::write(p, &s).map_err(|e| e.to_string())?;
                s
            }
            None => crate::broker::crypto::random_bytes(32)?,
        };
        Ok(Arc::new(Self { cfg, secret }))
    }

    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![Jwk {
                common: CommonParameters {
                    key_id: Some("placeholder".into()),
                    ..Default::default()
                },
                algorithm: AlgorithmParameters::OctetKey(OctetKeyParameters {
                    key_type: OctetKeyType::Octet,
                    value: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&self.secret),
                }),
            }],
        }
    }

    pub fn router(self: Arc<Self>) -> Router {
        let issuer = self.cfg.issuer.clone();
        Router::new().route(
            "/.well-known/openid-configuration",
            get(move || async move { axum::Json(serde_json::json!({ "issuer": issuer })) }),
        )
    }

    pub fn mint_access_token(&self, user: &str) -> Result<String, String> {
        let u = self
            .cfg
            .users
            .iter()
            .find(|u| u.name == user)
            .ok_or_else(|| format!("no dev user {user}"))?;
        let now = crate::api::Timestamp::now().0;
        let claims = serde_json::json!({
            "iss": self.cfg.issuer, "aud": self.cfg.audience, "sub": u.name,
            "email": u.email, "name": u.name, "groups": u.groups,
            "iat": now, "exp": now + self.cfg.access_ttl.as_secs() as i64,
        });
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&self.secret),
        )
        .map_err(|e| e.to_string())
    }
}
