//! The development issuers of `zt-broker dev`: credentials in the real formats, minted without
//! a real target. Kubernetes tokens work against this broker's dev Kubernetes API (which looks
//! them up by hash); AWS keys and PostgreSQL logins look right but open nothing.
//! [`for_resource`] picks each resource's issuer under `zt-broker dev`: these, unless its
//! `issuer` setting names a real one.

use std::sync::Arc;

use base64::Engine;

use crate::catalog::Resource;
use crate::crypto::{self, ALNUM, LOWER_ALNUM};
use crate::issuers::postgres::pg_name;
use crate::issuers::{self, Grant, IssueError, IssueFuture, Issuer};
use crate::store::Store;
use zt_api::{Credential, ResourceKind, Timestamp};

/// AWS access key ids use the RFC 4648 base32 alphabet after their 4-letter prefix.
const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// What the dev issuer would put in a kubeconfig for a resource without `settings.server`
/// under `zt-broker serve`. Its configuration refuses such resources (there is no dev
/// Kubernetes API there), so this never reaches anyone; `.invalid` (RFC 2606) makes sure it
/// could not resolve if it did.
const NO_DEV_KUBERNETES_API: &str = "https://dev-kubernetes-api.invalid";

/// The dev issuers for `zt-broker serve`'s resources with `issuer = "dev"` (a
/// [`crate::issuers::DevIssuers`]): every Kubernetes resource there names its own `server`.
pub fn for_serve(store: Store) -> Arc<dyn Issuer> {
    DevIssuer::new(NO_DEV_KUBERNETES_API, None, store)
}

/// The issuer of one catalog resource as `zt-broker dev` wires it: the one its `issuer`
/// setting names ([`issuers::real`]), else `dev` (so the demo catalog needs no setting;
/// `serve` refuses that). An unknown name, or one that does not fit the resource's kind, is an
/// error rather than a silent fall back to credentials that open nothing.
pub fn for_resource(res: &Resource, dev: Arc<dyn Issuer>) -> Result<Arc<dyn Issuer>, String> {
    Ok(issuers::real(res)?.unwrap_or(dev))
}

pub struct DevIssuer {
    /// Where kubectl finds the dev Kubernetes API, unless the resource sets `server`.
    kube_server: String,
    /// Base64 of the PEM CA that signed the dev Kubernetes API's certificate.
    kube_ca_data: Option<String>,
    /// The dev targets' own memory: revoking marks the credential dead there.
    store: Store,
}

impl DevIssuer {
    /// `kube_ca_pem`: the CA of the dev Kubernetes API's HTTPS port, for the kubeconfig.
    pub fn new(
        kube_server: impl Into<String>,
        kube_ca_pem: Option<&str>,
        store: Store,
    ) -> Arc<Self> {
        Arc::new(Self {
            kube_server: kube_server.into(),
            kube_ca_data: kube_ca_pem
                .map(|pem| base64::engine::general_purpose::STANDARD.encode(pem)),
            store,
        })
    }

    fn mint(&self, g: &Grant) -> Result<Credential, String> {
        let s = |k: &str| {
            g.settings
                .get(k)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        Ok(match g.kind {
            // Replaced by the broker's SSH CA issuer (issuers/ssh) in the next commits.
            ResourceKind::Ssh => return Err("no ssh issuer in this build yet".into()),
            ResourceKind::Kubernetes => {
                // A resource naming its own `server` brings its own CA (if any); ours vouches
                // only for the dev API.
                let (server, certificate_authority_data) = match s("server") {
                    Some(server) => (server, s("certificate_authority_data")),
                    None => (self.kube_server.clone(), self.kube_ca_data.clone()),
                };
                Credential::Kubernetes {
                    server,
                    certificate_authority_data,
                    namespace: Some(s("namespace").unwrap_or_else(|| "default".into())),
                    token: format!(
                        "ztdev.{}",
                        base64::engine::general_purpose::URL_SAFE_NO_PAD
                            .encode(crypto::random_bytes(32)?)
                    ),
                    expires_at: g.expires_at,
                }
            }
            ResourceKind::Aws => Credential::Aws {
                // `ASIA…`: the prefix of temporary (STS) access key ids.
                access_key_id: format!("ASIA{}", crypto::random_string(BASE32, 16)?),
                secret_access_key: crypto::random_string(SECRET_ALPHABET, 40)?,
                session_token: base64::engine::general_purpose::STANDARD
                    .encode(crypto::random_bytes(192)?),
                expires_at: g.expires_at,
                region: Some(s("region").unwrap_or_else(|| "us-east-1".into())),
            },
            ResourceKind::Postgres => Credential::Postgres {
                host: s("host").unwrap_or_else(|| "127.0.0.1".into()),
                port: g
                    .settings
                    .get("port")
                    .and_then(|v| v.as_integer())
                    .and_then(|p| u16::try_from(p).ok())
                    .unwrap_or(5432),
                dbname: s("dbname").unwrap_or_else(|| "postgres".into()),
                user: format!(
                    "zt_{}_{}",
                    pg_name(&g.requester),
                    crypto::random_string(LOWER_ALNUM, 8)?
                ),
                password: crypto::random_string(ALNUM, 32)?,
                sslmode: "prefer".into(),
                expires_at: g.expires_at,
            },
        })
    }
}

impl Issuer for DevIssuer {
    fn connection(&self, grant: &Grant) -> Option<Credential> {
        match grant.kind {
            ResourceKind::Kubernetes | ResourceKind::Aws => {
                crate::domain::schedule::without_secrets(self.mint(grant).ok()?)
            }
            _ => None,
        }
    }

