//! HTTPS for the dev Kubernetes API. kubectl (client-go) sends no credentials — neither a
//! bearer token nor an exec plugin's — to an `http://` server, so the API gets its own loopback
//! listener with TLS: a CA made with rcgen signs a fresh server certificate for the loopback
//! names at every start, and the dev issuer hands the CA out as `certificate_authority_data`.
//! With a kept data directory the CA (certificate and key, one 0600 file) and the port are
//! stored there, so kubeconfigs written before a restart still reach and trust the API.
//! The listener itself is production's ([`crate::tls`]), shared with `zt-broker serve`.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;

use crate::error::{Error, Result};
pub use crate::tls::{TlsListener, rustls_config};

/// Files in a kept data directory.
pub const CA_FILE: &str = "dev-k8s-ca.pem";
pub const PORT_FILE: &str = "dev-k8s-port";

const CA_NAME: &str = "zt-broker dev Kubernetes CA";
const DAY: Duration = Duration::from_secs(24 * 3600);
/// The CA outlives many restarts (kubeconfigs hold it); the server certificate is made anew
/// at each start, so a year is plenty.
const CA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 3600);
const SERVER_VALIDITY: Duration = Duration::from_secs(365 * 24 * 3600);

/// Where kubectl reaches the dev Kubernetes API and the CA that vouches for it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `https://127.0.0.1:PORT` (`https://[::1]:PORT` on IPv6), no trailing slash.
    pub server: String,
    /// The CA certificate, PEM.
    pub ca_pem: String,
}

/// Bind the HTTPS listener on `ip`. With `keep_in` (the kept data directory) the CA is loaded
/// from there or created and saved, and the port of the last run is tried first; without it
/// the CA lives in memory and the port is any free one.
pub async fn bind(ip: IpAddr, keep_in: Option<&Path>) -> Result<(TlsListener, Endpoint)> {
    let (ca_pem, ca) = load_or_create_ca(keep_in)?;
    let config = server_config(ip, &ca)?;
    let tcp = bind_port(ip, keep_in).await?;
    let local = tcp
        .local_addr()
        .map_err(|e| Error::io("dev Kubernetes listener", e))?;
    let listener = TlsListener::new(tcp, config, "zt-broker dev: dev Kubernetes API")
        .map_err(|e| Error::io("dev Kubernetes listener", e))?;
    let endpoint = Endpoint {
        server: format!("https://{local}"),
        ca_pem,
    };
    Ok((listener, endpoint))
}

/// The last run's port if it is free (grants minted then name it), else any free port.
async fn bind_port(ip: IpAddr, keep_in: Option<&Path>) -> Result<TcpListener> {
    let port_file = keep_in.map(|d| d.join(PORT_FILE));
    let last: Option<u16> = port_file
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&p| p != 0);
    let mut tcp = None;
    if let Some(port) = last {
        match TcpListener::bind((ip, port)).await {
            Ok(l) => tcp = Some(l),
            Err(e) => tracing::warn!(
                "the dev Kubernetes API cannot have port {port} again ({e}); \
                 grants issued before this restart name that port: request them anew"
            ),
        }
    }
    let tcp = match tcp {
        Some(l) => l,
        None => TcpListener::bind((ip, 0)).await.map_err(|e| {
            Error::io(
                format!("cannot listen on {ip} for the dev Kubernetes API"),
                e,
            )
        })?,
    };
    if let Some(p) = port_file {
        let port = tcp
            .local_addr()
            .map_err(|e| Error::io("dev Kubernetes listener", e))?
            .port();
        if last != Some(port) {
            std::fs::write(&p, format!("{port}\n"))
                .map_err(|e| Error::io(format!("cannot write {}", p.display()), e))?;
        }
    }
    Ok(tcp)
}

/// The CA's identity. Only the name, key usages and key matter to the certificates it signs,
/// so a CA loaded from disk is rebuilt from these and its saved key.
fn ca_params() -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_NAME);
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p
}

fn rcgen_err(what: &str) -> impl FnOnce(rcgen::Error) -> Error + '_ {
    move |e| Error::other(format!("dev Kubernetes TLS: {what}: {e}"))
}

