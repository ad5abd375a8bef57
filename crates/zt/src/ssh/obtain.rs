//! An SSH grant's key and certificate for a command of zt's own (`zt exec`), which puts them in
//! a private agent: the ones `zt request` wrote in the runtime dir while their certificate is
//! good, else a key made now, in memory only, with a certificate the broker signs for it.

use super::{CheckedCert, GrantFiles, GrantKey};
use crate::client::BrokerClient;
use crate::credcache;
use crate::error::{Error, Result};
use crate::ledger::{Ledger, Target};
use zt_api::{Credential, ResourceKind};

/// Whether `grant` is an SSH grant, from what this machine knows (its cached credential, its
/// ledger entries); `None` when it knows nothing of the grant.
pub fn known_ssh(grant: &str) -> Option<bool> {
    if let Some(c) = credcache::load(grant) {
        return Some(matches!(c.credential, Credential::Ssh { .. }));
    }
    let ledger = Ledger::read().unwrap_or_default();
    let e = ledger.for_grant(grant).next()?;
    Some(matches!(
        e.target,
        Target::SshHost { .. } | Target::SshKey { .. } | Target::SshAgent { .. }
    ))
}

/// Whether `grant` is an SSH grant: [`known_ssh`], else the broker's word.
pub async fn is_ssh(grant: &str, client: &BrokerClient) -> Result<bool> {
    match known_ssh(grant) {
        Some(b) => Ok(b),
        None => Ok(client.get_request(grant, None).await?.kind == ResourceKind::Ssh),
    }
}

/// The key and its checked certificate, with at least `min_left` seconds to run.
pub async fn key_and_cert(
    grant: &str,
    min_left: u64,
    client: &BrokerClient,
) -> Result<(GrantKey, CheckedCert)> {
    let files = GrantFiles::of(grant)?;
    let now = zt_api::Timestamp::now().0.max(0) as u64;
    if let (Ok(key), Ok(Some(line))) = (
        GrantKey::load(&files.key),
        crate::fsutil::read_optional_max(&files.cert, 64 << 10),
    ) && let Ok(cert) = key.check(line.trim_end())
        && cert.valid_before > now + min_left
    {
        return Ok((key, cert));
    }
    let key = GrantKey::generate(grant)?;
    let credential = client.ssh_credentials(grant, &key.public_line()?).await?;
    let Credential::Ssh { certificate, .. } = &credential else {
        return Err(Error::other(format!(
            "the broker sent no SSH certificate for grant {grant}"
        )));
    };
    let cert = key.check(certificate)?;
    Ok((key, cert))
}
