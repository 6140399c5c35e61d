//! The listener as an attacker on the desa network meets it: a request header sent half and
//! left hanging is cut off, connections past the cap wait instead of exhausting the
//! service, and with a certificate it speaks only TLS. Real sockets on loopback.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backend::Store;
use backend::server::{Limits, serve, tls_config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn start(limits: Limits, tls: Option<Arc<rustls::ServerConfig>>) -> SocketAddr {
    let store = Store::open_temporary().expect("store");
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let address = listener.local_addr().expect("address");
    let router = backend::http::router(store);
    tokio::spawn(serve(listener, router, limits, tls, std::future::pending()));
    address
}

/// Reads until the server closes the connection (or `limit` passes); what it sent.
async fn read_to_close(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut answer = Vec::new();
    tokio::time::timeout(limit, stream.read_to_end(&mut answer)).await.ok()?.ok()?;
    Some(answer)
}

#[tokio::test]
async fn a_half_sent_header_is_cut_off_at_the_header_timeout() {
    let limits = Limits { header_timeout: Duration::from_secs(1), ..Limits::default() };
    let address = start(limits, None).await;
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: desa\r\nX-Slow: ").await.expect("send");
    let started = Instant::now();
    let closed = read_to_close(&mut stream, Duration::from_secs(15)).await;
    assert!(closed.is_some(), "the connection was still open after 15 s");
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(5), "closed only after {waited:?}");

    // A kept-alive connection that goes quiet after an answer is closed as well.
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: desa\r\n\r\n").await.expect("send");
    let started = Instant::now();
    let answer = read_to_close(&mut stream, Duration::from_secs(15)).await.expect("closed");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"), "answered first");
    assert!(started.elapsed() < Duration::from_secs(5), "idle connection kept open");
}

#[tokio::test]
async fn connections_past_the_cap_wait_until_one_closes() {
    let limits = Limits { max_connections: 2, ..Limits::default() };
    let address = start(limits, None).await;
    // Two clients hold a connection each, saying nothing.
    let first = TcpStream::connect(address).await.expect("connect");
    let _second = TcpStream::connect(address).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut third = TcpStream::connect(address).await.expect("the kernel still queues it");
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: desa\r\nConnection: close\r\n\r\n")
        .await
        .expect("send");
    let mut byte = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(700), third.read(&mut byte)).await;
    assert!(early.is_err(), "a third connection was served past the cap of two");

    drop(first);
    let answer = read_to_close(&mut third, Duration::from_secs(10)).await.expect("served");
    let text = format!("{}{}", byte[0] as char, String::from_utf8_lossy(&answer));
    assert!(text.contains("200 OK"), "{text}");
}

/// A CA, and a certificate for 127.0.0.1 it signed, as PEM files in `dir`.
fn certificates(
    dir: &std::path::Path,
    name: &str,
) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name.push(rcgen::DnType::CommonName, format!("{name} CA"));
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = rcgen::KeyPair::generate().expect("server key");
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("params");
    let cert = params.signed_by(&key, &issuer).expect("server certificate");
    let (cert_path, key_path) = (dir.join(format!("{name}.crt")), dir.join(format!("{name}.key")));
    std::fs::write(&cert_path, cert.pem()).expect("write certificate");
    std::fs::write(&key_path, key.serialize_pem()).expect("write key");
    (cert_path, key_path, ca_cert.pem())
}

#[tokio::test]
async fn with_a_certificate_the_service_speaks_tls_only() {
    let dir = tempfile::tempdir().expect("dir");
    let (cert, key, ca) = certificates(dir.path(), "kabupaten");
    let tls = tls_config(&cert, &key).expect("TLS configuration");
    let address = start(Limits::default(), Some(tls)).await;

    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).expect("CA"))
        .build()
        .expect("client");
    let url = format!("https://127.0.0.1:{}/healthz", address.port());
    let response = client.get(&url).send().await.expect("HTTPS");
    assert_eq!(response.status(), 200);

    // Plain HTTP on the same port gets no answer.
    let plain = reqwest::get(format!("http://127.0.0.1:{}/healthz", address.port())).await;
    assert!(plain.is_err(), "answered plain HTTP: {plain:?}");

    // A client that trusts another CA refuses the service's certificate.
    let (_, _, other_ca) = certificates(dir.path(), "elsewhere");
    let stranger = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(other_ca.as_bytes()).expect("CA"))
        .build()
        .expect("client");
    assert!(stranger.get(&url).send().await.is_err(), "a certificate of another CA accepted");
}

#[test]
fn a_key_that_does_not_fit_the_certificate_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("dir");
    let (cert, _, _) = certificates(dir.path(), "one");
    let (_, other_key, _) = certificates(dir.path(), "two");
    assert!(tls_config(&cert, &other_key).is_err());
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").expect("write");
    assert!(tls_config(&empty, &other_key).is_err());
}
