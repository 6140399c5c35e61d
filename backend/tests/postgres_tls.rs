//! The service reaches a PostgreSQL server off this host over TLS only, verified: against a
//! throwaway server of the test's own (port 55433, never the shared one on 55432) whose
//! certificate a CA made here issued for `pg.anjungan.test`. The URLs name that host and send
//! the connection to 127.0.0.1 with `hostaddr`, so the service treats the server as remote.
//! Skipped, saying why, where the PostgreSQL binaries are not installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use backend::store::{AuditEntry, Location, PgTlsError};
use backend::{Store, StoreError};

const PORT: u16 = 55433;
const DIR: &str = "/tmp/anjungan-pg-tls";
const SERVER_NAME: &str = "pg.anjungan.test";

/// The highest installed PostgreSQL's binaries (Debian's layout, as scripts/postgres.sh).
fn postgres_bin() -> Option<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("pg_ctl").exists().then_some((version, bin))
        })
        .collect();
    dirs.sort();
    dirs.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|process| process.uid() == 0)
}

/// A server of the test's own, stopped when dropped (also when a check fails).
struct Server {
    bin: PathBuf,
    dir: PathBuf,
}

impl Server {
    /// A fresh cluster in [`DIR`] (whatever an earlier run left there stopped and removed),
    /// not started yet.
    fn create(bin: PathBuf) -> Server {
        let server = Server { bin, dir: PathBuf::from(DIR) };
        if server.dir.join("data").exists() {
            let _ = server.pg_ctl(&["stop", "-m", "immediate"]);
        }
        let _ = std::fs::remove_dir_all(&server.dir);
        std::fs::create_dir_all(&server.dir).expect("server directory");
        server.own(&server.dir);
        let data = server.dir.join("data");
        let initdb = server.run(
            "initdb",
            &["-D", data.to_str().expect("path"), "-U", "anjungan", "--auth=trust", "-E", "UTF8"],
        );
        assert!(initdb.status.success(), "initdb: {}", String::from_utf8_lossy(&initdb.stderr));
        server
    }

    /// PostgreSQL refuses to run as root: as root, it runs as the packaged `postgres`
    /// account, which must own its files.
    fn run(&self, program: &str, args: &[&str]) -> Output {
        let program = self.bin.join(program);
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command.args(args).output().expect("run a PostgreSQL binary")
    }

    fn own(&self, path: &Path) {
        if is_root() {
            let status = Command::new("chown").arg("postgres:").arg(path).status().expect("chown");
            assert!(status.success(), "chown {}", path.display());
        }
    }

