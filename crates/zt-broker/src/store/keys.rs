//! The store's key: 32 random bytes from outside the database (a file, or an environment
//! variable, named in the configuration; by default a file beside a SQLite database). Two keys
//! are derived from it: one encrypts minted credentials at rest (AES-256-GCM, the grant id as
//! associated data, so a row moved to another grant does not open), the other signs the audit
//! chain's head (HMAC-SHA256, see [`super::audit`]), so that deleting the newest rows shows.
//! Neither the key nor anything derived from it is ever printed: `Debug` shows the key's id.

use std::path::{Path, PathBuf};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::crypto::{hex, random_bytes};

/// The length of the key, in bytes (before base64).
pub const KEY_LEN: usize = 32;
/// How a stored credential begins: the format, then the id of the key that sealed it.
const SEALED: &str = "zt1:";

/// Where the key comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum KeySource {
    /// A file holding the key in base64 (created, mode 0600, when `create` and missing).
    File { path: PathBuf, create: bool },
    /// An environment variable holding the key in base64.
    Env(String),
}

#[derive(Clone)]
pub struct StoreKey {
    // Behind `Arc`s: a key is cloned into every write transaction.
    seal: std::sync::Arc<LessSafeKey>,
    mac: std::sync::Arc<hmac::Key>,
    /// Seals the review page's cookies (its sign-in state and sessions), so that every replica
    /// given the same key reads them ([`StoreKey::seal_cookie`]).
    cookies: std::sync::Arc<LessSafeKey>,
    /// A short public name of the key (from the key, one-way), stored with what it sealed.
    id: String,
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoreKey({})", self.id)
    }
}

/// Why a stored credential cannot be read.
#[derive(Debug, PartialEq)]
pub enum Unseal {
    /// Sealed under another key (its id), which this broker does not have.
    OtherKey(String),
    /// Not something this key sealed for this grant: edited, or moved from another grant.
    Forged,
}

impl StoreKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(key: &[u8]) -> Result<Self, String> {
        if key.len() != KEY_LEN {
            return Err(format!(
                "the key must be {KEY_LEN} bytes (base64 of them), not {}",
                key.len()
            ));
        }
        let master = hmac::Key::new(hmac::HMAC_SHA256, key);
        let derive = |label: &str| hmac::sign(&master, label.as_bytes());
        let seal = UnboundKey::new(&AES_256_GCM, derive("zt-broker credentials v1").as_ref())
            .map_err(|_| "cannot make an AES-256-GCM key".to_string())?;
        let cookies = UnboundKey::new(&AES_256_GCM, derive("zt-broker review cookies v1").as_ref())
            .map_err(|_| "cannot make an AES-256-GCM key".to_string())?;
        Ok(Self {
            seal: std::sync::Arc::new(LessSafeKey::new(seal)),
            cookies: std::sync::Arc::new(LessSafeKey::new(cookies)),
            mac: std::sync::Arc::new(hmac::Key::new(
                hmac::HMAC_SHA256,
                derive("zt-broker audit head v1").as_ref(),
            )),
            id: hex(&derive("zt-broker key id").as_ref()[..4]),
        })
    }

    /// A key from its base64 text (surrounding whitespace ignored). The message never quotes
    /// the text.
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| format!("not base64 of {KEY_LEN} random bytes"))?;
        Self::from_bytes(&bytes)
    }

    /// A fresh random key, for tests.
    pub fn random() -> Self {
        Self::from_bytes(&random_bytes(KEY_LEN).expect("the OS random number generator"))
            .expect("a key of the right length")
    }

    /// Load the key from `source`; `what` names it in messages.
    pub fn load(source: &KeySource) -> Result<Self, String> {
        match source {
            KeySource::Env(name) => match std::env::var(name) {
                Ok(v) => Self::from_base64(&v).map_err(|e| format!("${name}: {e}")),
                Err(_) => Err(format!("${name} is not set (or not UTF-8)")),
            },
            KeySource::File { path, create } => {
                let shown = path.display();
                match std::fs::read_to_string(path) {
                    Ok(text) => {
                        refuse_shared(path)?;
                        Self::from_base64(&text).map_err(|e| format!("{shown}: {e}"))
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound && *create => {
                        create_file(path)
                    }
                    Err(e) => Err(format!("cannot read the key file {shown}: {e}")),
                }
            }
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Seal `plain` for the grant `grant_id`: `zt1:<key id>:<base64 of nonce, ciphertext, tag>`.
    pub fn seal(&self, grant_id: &str, plain: &[u8]) -> Result<String, String> {
        let nonce: [u8; NONCE_LEN] = random_bytes(NONCE_LEN)?
            .try_into()
            .map_err(|_| "nonce length".to_string())?;
        let mut buf = plain.to_vec();
        self.seal
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(grant_id.as_bytes()),
                &mut buf,
            )
            .map_err(|_| "encryption failed".to_string())?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(format!("{SEALED}{}:{}", self.id, STANDARD.encode(out)))
    }

    /// Open what [`StoreKey::seal`] made for `grant_id`.
    pub fn open(&self, grant_id: &str, sealed: &str) -> Result<Vec<u8>, Unseal> {
        let rest = sealed.strip_prefix(SEALED).ok_or(Unseal::Forged)?;
        let (id, body) = rest.split_once(':').ok_or(Unseal::Forged)?;
        if id != self.id {
            return Err(Unseal::OtherKey(id.chars().take(16).collect()));
        }
        let bytes = STANDARD.decode(body).map_err(|_| Unseal::Forged)?;
        if bytes.len() < NONCE_LEN {
            return Err(Unseal::Forged);
        }
        let (nonce, ct) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| Unseal::Forged)?;
        let mut buf = ct.to_vec();
        let plain = self
            .seal
            .open_in_place(nonce, Aad::from(grant_id.as_bytes()), &mut buf)
            .map_err(|_| Unseal::Forged)?;
        Ok(plain.to_vec())
    }

    /// Seal `plain` as a cookie value for `purpose` (authenticated and encrypted; base64url,
    /// no padding: nothing a cookie value may not hold). Only [`StoreKey::open_cookie`] with
    /// the same purpose and a key from the same 32 bytes opens it.
    pub fn seal_cookie(&self, purpose: &str, plain: &[u8]) -> Result<String, String> {
        let nonce: [u8; NONCE_LEN] = random_bytes(NONCE_LEN)?
            .try_into()
            .map_err(|_| "nonce length".to_string())?;
        let mut buf = plain.to_vec();
        self.cookies
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.as_bytes()),
                &mut buf,
            )
            .map_err(|_| "encryption failed".to_string())?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(URL_SAFE_NO_PAD.encode(out))
    }

    /// Open what [`StoreKey::seal_cookie`] made for `purpose`; `None` for anything else
    /// (edited, made for another purpose or under another key, not base64url).
    pub fn open_cookie(&self, purpose: &str, sealed: &str) -> Option<Vec<u8>> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ct) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = ct.to_vec();
        let plain = self
            .cookies
            .open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut buf)
            .ok()?;
        Some(plain.to_vec())
    }

    /// The MAC of the audit chain's head: row `seq` with hash `sha256`.
    pub fn sign_head(&self, seq: i64, sha256: &str) -> String {
        hex(hmac::sign(&self.mac, head_doc(seq, sha256).as_bytes()).as_ref())
    }

    /// Whether `mac` is [`StoreKey::sign_head`] of this head (in constant time).
    pub fn head_signed(&self, seq: i64, sha256: &str, mac: &str) -> bool {
        let Some(tag) = unhex(mac) else { return false };
        hmac::verify(&self.mac, head_doc(seq, sha256).as_bytes(), &tag).is_ok()
    }
}

