//! `backend serve` as a real process, on a data directory of its own and on SQLite or (when
//! `ANJUNGAN_TEST_DATABASE` names a server) a PostgreSQL database of its own: for probes
//! that need a restart, a `kill -9` or two instances.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use backend::Store;
use backend::store::Location;

/// The database a test's processes share.
pub enum Database {
    /// The SQLite file in each process's data directory.
    Sqlite,
    /// A database created for the test on the test server, dropped at the end.
    Postgres { url: String, admin: String, name: String },
}

impl Database {
    /// PostgreSQL when the suite runs on it, else SQLite.
    pub fn for_test() -> Database {
        match std::env::var(backend::store::TEST_DATABASE_ENV).ok().filter(|u| !u.is_empty()) {
            Some(admin) => Database::postgres(&admin),
            None => Database::Sqlite,
        }
    }

    /// A fresh database on the server `admin` points at.
    pub fn postgres(admin: &str) -> Database {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "anjungan_proc_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        admin_sql(admin, format!("CREATE DATABASE {name}")).expect("create database");
        let base = admin.rsplit_once('/').map_or(admin, |(base, _)| base);
        Database::Postgres { url: format!("{base}/{name}"), admin: admin.to_owned(), name }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Database::Postgres { .. })
    }

    /// Opens the registry as a serving process at `data_dir` would (with the master key of
    /// kiosk secrets kept there), for setting it up or reading it afterwards (with no process
    /// serving it).
    pub fn open(&self, data_dir: &Path) -> Store {
        let location = match self {
            Database::Sqlite => Location::Sqlite(
                backend::data_dir::prepare(data_dir, "anjungan.sqlite3").expect("data dir"),
            ),
            Database::Postgres { url, .. } => {
                backend::data_dir::prepare_dir(data_dir).expect("data dir");
                Location::Postgres(url.clone())
            }
        };
        // Kiosk secrets sealed under the key file the serving process will find there.
        super::with_key_file(Store::open_location(&location).expect("open the registry"), data_dir)
    }

    /// The `--database` arguments of a process using it.
    pub fn args(&self) -> Vec<String> {
        match self {
            Database::Sqlite => Vec::new(),
            Database::Postgres { url, .. } => vec!["--database".into(), url.clone()],
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Database::Postgres { admin, name, .. } = self {
            let _ = admin_sql(admin, format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// Runs one statement on the server as the test's administrator, on a thread of its own
/// (the synchronous client cannot run inside the test's runtime).
fn admin_sql(admin: &str, sql: String) -> Result<(), postgres::Error> {
    let admin = admin.to_owned();
    std::thread::spawn(move || {
        postgres::Client::connect(&admin, postgres::NoTls)?.batch_execute(&sql)
    })
    .join()
    .expect("administration thread")
}

/// A registry of a few demo families (seeded) at `data_dir`, with one kiosk per `(id,
/// lookups per minute)`: their keys, and the NIKs of the demo's planted examples.
pub fn registry(
    database: &Database,
    data_dir: &Path,
    seed: u64,
    kiosks: &[(String, u32)],
) -> (Vec<protocol::auth::KioskKey>, Vec<String>) {
    let store = database.open(data_dir);
    let options = backend::demo::DemoOptions { residents: 200, seed };
    let summary = backend::demo::generate(&store, &options).expect("demo data");
    let keys = kiosks
        .iter()
        .map(|(id, per_minute)| store.register_kiosk(id, None, *per_minute).expect("kiosk"))
        .collect();
    (keys, summary.examples.iter().map(|e| e.nik.to_string()).collect())
}

/// How many entries of `action` the audit log holds, once every queued one is written.
pub fn audited(store: &Store, action: &str) -> usize {
    store.flush_audit();
    store.recent_audit(1_000_000).expect("audit").iter().filter(|e| e.action == action).count()
}

/// A free port on loopback.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// A running `backend serve`; killed when dropped.
pub struct Serving {
    child: Child,
    pub base: String,
    pub data_dir: PathBuf,
}

impl Serving {
    /// Starts `backend serve` on `data_dir` and waits until it answers `/healthz`. A start
    /// that fails because another test took the free port in between is tried again.
    pub async fn start(data_dir: &Path, database: &Database) -> Serving {
        for attempt in 1.. {
            let port = free_port();
            let mut command = Command::new(env!("CARGO_BIN_EXE_backend"));
            command
                .arg("serve")
                .arg("--data-dir")
                .arg(data_dir)
                .args(database.args())
                .args(["--listen", &format!("127.0.0.1:{port}")])
                .env_remove("ANJUNGAN_DATABASE")
                .env("RUST_LOG", "error")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit());
            let child = command.spawn().expect("serve");
            match Serving::answering(child, port, data_dir).await {
                Ok(serving) => return serving,
                Err(status) if attempt < 3 => eprintln!("serve exited at start ({status}); again"),
                Err(status) => panic!("the service exited at start: {status}"),
            }
        }
        unreachable!("the loop returns or panics")
    }

    /// Waits for a started process to answer on `port`.
    pub async fn wait_for(child: Child, port: u16, data_dir: &Path) -> Serving {
        match Serving::answering(child, port, data_dir).await {
            Ok(serving) => serving,
            Err(status) => panic!("the service exited at start: {status}"),
        }
    }

    /// The process once it answers `/healthz`, or how it exited before.
    async fn answering(
        child: Child,
        port: u16,
        data_dir: &Path,
    ) -> Result<Serving, std::process::ExitStatus> {
        let mut serving =
            Serving { child, base: format!("http://127.0.0.1:{port}"), data_dir: data_dir.into() };
        let client = reqwest::Client::new();
        let started = Instant::now();
        while client.get(format!("{}/healthz", serving.base)).send().await.is_err() {
            if let Ok(Some(status)) = serving.child.try_wait() {
                return Err(status);
            }
            assert!(started.elapsed() < Duration::from_secs(30), "the service did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(serving)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `kill -9`: no shutdown, no flush.
    pub fn kill_hard(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, as systemd stops it, and waits for the exit.
    pub fn stop(mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GET signed as `key`, with the given clock and nonce, to a service at `base`.
pub async fn signed_get(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    key: &protocol::auth::KioskKey,
    at: i64,
    nonce: &str,
) -> reqwest::Response {
    let mut request = client.get(format!("{base}{path}"));
    for (name, value) in key.sign("GET", path, at, nonce, b"").pairs() {
        request = request.header(name, value);
    }
    request.send().await.expect("request")
}
