//! The kiosk and the central service over TLS, as on a real desa network: the real backend
//! listener with a certificate from a kabupaten CA made here, the kiosk's client pinning
//! that CA (or another one), and the kiosk program refusing to start unsafely.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod tls_support;

use backend::server::{Limits, serve, tls_config};
use kiosk::client::{BackendClient, ClientError, Trust, TrustError, trust};
use protocol::auth::KioskKey;
use tls_support::{kabupaten_ca, kiosk, refusal};

struct Service {
    url: String,
    store: backend::Store,
    key: KioskKey,
    nik: protocol::Nik,
    dir: tempfile::TempDir,
    /// The PEM file of the CA that issued the service's certificate.
    ca_file: PathBuf,
}

/// The real listener over TLS on loopback, with demo data and a registered kiosk.
async fn service() -> Service {
    let dir = tempfile::tempdir().expect("dir");
    let (ca_pem, cert, key) = kabupaten_ca(dir.path(), "banyuwangi");
    let ca_file = dir.path().join(trust::CA_FILE_NAME);
    std::fs::write(&ca_file, ca_pem).expect("write CA");
    let store = backend::Store::open_temporary().expect("store");
    let options = backend::demo::DemoOptions { residents: 400, ..Default::default() };
    let summary = backend::demo::generate(&store, &options).expect("demo data");
    let kiosk_key = store.register_kiosk("BWI-TEST-TLS", None, 60).expect("register kiosk");
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let address = listener.local_addr().expect("address");
    let tls = tls_config(&cert, &key).expect("TLS configuration");
    let router = backend::http::router(store.clone());
    tokio::spawn(serve(listener, router, Limits::default(), Some(tls), std::future::pending()));
    let nik = summary.examples.first().expect("an example").nik;
    Service { url: format!("https://{address}"), store, key: kiosk_key, nik, dir, ca_file }
}

fn pinned_client(service: &Service, ca_file: &Path) -> BackendClient {
    let trust = trust::pinned(&service.url, ca_file).expect("trust");
    BackendClient::new(&service.url, service.key.clone(), trust).expect("client")
}

fn lookups_audited(store: &backend::Store) -> usize {
    store.flush_audit();
    let entries = store.recent_audit(100).expect("audit");
    entries.iter().filter(|entry| entry.action == "status_lookup").count()
}

#[tokio::test]
async fn a_kiosk_pinning_the_kabupaten_ca_looks_up_a_status_over_https() {
    let service = service().await;
    let client = pinned_client(&service, &service.ca_file);
    let status = client.status(&service.nik).await.expect("status over HTTPS");
    assert!(!status.name.is_empty(), "an answer about the person");
    assert_eq!(lookups_audited(&service.store), 1, "the service saw the signed lookup");
    assert_eq!(client.base_url(), service.url);
}

#[tokio::test]
async fn a_kiosk_pinning_another_ca_never_reaches_the_service() {
    let service = service().await;
    let (other_ca, _, _) = kabupaten_ca(service.dir.path(), "elsewhere");
    let other_file = service.dir.path().join("elsewhere-ca.pem");
    std::fs::write(&other_file, other_ca).expect("write CA");
    let stranger = pinned_client(&service, &other_file);

    let error = stranger.status(&service.nik).await.expect_err("refused certificate");
    assert!(matches!(error, ClientError::Unreachable(_)), "{error:?}");
    let text = format!("{error} {error:?}");
    assert!(!text.contains(service.nik.as_str()), "the NIK leaked into {text}");
    assert!(text.contains("certificate"), "the cause is named: {text}");
    assert_eq!(lookups_audited(&service.store), 0, "the lookup reached the service");

    // A public root would not help either: the kiosk trusts none.
    let error = stranger.health().await.expect_err("refused certificate");
    assert!(matches!(error, ClientError::Unreachable(_)), "{error:?}");
}

#[tokio::test]
async fn an_http_url_is_refused_for_a_pinned_client() {
    let service = service().await;
    let certificates = trust::load_ca(&service.ca_file).expect("CA");
    let plain = service.url.replacen("https://", "http://", 1);
    let refused = BackendClient::new(&plain, service.key.clone(), Trust::PinnedCa(certificates));
    assert!(matches!(refused, Err(TrustError::NotHttps { .. })), "built a pinned http client");
    let refused = trust::pinned(&plain, &service.ca_file);
    assert!(matches!(refused, Err(TrustError::NotHttps { .. })));
    // Plain http is for loopback only, and a pinned client needs a CA.
    let remote =
        BackendClient::new("http://10.0.0.5:8080", service.key.clone(), Trust::PlainLoopback);
    assert!(matches!(remote, Err(TrustError::NotLoopback { .. })));
    let nothing =
        BackendClient::new(&service.url, service.key.clone(), Trust::PinnedCa(Vec::new()));
    assert!(matches!(nothing, Err(TrustError::NothingPinned)));
}

#[test]
fn the_kiosk_refuses_to_start_without_its_ca_file_or_with_http() {
    let dir = tempfile::tempdir().expect("dir");
    let key_file = dir.path().join("kiosk.key");
    let key = KioskKey::new("BWI-TEST-TLS", [7; 32]).expect("key").with_issuer(9).expect("issuer");
    std::fs::write(&key_file, key.to_file_text()).expect("key file");
    let ca_file = dir.path().join("backend-ca.pem");
    let (key_arg, data) = (key_file.to_str().expect("path"), dir.path().join("state"));
    let data = data.to_str().expect("path");
    let run = |url: &str| kiosk(&["--key-file", key_arg, "--data-dir", data, "--backend-url", url]);

    // No CA file beside the key file: refused, naming where it should be.
    let stderr = refusal(&run("https://127.0.0.1:9"));
    assert!(stderr.contains(&ca_file.display().to_string()), "{stderr}");
    assert!(stderr.contains("tidak dapat dibaca") && stderr.contains("cannot be read"), "{stderr}");
    // An empty one too.
    std::fs::write(&ca_file, "").expect("write");
    let stderr = refusal(&run("https://127.0.0.1:9"));
    assert!(stderr.contains("tidak berisi sertifikat") && stderr.contains("holds no certificate"));
    // --backend-ca names another file.
    let named = dir.path().join("elsewhere.pem");
    let output = kiosk(&[
        "--key-file",
        key_arg,
        "--backend-url",
        "https://127.0.0.1:9",
        "--backend-ca",
        named.to_str().expect("path"),
    ]);
    assert!(refusal(&output).contains(&named.display().to_string()));

    // With a CA, an http URL is refused, in both languages.
    let (ca_pem, _, _) = kabupaten_ca(dir.path(), "banyuwangi");
    std::fs::write(&ca_file, ca_pem).expect("write CA");
    let stderr = refusal(&run("http://10.0.0.5:8080"));
    assert!(stderr.contains("bukan https") && stderr.contains("is not https"), "{stderr}");
    // Even to loopback: only --demo runs over plain http.
    let stderr = refusal(&run("http://127.0.0.1:8080"));
    assert!(stderr.contains("is not https"), "{stderr}");
    assert!(!Path::new(data).exists(), "nothing was written before the refusal");
}
