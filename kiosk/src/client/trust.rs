//! Whom the kiosk believes it is talking to. NIKs cross the desa network, so the central
//! service is reached over https, and only the kabupaten's own CA is trusted: a certificate
//! from a public CA (anyone can get one for a name they own) or from a box in the middle is
//! refused. Plain http is left for one case, a service on this very machine, where no
//! network is crossed.
//!
//! Which command gets which:
//! - the kiosk itself: [`pinned`] (https and the CA file), [`Trust::PlainLoopback`] only
//!   with `--demo`, whose embedded service listens on loopback;
//! - `kiosk outbox drain`: [`for_tool`], http to a loopback address (the crash tests' proxy,
//!   a service on the kiosk) and otherwise the same as the kiosk, so an operator draining
//!   a real kiosk's queue sends it as safely as the kiosk would;
//! - `bench` and `screenshots`: [`Trust::PlainLoopback`], they only ever talk to loopback.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use protocol::Text;

/// The CA file's name beside the key file, where the installer puts both.
pub const CA_FILE_NAME: &str = "backend-ca.pem";

/// What the client may connect to. There is no variant with public roots: a client can
/// only be built pinned or loopback-only.
#[derive(Debug, Clone)]
pub enum Trust {
    /// https only, to a certificate one of these CAs issued (the kabupaten's, from
    /// [`load_ca`]).
    PinnedCa(Vec<reqwest::Certificate>),
    /// Plain http to a loopback address only, and no CA at all.
    PlainLoopback,
}

/// Why the kiosk cannot talk to the central service safely, found at start.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("backend URL {url:?} cannot be parsed: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("backend URL {url} is not https")]
    NotHttps { url: String },
    #[error("backend URL {url} is not plain http to a loopback address")]
    NotLoopback { url: String },
    #[error("cannot read the backend CA file {path}: {source}")]
    CaUnreadable { path: PathBuf, source: std::io::Error },
    #[error("the backend CA file {path} holds no certificate")]
    CaEmpty { path: PathBuf },
    #[error("the backend CA file {path} holds a certificate that cannot be used: {reason}")]
    CaInvalid { path: PathBuf, reason: String },
    /// `Trust::PinnedCa` with no certificate: it would trust nothing (or, if that ever
    /// changed, anything).
    #[error("no CA certificate to pin")]
    NothingPinned,
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

impl TrustError {
    /// What to tell the installer, Indonesian first, naming the URL or file and the fix.
    pub fn message(&self) -> Text {
        match self {
            TrustError::BadUrl { url, reason } => Text::new(
                format!("Alamat layanan pusat {url:?} tidak dapat dibaca ({reason})."),
                format!("The central service address {url:?} cannot be read ({reason})."),
            ),
            TrustError::NotHttps { url } => Text::new(
                format!(
                    "Alamat layanan pusat {url} bukan https: NIK warga akan melintasi jaringan \
                     desa tanpa enkripsi. Kiosk tidak dijalankan. Pakai alamat https://... \
                     (--backend-url), atau --demo untuk demo."
                ),
                format!(
                    "The central service address {url} is not https: citizens' NIKs would \
                     cross the desa network unencrypted. The kiosk does not start. Use an \
                     https://... address (--backend-url), or --demo for the demo."
                ),
            ),
            TrustError::NotLoopback { url } => Text::new(
                format!(
                    "Alamat {url} ditolak: tanpa https hanya alamat loopback mesin ini \
                     (127.0.0.1, ::1) yang boleh dipakai."
                ),
                format!(
                    "The address {url} is refused: without https only a loopback address of \
                     this machine (127.0.0.1, ::1) may be used."
                ),
            ),
            TrustError::CaUnreadable { path, source } => Text::new(
                format!(
                    "Berkas CA layanan pusat {} tidak dapat dibaca ({source}). Kiosk hanya \
                     mempercayai CA kabupaten dari berkas ini dan tidak dijalankan tanpanya. \
                     Pasang berkas PEM dari kabupaten di sana, atau tunjuk dengan --backend-ca.",
                    path.display()
                ),
                format!(
                    "The central service's CA file {} cannot be read ({source}). The kiosk \
                     trusts only the kabupaten's CA from this file and does not start without \
                     it. Install the kabupaten's PEM file there, or name it with --backend-ca.",
                    path.display()
                ),
            ),
            TrustError::CaEmpty { path } => Text::new(
                format!(
                    "Berkas CA layanan pusat {} tidak berisi sertifikat (-----BEGIN \
                     CERTIFICATE-----). Kiosk tidak dijalankan. Pasang berkas PEM CA dari \
                     kabupaten.",
                    path.display()
                ),
                format!(
                    "The central service's CA file {} holds no certificate (-----BEGIN \
                     CERTIFICATE-----). The kiosk does not start. Install the kabupaten's CA \
                     PEM file.",
                    path.display()
                ),
            ),
            TrustError::CaInvalid { path, reason } => Text::new(
                format!(
                    "Sertifikat dalam berkas CA layanan pusat {} rusak ({reason}). Kiosk tidak \
                     dijalankan. Pasang ulang berkas PEM CA dari kabupaten.",
                    path.display()
                ),
                format!(
                    "A certificate in the central service's CA file {} is damaged ({reason}). \
                     The kiosk does not start. Install the kabupaten's CA PEM file again.",
                    path.display()
                ),
            ),
            TrustError::NothingPinned | TrustError::Client(_) => Text::new(
                format!("Koneksi ke layanan pusat tidak dapat disiapkan: {self}."),
                format!("The connection to the central service cannot be set up: {self}."),
            ),
        }
    }
}

