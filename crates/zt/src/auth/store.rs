//! Where tokens live: the OS keyring (Secret Service or kernel keyutils on Linux, Keychain on
//! macOS, Credential Manager on Windows), each call under a time limit; a 0600 file only when
//! the user asked for it with `--insecure-storage`. Never anywhere else.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use keyring_core::api::CredentialStore;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::{env, fsutil, paths};

const SERVICE: &str = "zt";
pub const FILE_STORE: &str = "file";

/// What a login leaves behind.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// Unix seconds when the access token expires.
    pub expires_at: i64,
    /// Unix seconds when it was obtained (0: unknown, from an older zt).
    #[serde(default)]
    pub issued_at: i64,
}

impl Tokens {
    /// What a token endpoint just answered, obtained now.
    pub fn issued(got: super::oauth::TokenResponse) -> Tokens {
        Tokens {
            expires_at: super::expiry_of(&got.access_token, got.expires_in),
            issued_at: zt_api::Timestamp::now().0,
            access_token: got.access_token,
            refresh_token: got.refresh_token,
            id_token: got.id_token,
        }
    }
}

/// The keyring stores this platform offers, most preferred first.
fn keyring_candidates() -> Vec<&'static str> {
    if cfg!(target_os = "linux") {
        vec!["secret-service", "keyutils"]
    } else if cfg!(target_os = "macos") {
        vec!["macos-keychain"]
    } else if cfg!(target_os = "windows") {
        vec!["windows-credential-manager"]
    } else {
        vec![]
    }
}

fn open_store(kind: &str) -> std::result::Result<Arc<CredentialStore>, String> {
    match kind {
        #[cfg(target_os = "linux")]
        "secret-service" => {
            if env::var("DBUS_SESSION_BUS_ADDRESS").is_none() {
                return Err("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset)".into());
            }
            zbus_secret_service_keyring_store::Store::new()
                .map(|s| s as Arc<CredentialStore>)
                .map_err(|e| e.to_string())
        }
        #[cfg(target_os = "linux")]
        "keyutils" => linux_keyutils_keyring_store::Store::new()
            .map(|s| s as Arc<CredentialStore>)
            .map_err(|e| e.to_string()),
        #[cfg(target_os = "macos")]
        "macos-keychain" => apple_native_keyring_store::keychain::Store::new()
            .map(|s| s as Arc<CredentialStore>)
            .map_err(|e| e.to_string()),
        #[cfg(target_os = "windows")]
        "windows-credential-manager" => windows_native_keyring_store::Store::new()
            .map(|s| s as Arc<CredentialStore>)
            .map_err(|e| e.to_string()),
        other => Err(format!("unknown token store {other:?}")),
    }
}

fn timeout() -> Duration {
    let secs = env::var(env::ZT_KEYRING_TIMEOUT)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    Duration::from_secs(secs)
}

/// Run a keyring operation on its own thread, giving up after the time limit: a locked or
/// hung keyring daemon must not hang zt (gh does the same).
fn with_keyring<T: Send + 'static>(
    kind: &str,
    profile: &str,
    op: impl FnOnce(keyring_core::Entry) -> std::result::Result<T, keyring_core::Error> + Send + 'static,
) -> std::result::Result<T, String> {
    let (tx, rx) = mpsc::channel();
    let kind_owned = kind.to_string();
    let account = profile.to_string();
    std::thread::spawn(move || {
        let r = open_store(&kind_owned).and_then(|store| {
            store
                .build(SERVICE, &account, None)
                .and_then(op)
                .map_err(|e| e.to_string())
        });
        let _ = tx.send(r);
    });
    rx.recv_timeout(timeout()).unwrap_or_else(|_| {
        Err(format!(
            "the {kind} keyring did not answer within {:?}",
            timeout()
        ))
    })
}

/// Whether the `kind` keyring really keeps a secret: write a throwaway entry, read it back,
/// delete it. A read alone passes on a keyring that refuses writes (a session keyring without
/// write permission, a locked collection).
fn probe_kind(kind: &str) -> std::result::Result<(), String> {
    let account = format!("zt-probe-{}", std::process::id());
    let r = with_keyring(kind, &account, |e| {
        e.set_password("zt probe")?;
        let back = e.get_password();
        // Delete whatever happened to the read, so no probe entry stays behind.
        let deleted = e.delete_credential();
        let back = back?;
        deleted?;
        Ok(back == "zt probe")
    });
    match r {
        Ok(true) => Ok(()),
        Ok(false) => Err("read back something else".into()),
        Err(e) => Err(e),
    }
}

/// Which keyrings keep a secret here, and why the others do not (see [`probe_kind`]).
pub fn probe() -> Vec<(&'static str, std::result::Result<(), String>)> {
    keyring_candidates()
        .into_iter()
        .map(|kind| (kind, probe_kind(kind)))
        .collect()
}

