//! Kiosk secrets at rest, as someone holding a copy of the database would find them: sealed
//! under a master key kept outside it, so the database alone signs as no kiosk. `backend
//! kiosk-add`, `secrets-rotate` and `serve` as real processes. Runs on SQLite and, with
//! `ANJUNGAN_TEST_DATABASE` set, on PostgreSQL (the processes on a schema of their own).

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use backend::Store;
use backend::secrets::{KeySource, MasterKey, SecretsError};
use backend::store::{Location, StoreError, TEST_DATABASE_ENV};
use protocol::auth::KioskKey;
use protocol::fleet::CONFIG_PATH;

/// A registry in a directory of its own, with the key file beside it.
struct Registry {
    dir: tempfile::TempDir,
    /// What `--database` names.
    database: String,
    /// The SQLite file, when the registry is one.
    sqlite: Option<PathBuf>,
    /// The temporary store whose PostgreSQL schema this registry is (dropped with it).
    _schema: Option<Store>,
}

fn registry() -> Registry {
    let dir = tempfile::tempdir().expect("dir");
    match std::env::var(TEST_DATABASE_ENV).ok().filter(|url| !url.is_empty()) {
        Some(url) => {
            let holder = Store::open_temporary().expect("schema");
            let schema =
                holder.inspect("SELECT current_schema()").expect("schema")[0][0].text().to_owned();
            let separator = if url.contains('?') { '&' } else { '?' };
            let database = format!("{url}{separator}options=-c%20search_path%3D{schema}");
            Registry { dir, database, sqlite: None, _schema: Some(holder) }
        }
        None => {
            let file = dir.path().join("registry.sqlite3");
            let database = file.to_str().expect("path").to_owned();
            Registry { dir, database, sqlite: Some(file), _schema: None }
        }
    }
}

impl Registry {
    fn key_file(&self) -> PathBuf {
        self.dir.path().join("secrets.key")
    }

    /// The registry opened without a master key.
    fn open(&self) -> Store {
        Store::open_location(&Location::parse(&self.database)).expect("open")
    }

    /// The registry with the key file attached, as the service starts.
    fn sealed(&self) -> Result<Store, StoreError> {
        self.open().with_secrets(KeySource::File(self.key_file()), "cli:tester")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_backend"));
        command
            .args(args)
            .env("ANJUNGAN_DATABASE", &self.database)
            .env("ANJUNGAN_DATA_DIR", self.dir.path().join("data"))
            .env("ANJUNGAN_SECRETS_KEY_FILE", self.key_file())
            .env_remove("ANJUNGAN_SECRETS_KEY")
            .env("USER", "tester")
            .env("RUST_LOG", "warn");
        command
    }

    /// Runs a command that is expected to end, at most 30 s.
    fn backend(&self, args: &[&str]) -> Output {
        finish(self.command(args))
    }

    /// `kiosk-add` as an installer runs it; the kiosk's key as installed on it.
    fn kiosk_add(&self, id: &str) -> KioskKey {
        let key_out = self.dir.path().join(format!("{id}.key"));
        let output =
            self.backend(&["kiosk-add", "--id", id, "--key-out", key_out.to_str().expect("path")]);
        assert!(output.status.success(), "{}", stderr(&output));
        KioskKey::parse(&std::fs::read_to_string(key_out).expect("kiosk key")).expect("key")
    }

