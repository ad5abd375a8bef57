//! The `ssh` kind (issue 15): the broker's own user CA ([`ca`]) certifies the Ed25519 public
//! key the client made for a grant — the private key never leaves the client — for the
//! grant's principals, from a little before now until the grant's end. Each certificate gets a
//! serial from the store; a grant that ends early marks its certificates revoked, and the
//! broker serves them as an OpenSSH KRL ([`krl`]) for hosts' `RevokedKeys`. A resource's and
//! role's settings are [`settings`]'s.

pub mod ca;
pub mod krl;
pub mod settings;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use ssh_key::{Algorithm, Certificate, HashAlg, PublicKey};

use super::{Grant, IssueError, IssueFuture, Issuer};
use crate::catalog::Resource;
use crate::store::Store;
use ca::{CertSpec, SshCa};
use settings::SshSettings;
use zt_api::{Credential, CredentialsRequest, Timestamp};

/// `settings.issuer` of an `ssh` resource.
pub const ISSUER_NAME: &str = "ssh-ca";
/// How long before "now" a certificate starts being valid, for hosts whose clocks run behind.
pub const CLOCK_SKEW_SECS: i64 = 120;
/// The longest public key line accepted (an Ed25519 line is under 120 bytes with a comment).
pub const MAX_PUBLIC_KEY_LEN: usize = 8192;

/// The KRL of `ca`'s certificates that ended early and would still be valid at `now`, as
/// `GET /v1/ssh/krl` and `zt-broker ssh krl` serve it.
pub async fn current_krl(
    store: &Store,
    ca: &SshCa,
    now: Timestamp,
) -> Result<Vec<u8>, crate::store::StoreError> {
    let revoked = store.revoked_ssh_serials(now).await?;
    let ca_key = ca
        .public_key()
        .to_bytes()
        .map_err(|e| crate::store::StoreError::Corrupt(format!("the SSH CA's key: {e}")))?;
    Ok(krl::Krl {
        ca_key: &ca_key,
        version: revoked.version,
        generated: u64::try_from(now.0).unwrap_or(0),
        comment: "zt-broker: certificates of grants ended early",
        serials: &revoked.serials,
    }
    .encode())
}

/// The client's public key from the credentials call, checked: an OpenSSH Ed25519 public key
/// line. The message says what is wrong (the route answers 400 with it).
pub fn client_key(req: &CredentialsRequest) -> Result<PublicKey, String> {
    let line = req.public_key.as_deref().ok_or(
        "an ssh grant's credential needs public_key: the OpenSSH Ed25519 public key line \
         the client made for this grant",
    )?;
    if line.len() > MAX_PUBLIC_KEY_LEN {
        return Err(format!(
            "public_key is longer than {MAX_PUBLIC_KEY_LEN} bytes"
        ));
    }
    let alg = line.split_whitespace().next().unwrap_or("");
    if alg != "ssh-ed25519"
        && ["ssh-", "ecdsa-", "sk-"].iter().any(|p| alg.starts_with(p))
        && alg.len() <= 64
        && alg.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(format!("public_key is {alg}, not ssh-ed25519"));
    }
    let key = PublicKey::from_openssh(line.trim())
        .map_err(|_| "public_key is not an OpenSSH public key line (ssh-ed25519 AAAA…)")?;
    if key.algorithm() != Algorithm::Ed25519 {
        return Err(format!(
            "public_key is {}, not ssh-ed25519",
            key.algorithm()
        ));
    }
    Ok(key)
}

/// The certificate in a stored `ssh` credential.
fn certificate(cred: &Credential) -> Option<Certificate> {
    match cred {
        Credential::Ssh { certificate, .. } => Certificate::from_openssh(certificate).ok(),
        _ => None,
    }
}

/// Whether a stored `ssh` credential may be answered again for `key`: it certifies that very
/// key and runs to the grant's end (after an extension it does not: a new one is signed).
pub fn fits(stored: &Credential, key: &PublicKey, grant_end: Timestamp) -> bool {
    certificate(stored).is_some_and(|c| {
        c.public_key() == key.key_data() && i64::try_from(c.valid_before()) == Ok(grant_end.0)
    })
}