    fn pg_ctl(&self, args: &[&str]) -> Output {
        let data = self.dir.join("data");
        let mut all = vec!["-D", data.to_str().expect("path")];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all)
    }

    /// Starts on 127.0.0.1:[`PORT`], with TLS when `tls` gives the certificate and its key.
    fn start(&self, tls: Option<(&str, &str)>) {
        let mut options = format!(
            "-p {PORT} -k {DIR} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        );
        if let Some((cert, key)) = tls {
            options.push_str(&format!(" -c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}"));
        }
        let log = self.dir.join("server.log");
        let started =
            self.pg_ctl(&["-w", "-l", log.to_str().expect("path"), "-o", &options, "start"]);
        assert!(
            started.status.success(),
            "pg_ctl start: {}\n{}",
            String::from_utf8_lossy(&started.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    fn stop(&self) {
        let stopped = self.pg_ctl(&["-w", "stop", "-m", "fast"]);
        assert!(stopped.status.success(), "{}", String::from_utf8_lossy(&stopped.stderr));
    }

    /// Writes a file the server reads (its key must be private to it).
    fn write_private(&self, name: &str, contents: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let path = self.dir.join(name);
        std::fs::write(&path, contents).expect("write server file");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        self.own(&path);
        path.to_str().expect("path").to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["-w", "stop", "-m", "immediate"]);
    }
}

/// A CA (its PEM) and a key and certificate it issued for `names` (PEM each).
fn issue(ca_name: &str, names: &[&str]) -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name.push(rcgen::DnType::CommonName, ca_name);
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = rcgen::KeyPair::generate().expect("server key");
    let names = names.iter().map(|name| (*name).to_owned()).collect::<Vec<_>>();
    let params = rcgen::CertificateParams::new(names).expect("params");
    let cert = params.signed_by(&key, &issuer).expect("server certificate");
    (ca_cert.pem(), key.serialize_pem(), cert.pem())
}

/// A URL that names `host` and connects to 127.0.0.1, with `extra` parameters.
fn url(host: &str, extra: &str) -> String {
    format!("postgres://anjungan@/postgres?host={host}&hostaddr=127.0.0.1&port={PORT}{extra}")
}

fn open(url: &str) -> Result<Store, StoreError> {
    Store::open_location(&Location::Postgres(url.to_owned()))
}

fn refusal(url: &str) -> String {
    match open(url) {
        Ok(_) => panic!("{url} was accepted"),
        Err(error) => error.to_string(),
    }
}

/// Whether each connection the service has open to the server is encrypted, as the server
/// sees them (the pool's and the audit writer's).
fn encrypted_connections(store: &Store) -> Vec<bool> {
    store
        .inspect(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid \
             WHERE a.application_name = 'anjungan-backend' ORDER BY s.pid",
        )
        .expect("inspect")
        .iter()
        .map(|row| row[0].truthy())
        .collect()
}

#[test]
fn a_postgresql_server_off_this_host_is_reached_over_verified_tls_only() {
    let Some(bin) = postgres_bin() else {
        eprintln!(
            "skipped: no PostgreSQL binaries in /usr/lib/postgresql (scripts/postgres.sh installs them)"
        );
        return;
    };
    let server = Server::create(bin);
    let certificates = tempfile::tempdir().expect("temp dir");
    let (ca, key, cert) = issue("Anjungan test database CA", &[SERVER_NAME, "localhost"]);
    let (other_ca, _, _) = issue("Another CA", &[SERVER_NAME]);
    let ca_file = certificates.path().join("db-ca.pem");
    std::fs::write(&ca_file, ca).expect("write CA");
    let other_ca_file = certificates.path().join("other-ca.pem");
    std::fs::write(&other_ca_file, other_ca).expect("write other CA");
    let with_ca = format!("&sslrootcert={}", ca_file.display());

    // A server without TLS: the service does not fall back to plain for a remote host, even
    // though the URL asks for nothing in particular (libpq's default `prefer` would).
    server.start(None);
    let error = refusal(&url(SERVER_NAME, &with_ca));
    assert!(error.contains("server does not support TLS"), "{error}");
    assert!(error.contains("runs with ssl=on"), "{error}");
    // The same server is still reachable in plain from this host.
    let local = open(&format!("postgres://anjungan@127.0.0.1:{PORT}/postgres")).expect("local");
    let encrypted = encrypted_connections(&local);
    assert!(!encrypted.is_empty() && encrypted.iter().all(|ssl| !ssl), "{encrypted:?}");
    drop(local);
    server.stop();

    let cert = server.write_private("server.crt", &cert);
    let key = server.write_private("server.key", &key);
    server.start(Some((&cert, &key)));

    // The right CA: the store opens (migrations run), writes and reads back, and every
    // connection it holds is encrypted.
    let store = open(&url(SERVER_NAME, &with_ca)).expect("TLS with the right CA");
    store.audit(AuditEntry {
        at: "2026-12-07T08:00:00Z".into(),
        actor: "cli:tester".into(),
        action: "status_lookup".into(),
        subject: "3510********0001".into(),
        outcome: "found".into(),
    });
    store.flush_audit();
    let recent = store.recent_audit(1).expect("audit read back");
    assert_eq!(recent[0].subject, "3510********0001");
    let encrypted = encrypted_connections(&store);
    assert!(encrypted.len() >= 2, "pool and audit writer: {encrypted:?}");
    assert!(encrypted.iter().all(|ssl| *ssl), "{encrypted:?}");
    drop(store);

    // libpq's words for the same thing work too.
    let verify_full = url(SERVER_NAME, &format!("{with_ca}&sslmode=verify-full"));
    drop(open(&verify_full).expect("sslmode=verify-full"));

    // A certificate from another CA, or from a CA the service was not given (the Mozilla
    // roots are used then), is refused.
    let other = format!("&sslrootcert={}", other_ca_file.display());
    let error = refusal(&url(SERVER_NAME, &other));
    assert!(error.contains("UnknownIssuer"), "{error}");
    // `backend serve` stops at start saying so, in both languages.
    let output = serve(&url(SERVER_NAME, &other));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("Sambungan TLS ke server PostgreSQL pg.anjungan.test gagal"),
        "{stderr}"
    );
    assert!(stderr.contains("the certificate names pg.anjungan.test"), "{stderr}");
    let error = refusal(&url(SERVER_NAME, ""));
    assert!(error.contains("UnknownIssuer"), "{error}");

    // The right CA but another name than the certificate's: refused.
    let error = refusal(&url("other.anjungan.test", &with_ca));
    assert!(error.contains("not valid for name"), "{error}");
    assert!(error.contains("TLS with the PostgreSQL server other.anjungan.test"), "{error}");

    // sslmode=disable to a remote host is refused before any connection, naming the fix.
    match open(&url(SERVER_NAME, "&sslmode=disable")) {
        Err(StoreError::PostgresTls(PgTlsError::RemoteWithoutTls { host })) => {
            assert_eq!(host, SERVER_NAME);
        }
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(_) => panic!("sslmode=disable to a remote host was accepted"),
    }

    // On this host, sslmode=require is TLS, verified the same way.
    let local_tls =
        format!("postgres://anjungan@localhost:{PORT}/postgres?sslmode=require{with_ca}");
    let store = open(&local_tls).expect("local TLS");
    assert!(encrypted_connections(&store).iter().all(|ssl| *ssl));
    drop(store);
    let error = refusal(&format!(
        "postgres://anjungan@localhost:{PORT}/postgres?sslmode=require&sslrootcert={}",
        other_ca_file.display()
    ));
    assert!(error.contains("UnknownIssuer"), "{error}");
}

/// Runs `backend serve --database <url>`, which is expected to stop at start.
fn serve(url: &str) -> Output {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    // Private, as serve requires of its data directory before it opens the database.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).expect("chmod");
    Command::new(env!("CARGO_BIN_EXE_backend"))
        .args(["--database", url, "serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("ANJUNGAN_DATABASE")
        .output()
        .expect("run backend")
}

/// `backend serve` refuses a remote URL with `sslmode=disable` at start, in Indonesian and
/// English, before trying the network (the host does not even exist).
#[test]
fn serve_refuses_plain_connections_to_a_remote_host_naming_the_fix() {
    let output = serve("postgres://anjungan@db.kabupaten.invalid/anjungan?sslmode=disable");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("Server PostgreSQL db.kabupaten.invalid tidak berada di mesin ini"));
    assert!(stderr.contains("remove sslmode=disable from the URL"), "{stderr}");
}
