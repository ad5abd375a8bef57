//! `zt-broker check`: everything `serve` would read and check, without opening the store or
//! contacting anything.

use std::path::Path;
use std::sync::Arc;

use super::{
    Loaded, load_key, load_policy, real_issuer, review_base, tls_config, warn_dev_issuers,
};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::issuers::ssh::ca::SshCa;
use crate::store::KeySource;
use zt_api as api;

/// `zt-broker check`: read and check everything `serve` would — the file, the catalog, the TLS
/// certificate and key, the policies — without opening the store or contacting the identity
/// providers. Returns the summary line.
pub fn check(path: &Path) -> Result<String> {
    let cfg = Config::load(path)?;
    if let Some(files) = &cfg.server.tls {
        tls_config(files)?;
    }
    // The key must load; a SQLite store's default one is made at its first start.
    match &cfg.store_key {
        KeySource::File { path, create: true } if !path.exists() => {}
        source => {
            load_key(source)?;
        }
    }
    let ssh_ca = load_ssh_ca(&cfg)?;
    for res in cfg.catalog.resources() {
        match res.kind {
            api::ResourceKind::Ssh => {
                crate::issuers::check_ssh(res)
                    .map_err(|e| Error::usage(format!("catalog: {e}")))?;
            }
            _ => {
                real_issuer(res)?;
            }
        }
    }
    if let Some(r) = &cfg.review {
        r.client_secret().map_err(Error::usage)?;
    }
    warn_dev_issuers(&cfg);
    let ssh = match &ssh_ca {
        Some(ca) => format!("; SSH CA {}", ca.fingerprint()),
        None => String::new(),
    };
    let loaded = load_policy(&cfg)?;
    // The review pages' base, as `start` sets it (the listen address standing for the bound one).
    let scheme = if cfg.server.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let url = (cfg.server.public_url.clone())
        .unwrap_or_else(|| format!("{scheme}://{}", cfg.server.listen));
    let base = review_base(&cfg, &url);
    let dir_asks = matches!(&loaded, Loaded::Dir(p, _) if p.current().asks_for_passkeys());
    let set = match &loaded {
        Loaded::Dir(p, _) => Some(p.current()),
        Loaded::Catalog(_) => None,
    };
    crate::oncall::check::warn_unknown(&cfg, set.as_deref());
    check_passkeys(&cfg, dir_asks, &base)?;
    let policies = match loaded {
        Loaded::Dir(p, dir) => format!(
            "; {} policies in {}",
            p.current().len(),
            dir.shown.display()
        ),
        Loaded::Catalog(_) => "; policies from the catalog's groups".to_string(),
    };
    Ok(format!("{}{policies}{ssh}", cfg.summary()))
}

/// The SSH user CA `[ssh]` names, loaded (and so checked); `None` without the section.
pub fn load_ssh_ca(cfg: &Config) -> Result<Option<Arc<SshCa>>> {
    cfg.ssh_ca
        .as_ref()
        .map(|src| {
            SshCa::load(src).map(Arc::new).map_err(|e| {
                Error::usage(format!("[ssh] {e}")).with_hint(
                    "the CA key is an unencrypted OpenSSH Ed25519 private key: \
                     ssh-keygen -t ed25519 -N '' -f ssh_user_ca; chmod 600 ssh_user_ca",
                )
            })
        })
        .transpose()
}

/// Passkey approvals (a policy's `@approval_assurance`, or a role's `approval_assurance`) need
/// the review pages on a host name: WebAuthn refuses an IP address as the relying party, which
/// is `base`'s host (`[server] public_url`, else the listen address).
pub(super) fn check_passkeys(cfg: &Config, policies_ask: bool, base: &str) -> Result<()> {
    let roles_ask = cfg
        .catalog
        .resources()
        .iter()
        .flat_map(|r| &r.roles)
        .any(|role| role.approval_assurance.is_some());
    if !(policies_ask || roles_ask) {
        return Ok(());
    }
    crate::review::passkey::ceremony::RelyingParty::from_base(base)
        .map(|_| ())
        .map_err(|e| {
            Error::usage(e)
                .with_hint("a policy or role asks for passkey approvals (approval_assurance)")
        })
}

/// [`check`], printing the summary.
pub fn check_main(path: &Path) -> Result<()> {
    println!("{}", check(path)?);
    Ok(())
}