    /// `backend serve` on a free loopback port, once it answers.
    fn serve(&self, extra: &[&str]) -> Serving {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("free port")
            .port();
        let listen = format!("127.0.0.1:{port}");
        let mut args = vec!["serve", "--listen", &listen];
        args.extend_from_slice(extra);
        let child =
            self.command(&args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("serve");
        let serving = Serving { child, url: format!("http://{listen}") };
        let started = Instant::now();
        while std::net::TcpStream::connect(&listen).is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "the service did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        serving
    }

    /// Every byte the SQLite registry has on disk (the database and its WAL).
    fn sqlite_bytes(&self) -> Option<Vec<u8>> {
        let file = self.sqlite.as_ref()?;
        let mut bytes = std::fs::read(file).expect("database");
        for suffix in ["-wal", "-journal"] {
            let mut path = file.as_os_str().to_owned();
            path.push(suffix);
            if let Ok(more) = std::fs::read(PathBuf::from(path)) {
                bytes.extend(more);
            }
        }
        Some(bytes)
    }

    fn secret_value(&self, store: &Store, id: &str) -> String {
        let rows =
            store.inspect(&format!("SELECT secret FROM kiosks WHERE id = '{id}'")).expect("row");
        rows[0][0].text().to_owned()
    }

    fn audit(&self, store: &Store) -> Vec<(String, String, String, String)> {
        store
            .inspect(
                "SELECT actor, action, subject, outcome FROM audit
                 WHERE action LIKE 'kiosk_secrets%' ORDER BY id",
            )
            .expect("audit")
            .iter()
            .map(|row| {
                let text = |i: usize| row[i].text().to_owned();
                (text(0), text(1), text(2), text(3))
            })
            .collect()
    }
}

/// Runs `command` to its end, at most 30 s.
fn finish(mut command: Command) -> Output {
    let mut child =
        command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run backend");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("backend {command:?} did not end");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

struct Serving {
    child: Child,
    url: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// The secret of `key` in every form it could be found in a file: hex either case, raw.
fn secret_forms(key: &KioskKey) -> Vec<Vec<u8>> {
    let hex = key.secret_hex();
    let raw =
        (0..32).map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).expect("hex")).collect();
    vec![hex.to_lowercase().into_bytes(), hex.to_uppercase().into_bytes(), raw]
}

fn assert_not_in_database(registry: &Registry, store: &Store, key: &KioskKey) {
    let value = registry.secret_value(store, key.id());
    assert!(value.starts_with("v1:"), "sealed: {value}");
    assert!(!value.to_lowercase().contains(&key.secret_hex().to_lowercase()), "{value}");
    if let Some(bytes) = registry.sqlite_bytes() {
        for form in secret_forms(key) {
            assert!(!contains(&bytes, &form), "the SQLite file holds the secret");
        }
    }
}

/// The kiosk's configuration pull, signed with `key`: 200 when the service recognises the
/// kiosk, 401 when it does not.
async fn pull_config(url: &str, key: &KioskKey) -> u16 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NONCE: AtomicU64 = AtomicU64::new(1);
    let nonce = format!("secrets{:016}", NONCE.fetch_add(1, Ordering::Relaxed));
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut request = reqwest::Client::new().get(format!("{url}{CONFIG_PATH}"));
    for (name, value) in key.sign("GET", CONFIG_PATH, now, &nonce, b"").pairs() {
        request = request.header(name, value);
    }
    request.send().await.expect("request").status().as_u16()
}

#[test]
fn kiosk_add_leaves_no_secret_in_plain_text_in_the_database() {
    let registry = registry();
    let key = registry.kiosk_add("BWI-SEAL-01");
    assert_eq!(
        std::fs::metadata(registry.key_file()).expect("key file").permissions().mode() & 0o777,
        0o600,
        "the master key file is created private on first use"
    );
    let store = registry.sealed().expect("open with the key");
    assert_not_in_database(&registry, &store, &key);
    // The service itself opens it.
    let record = store.kiosk("BWI-SEAL-01").expect("read").expect("kiosk");
    assert_eq!(record.secret_hex, key.secret_hex());
    assert!(!format!("{record:?}").contains(&key.secret_hex()), "Debug hides the secret");
}

