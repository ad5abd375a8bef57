//! Server-side TLS for both HTTPS listeners of the broker: `zt-broker serve`'s (the operator's
//! certificate) and the dev Kubernetes API's (a certificate its own CA signs, made in
//! `dev::k8s::tls`). Production code, so `serve` needs nothing from `dev`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A client that connects and then stalls is dropped after this.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A server configuration for a certificate chain (leaf first) and its key, as both HTTPS
/// listeners of the broker use it.
pub fn rustls_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> std::result::Result<Arc<ServerConfig>, rustls::Error> {
    // The provider is named, not left to the process default, as only aws-lc-rs is built.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    // axum is built for HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A TCP listener that hands axum finished TLS connections. Handshakes run concurrently, so a
/// stalled client holds up no one; everything is owned here, so dropping the listener (axum
/// does at shutdown) frees the port at once.
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: JoinSet<Option<(TlsStream<TcpStream>, SocketAddr)>>,
    local: SocketAddr,
    /// Who logs a failed handshake (the prefix of that stderr line).
    name: &'static str,
}

impl TlsListener {
    /// Serve TLS with `config` on a bound `tcp` listener; `name` prefixes the line a failed
    /// handshake logs.
    pub fn new(
        tcp: TcpListener,
        config: Arc<ServerConfig>,
        name: &'static str,
    ) -> std::io::Result<Self> {
        let local = tcp.local_addr()?;
        Ok(Self {
            tcp,
            acceptor: TlsAcceptor::from(config),
            handshakes: JoinSet::new(),
            local,
            name,
        })
    }
}

async fn handshake(
    acceptor: TlsAcceptor,
    stream: TcpStream,
    peer: SocketAddr,
    name: &'static str,
) -> Option<(TlsStream<TcpStream>, SocketAddr)> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => Some((tls, peer)),
        Ok(Err(e)) => {
            // Usually a client that does not trust the CA: worth a line when kubectl fails.
            tracing::info!("{name}: TLS handshake with {peer} failed: {e}");
            None
        }
        Err(_) => None,
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            tokio::select! {
                accepted = self.tcp.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let acceptor = self.acceptor.clone();
                        self.handshakes.spawn(handshake(acceptor, stream, peer, self.name));
                    }
                    // As axum does: out of descriptors and the like pass; don't spin meanwhile.
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                },
                Some(done) = self.handshakes.join_next(), if !self.handshakes.is_empty() => {
                    if let Ok(Some(conn)) = done {
                        return conn;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
