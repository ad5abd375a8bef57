//! The client's SSH side: an Ed25519 key pair made for one grant (the private key stays on this
//! machine: in memory, in the 0600 runtime dir, in an ssh-agent), the check of the certificate
//! the broker signs for it, the ssh-agent protocol ([`agent`]) and the private agent of
//! `zt exec` ([`private`]). Where the files and the `Host` block go is `grants/ssh.rs`.

pub mod agent;
pub mod obtain;
pub mod private;

use std::path::{Path, PathBuf};

use base64::Engine;
use ssh_key::private::{Ed25519Keypair, KeypairData};
use ssh_key::{Certificate, LineEnding, PrivateKey, PublicKey};

use crate::error::{Error, Result};
use crate::{fsutil, paths};

/// A grant's key pair.
pub struct GrantKey {
    key: PrivateKey,
}

/// A certificate the broker signed, checked against the key it was asked for.
pub struct CheckedCert {
    /// The certificate line as the broker sent it (for the `-cert.pub` file).
    pub line: String,
    /// The certificate's wire blob (what the agent is given and removes by).
    pub blob: Vec<u8>,
    /// Unix seconds: the end of the certificate's validity.
    pub valid_before: u64,
}

/// The largest certificate line zt accepts: an Ed25519 certificate with a few principals and
/// options is under 1 KiB; this leaves room for long principal lists and nothing more.
const MAX_CERT_LINE: usize = 16 << 10;

impl GrantKey {
    /// A fresh Ed25519 key pair from the OS's random source.
    pub fn generate(grant: &str) -> Result<GrantKey> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| Error::other(format!("cannot get random bytes for an SSH key: {e}")))?;
        let pair = Ed25519Keypair::from_seed(&seed);
        seed.fill(0);
        let key = PrivateKey::new(KeypairData::Ed25519(pair), format!("zt grant {grant}"))
            .map_err(|e| Error::other(format!("cannot make an SSH key: {e}")))?;
        Ok(GrantKey { key })
    }

    /// A grant's key as `zt request` wrote it.
    pub fn load(file: &Path) -> Result<GrantKey> {
        let text = fsutil::read_optional_max(file, 64 << 10)?.ok_or_else(|| {
            Error::other(format!("the grant's SSH key {} is gone", file.display()))
        })?;
        let key = PrivateKey::from_openssh(text.as_bytes()).map_err(|e| {
            Error::other(format!("cannot read the SSH key {}: {e}", file.display()))
        })?;
        match key.key_data() {
            KeypairData::Ed25519(_) => Ok(GrantKey { key }),
            _ => Err(Error::other(format!(
                "{} is not an Ed25519 key of zt's",
                file.display()
            ))),
        }
    }

    /// The OpenSSH public key line sent to the broker.
    pub fn public_line(&self) -> Result<String> {
        self.key
            .public_key()
            .to_openssh()
            .map_err(|e| Error::other(format!("cannot encode an SSH public key: {e}")))
    }

    pub fn public(&self) -> &PublicKey {
        self.key.public_key()
    }

    /// The public key's wire blob.
    pub fn public_blob(&self) -> Result<Vec<u8>> {
        self.key
            .public_key()
            .to_bytes()
            .map_err(|e| Error::other(format!("cannot encode an SSH public key: {e}")))
    }

    /// `seed ‖ public` (64 bytes) and the public key (32 bytes), for the agent protocol.
    /// (The caller zeroes the 64 bytes after use.)
    pub(crate) fn ed25519_parts(&self) -> Option<(Vec<u8>, [u8; 32])> {
        let KeypairData::Ed25519(pair) = self.key.key_data() else {
            return None;
        };
        let public = pair.public.0;
        let mut both = Vec::with_capacity(64);
        both.extend_from_slice(pair.private.as_ref());
        both.extend_from_slice(&public);
        Some((both, public))
    }

    /// Write the private key (OpenSSH format, 0600, atomically) to `file`.
    pub fn write(&self, file: &Path) -> Result<()> {
        let pem = self
            .key
            .to_openssh(LineEnding::LF)
            .map_err(|e| Error::other(format!("cannot encode an SSH key: {e}")))?;
        fsutil::atomic_write(file, pem.as_bytes(), 0o600)
    }

    /// Check the broker's certificate: one line, an Ed25519 user certificate, for exactly this
    /// key, signed (by the key it names: the CA's trust is the hosts' business), valid now.
    pub fn check(&self, line: &str) -> Result<CheckedCert> {
        let bad = |why: String| {
            Error::other(format!(
                "the broker sent an SSH certificate zt will not use: {why}; zt wrote nothing"
            ))
            .with_hint("report this to the broker's operators")
        };
        if line.len() > MAX_CERT_LINE || line.chars().any(|c| c.is_control()) {
            return Err(bad("not one line of a certificate".into()));
        }
        let mut fields = line.split(' ');
        let (Some(kind), Some(b64)) = (fields.next(), fields.next()) else {
            return Err(bad("not a certificate line".into()));
        };
        if kind != "ssh-ed25519-cert-v01@openssh.com" {
            return Err(bad(format!(
                "of type {}, not an Ed25519 certificate",
                crate::output::field(kind)
            )));
        }
        let blob = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| bad("not base64".into()))?;
        let cert = Certificate::from_bytes(&blob).map_err(|e| bad(format!("unreadable ({e})")))?;
        if cert.public_key() != self.key.public_key().key_data() {
            return Err(bad(
                "it certifies another public key than the one zt sent".into()
            ));
        }
        if cert.cert_type() != ssh_key::certificate::CertType::User {
            return Err(bad("not a user certificate".into()));
        }
        let now = zt_api::Timestamp::now().0.max(0) as u64;
        if cert.valid_before() <= now {
            return Err(bad("it has already expired".into()));
        }
        // The signature, by the key the certificate names (whether hosts trust that CA is theirs
        // to say), checked at a time inside its window: a clock a little behind the broker's
        // is not zt's reason to refuse.
        let ca = cert.signature_key().fingerprint(Default::default());
        cert.validate_at(now.max(cert.valid_after()), [&ca])
            .map_err(|_| bad("its signature does not verify".into()))?;
        Ok(CheckedCert {
            line: line.to_string(),
            blob,
            valid_before: cert.valid_before(),
        })
    }
}

