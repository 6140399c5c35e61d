//! How the service reaches PostgreSQL. Registry rows (NIKs, names, memberships) cross that
//! connection, so a server that is not on this host is reached over TLS only, its
//! certificate verified against the operator's CA (`sslrootcert=` in the URL) or else the
//! Mozilla roots, and its name checked; a URL asking otherwise is refused at start. A server
//! on this host (localhost, 127.0.0.0/8, ::1, a socket directory) is reached in plain unless
//! the URL says `sslmode=require`, which then verifies exactly as for a remote one. This
//! module holds the policy (pure) and its refusals; target.rs applies it to a URL.

use std::net::IpAddr;
use std::path::PathBuf;

use postgres::config::{Host, SslMode};
use protocol::Text;

mod target;

pub(crate) use target::{PgTarget, handshake_error};

/// Why the service will not connect to the PostgreSQL server the URL names.
#[derive(Debug, thiserror::Error)]
pub enum PgTlsError {
    #[error(
        "the PostgreSQL server {host} is not on this host and the URL says sslmode=disable; \
         remove sslmode=disable (and name the server's CA with sslrootcert=FILE if a CA of \
         your own issued its certificate)"
    )]
    RemoteWithoutTls { host: String },
    #[error(
        "sslmode=require with a Unix socket directory: PostgreSQL offers no TLS there; \
         connect over TCP (host 127.0.0.1) or remove sslmode=require"
    )]
    TlsOverSocket,
    #[error("cannot read the PostgreSQL CA {path}: {source}")]
    CaRead { path: PathBuf, source: rustls::pki_types::pem::Error },
    #[error("the PostgreSQL CA {path} holds no certificate")]
    CaEmpty { path: PathBuf },
    #[error("the PostgreSQL CA {path} cannot be used: {source}")]
    CaInvalid { path: PathBuf, source: rustls::Error },
    #[error(
        "TLS with the PostgreSQL server {host} failed: {reason}; check that the server runs \
         with ssl=on, that the CA in sslrootcert= issued its certificate, and that the \
         certificate names {host}"
    )]
    Handshake { host: String, reason: String },
    #[error("database URL: {0}")]
    Url(String),
    #[error("TLS for PostgreSQL: {0}")]
    Config(#[from] rustls::Error),
}