/// The CA certificate (PEM) and its issuer, from `keep_in/CA_FILE` or new.
fn load_or_create_ca(keep_in: Option<&Path>) -> Result<(String, Issuer<'static, KeyPair>)> {
    let path = keep_in.map(|d| d.join(CA_FILE));
    if let Some(p) = &path {
        match std::fs::read_to_string(p) {
            Ok(text) => {
                check_private(p)?;
                let bad = || Error::other(format!("{}: not a dev Kubernetes CA file", p.display()));
                let key = pem_block(&text, "PRIVATE KEY").ok_or_else(bad)?;
                let cert = pem_block(&text, "CERTIFICATE").ok_or_else(bad)?;
                let key = KeyPair::from_pem(key).map_err(|_| bad())?;
                return Ok((format!("{cert}\n"), Issuer::new(ca_params(), key)));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(format!("cannot read {}", p.display()), e)),
        }
    }
    let key = KeyPair::generate().map_err(rcgen_err("CA key"))?;
    let mut params = ca_params();
    let now = SystemTime::now();
    params.not_before = (now - DAY).into();
    params.not_after = (now + CA_VALIDITY).into();
    let cert = params.self_signed(&key).map_err(rcgen_err("CA"))?;
    let pem = cert.pem();
    if let Some(p) = &path {
        save_private(p, &format!("{}{pem}", key.serialize_pem()))?;
    }
    Ok((pem, Issuer::new(params, key)))
}

/// A server certificate for `localhost`, 127.0.0.1, ::1 and `ip`, signed by the CA.
fn server_config(ip: IpAddr, ca: &Issuer<'_, KeyPair>) -> Result<Arc<ServerConfig>> {
    let mut names: Vec<String> = ["localhost", "127.0.0.1", "::1"].map(String::from).into();
    if !names.contains(&ip.to_string()) {
        names.push(ip.to_string());
    }
    let mut params = CertificateParams::new(names).map_err(rcgen_err("server names"))?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "zt-broker dev Kubernetes API");
    params.distinguished_name = dn;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let now = SystemTime::now();
    params.not_before = (now - DAY).into();
    params.not_after = (now + SERVER_VALIDITY).into();
    let key = KeyPair::generate().map_err(rcgen_err("server key"))?;
    let cert = params
        .signed_by(&key, ca)
        .map_err(rcgen_err("server certificate"))?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    rustls_config(vec![cert.der().clone()], key)
        .map_err(|e| Error::other(format!("dev Kubernetes TLS: {e}")))
}

/// The first `-----BEGIN label-----` … `-----END label-----` block of `text`.
fn pem_block<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    let (begin, end) = (
        format!("-----BEGIN {label}-----"),
        format!("-----END {label}-----"),
    );
    let start = text.find(&begin)?;
    let stop = text[start..].find(&end)? + start + end.len();
    Some(&text[start..stop])
}

/// Written whole (temporary file, then rename) with mode 0600 from the start: it holds a key.
fn save_private(path: &Path, text: &str) -> Result<()> {
    zt_files::atomic_write(path, text.as_bytes(), 0o600).map_err(|e| Error::other(e.to_string()))
}

/// Refuses a CA key others can read, as ssh does with its keys.
fn check_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::io(format!("cannot stat {}", path.display()), e))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::other(format!(
            "{} is accessible by others (mode {mode:o}); run `chmod 600` on it",
            path.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_kept_ca_and_port_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let (l1, e1) = bind(ip, Some(dir.path())).await.unwrap();
        assert!(e1.server.starts_with("https://127.0.0.1:"), "{}", e1.server);
        assert!(e1.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(dir.path().join(CA_FILE))
                .unwrap()
                .permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
        drop(l1);
        let (_l2, e2) = bind(ip, Some(dir.path())).await.unwrap();
        assert_eq!(e2.ca_pem, e1.ca_pem, "the same CA");
        assert_eq!(e2.server, e1.server, "the same port");

        // Without a kept directory: a new CA each time, nothing written.
        let (_l3, e3) = bind(ip, None).await.unwrap();
        assert_ne!(e3.ca_pem, e1.ca_pem);
    }

    #[tokio::test]
    async fn a_taken_port_or_a_readable_ca_file() {
        let dir = tempfile::tempdir().unwrap();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let (_l1, e1) = bind(ip, Some(dir.path())).await.unwrap();
        // The first listener still holds the port: the second gets another and records it.
        let (_l2, e2) = bind(ip, Some(dir.path())).await.unwrap();
        assert_ne!(e2.server, e1.server);
        let port = std::fs::read_to_string(dir.path().join(PORT_FILE)).unwrap();
        assert!(e2.server.ends_with(&format!(":{}", port.trim())));

        use std::os::unix::fs::PermissionsExt;
        let ca = dir.path().join(CA_FILE);
        std::fs::set_permissions(&ca, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = bind(ip, Some(dir.path())).await.err().unwrap();
        assert!(e.message.contains("chmod 600"), "{}", e.message);
    }
}