/// Where a grant's SSH files live: `<runtime dir>/ssh/<grant>` (the private key),
/// `<grant>-cert.pub` (beside it, where ssh also looks) and `<grant>.known_hosts`. Absolute, as
/// ssh's config needs.
pub struct GrantFiles {
    pub key: PathBuf,
    pub cert: PathBuf,
    pub known_hosts: PathBuf,
}

impl GrantFiles {
    pub fn of(grant: &str) -> Result<GrantFiles> {
        if !zt_api::valid_name(grant) {
            return Err(Error::usage(format!("{grant:?} is not a grant id")));
        }
        let dir = ssh_runtime_dir()?;
        Ok(GrantFiles {
            key: dir.join(grant),
            cert: dir.join(format!("{grant}-cert.pub")),
            known_hosts: dir.join(format!("{grant}.known_hosts")),
        })
    }
}

/// `<runtime dir>/ssh`, absolute (a relative `ZT_RUNTIME_DIR` is taken from the current dir).
pub fn ssh_runtime_dir() -> Result<PathBuf> {
    let dir = paths::runtime_dir()?.join("ssh");
    std::path::absolute(&dir).map_err(|e| Error::io(format!("cannot resolve {}", dir.display()), e))
}

/// known_hosts lines from the broker, checked: each one line of printable text (a marker, host
/// patterns, a key), a bounded number of them.
pub fn known_hosts_text(lines: &[String]) -> Result<Option<String>> {
    if lines.is_empty() {
        return Ok(None);
    }
    let bad = |why: &str| {
        Error::other(format!(
            "the broker sent known_hosts lines zt will not write ({why}); zt wrote nothing"
        ))
        .with_hint("report this to the broker's operators")
    };
    if lines.len() > 64 {
        return Err(bad("more than 64"));
    }
    let mut out = String::new();
    for l in lines {
        if l.len() > 16 << 10
            || l.chars().any(|c| c.is_control())
            || l.split_whitespace().count() < 3
        {
            return Err(bad("not a known_hosts line"));
        }
        out.push_str(l);
        out.push('\n');
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests;