/// For the audit row of a minted `ssh` credential: its serial and the certified key.
pub fn describe(cred: &Credential) -> Option<String> {
    certificate(cred).map(|c| {
        let key = PublicKey::from(c.public_key().clone()).fingerprint(HashAlg::Sha256);
        format!("certificate serial {} of key {key}", c.serial())
    })
}

/// A requester's name as it goes into a key id, which sshd writes to its log: printable ASCII
/// only (anything else becomes `?`), at most 128 characters.
fn log_safe(s: &str) -> String {
    s.chars()
        .take(128)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect()
}

/// The `ssh-ca` issuer: signs with the broker's CA, records serials in the store.
pub struct SshIssuer {
    ca: Arc<SshCa>,
    store: Store,
}

impl SshIssuer {
    pub fn new(ca: Arc<SshCa>, store: Store) -> Arc<Self> {
        Arc::new(Self { ca, store })
    }

    /// Check an `ssh` resource's settings for every role, without signing anything.
    pub fn check(res: &Resource) -> Result<(), String> {
        for role in &res.roles {
            SshSettings::from_table(
                &res.settings_for(role),
                &format!("{}/{}", res.name, role.name),
            )?;
        }
        Ok(())
    }

    async fn mint(&self, g: &Grant, key: &PublicKey) -> Result<Credential, String> {
        let s = SshSettings::from_table(&g.settings, &format!("{}/{}", g.resource, g.role))?;
        let now = Timestamp::now();
        if g.expires_at <= now {
            return Err(format!("grant {} has ended", g.id));
        }
        let valid_after = u64::try_from(now.0.saturating_sub(CLOCK_SKEW_SECS).max(0)).unwrap_or(0);
        let valid_before = u64::try_from(g.expires_at.0).map_err(|_| "grant end before 1970")?;
        let key_sha256 = key.fingerprint(HashAlg::Sha256).to_string();
        let serial = self
            .store
            .record_ssh_certificate(&g.id, &key_sha256, g.expires_at, now)
            .await
            .map_err(|e| format!("cannot record the certificate's serial: {e}"))?;
        let spec = CertSpec {
            serial,
            key_id: format!("zt {} grant {}", log_safe(&g.requester), g.id),
            principals: s.principals.clone(),
            valid_after,
            valid_before,
            critical_options: s.critical_options(),
            extensions: s.extensions(),
            comment: format!("zt grant {}", g.id),
        };
        let cert = self.ca.sign(key, &spec)?;
        Ok(Credential::Ssh {
            host: s.host,
            port: s.port,
            user: s.user,
            certificate: cert
                .to_openssh()
                .map_err(|e| format!("cannot encode the certificate: {e}"))?,
            known_hosts: s.known_hosts,
            hosts: s.hosts,
            expires_at: g.expires_at,
        })
    }
}

impl Issuer for SshIssuer {
    fn issue<'a>(&'a self, grant: &'a Grant) -> IssueFuture<'a, Credential> {
        Box::pin(async move {
            Err(IssueError(format!(
                "grant {}: an ssh certificate needs the client's public key",
                grant.id
            )))
        })
    }

    fn issue_with<'a>(
        &'a self,
        grant: &'a Grant,
        req: &'a CredentialsRequest,
    ) -> IssueFuture<'a, Credential> {
        Box::pin(async move {
            let key = client_key(req).map_err(IssueError)?;
            self.mint(grant, &key).await.map_err(IssueError)
        })
    }

    /// Certificates cannot be recalled: those still valid go on the KRL.
    fn revoke<'a>(&'a self, grant: &'a Grant) -> IssueFuture<'a, ()> {
        Box::pin(async move {
            self.store
                .revoke_ssh_certificates(&grant.id, Timestamp::now())
                .await
                .map(|_| ())
                .map_err(|e| IssueError(format!("cannot record the revocation: {e}")))
        })
    }
}