    fn issue<'a>(&'a self, grant: &'a Grant) -> IssueFuture<'a, Credential> {
        Box::pin(async move { self.mint(grant).map_err(IssueError) })
    }

    fn revoke<'a>(&'a self, grant: &'a Grant) -> IssueFuture<'a, ()> {
        Box::pin(async move {
            self.store
                .mark_credential_revoked(&grant.id, Timestamp::now())
                .await
                .map(|_| ())
                .map_err(|e| IssueError(format!("dev issuer: {e}")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    /// Stands in for the dev issuer in the selection test.
    struct Dev;

    impl Issuer for Dev {
        fn issue<'a>(&'a self, _: &'a Grant) -> IssueFuture<'a, Credential> {
            Box::pin(async { Err(IssueError("dev".into())) })
        }
        fn revoke<'a>(&'a self, _: &'a Grant) -> IssueFuture<'a, ()> {
            Box::pin(async { Ok(()) })
        }
    }

    #[tokio::test]
    async fn no_issuer_setting_means_dev_and_the_setting_selects_the_issuer() {
        let dev: Arc<dyn Issuer> = Arc::new(Dev);
        // The demo catalog has no issuer settings: all dev.
        for res in crate::dev::demo::catalog().unwrap().resources() {
            let got = for_resource(res, dev.clone()).unwrap();
            assert!(Arc::ptr_eq(&got, &dev), "{}", res.name);
        }
        // A resource naming a real issuer gets it (its settings' checks: the issuer's tests),
        // or, in a build without it, an error naming its feature.
        let ok = Catalog::parse(
            "[[resource]]\nname = \"db\"\nkind = \"postgres\"\ndefault_role = \"r\"\n\
             max_ttl = \"1h\"\nsettings = { issuer = \"postgres\", \
             admin_url = \"postgres://u:p@127.0.0.1:1/app\" }\n\
             [[resource.role]]\nname = \"r\"\nsettings = {  }\n",
        )
        .unwrap();
        let got = for_resource(ok.resource("db").unwrap(), dev.clone());
        if cfg!(feature = "postgres") {
            assert!(
                !Arc::ptr_eq(&got.unwrap(), &dev),
                "the postgres issuer, lazily connected"
            );
        } else {
            let e = got.err().expect("no postgres issuer in this build");
            assert!(e.starts_with("db: issuer \"postgres\""), "{e}");
            assert!(e.contains("feature \"postgres\""), "{e}");
        }
    }

    fn grant(kind: ResourceKind, settings: &str) -> Grant {
        Grant {
            id: "g1".into(),
            requester: "Alice.Smith@example.com".into(),
            resource: "r".into(),
            kind,
            role: "x".into(),
            ticket: None,
            not_before: Timestamp(1000),
            expires_at: Timestamp(4600),
            settings: toml::from_str(settings).unwrap(),
        }
    }

    #[tokio::test]
    async fn credentials_have_the_real_formats_and_the_grant_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).await.unwrap();
        let iss = DevIssuer::new(
            "https://127.0.0.1:1",
            Some("-----BEGIN CERTIFICATE-----\n"),
            store,
        );

        let k = iss
            .issue(&grant(ResourceKind::Kubernetes, ""))
            .await
            .unwrap();
        let Credential::Kubernetes {
            server,
            certificate_authority_data,
            namespace,
            token,
            expires_at,
            ..
        } = k
        else {
            panic!()
        };
        assert_eq!(server, "https://127.0.0.1:1");
        assert_eq!(
            certificate_authority_data.as_deref(),
            Some("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==")
        );
        assert_eq!(namespace.as_deref(), Some("default"));
        assert!(token.len() > 40);
        assert_eq!(expires_at, Timestamp(4600));

        let a = iss
            .issue(&grant(ResourceKind::Aws, "region = \"eu-west-1\""))
            .await
            .unwrap();
        let Credential::Aws {
            access_key_id,
            secret_access_key,
            session_token,
            region,
            ..
        } = a
        else {
            panic!()
        };
        assert!(
            access_key_id.starts_with("ASIA") && access_key_id.len() == 20,
            "{access_key_id}"
        );
        assert_eq!(secret_access_key.len(), 40);
        assert!(!session_token.is_empty());
        assert_eq!(region.as_deref(), Some("eu-west-1"));

        let p = iss
            .issue(&grant(
                ResourceKind::Postgres,
                "dbname = \"app\"\nport = 5433",
            ))
            .await
            .unwrap();
        let Credential::Postgres {
            user,
            port,
            dbname,
            sslmode,
            password,
            ..
        } = p
        else {
            panic!()
        };
        assert!(
            user.starts_with("zt_alice_smith_") && user.len() <= 63,
            "{user}"
        );
        assert_eq!(
            (port, dbname.as_str(), sslmode.as_str()),
            (5433, "app", "prefer")
        );
        assert_eq!(password.len(), 32);
    }
}