#[test]
fn a_store_without_a_key_neither_stores_nor_reads_kiosk_secrets() {
    let registry = registry();
    let store = registry.open();
    let refused = store.register_kiosk("BWI-NOKEY-01", None, 60);
    assert!(matches!(refused, Err(StoreError::Secrets(SecretsError::NoKey))), "{refused:?}");
    assert!(store.inspect("SELECT id FROM kiosks").expect("rows").is_empty(), "nothing stored");
    drop(store);
    registry.kiosk_add("BWI-NOKEY-01");
    let read = registry.open().kiosk("BWI-NOKEY-01");
    assert!(matches!(read, Err(StoreError::Secrets(SecretsError::NoKey))), "{read:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kiosk_is_accepted_after_a_rotation_and_the_old_key_no_longer_opens_its_secret() {
    let registry = registry();
    let key = registry.kiosk_add("BWI-ROT-01");
    let old_key = std::fs::read_to_string(registry.key_file()).expect("key file");
    {
        let service = registry.serve(&[]);
        assert_eq!(pull_config(&service.url, &key).await, 200);

        let rotated = registry.backend(&["secrets-rotate"]);
        assert!(rotated.status.success(), "{}", stderr(&rotated));
        let stdout = String::from_utf8_lossy(&rotated.stdout).into_owned();
        assert!(stdout.starts_with("1 kiosk secrets sealed under key"), "{stdout}");
        // The service that was running goes on accepting the kiosk.
        assert_eq!(pull_config(&service.url, &key).await, 200);
    }
    let new_key = std::fs::read_to_string(registry.key_file()).expect("key file");
    assert_ne!(new_key, old_key, "a new master key");
    let mode = std::fs::metadata(registry.key_file()).expect("key").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let leftovers = ["secrets.key.old", "secrets.key.new"].map(|n| registry.dir.path().join(n));
    assert!(leftovers.iter().all(|path| !path.exists()), "the old key is gone after the commit");

    // A fresh start on the new key accepts the kiosk's signed request...
    let service = registry.serve(&[]);
    assert_eq!(pull_config(&service.url, &key).await, 200);
    drop(service);
    // ... and the old key (from a backup, say) opens nothing.
    let old_file = registry.dir.path().join("old.key");
    std::fs::write(&old_file, &old_key).expect("write");
    std::fs::set_permissions(&old_file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let refused = registry.backend(&["serve", "--secrets-key", old_file.to_str().expect("path")]);
    assert!(!refused.status.success(), "served with the old key");
    assert!(stderr(&refused).contains("Install the right key file"), "{}", stderr(&refused));
    let old = MasterKey::parse(&old_key, "old").expect("old key");
    let with_old =
        registry.open().with_secrets(KeySource::Given { key: old, origin: "old".into() }, "t");
    assert!(matches!(with_old, Err(StoreError::Secrets(SecretsError::WrongKey { .. }))));

    let store = registry.sealed().expect("open");
    assert_not_in_database(&registry, &store, &key);
    let audit = registry.audit(&store);
    assert_eq!(audit.len(), 1, "{audit:?}");
    let (actor, action, subject, _) = &audit[0];
    assert_eq!(
        (actor.as_str(), action.as_str(), subject.as_str()),
        ("cli:tester", "kiosk_secrets_rotated", "kiosks=1")
    );
}

/// A service started before a rotation by another process reads the key file again when it
/// meets a secret sealed under a key it has not loaded.
#[test]
fn a_running_service_follows_a_rotation_by_another_process() {
    let registry = registry();
    let service = registry.sealed().expect("open");
    let key = service.register_kiosk("BWI-ROT-02", None, 60).expect("register");
    let cli = registry.sealed().expect("open");
    let rotation = cli.rotate_secrets("cli:tester").expect("rotate");
    assert_ne!(rotation.old_key, rotation.new_key);
    let value = registry.secret_value(&service, "BWI-ROT-02");
    assert!(value.starts_with(&format!("v1:{}:", rotation.new_key)), "{value}");
    let record = service.kiosk("BWI-ROT-02").expect("opens").expect("kiosk");
    assert_eq!(record.secret_hex, key.secret_hex());
    // And a kiosk registered by the older process after the rotation is sealed under the
    // new key, not the one it started with.
    service.register_kiosk("BWI-ROT-03", None, 60).expect("register");
    let value = registry.secret_value(&service, "BWI-ROT-03");
    assert!(value.starts_with(&format!("v1:{}:", rotation.new_key)), "{value}");
}

/// A rotation interrupted after the key file changed but before the secrets were sealed
/// again (simulated: the old key back in `.old`, the secrets still under it) still starts,
/// and start-up finishes the rotation.
#[test]
fn a_rotation_cut_short_before_its_commit_is_finished_at_start() {
    let registry = registry();
    let store = registry.sealed().expect("open");
    let key = store.register_kiosk("BWI-CUT-01", None, 60).expect("register");
    drop(store);
    let old = registry.key_file().with_extension("key.old");
    std::fs::rename(registry.key_file(), &old).expect("keep the old key as .old");
    std::fs::write(registry.key_file(), MasterKey::generate().to_text()).expect("new key");
    std::fs::set_permissions(registry.key_file(), std::fs::Permissions::from_mode(0o600))
        .expect("chmod");

    let store = registry.sealed().expect("starts with the key and its .old");
    assert!(!old.exists(), "the .old key goes once every secret is under the new one");
    assert_eq!(
        store.kiosk("BWI-CUT-01").expect("opens").expect("kiosk").secret_hex,
        key.secret_hex()
    );
    let audit = registry.audit(&store);
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].2, "plain=0 older_key=1");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_text_secret_of_an_older_installation_is_sealed_at_start() {
    let registry = registry();
    let store = registry.sealed().expect("open");
    let key = store.register_kiosk("BWI-OLD-01", None, 60).expect("register");
    // As an installation before sealing stored it.
    let plain =
        format!("UPDATE kiosks SET secret = '{}' WHERE id = 'BWI-OLD-01'", key.secret_hex());
    assert_eq!(store.inspect_execute(&plain).expect("plant"), 1);
    let read = store.kiosk("BWI-OLD-01");
    assert!(matches!(read, Err(StoreError::Secrets(SecretsError::Plain { .. }))), "{read:?}");
    drop(store);

    // Any start with the key seals it: here an installer's kiosk-add of another kiosk.
    registry.kiosk_add("BWI-OLD-02");
    let store = registry.sealed().expect("open");
    assert_not_in_database(&registry, &store, &key);
    let audit = registry.audit(&store);
    let sealed: Vec<_> =
        audit.iter().map(|(a, b, c, _)| (a.as_str(), b.as_str(), c.as_str())).collect();
    assert_eq!(sealed, [("cli:tester", "kiosk_secrets_sealed", "plain=1 older_key=0")]);

    // The kiosk keeps its key.
    let service = registry.serve(&[]);
    assert_eq!(pull_config(&service.url, &key).await, 200);
}

#[test]
fn a_wrong_missing_or_readable_key_file_is_refused_at_start_naming_the_fix() {
    let registry = registry();
    registry.kiosk_add("BWI-KEY-01");
    let key_file = registry.key_file();
    let right = std::fs::read_to_string(&key_file).expect("key");

    std::fs::remove_file(&key_file).expect("lose the key");
    let output = registry.backend(&["serve", "--listen", "127.0.0.1:0"]);
    assert!(!output.status.success(), "served without the key");
    let text = stderr(&output);
    assert!(
        text.contains("Pulihkan berkas kunci") && text.contains("Restore that key file"),
        "{text}"
    );
    assert!(text.contains(&key_file.display().to_string()), "{text}");
    assert!(!key_file.exists(), "no new key made over secrets sealed under another");

    std::fs::write(&key_file, MasterKey::generate().to_text()).expect("write");
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let output = registry.backend(&["serve", "--listen", "127.0.0.1:0"]);
    assert!(!output.status.success(), "served with another key");
    let text = stderr(&output);
    assert!(
        text.contains("Pasang berkas kunci yang benar")
            && text.contains("Install the right key file"),
        "{text}"
    );

    std::fs::write(&key_file, &right).expect("write");
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let output = registry.backend(&["serve", "--listen", "127.0.0.1:0"]);
    assert!(!output.status.success(), "served with a key others can read");
    let text = stderr(&output);
    assert!(text.contains(&format!("chmod 600 {}", key_file.display())), "{text}");

    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let output = registry.backend(&["secrets-rotate"]);
    assert!(output.status.success(), "the right key, private, works: {}", stderr(&output));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sealed_secret_copied_to_another_kiosks_row_does_not_open() {
    let registry = registry();
    let store = registry.sealed().expect("open");
    let first = store.register_kiosk("BWI-MOVE-01", None, 60).expect("register");
    let second = store.register_kiosk("BWI-MOVE-02", None, 60).expect("register");
    let value = registry.secret_value(&store, "BWI-MOVE-01");
    let moved = format!("UPDATE kiosks SET secret = '{value}' WHERE id = 'BWI-MOVE-02'");
    assert_eq!(store.inspect_execute(&moved).expect("move"), 1);

    let read = store.kiosk("BWI-MOVE-02");
    assert!(matches!(read, Err(StoreError::Secrets(SecretsError::Unopenable { .. }))), "{read:?}");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(backend::serve(listener, store.clone()));
    let first_secret: [u8; 32] =
        hex::decode(first.secret_hex()).expect("hex").try_into().expect("32");
    let as_second_with_first = KioskKey::new("BWI-MOVE-02", first_secret).expect("key");
    assert_eq!(
        pull_config(&url, &as_second_with_first).await,
        401,
        "the moved secret signs nothing"
    );
    assert_eq!(pull_config(&url, &second).await, 401);
    assert_eq!(pull_config(&url, &first).await, 200, "the other kiosk is untouched");

    // The value that does not open stays under the retired key after a rotation; the
    // service still starts, serving the kiosk whose secret opens.
    let rotation = store.rotate_secrets("cli:tester").expect("rotate");
    assert_eq!(rotation.kiosks, 1, "only the secret that opens is sealed again");
    drop(store);
    let store = registry.sealed().expect("starts after the rotation");
    let record = store.kiosk("BWI-MOVE-01").expect("opens").expect("kiosk");
    assert_eq!(record.secret_hex, first.secret_hex());
    assert!(store.kiosk("BWI-MOVE-02").is_err());
}

/// A key handed over in `ANJUNGAN_SECRETS_KEY` (a service manager's secret) seals like a key
/// file, leaves no file behind, and is named when it does not fit; only a key file rotates.
#[test]
fn a_key_given_in_the_environment_seals_and_is_refused_when_it_does_not_fit() {
    let registry = registry();
    let key = MasterKey::generate();
    let with_key = |text: &str, args: &[&str]| {
        let mut command = registry.command(args);
        command.env_remove("ANJUNGAN_SECRETS_KEY_FILE").env("ANJUNGAN_SECRETS_KEY", text);
        finish(command)
    };
    let key_out = registry.dir.path().join("kiosk.key");
    let key_out = key_out.to_str().expect("path");
    let added =
        with_key(&key.to_text(), &["kiosk-add", "--id", "BWI-ENV-01", "--key-out", key_out]);
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(
        !registry.key_file().exists() && !registry.dir.path().join("data/secrets.key").exists()
    );
    let value = registry.secret_value(&registry.open(), "BWI-ENV-01");
    assert!(value.starts_with(&format!("v1:{}:", key.id())), "{value}");

    let other = with_key(&MasterKey::generate().to_text(), &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!other.status.success(), "served with another key");
    let text = stderr(&other);
    assert!(text.contains("ANJUNGAN_SECRETS_KEY holds key") && text.contains(key.id()), "{text}");

    let bad = with_key("not a key", &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("base64 of 32 bytes"), "{}", stderr(&bad));

    let rotate = with_key(&key.to_text(), &["secrets-rotate"]);
    assert!(!rotate.status.success(), "an environment key cannot be rewritten");
    assert!(stderr(&rotate).contains("only a key file can be rotated"), "{}", stderr(&rotate));
}

/// The desas' letter sealing keys are sealed under the same master key: a rotation carries
/// them over, so a desa keeps its key (and its old letters keep verifying) after it.
#[test]
fn a_rotation_carries_the_desas_letter_keys_over() {
    let registry = registry();
    let store = registry.sealed().expect("open");
    let before = store.ensure_desa_key(3510152001).expect("desa key");
    let rotation = store.rotate_secrets("cli:tester").expect("rotate");
    assert_ne!(rotation.old_key, rotation.new_key);
    let reopened = registry.sealed().expect("open after the rotation");
    let after = reopened.ensure_desa_key(3510152001).expect("the same key opens");
    assert_eq!(after, before, "no new key made: the old one was re-sealed");
    let keys = reopened.desa_public_keys().expect("keys");
    assert_eq!(keys.of(3510152001).expect("listed").keys().len(), 1);
}