impl PgTlsError {
    /// What the operator reads at start, in Indonesian and English, with the fix.
    pub fn message(&self) -> Text {
        match self {
            PgTlsError::RemoteWithoutTls { host } => Text::new(
                format!(
                    "Server PostgreSQL {host} tidak berada di mesin ini, tetapi URL-nya meminta \
                     sslmode=disable: data penduduk akan lewat jaringan tanpa enkripsi. Layanan \
                     tidak dijalankan. Perbaiki dengan: hapus sslmode=disable dari URL (dan \
                     sebutkan CA server dengan sslrootcert=FILE bila sertifikatnya diterbitkan \
                     CA sendiri)."
                ),
                format!(
                    "The PostgreSQL server {host} is not on this host, but its URL says \
                     sslmode=disable: residents' data would cross the network unencrypted. The \
                     service does not start. Fix it: remove sslmode=disable from the URL (and \
                     name the server's CA with sslrootcert=FILE if a CA of your own issued its \
                     certificate)."
                ),
            ),
            PgTlsError::TlsOverSocket => Text::new(
                "sslmode=require dengan direktori soket Unix: PostgreSQL tidak menyediakan TLS \
                 di sana. Perbaiki dengan: sambungkan lewat TCP (host 127.0.0.1) atau hapus \
                 sslmode=require."
                    .to_owned(),
                "sslmode=require with a Unix socket directory: PostgreSQL offers no TLS there. \
                 Fix it: connect over TCP (host 127.0.0.1) or remove sslmode=require."
                    .to_owned(),
            ),
            PgTlsError::CaRead { path, source } => Text::new(
                format!(
                    "CA PostgreSQL {} tidak dapat dibaca: {source}. Perbaiki sslrootcert= di \
                     URL basis data.",
                    path.display()
                ),
                format!(
                    "The PostgreSQL CA {} cannot be read: {source}. Fix sslrootcert= in the \
                     database URL.",
                    path.display()
                ),
            ),
            PgTlsError::CaEmpty { path } => Text::new(
                format!(
                    "CA PostgreSQL {} tidak berisi sertifikat PEM. Perbaiki sslrootcert= di URL \
                     basis data.",
                    path.display()
                ),
                format!(
                    "The PostgreSQL CA {} holds no PEM certificate. Fix sslrootcert= in the \
                     database URL.",
                    path.display()
                ),
            ),
            PgTlsError::CaInvalid { path, source } => Text::new(
                format!("CA PostgreSQL {} tidak dapat dipakai: {source}.", path.display()),
                format!("The PostgreSQL CA {} cannot be used: {source}.", path.display()),
            ),
            PgTlsError::Handshake { host, reason } => Text::new(
                format!(
                    "Sambungan TLS ke server PostgreSQL {host} gagal: {reason}. Periksa bahwa \
                     server berjalan dengan ssl=on, bahwa sertifikatnya diterbitkan CA yang \
                     disebut sslrootcert= di URL (tanpa sslrootcert: CA publik), dan bahwa \
                     sertifikat itu memuat nama {host}."
                ),
                format!(
                    "TLS with the PostgreSQL server {host} failed: {reason}. Check that the \
                     server runs with ssl=on, that the CA named by sslrootcert= in the URL \
                     issued its certificate (without sslrootcert: a public CA), and that the \
                     certificate names {host}."
                ),
            ),
            PgTlsError::Url(reason) => Text::new(
                format!("URL basis data tidak sah: {reason}."),
                format!("The database URL is not valid: {reason}."),
            ),
            PgTlsError::Config(error) => Text::new(
                format!("TLS untuk PostgreSQL tidak dapat disiapkan: {error}."),
                format!("TLS for PostgreSQL cannot be set up: {error}."),
            ),
        }
    }
}

/// The farthest of the servers a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Every host is a Unix socket directory.
    Socket,
    /// Every host is on this machine; some over TCP (localhost, 127.0.0.0/8, ::1).
    Loopback,
    /// At least one host, named here, is elsewhere.
    Remote(String),
}

/// How a connection is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Plain,
    /// TLS, the certificate verified and its name checked; never falling back to plain.
    VerifiedTls,
}

/// The policy: a remote server only over verified TLS (`prefer`, the default, becomes
/// `require`; `disable` is refused); a local one in plain unless the URL requires TLS.
pub(crate) fn transport(reach: &Reach, mode: SslMode) -> Result<Transport, PgTlsError> {
    match (reach, mode) {
        (Reach::Remote(host), SslMode::Disable) => {
            Err(PgTlsError::RemoteWithoutTls { host: host.clone() })
        }
        (Reach::Remote(_), _) => Ok(Transport::VerifiedTls),
        (Reach::Socket | Reach::Loopback, SslMode::Disable | SslMode::Prefer) => {
            Ok(Transport::Plain)
        }
        (Reach::Socket, _) => Err(PgTlsError::TlsOverSocket),
        (Reach::Loopback, _) => Ok(Transport::VerifiedTls),
    }
}

/// Where `config`'s hosts are. A `hostaddr` is where the connection goes (its `host` only
/// names the certificate), so it counts too.
pub(crate) fn reach(config: &postgres::Config) -> Reach {
    let mut tcp = false;
    for host in config.get_hosts() {
        match host {
            Host::Unix(_) => {}
            Host::Tcp(name) if is_local_name(name) => tcp = true,
            Host::Tcp(name) => return Reach::Remote(name.clone()),
        }
    }
    for addr in config.get_hostaddrs() {
        if !is_loopback(*addr) {
            return Reach::Remote(addr.to_string());
        }
        tcp = true;
    }
    let sockets = config.get_hosts().iter().any(|host| matches!(host, Host::Unix(_)));
    if sockets && !tcp { Reach::Socket } else { Reach::Loopback }
}

