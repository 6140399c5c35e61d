//! A PostgreSQL URL made ready for connections: libpq's TLS words read out of it, the policy
//! of the parent module applied, the CA loaded, and a failed handshake explained.

use std::path::Path;
use std::sync::Arc;

use postgres::config::{Host, SslMode};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{PgTlsError, Transport, reach, transport};
use crate::store::StoreError;

/// A failed connection over TLS: when the handshake is what failed, [`PgTlsError::Handshake`]
/// with its cause (the `postgres` crate's own message names neither the cause nor the host).
pub(crate) fn handshake_error(config: &postgres::Config, error: postgres::Error) -> StoreError {
    // The crate's `Kind` is private: its message for a TLS failure is the only sign.
    if error.to_string() != "error performing TLS handshake" {
        return error.into();
    }
    let reason = std::error::Error::source(&error)
        .map_or_else(|| "no cause given".to_owned(), ToString::to_string);
    let host = config
        .get_hosts()
        .iter()
        .find_map(|host| match host {
            Host::Tcp(name) => Some(name.clone()),
            Host::Unix(_) => None,
        })
        .or_else(|| config.get_hostaddrs().first().map(ToString::to_string))
        .unwrap_or_default();
    PgTlsError::Handshake { host, reason }.into()
}
/// libpq's TLS words that the `postgres` crate does not take, read out of a `postgres://`
/// URL: `sslrootcert=FILE` is removed and returned (`system` meaning the default roots);
/// `sslmode=verify-full` and `verify-ca` become `require`, which here always verifies the
/// certificate and the host name. The rest of the URL is left as it was.
pub(crate) fn libpq_tls_words(url: &str) -> Result<(String, Option<String>), PgTlsError> {
    // As the `postgres` crate reads a URL: credentials up to the first `@`, then the hosts and
    // path up to the first `?`.
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    let authority_start =
        url[after_scheme..].find('@').map_or(after_scheme, |at| after_scheme + at + 1);
    let Some(query_at) = url[authority_start..].find('?').map(|at| authority_start + at) else {
        return Ok((url.to_owned(), None));
    };
    let mut kept = Vec::new();
    let mut root_cert = None;
    for pair in url[query_at + 1..].split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match decode(key)?.as_str() {
            "sslrootcert" => root_cert = Some(decode(value)?),
            "sslmode" if matches!(decode(value)?.as_str(), "verify-full" | "verify-ca") => {
                kept.push("sslmode=require".to_owned());
            }
            _ => kept.push(pair.to_owned()),
        }
    }
    let mut cleaned = url[..query_at].to_owned();
    if !kept.is_empty() {
        cleaned.push('?');
        cleaned.push_str(&kept.join("&"));
    }
    Ok((cleaned, root_cert))
}

fn decode(text: &str) -> Result<String, PgTlsError> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| PgTlsError::Url("a parameter is not UTF-8 once decoded".into()))
}

/// A database URL made ready once, before any connection: parsed, the policy applied, the
/// CA read. Each connection of the pool starts from it.
#[derive(Clone)]
pub(crate) struct PgTarget {
    pub(in crate::store) config: postgres::Config,
    /// `None`: plain.
    pub(in crate::store) tls: Option<MakeRustlsConnect>,
}

impl PgTarget {
    pub(crate) fn from_url(url: &str) -> Result<PgTarget, StoreError> {
        let (url, root_cert) = libpq_tls_words(url)?;
        let mut config: postgres::Config =
            url.parse().map_err(|e| StoreError::Invalid(format!("database URL: {e}")))?;
        let tls = match transport(&reach(&config), config.get_ssl_mode())? {
            Transport::Plain => {
                config.ssl_mode(SslMode::Disable);
                None
            }
            Transport::VerifiedTls => {
                // A server answering that it has no TLS is then an error, not a fallback.
                config.ssl_mode(SslMode::Require);
                let roots = match root_cert.as_deref() {
                    None | Some("system") => webpki_roots(),
                    Some(path) => roots_from(Path::new(path))?,
                };
                Some(MakeRustlsConnect::new(client_config(roots)?))
            }
        };
        Ok(PgTarget { config, tls })
    }
}

fn webpki_roots() -> rustls::RootCertStore {
    rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned())
}

/// The operator's CA file: every PEM certificate in it is a root.
fn roots_from(path: &Path) -> Result<rustls::RootCertStore, PgTlsError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let read_error = |source| PgTlsError::CaRead { path: path.to_owned(), source };
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(read_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_error)?;
    if certificates.is_empty() {
        return Err(PgTlsError::CaEmpty { path: path.to_owned() });
    }
    let mut roots = rustls::RootCertStore::empty();
    for certificate in certificates {
        roots
            .add(certificate)
            .map_err(|source| PgTlsError::CaInvalid { path: path.to_owned(), source })?;
    }
    Ok(roots)
}

fn client_config(roots: rustls::RootCertStore) -> Result<rustls::ClientConfig, PgTlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // PostgreSQL 17 checks it when given, and needs it for `sslnegotiation=direct`.
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_words_are_read_out_of_the_url() {
        let words = |url| libpq_tls_words(url).expect("valid URL");
        assert_eq!(words("postgres://u@h/db"), ("postgres://u@h/db".into(), None));
        assert_eq!(
            words("postgres://u@h/db?sslrootcert=%2Fetc%2Fanjungan%2Fdb-ca.pem"),
            ("postgres://u@h/db".into(), Some("/etc/anjungan/db-ca.pem".into()))
        );
        assert_eq!(
            words("postgres://u@h/db?sslmode=verify-full&sslrootcert=/ca.pem&port=5433"),
            ("postgres://u@h/db?sslmode=require&port=5433".into(), Some("/ca.pem".into()))
        );
        assert_eq!(
            words("postgres://u@h/db?sslmode=verify-ca"),
            ("postgres://u@h/db?sslmode=require".into(), None)
        );
        // A `?` in the password is the password's, as the `postgres` crate reads it.
        assert_eq!(
            words("postgres://u:pa?ss@h/db?sslmode=disable"),
            ("postgres://u:pa?ss@h/db?sslmode=disable".into(), None)
        );
    }

    #[test]
    fn a_verify_full_url_to_a_remote_host_is_ready_for_tls_and_never_falls_back() {
        let target = PgTarget::from_url("postgres://u@db.kabupaten.lan/db?sslmode=verify-full")
            .expect("target");
        assert!(target.tls.is_some());
        assert_eq!(target.config.get_ssl_mode(), SslMode::Require);
        let target = PgTarget::from_url("postgres://u@db.kabupaten.lan/db").expect("target");
        assert!(target.tls.is_some(), "prefer (the default) is TLS for a remote host");
        assert_eq!(target.config.get_ssl_mode(), SslMode::Require);
        let target = PgTarget::from_url("postgres://u@127.0.0.1/db").expect("target");
        assert!(target.tls.is_none());
        assert!(matches!(
            PgTarget::from_url("postgres://u@10.0.0.5/db?sslmode=disable"),
            Err(StoreError::PostgresTls(PgTlsError::RemoteWithoutTls { .. }))
        ));
        assert!(matches!(
            PgTarget::from_url("postgres://u@10.0.0.5/db?sslrootcert=/nonexistent/ca.pem"),
            Err(StoreError::PostgresTls(PgTlsError::CaRead { .. }))
        ));
    }
}
