//! The development provider's ES256 signing key: a P-256 key generated with aws-lc-rs (fast,
//! unlike RSA key generation), optionally persisted as a PKCS#8 PEM file with mode 0600 so
//! tokens already handed out stay valid across a restart of `zt-broker dev`.

use std::io::Write;
use std::path::Path;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::jwk::{Jwk, KeyAlgorithm, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

pub(super) struct SigningKey {
    enc: EncodingKey,
    /// The public JWK, `kid` = its RFC 7638 thumbprint, `alg` ES256, `use` sig.
    pub(super) jwk: Jwk,
    pub(super) kid: String,
}

impl SigningKey {
    /// Loads the key at `path` if the file exists, else generates one (and saves it there).
    pub(super) fn load_or_create(path: Option<&Path>) -> Result<Self, String> {
        let Some(path) = path else {
            return Self::from_pkcs8(&generate()?);
        };
        match std::fs::read(path) {
            Ok(bytes) => {
                check_private(path)?;
                let der = decode_pem(&bytes)
                    .ok_or_else(|| format!("{}: not a PKCS#8 PEM private key", path.display()))?;
                Self::from_pkcs8(&der).map_err(|e| format!("{}: {e}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let der = generate()?;
                save(path, &der)?;
                Self::from_pkcs8(&der)
            }
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    fn from_pkcs8(der: &[u8]) -> Result<Self, String> {
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map_err(|_| "not a P-256 PKCS#8 private key".to_string())?;
        let enc = EncodingKey::from_ec_der(der);
        let mut jwk = Jwk::from_encoding_key(&enc, Algorithm::ES256)
            .map_err(|e| format!("cannot derive the public key: {e}"))?;
        let kid = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| format!("cannot compute the key thumbprint: {e}"))?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.key_algorithm = Some(KeyAlgorithm::ES256);
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        Ok(Self { enc, jwk, kid })
    }

    pub(super) fn sign<T: Serialize>(&self, claims: &T, typ: &str) -> Result<String, String> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        header.typ = Some(typ.to_string());
        jsonwebtoken::encode(&header, claims, &self.enc).map_err(|e| format!("signing failed: {e}"))
    }
}

fn generate() -> Result<Vec<u8>, String> {
    let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .map_err(|_| "cannot generate a P-256 key".to_string())?;
    Ok(doc.as_ref().to_vec())
}

fn encode_pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + 80);
    out.push_str(PEM_BEGIN);
    out.push('\n');
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(PEM_END);
    out.push('\n');
    out
}

fn decode_pem(bytes: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let start = text.find(PEM_BEGIN)? + PEM_BEGIN.len();
    let end = text[start..].find(PEM_END)? + start;
    let b64: String = text[start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD.decode(b64).ok()
}

/// Creates the file (never overwriting one) with mode 0600 from the start.
fn save(path: &Path, der: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(encode_pem(der).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Refuses a key file others can read, as ssh does.
fn check_private(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta =
            std::fs::metadata(path).map_err(|e| format!("cannot stat {}: {e}", path.display()))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "{} is accessible by others (mode {mode:o}); run `chmod 600` on it",
                path.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dev::idp::tests::static_verifier;
    use crate::dev::idp::{DevIdp, DevIdpConfig};

    #[test]
    fn pem_round_trips() {
        let der = generate().unwrap();
        assert_eq!(decode_pem(encode_pem(&der).as_bytes()), Some(der));
        assert_eq!(decode_pem(b"garbage"), None);
    }

    #[test]
    fn kid_is_the_rfc7638_thumbprint() {
        let key = SigningKey::from_pkcs8(&generate().unwrap()).unwrap();
        let mut bare = key.jwk.clone();
        bare.common = Default::default();
        assert_eq!(bare.thumbprint(ThumbprintHash::SHA256).unwrap(), key.kid);
        // base64url of a SHA-256 digest, unpadded.
        assert_eq!(key.kid.len(), 43);
    }

    #[tokio::test]
    async fn key_is_persisted_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/dev-idp.pem");
        let cfg = DevIdpConfig {
            key_path: Some(path.clone()),
            ..DevIdpConfig::default()
        };
        let first = DevIdp::new(cfg.clone()).unwrap();
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .starts_with("-----BEGIN PRIVATE KEY-----")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let token = first.mint_access_token("alice").unwrap();
        drop(first);

        let second = DevIdp::new(cfg.clone()).unwrap();
        let kid = |idp: &DevIdp| idp.jwks().keys[0].common.key_id.clone();
        assert_eq!(kid(&second), Some(second.key.kid.clone()));
        let v = static_verifier(&cfg.issuer, second.jwks());
        assert!(
            v.verify(&token).await.is_ok(),
            "a token from before the restart still verifies"
        );
        // In memory: a new key each time.
        let a = DevIdp::new(DevIdpConfig::default()).unwrap();
        let b = DevIdp::new(DevIdpConfig::default()).unwrap();
        assert_ne!(kid(&a), kid(&b));
        assert_ne!(kid(&a), kid(&second));

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = DevIdp::new(cfg.clone()).err().unwrap();
            assert!(err.contains("chmod 600"), "{err}");
        }
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a key").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&junk, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let err = DevIdp::new(DevIdpConfig {
            key_path: Some(junk),
            ..DevIdpConfig::default()
        })
        .err()
        .unwrap();
        assert!(err.contains("PKCS#8"), "{err}");
    }
}
