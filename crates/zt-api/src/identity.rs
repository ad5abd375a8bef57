//! Who is who: the broker's discovery document (how `zt login` finds the identity provider)
//! and `GET /v1/me` (who the broker thinks the caller is).

use serde::{Deserialize, Serialize};

/// `GET /.well-known/zt`: everything `zt login --broker URL` needs to find the identity provider.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Discovery {
    /// The OpenID provider's issuer URL (its `/.well-known/openid-configuration` is below it).
    pub issuer: String,
    /// The public OAuth client id zt uses at that provider.
    pub client_id: String,
    /// Scopes to ask for (`openid`, `offline_access`, …).
    pub scopes: Vec<String>,
    /// The audience (`aud`) the broker requires in access tokens; sent as the RFC 8707
    /// `resource` parameter when the provider needs it to mint a JWT for the broker.
    pub audience: String,
    /// The broker's version, for `zt doctor` and bug reports.
    pub broker_version: String,
}

/// `GET /v1/me`: who the broker thinks the caller is.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Me {
    pub sub: String,
    pub issuer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}