fn is_local_name(name: &str) -> bool {
    name.eq_ignore_ascii_case("localhost") || name.parse().is_ok_and(is_loopback)
}

fn is_loopback(addr: IpAddr) -> bool {
    addr.to_canonical().is_loopback()
}
#[cfg(test)]
mod tests {
    use super::*;

    fn reach_of(url: &str) -> Reach {
        reach(&url.parse().expect("test URL parses"))
    }

    #[test]
    fn hosts_on_this_machine_are_local_and_others_remote() {
        assert_eq!(reach_of("postgres://u@localhost/db"), Reach::Loopback);
        assert_eq!(reach_of("postgres://u@LOCALHOST:5433/db"), Reach::Loopback);
        assert_eq!(reach_of("postgres://u@127.0.0.1/db"), Reach::Loopback);
        assert_eq!(reach_of("postgres://u@127.9.8.7/db"), Reach::Loopback);
        assert_eq!(reach_of("postgres://u@[::1]:5432/db"), Reach::Loopback);
        assert_eq!(reach_of("postgres://u@%2Fvar%2Frun%2Fpostgresql/db"), Reach::Socket);
        assert_eq!(reach_of("postgres://u@/db?host=/run/postgresql"), Reach::Socket);
        assert_eq!(
            reach_of("postgres://u@db.kabupaten.lan/db"),
            Reach::Remote("db.kabupaten.lan".into())
        );
        assert_eq!(reach_of("postgres://u@10.0.0.5/db"), Reach::Remote("10.0.0.5".into()));
        assert_eq!(reach_of("postgres://u@128.0.0.1/db"), Reach::Remote("128.0.0.1".into()));
        // Not a loopback name, whatever it resolves to.
        assert_eq!(
            reach_of("postgres://u@localhost.evil.example/db"),
            Reach::Remote("localhost.evil.example".into())
        );
        // One remote host among local ones makes the whole URL remote.
        assert_eq!(reach_of("postgres://u@localhost,db2.lan/db"), Reach::Remote("db2.lan".into()));
        // The address connected to counts, not the name the certificate carries.
        assert_eq!(
            reach_of("postgres://u@/db?host=localhost&hostaddr=10.1.2.3"),
            Reach::Remote("10.1.2.3".into())
        );
        assert_eq!(
            reach_of("postgres://u@/db?host=db.kabupaten.lan&hostaddr=127.0.0.1"),
            Reach::Remote("db.kabupaten.lan".into())
        );
    }

    #[test]
    fn remote_servers_only_over_verified_tls() {
        let remote = Reach::Remote("db.kabupaten.lan".into());
        assert!(matches!(
            transport(&remote, SslMode::Disable),
            Err(PgTlsError::RemoteWithoutTls { host }) if host == "db.kabupaten.lan"
        ));
        assert_eq!(transport(&remote, SslMode::Prefer).ok(), Some(Transport::VerifiedTls));
        assert_eq!(transport(&remote, SslMode::Require).ok(), Some(Transport::VerifiedTls));
    }

    #[test]
    fn local_servers_in_plain_unless_tls_is_required() {
        for reach in [Reach::Loopback, Reach::Socket] {
            assert_eq!(transport(&reach, SslMode::Disable).ok(), Some(Transport::Plain));
            assert_eq!(transport(&reach, SslMode::Prefer).ok(), Some(Transport::Plain));
        }
        assert_eq!(
            transport(&Reach::Loopback, SslMode::Require).ok(),
            Some(Transport::VerifiedTls)
        );
        assert!(matches!(
            transport(&Reach::Socket, SslMode::Require),
            Err(PgTlsError::TlsOverSocket)
        ));
    }

    #[test]
    fn the_refusal_names_the_fix_in_both_languages() {
        let text = PgTlsError::RemoteWithoutTls { host: "db.kabupaten.lan".into() }.message();
        assert!(text.id.contains("hapus sslmode=disable"), "{}", text.id);
        assert!(text.en.contains("remove sslmode=disable"), "{}", text.en);
        assert!(text.en.contains("db.kabupaten.lan"));
    }
}