/// Where a new login's tokens will go, decided before the person confirms anything: the first
/// keyring that passes [`probe_kind`]; else, only when `allow_file`, the 0600 file (its
/// directory made and written to). Returns the store and why each keyring before it failed.
pub fn choose(allow_file: bool) -> Result<(String, Vec<String>)> {
    let mut failures = Vec::new();
    for (kind, r) in probe() {
        match r {
            Ok(()) => return Ok((kind.to_string(), failures)),
            Err(e) => failures.push(format!("{kind}: {e}")),
        }
    }
    if allow_file {
        probe_file()?;
        return Ok((FILE_STORE.to_string(), failures));
    }
    Err(Error::new(
        crate::error::ErrorKind::Other,
        format!("no OS keyring is available to store your tokens ({})", failures.join("; ")),
    )
    .with_hint("start a keyring (Secret Service, e.g. gnome-keyring), or run `zt login --insecure-storage` to keep them in a 0600 file"))
}

pub fn token_file_path(profile: &str) -> Result<std::path::PathBuf> {
    token_file(profile)
}

fn token_file(profile: &str) -> Result<std::path::PathBuf> {
    Ok(paths::config_dir()?
        .join("tokens")
        .join(format!("{profile}.json")))
}

/// Whether the token file could be written: write and remove a throwaway file next to it. A
/// tokens directory made for the probe is removed again, so a login that ends before its
/// tokens exist leaves nothing behind.
fn probe_file() -> Result<()> {
    let dir = paths::config_dir()?.join("tokens");
    let made = !dir.exists();
    paths::ensure_private_dir(&dir)?;
    let probe = dir.join(format!(".probe-{}", std::process::id()));
    let r = fsutil::atomic_write(&probe, b"", 0o600).and_then(|()| fsutil::remove_file(&probe));
    if made {
        let _ = std::fs::remove_dir(&dir);
    }
    r
}

/// Store a new login's tokens in the store [`choose`] picked, checking that a keyring gives
/// them back.
pub fn save_new(profile: &str, store: &str, tokens: &Tokens) -> Result<()> {
    let json = encode(tokens)?;
    if store == FILE_STORE {
        return save_file(profile, &json);
    }
    let j = json.clone();
    match with_keyring(store, profile, move |e| {
        e.set_password(&j)?;
        e.get_password()
    }) {
        Ok(back) if back == json => Ok(()),
        Ok(_) => Err(Error::other(format!(
            "the {store} keyring gave back something else than the tokens stored"
        ))),
        Err(e) => Err(Error::other(format!(
            "cannot store tokens in the {store} keyring: {e}"
        ))),
    }
}

/// Store refreshed tokens where the profile's tokens already live.
pub fn save(profile: &str, store: &str, tokens: &Tokens) -> Result<()> {
    let json = encode(tokens)?;
    if store == FILE_STORE {
        return save_file(profile, &json);
    }
    with_keyring(store, profile, move |e| e.set_password(&json))
        .map_err(|e| Error::other(format!("cannot store tokens in the {store} keyring: {e}")))
}

pub fn load(profile: &str, store: &str) -> Result<Option<Tokens>> {
    if store.is_empty() {
        return Ok(None);
    }
    let json = if store == FILE_STORE {
        fsutil::read_optional(&token_file(profile)?)?
    } else {
        match with_keyring(store, profile, |e| match e.get_password() {
            Ok(s) => Ok(Some(s)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        }) {
            Ok(v) => v,
            Err(e) => {
                // Usually a locked keyring (after a reboot, over SSH) or a stopped daemon: the
                // tokens are still there, so say that before suggesting a new login.
                return Err(Error::new(
                    crate::error::ErrorKind::AuthRequired,
                    format!("cannot read your tokens from the {store} keyring: {e}"),
                )
                .with_hint(format!(
                    "unlock the {store} keyring (or start it) and try again, or run `zt login`"
                )));
            }
        }
    };
    Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
}

pub fn delete(profile: &str, store: &str) -> Result<()> {
    if store == FILE_STORE {
        return fsutil::remove_file(&token_file(profile)?);
    }
    with_keyring(store, profile, |e| match e.delete_credential() {
        Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
        Err(e) => Err(e),
    })
    .map_err(|e| {
        Error::other(format!(
            "cannot remove tokens from the {store} keyring: {e}"
        ))
    })
}

fn encode(tokens: &Tokens) -> Result<String> {
    serde_json::to_string(tokens).map_err(|e| Error::other(format!("cannot encode tokens: {e}")))
}

fn save_file(profile: &str, json: &str) -> Result<()> {
    let path = token_file(profile)?;
    if let Some(dir) = path.parent() {
        paths::ensure_private_dir(dir)?;
    }
    fsutil::atomic_write(&path, json.as_bytes(), 0o600)
}