fn head_doc(seq: i64, sha256: &str) -> String {
    format!("zt-broker audit head\n{seq}\n{sha256}")
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A key file other users may read is no longer a secret.
fn refuse_shared(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "the key file {} is readable by other users (mode {mode:o}); run `chmod 600` on it",
            path.display()
        ));
    }
    Ok(())
}

/// Make a new key file, mode 0600, without replacing one another process made meanwhile.
fn create_file(path: &Path) -> Result<StoreKey, String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let bytes = random_bytes(KEY_LEN)?;
    let text = format!("{}\n", STANDARD.encode(&bytes));
    let made = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()));
    match made {
        Ok(()) => StoreKey::from_bytes(&bytes),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            StoreKey::load(&KeySource::File {
                path: path.to_owned(),
                create: false,
            })
        }
        Err(e) => Err(format!(
            "cannot create the key file {}: {e}",
            path.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_for_one_grant_opens_for_it_only_and_only_under_its_key() {
        let k = StoreKey::random();
        let s = k.seal("g1", b"hunter2").unwrap();
        assert!(!s.contains("hunter2"));
        assert_eq!(k.open("g1", &s).unwrap(), b"hunter2");
        assert_eq!(k.open("g2", &s), Err(Unseal::Forged));
        let other = StoreKey::random();
        assert_eq!(other.open("g1", &s), Err(Unseal::OtherKey(k.id().into())));
        assert!(k.head_signed(3, "ab", &k.sign_head(3, "ab")));
        assert!(!k.head_signed(2, "ab", &k.sign_head(3, "ab")));
        assert!(!other.head_signed(3, "ab", &k.sign_head(3, "ab")));
        assert!(!format!("{k:?}").contains("seal"));
    }

    #[test]
    fn a_sealed_cookie_opens_for_its_purpose_under_the_same_key_only() {
        let k = StoreKey::random();
        let c = k.seal_cookie("session", b"bob").unwrap();
        assert!(
            c.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(k.open_cookie("session", &c).unwrap(), b"bob");
        assert_eq!(k.open_cookie("login", &c), None);
        assert_eq!(StoreKey::random().open_cookie("session", &c), None);
        let mut edited = c.into_bytes();
        let last = edited.len() - 1;
        edited[last] = if edited[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            k.open_cookie("session", &String::from_utf8(edited).unwrap()),
            None
        );
        assert_eq!(k.open_cookie("session", "!!"), None);
        // The same 32 bytes (another replica) open it.
        let bytes = random_bytes(KEY_LEN).unwrap();
        let (a, b) = (
            StoreKey::from_bytes(&bytes).unwrap(),
            StoreKey::from_bytes(&bytes).unwrap(),
        );
        assert_eq!(
            b.open_cookie("s", &a.seal_cookie("s", b"x").unwrap())
                .unwrap(),
            b"x"
        );
    }

    #[test]
    fn a_key_file_is_made_0600_and_a_shared_or_short_one_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let src = KeySource::File {
            path: path.clone(),
            create: true,
        };
        let made = StoreKey::load(&src).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(StoreKey::load(&src).unwrap().id(), made.id());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = StoreKey::load(&src).unwrap_err();
        assert!(e.contains("readable by other users"), "{e}");
        std::fs::write(&path, "c2hvcnQ=\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let e = StoreKey::load(&src).unwrap_err();
        assert!(
            e.contains("must be 32 bytes") && !e.contains("c2hvcnQ"),
            "{e}"
        );
        let missing = KeySource::File {
            path: dir.path().join("none"),
            create: false,
        };
        assert!(StoreKey::load(&missing).is_err());
    }
}
