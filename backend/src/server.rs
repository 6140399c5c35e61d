//! The listener: connections accepted up to a cap, each served by hyper with a deadline for
//! its request header, optionally over TLS (rustls), and every request answered within a
//! deadline.
//!
//! `axum::serve` has neither a header timeout nor a connection cap, so one client that sends
//! half a header and waits holds a connection (and a file descriptor) as long as it likes;
//! a few thousand of them stop the service. Here a connection that has not sent its whole
//! header in [`Limits::header_timeout`] is closed, also between the requests of a kept-alive
//! connection, and once [`Limits::max_connections`] are open the next waits in the kernel's
//! backlog until one closes.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// What one listener allows each client.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest a client may take to send a whole request header, counted from the moment the
    /// connection opens or the previous answer was sent: the idle timeout of kept-alive
    /// connections as well.
    pub header_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Longest a TLS handshake may take.
    pub handshake_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: rustls::pki_types::pem::Error },
    #[error("{0} holds no certificate")]
    NoCertificate(String),
    #[error("certificate and key do not fit together: {0}")]
    Config(#[from] rustls::Error),
}

/// A TLS configuration from a PEM certificate chain and its PEM private key, as a
/// kabupaten's CA issues them (HTTP/1.1 only: that is all kiosks speak).
pub fn tls_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let read_error = |path: &Path| {
        let path = path.display().to_string();
        move |source| TlsError::Read { path, source }
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(read_error(cert))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_error(cert))?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate(cert.display().to_string()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(read_error(key))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves `router` on `listener` until `shutdown` completes, then lets the requests in
/// flight finish (for at most `drain`). Handlers see the client's address as
/// `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    tokio::pin!(shutdown);
    loop {
        // A free slot first, then the next connection: past the cap, clients wait in the
        // backlog rather than being accepted and dropped.
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was taken:
                    // wait a moment instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            })
            .map_err(|never: Infallible| match never {});
        let service = TowerToHyperService::new(service);
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
        match &acceptor {
            None => {
                let connection = http.serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = connection.await;
                    drop(permit);
                });
            }
            Some(acceptor) => {
                let (acceptor, handshake_timeout) = (acceptor.clone(), limits.handshake_timeout);
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let stream = match tokio::time::timeout(
                        handshake_timeout,
                        acceptor.accept(stream),
                    )
                    .await
                    {
                        Ok(Ok(stream)) => stream,
                        Ok(Err(error)) => {
                            tracing::debug!(%error, %peer, "TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    };
                    let connection = http.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(connection).await;
                    drop(permit);
                });
            }
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {},
        () = tokio::time::sleep(Duration::from_secs(30)) => {
            tracing::warn!("requests still open after 30 s; stopping anyway");
        }
    }
    Ok(())
}

/// The address a request came from, where the listener recorded it (tests that call the
/// router directly have none).
pub fn peer(request: &axum::http::request::Parts) -> Option<SocketAddr> {
    request.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0)
}
