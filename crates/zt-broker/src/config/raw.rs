//! The configuration file as written, for serde: every section and key `zt-broker serve`
//! takes, each value with its span so a check made later can point at it.

use serde::Deserialize;
use toml::Spanned;

use crate::catalog::FileResource;

// The file as written. Sections are optional here only so that a missing one gets its own
// message ("missing section [server]") instead of serde's "missing field `server`".

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) admin_groups: Option<Vec<Spanned<String>>>,
    pub(super) server: Option<Spanned<RawServer>>,
    pub(super) store: Option<Spanned<RawStore>>,
    pub(super) login: Option<Spanned<RawLogin>>,
    pub(super) trusted_issuer: Option<Vec<Spanned<RawIssuer>>>,
    pub(super) catalog: Option<Spanned<RawCatalog>>,
    pub(super) policy: Option<super::policy::RawPolicy>,
    pub(super) requests: Option<super::requests::RawRequests>,
    pub(super) webhook: Option<Vec<super::webhooks::RawWebhook>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    pub(super) listen: Spanned<String>,
    pub(super) public_url: Option<Spanned<String>>,
    pub(super) tls_cert: Option<Spanned<String>>,
    pub(super) tls_key: Option<Spanned<String>>,
    pub(super) allow_plain_http: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStore {
    pub(super) url: Spanned<String>,
    pub(super) credential_key_file: Option<Spanned<String>>,
    pub(super) credential_key_env: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLogin {
    pub(super) issuer: Spanned<String>,
    pub(super) client_id: Spanned<String>,
    pub(super) scopes: Option<Vec<Spanned<String>>>,
    pub(super) audience: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIssuer {
    pub(super) issuer: Spanned<String>,
    pub(super) audience: Spanned<String>,
    pub(super) jwks_uri: Option<Spanned<String>>,
    pub(super) claims: Option<RawClaims>,
    pub(super) leeway_secs: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClaims {
    pub(super) sub: Option<Spanned<String>>,
    pub(super) email: Option<Spanned<String>>,
    pub(super) name: Option<Spanned<String>>,
    pub(super) groups: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCatalog {
    pub(super) file: Option<Spanned<String>>,
    #[serde(rename = "resource")]
    pub(super) resources: Option<Vec<Spanned<FileResource>>>,
}

/// A catalog file, with each resource's place in it kept for messages.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CatalogFile {
    #[serde(rename = "resource", default)]
    pub(super) resources: Vec<Spanned<FileResource>>,
}
