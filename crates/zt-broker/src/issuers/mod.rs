//! Issuers mint the credential of a grant at its target and take it back. One [`Issuer`] per
//! catalog resource, chosen by its `settings.issuer` ([`real`]): [`kubernetes`] (ServiceAccount,
//! binding, TokenRequest token), [`postgres`] (a login role per grant), [`aws`] (an STS
//! AssumeRole session); `"dev"` (and, in `zt-broker dev`'s wiring, no setting) selects the
//! development issuers, which live in the `dev` module and reach production only as a
//! [`DevIssuers`] handed in. The real ones are each behind a cargo feature ([`crate::features`]);
//! a catalog naming one this build left out is refused by [`real`], with the feature's name.

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "kubernetes")]
pub mod kubernetes;
pub mod postgres;
pub mod ssh;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::catalog::{Catalog, Resource};
use crate::store::{Record, Store};
use zt_api::{Credential, CredentialsRequest, ResourceKind, Timestamp};

/// What an issuer knows about the grant it mints for.
#[derive(Debug, Clone)]
pub struct Grant {
    pub id: String,
    /// The requester's display name (for session names, database role names).
    pub requester: String,
    pub resource: String,
    pub kind: ResourceKind,
    pub role: String,
    /// The request's ticket, if it named one (AWS session tag `zt-ticket`).
    pub ticket: Option<String>,
    pub not_before: Timestamp,
    /// The credential must not outlive this.
    pub expires_at: Timestamp,
    /// The resource's issuer settings overlaid with the role's (see the catalog).
    pub settings: toml::Table,
}

impl Grant {
    /// The grant behind a stored request, with its catalog settings. `None` when the request
    /// has no window (never approved) or its resource/role left the catalog.
    pub fn from_record(rec: &Record, catalog: &Catalog) -> Option<Self> {
        let r = &rec.request;
        let res = catalog.resource(&r.resource)?;
        let role = res.role(&r.role)?;
        Some(Self {
            id: r.id.clone(),
            requester: r.requester.clone(),
            resource: r.resource.clone(),
            kind: r.kind,
            role: r.role.clone(),
            ticket: r.ticket.clone(),
            not_before: r.not_before?,
            expires_at: r.expires_at?,
            settings: res.settings_for(role),
        })
    }
}

/// The target refused or could not be reached. The message reaches the caller (502) and the
/// audit log, so it must name what failed and never carry a secret.
#[derive(Debug, Clone)]
pub struct IssueError(pub String);

impl fmt::Display for IssueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A boxed future, so issuers of different types live behind one `dyn Issuer`.
pub type IssueFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, IssueError>> + Send + 'a>>;

pub trait Issuer: Send + Sync {
    /// Mint the grant's credential at the target; it must expire no later than the grant.
    fn issue<'a>(&'a self, grant: &'a Grant) -> IssueFuture<'a, Credential>;
    /// [`Issuer::issue`] with what the client sent (`POST /v1/grants/{id}/credentials`'s
    /// body): the `ssh` issuer certifies its public key; the others ignore it (the default).
    fn issue_with<'a>(
        &'a self,
        grant: &'a Grant,
        _req: &'a CredentialsRequest,
    ) -> IssueFuture<'a, Credential> {
        self.issue(grant)
    }
    /// Take the grant's credential back at the target. Idempotent.
    fn revoke<'a>(&'a self, grant: &'a Grant) -> IssueFuture<'a, ()>;
    /// The grant now ends at `grant.expires_at`, later than before: move the end of the
    /// credential already minted there, if the target allows it. `Ok(true)`: done, the stored
    /// credential stays valid to the new end. `Ok(false)` (the default): the credential keeps
    /// its end and the broker mints a fresh one near it — fine for what clients fetch again
    /// (kubectl's exec plugin, `credential_process`), not for what they wrote down once.
    fn extend<'a>(&'a self, _grant: &'a Grant) -> IssueFuture<'a, bool> {
        Box::pin(async { Ok(false) })
    }
    /// Where the grant's credential will connect, as a credential with empty secrets, known
    /// without minting: what a first-use grant's entries are written from before its first
    /// use. `None` (the default): the issuer cannot tell without minting.
    fn connection(&self, _grant: &Grant) -> Option<Credential> {
        None
    }
}

/// Makes the development issuers over a store. `zt-broker serve` takes one for the resources
/// that name `issuer = "dev"`, so that it needs nothing from the `dev` module itself.
pub type DevIssuers = fn(Store) -> Arc<dyn Issuer>;

