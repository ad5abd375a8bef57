//! What the configuration names for `serve` to open: the store (with its key) and the TLS
//! certificate and key.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::{StoreUrl, TlsFiles};
use crate::error::{Error, Result};
use crate::store::{KeySource, Store, StoreKey};
use crate::tls::rustls_config;

/// The store's key from `source`. The message names where it was looked for, never the key.
pub(crate) fn load_key(source: &KeySource) -> Result<StoreKey> {
    StoreKey::load(source).map_err(|e| {
        Error::usage(format!("[store] credential key: {e}")).with_hint(
            "the key is 32 random bytes in base64, e.g. `head -c 32 /dev/urandom | base64`",
        )
    })
}

/// Open the configured store with its key.
pub(crate) async fn open_store(url: &StoreUrl, key: &KeySource) -> Result<Store> {
    let key = load_key(key)?;
    match url {
        StoreUrl::Sqlite(db) => open_sqlite(db, key).await,
        // sqlx's errors name neither the URL nor the password.
        StoreUrl::Postgres(u) => Store::connect_postgres(u, key).await.map_err(|e| {
            Error::other(format!("store {}: {e}", url.describe())).with_hint(
                "is the server reachable, does the database exist, and may this user create \
                 tables in it (the broker creates its schema on first start)?",
            )
        }),
    }
}

/// Open the SQLite store (the store makes its files 0600 itself: they hold sealed credentials).
async fn open_sqlite(db: &Path, key: StoreKey) -> Result<Store> {
    let hint = "does the directory exist, and may this user write there?";
    Store::open_keyed(db, key)
        .await
        .map_err(|e| Error::other(format!("store {}: {e}", db.display())).with_hint(hint))
}

/// The rustls configuration for the operator's certificate chain and key (PEM files).
pub fn tls_config(files: &TlsFiles) -> Result<Arc<ServerConfig>> {
    let (cert, key) = (files.cert.display(), files.key.display());
    let chain = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| Error::usage(format!("tls_cert {cert}: {e}")))?;
    if chain.is_empty() {
        return Err(Error::usage(format!(
            "tls_cert {cert}: no CERTIFICATE block in it"
        )));
    }
    refuse_world_readable(&files.key)?;
    let private = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| Error::usage(format!("tls_key {key}: {e}")))?;
    rustls_config(chain, private)
        .map_err(|e| Error::usage(format!("tls_cert {cert} with tls_key {key}: {e}")))
}

/// A private key everyone on the machine can read is no longer private. (Group access is left
/// to the operator: `0640 root:ssl-cert` is a common, deliberate setup.)
fn refuse_world_readable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::usage(format!("tls_key {}: {e}", path.display())))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o007 != 0 {
        return Err(Error::usage(format!(
            "tls_key {} is accessible by every user (mode {mode:o}); run `chmod o-rwx` on it",
            path.display()
        )));
    }
    Ok(())
}
