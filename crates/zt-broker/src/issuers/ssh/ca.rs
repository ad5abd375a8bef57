//! The broker's SSH user certificate authority: one Ed25519 key, read from a file or from an
//! environment variable the configuration names (never from the configuration itself), or made
//! by the dev broker in its data directory. It signs user certificates ([`SshCa::sign`]) and
//! shows its public key in `TrustedUserCAKeys` form ([`SshCa::public_line`]).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use ssh_key::certificate::{Builder, CertType};
use ssh_key::private::{Ed25519Keypair, KeypairData};
use ssh_key::{Algorithm, Certificate, LineEnding, PrivateKey, PublicKey};

use crate::crypto;

/// The comment of the CA's public key line (hosts' `TrustedUserCAKeys` file shows it).
pub const CA_COMMENT: &str = "zt-broker user CA";
/// The dev broker's CA key in its data directory.
pub const DEV_CA_FILE: &str = "ssh_user_ca";

/// Where the CA's private key comes from (`[ssh] ca_key_file` / `ca_key_env`).
#[derive(Debug, Clone, PartialEq)]
pub enum CaSource {
    /// An unencrypted OpenSSH private key file, mode 0600 (or stricter).
    File(PathBuf),
    /// The name of an environment variable holding the key's OpenSSH text.
    Env(String),
}

impl CaSource {
    /// For messages: the file or the variable, never the key.
    pub fn describe(&self) -> String {
        match self {
            Self::File(p) => format!("SSH CA key file {}", p.display()),
            Self::Env(v) => format!("SSH CA key variable {v}"),
        }
    }
}

/// What a certificate says, besides the key it certifies.
#[derive(Debug, Clone)]
pub struct CertSpec {
    pub serial: u64,
    pub key_id: String,
    pub principals: Vec<String>,
    pub valid_after: u64,
    pub valid_before: u64,
    /// `(name, value)`: `force-command`, `source-address`.
    pub critical_options: Vec<(String, String)>,
    /// `permit-pty`, `permit-agent-forwarding`, …; their values are empty.
    pub extensions: Vec<String>,
    pub comment: String,
}

pub struct SshCa {
    key: PrivateKey,
}

impl std::fmt::Debug for SshCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SshCa({})", self.fingerprint())
    }
}

impl SshCa {
    /// Load the CA from `src`: an unencrypted Ed25519 OpenSSH private key; a file must not be
    /// readable by group or others. Errors name the source, never the key.
    pub fn load(src: &CaSource) -> Result<Self, String> {
        let what = src.describe();
        let text = match src {
            CaSource::File(path) => {
                let meta = std::fs::metadata(path).map_err(|e| format!("{what}: {e}"))?;
                if meta.permissions().mode() & 0o077 != 0 {
                    return Err(format!(
                        "{what}: readable by others (mode {:o}): chmod 600 it",
                        meta.permissions().mode() & 0o777
                    ));
                }
                std::fs::read_to_string(path).map_err(|e| format!("{what}: {e}"))?
            }
            CaSource::Env(var) => std::env::var(var)
                .map_err(|_| format!("{what}: the variable is not set (or not UTF-8)"))?,
        };
        Self::from_openssh(&text).map_err(|e| format!("{what}: {e}"))
    }

    /// The CA from an OpenSSH private key's text.
    pub fn from_openssh(text: &str) -> Result<Self, String> {
        let key = PrivateKey::from_openssh(text.trim().as_bytes()).map_err(|e| {
            format!("not an OpenSSH private key ({e}); make one with ssh-keygen -t ed25519")
        })?;
        if key.is_encrypted() {
            return Err(
                "the key is encrypted: the broker needs it without a passphrase \
                 (keep it in a 0600 file or a secret manager's variable)"
                    .into(),
            );
        }
        if key.algorithm() != Algorithm::Ed25519 {
            return Err(format!(
                "the key is {}, not Ed25519 (ssh-keygen -t ed25519)",
                key.algorithm()
            ));
        }
        Ok(Self { key })
    }

    /// A new random CA.
    pub fn generate() -> Result<Self, String> {
        let seed: [u8; 32] = crypto::random_bytes(32)?
            .try_into()
            .map_err(|_| "short random read".to_string())?;
        let pair = Ed25519Keypair::from_seed(&seed);
        let key = PrivateKey::new(KeypairData::Ed25519(pair), CA_COMMENT)
            .map_err(|e| format!("cannot make the SSH CA key: {e}"))?;
        Ok(Self { key })
    }

    /// The dev broker's CA: `path` if it exists, else a new one written there (0600).
    pub fn load_or_create(path: &Path) -> Result<Self, String> {
        if path.exists() {
            return Self::load(&CaSource::File(path.to_owned()));
        }
        let ca = Self::generate()?;
        let text = ca
            .key
            .to_openssh(LineEnding::LF)
            .map_err(|e| format!("cannot encode the SSH CA key: {e}"))?;
        zt_files::atomic_write(path, text.as_bytes(), 0o600)
            .map_err(|e| format!("cannot write the SSH CA key {}: {e}", path.display()))?;
        Ok(ca)
    }

    pub fn public_key(&self) -> &PublicKey {
        self.key.public_key()
    }

    /// `ssh-ed25519 AAAA… zt-broker user CA`: one line for sshd's `TrustedUserCAKeys` file.
    pub fn public_line(&self) -> String {
        let mut pk = self.key.public_key().clone();
        pk.set_comment(CA_COMMENT);
        // Encoding an Ed25519 public key into a String cannot fail.
        pk.to_openssh().unwrap_or_default()
    }

    /// `SHA256:…`, as ssh-keygen -l shows it.
    pub fn fingerprint(&self) -> String {
        self.key
            .public_key()
            .fingerprint(ssh_key::HashAlg::Sha256)
            .to_string()
    }

    /// A user certificate of `subject` as `spec` says, signed by this CA.
    pub fn sign(&self, subject: &PublicKey, spec: &CertSpec) -> Result<Certificate, String> {
        let bad = |e: ssh_key::Error| format!("cannot build the certificate: {e}");
        let nonce = crypto::random_bytes(Builder::RECOMMENDED_NONCE_SIZE)?;
        let mut b = Builder::new(
            nonce,
            subject.key_data().clone(),
            spec.valid_after,
            spec.valid_before,
        )
        .map_err(bad)?;
        b.serial(spec.serial).map_err(bad)?;
        b.cert_type(CertType::User).map_err(bad)?;
        b.key_id(spec.key_id.clone()).map_err(bad)?;
        for p in &spec.principals {
            b.valid_principal(p.clone()).map_err(bad)?;
        }
        for (name, value) in &spec.critical_options {
            b.critical_option(name.clone(), value.clone())
                .map_err(bad)?;
        }
        for name in &spec.extensions {
            b.extension(name.clone(), "").map_err(bad)?;
        }
        b.comment(spec.comment.clone()).map_err(bad)?;
        b.sign(&self.key)
            .map_err(|e| format!("cannot sign the certificate: {e}"))
    }
}