/// The issuer of each catalog resource.
#[derive(Clone, Default)]
pub struct Issuers {
    by_resource: HashMap<String, Arc<dyn Issuer>>,
}

impl Issuers {
    pub fn insert(&mut self, resource: impl Into<String>, issuer: Arc<dyn Issuer>) {
        self.by_resource.insert(resource.into(), issuer);
    }

    pub fn get(&self, resource: &str) -> Option<Arc<dyn Issuer>> {
        self.by_resource.get(resource).cloned()
    }
}

/// The real issuer a resource's `settings.issuer` selects, its settings (and every role's)
/// checked without contacting the target; `None` without the setting (or `"dev"`): the dev
/// issuers. The one place that knows the issuer names.
pub fn real(res: &Resource) -> Result<Option<Arc<dyn Issuer>>, String> {
    let name = match res.settings.get("issuer") {
        None => return Ok(None),
        Some(v) => v
            .as_str()
            .ok_or_else(|| format!("{}: setting issuer must be a string", res.name))?,
    };
    Ok(Some(match (name, res.kind) {
        // The broker's own CA, which the caller holds: see [`ssh_issuer`].
        (_, ResourceKind::Ssh) | (ssh::ISSUER_NAME, _) => {
            return Err(format!(
                "{}: an ssh resource, and only one, takes issuer = \"{}\" (the broker's SSH CA)",
                res.name,
                ssh::ISSUER_NAME
            ));
        }
        ("dev", _) => return Ok(None),
        #[cfg(feature = "postgres")]
        ("postgres", ResourceKind::Postgres) => postgres::PostgresIssuer::new(res)?,
        #[cfg(not(feature = "postgres"))]
        ("postgres", ResourceKind::Postgres) => not_built(res, name, "postgres")?,
        #[cfg(feature = "kubernetes")]
        ("kubernetes", _) => kubernetes::KubernetesIssuer::for_resource(res)?,
        #[cfg(not(feature = "kubernetes"))]
        ("kubernetes", _) => not_built(res, name, "kubernetes")?,
        #[cfg(feature = "aws")]
        (aws::ISSUER_NAME, _) => {
            aws::AwsStsIssuer::check(res)?;
            aws::AwsStsIssuer::shared()
        }
        #[cfg(not(feature = "aws"))]
        ("aws-sts", _) => not_built(res, name, "aws")?,
        (name, kind) => {
            return Err(format!(
                "{}: no issuer {name:?} for a {kind} resource (known: dev; kubernetes, postgres, aws-sts for their kinds)",
                res.name
            ));
        }
    }))
}

/// The issuer of an `ssh` resource: the broker's SSH CA, once its settings (every role's)
/// check out. `settings.issuer` is `"ssh-ca"` (or, in `zt-broker dev`'s catalogs, absent);
/// `ca` is `None` when the broker has none configured, which is the error.
pub fn ssh_issuer(
    res: &Resource,
    ca: Option<&Arc<ssh::ca::SshCa>>,
    store: &Store,
) -> Result<Arc<dyn Issuer>, String> {
    check_ssh(res)?;
    let ca = ca.ok_or_else(|| {
        format!(
            "{}: an ssh resource needs the broker's SSH CA: [ssh] ca_key_file or ca_key_env",
            res.name
        )
    })?;
    Ok(ssh::SshIssuer::new(ca.clone(), store.clone()))
}

/// An `ssh` resource's issuer setting and settings, checked without its CA.
pub fn check_ssh(res: &Resource) -> Result<(), String> {
    match res.settings.get("issuer").map(|v| v.as_str()) {
        None | Some(Some(ssh::ISSUER_NAME)) => {}
        Some(_) => {
            return Err(format!(
                "{}: an ssh resource takes issuer = \"{}\" (the broker's SSH CA)",
                res.name,
                ssh::ISSUER_NAME
            ));
        }
    }
    ssh::SshIssuer::check(res)
}

/// A resource whose issuer this build left out (see [`crate::features`]): always the error.
#[cfg(not(all(feature = "aws", feature = "kubernetes", feature = "postgres")))]
fn not_built(res: &Resource, name: &str, feature: &str) -> Result<Arc<dyn Issuer>, String> {
    Err(format!(
        "{}: {}",
        res.name,
        crate::features::missing(&format!("issuer {name:?}"), feature)
    ))
}