/// `--backend-ca`, or [`CA_FILE_NAME`] in the key file's directory.
pub fn ca_path(backend_ca: Option<&Path>, key_file: &Path) -> PathBuf {
    match backend_ca {
        Some(path) => path.to_path_buf(),
        None => key_file.with_file_name(CA_FILE_NAME),
    }
}

/// The CA certificates of a PEM file: at least one, each one the client accepts (so a
/// damaged file is named here, not as a vague failure when the client is built).
pub fn load_ca(path: &Path) -> Result<Vec<reqwest::Certificate>, TrustError> {
    let pem = std::fs::read(path)
        .map_err(|source| TrustError::CaUnreadable { path: path.to_path_buf(), source })?;
    let invalid = |error: reqwest::Error| TrustError::CaInvalid {
        path: path.to_path_buf(),
        reason: error_chain(&error),
    };
    let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(invalid)?;
    if certificates.is_empty() {
        return Err(TrustError::CaEmpty { path: path.to_path_buf() });
    }
    let probe = Trust::PinnedCa(certificates.clone());
    probe.apply(reqwest::Client::builder())?.build().map_err(invalid)?;
    Ok(certificates)
}

/// The kiosk's trust outside `--demo`: `url` must be https (checked first, the likelier
/// mistake), and only the certificates of `ca_file` are trusted.
pub fn pinned(url: &str, ca_file: &Path) -> Result<Trust, TrustError> {
    require_https(url)?;
    Ok(Trust::PinnedCa(load_ca(ca_file)?))
}

/// The trust of `kiosk outbox drain`: plain http to a loopback address, where no network
/// is crossed; anything else as [`pinned`].
pub fn for_tool(url: &str, ca_file: &Path) -> Result<Trust, TrustError> {
    if Trust::PlainLoopback.check_url(url).is_ok() {
        return Ok(Trust::PlainLoopback);
    }
    pinned(url, ca_file)
}

impl Trust {
    /// Whether a client with this trust may be pointed at `url`.
    pub fn check_url(&self, url: &str) -> Result<(), TrustError> {
        match self {
            Trust::PinnedCa(_) => require_https(url),
            Trust::PlainLoopback => {
                let parsed = parse(url)?;
                // The host as written, an IP: a name could resolve elsewhere.
                let host = parsed.host_str().unwrap_or_default();
                let ip = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>();
                match ip {
                    Ok(ip) if ip.is_loopback() && parsed.scheme() == "http" => Ok(()),
                    _ => Err(TrustError::NotLoopback { url: url.to_string() }),
                }
            }
        }
    }

    /// `builder` trusting no built-in root, following no redirect (the API never sends one;
    /// one could only lead away from the pinned service) and, when pinned, speaking https
    /// only with exactly these CAs.
    pub(super) fn apply(
        &self,
        builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, TrustError> {
        let builder =
            builder.tls_built_in_root_certs(false).redirect(reqwest::redirect::Policy::none());
        Ok(match self {
            Trust::PinnedCa(certificates) if certificates.is_empty() => {
                return Err(TrustError::NothingPinned);
            }
            Trust::PinnedCa(certificates) => {
                certificates.iter().fold(builder.https_only(true), |builder, certificate| {
                    builder.add_root_certificate(certificate.clone())
                })
            }
            // A proxy from the environment would carry loopback traffic off the machine.
            Trust::PlainLoopback => builder.no_proxy(),
        })
    }
}

fn parse(url: &str) -> Result<reqwest::Url, TrustError> {
    reqwest::Url::parse(url)
        .map_err(|error| TrustError::BadUrl { url: url.to_string(), reason: error.to_string() })
}

fn require_https(url: &str) -> Result<(), TrustError> {
    match parse(url)?.scheme() {
        "https" => Ok(()),
        _ => Err(TrustError::NotHttps { url: url.to_string() }),
    }
}

/// An error and its causes on one line: reqwest's own text says only "error sending
/// request", the cause says why (refused, timed out, a certificate the pinned CA did not
/// issue). None of them holds the URL.
pub(super) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca_pem() -> String {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).expect("CA").pem()
    }

    #[test]
    fn the_ca_file_sits_beside_the_key_file_unless_named() {
        let key = Path::new("/etc/anjungan/kiosk.key");
        assert_eq!(ca_path(None, key), Path::new("/etc/anjungan/backend-ca.pem"));
        let named = Path::new("/srv/ca.pem");
        assert_eq!(ca_path(Some(named), key), named);
    }

    #[test]
    fn a_missing_empty_or_damaged_ca_file_is_refused_by_name() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join(CA_FILE_NAME);
        let missing = load_ca(&path).expect_err("missing");
        assert!(matches!(missing, TrustError::CaUnreadable { .. }), "{missing}");
        assert!(missing.message().id.contains(&path.display().to_string()));

        std::fs::write(&path, "").expect("write");
        assert!(matches!(load_ca(&path), Err(TrustError::CaEmpty { .. })));
        // A key is not a certificate.
        let key = rcgen::KeyPair::generate().expect("key").serialize_pem();
        std::fs::write(&path, key).expect("write");
        assert!(matches!(load_ca(&path), Err(TrustError::CaEmpty { .. })));
        std::fs::write(&path, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
            .expect("write");
        let damaged = load_ca(&path).expect_err("damaged");
        assert!(matches!(damaged, TrustError::CaInvalid { .. }), "{damaged}");

        std::fs::write(&path, format!("{}{}", ca_pem(), ca_pem())).expect("write");
        assert_eq!(load_ca(&path).expect("two CAs").len(), 2);
    }

    #[test]
    fn pinned_wants_https_and_loopback_wants_a_loopback_ip() {
        let pinned = Trust::PinnedCa(Vec::new());
        assert!(pinned.check_url("https://anjungan.banyuwangikab.go.id").is_ok());
        for url in ["http://10.0.0.5:8080", "ftp://x", "HTTP://127.0.0.1"] {
            assert!(matches!(pinned.check_url(url), Err(TrustError::NotHttps { .. })), "{url}");
        }
        assert!(matches!(pinned.check_url("10.0.0.5:8080"), Err(TrustError::BadUrl { .. })));

        let loopback = Trust::PlainLoopback;
        for url in ["http://127.0.0.1:8080", "http://127.3.0.1", "http://[::1]:80/"] {
            assert!(loopback.check_url(url).is_ok(), "{url}");
        }
        for url in [
            "http://10.0.0.5:8080",
            "http://localhost:8080",
            "http://127.0.0.1.evil.example",
            "https://127.0.0.1:8443",
        ] {
            let refused = loopback.check_url(url);
            assert!(matches!(refused, Err(TrustError::NotLoopback { .. })), "{url}");
        }
    }

    #[test]
    fn tools_may_use_loopback_http_and_nothing_else_without_the_ca() {
        let dir = tempfile::tempdir().expect("dir");
        let ca = dir.path().join(CA_FILE_NAME);
        assert!(matches!(for_tool("http://127.0.0.1:9", &ca), Ok(Trust::PlainLoopback)));
        let remote = for_tool("http://10.0.0.5:8080", &ca);
        assert!(matches!(remote, Err(TrustError::NotHttps { .. })));
        let no_ca = for_tool("https://10.0.0.5", &ca);
        assert!(matches!(no_ca, Err(TrustError::CaUnreadable { .. })));
        std::fs::write(&ca, ca_pem()).expect("write");
        assert!(
            matches!(for_tool("https://10.0.0.5", &ca), Ok(Trust::PinnedCa(c)) if c.len() == 1)
        );
    }
}
