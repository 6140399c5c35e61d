//! The kiosk applies only configurations the central service signed for it. Over HTTPS with
//! a certificate from the kabupaten CA, as on a desa network: a box in the middle that holds
//! such a certificate (a compromised proxy or CA) still cannot push its own staff PIN, a
//! changed body, a captured older configuration or another kiosk's; the last good
//! configuration stays in force and the refusal is logged for the staff screen. The real
//! service's configuration is applied, also across a key rotation with both keys trusted, and
//! a stored configuration edited on the kiosk's disk is not loaded at start.

mod tls_support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, SaltString};
use backend::Store;
use backend::http::RouterOptions;
use backend::server::{Limits, serve, tls_config};
use backend::store::{KioskSettings, PinScope};
use kiosk::agent::{Agent, AgentInputs, AgentOptions, ApplyError, CONFIG_FILE, apply, load_stored};
use kiosk::client::{BackendClient, ClientError, PulledConfig, content_keys, trust};
use kiosk::diagnostics::PrinterMonitor;
use kiosk::staff::check_pin;
use protocol::auth::KioskKey;
use protocol::fleet::{CONFIG_PATH, KioskConfig};
use protocol::region::regions;
use protocol::signed::{
    ContentKind, SIGNATURE_HEADER, SignatureError, SignedContent, SigningKey, TrustedKeys,
};
use tls_support::{kabupaten_ca, kiosk, refusal};

const KIOSK: &str = "BWI-3510-0077";
const NEIGHBOUR: &str = "BWI-3510-0078";
/// The desa's real staff PIN, set by operators on the service.
const PIN: &str = "482913";
/// The PIN a box in the middle would like to open staff mode with.
const FAKE_PIN: &str = "135790";

/// Log lines reach the ring the staff screen's log tail reads (once per test binary).
fn log_to_ring() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber = tracing_subscriber::registry().with(kiosk::logring::RingLayer);
        tracing::subscriber::set_global_default(subscriber).expect("subscriber");
    });
}

/// Polls `check` until it holds or fifteen seconds pass.
async fn eventually(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The kabupaten's CA and a server certificate it issued (the real service's, and also the
/// one a box in the middle with a rogue certificate would present).
struct Tls {
    dir: tempfile::TempDir,
    ca_file: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn tls() -> Tls {
    let dir = tempfile::tempdir().expect("dir");
    let (ca_pem, cert, key) = kabupaten_ca(dir.path(), "banyuwangi");
    let ca_file = dir.path().join(trust::CA_FILE_NAME);
    std::fs::write(&ca_file, ca_pem).expect("write CA");
    Tls { dir, ca_file, cert, key }
}

/// The registry with this kiosk and its neighbour standing in Desa Bomo, the desa's PIN set.
fn registry() -> (Store, KioskKey, KioskKey) {
    let store = Store::open_temporary().expect("store");
    let bomo = regions().villages_of(351025).iter().find(|v| v.name == "Bomo").expect("Bomo").code;
    let key = store.register_kiosk(KIOSK, Some(bomo), 60).expect("register");
    let neighbour = store.register_kiosk(NEIGHBOUR, Some(bomo), 60).expect("register");
    store.set_kiosk_pin(&PinScope::Desa(bomo), "Sekdes Bomo", PIN).expect("pin");
    (store, key, neighbour)
}

/// The real service over HTTPS, signing with `signer`.
async fn real_service(tls: &Tls, store: &Store, signer: SigningKey) -> String {
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let url = format!("https://{}", listener.local_addr().expect("address"));
    let options = RouterOptions { signer: Some(Arc::new(signer)), ..RouterOptions::default() };
    let router = backend::http::router_with_options(
        store.clone(),
        backend::eligibility::Catalogue::default_catalogue(),
        options,
    );
    let config = tls_config(&tls.cert, &tls.key).expect("TLS");
    tokio::spawn(serve(listener, router, Limits::default(), Some(config), std::future::pending()));
    url
}

/// A body and its signature header, as a service answers a configuration pull.
type Answer = (String, Option<String>);

/// A fake central service over HTTPS with a certificate from the kabupaten's CA: it answers
/// the n-th configuration pull with `answers[n % len]` and counts the pulls.
async fn fake_service(tls: &Tls, answers: Vec<Answer>) -> (String, Arc<AtomicUsize>) {
    use axum::http::header::CONTENT_TYPE;
    use axum::response::IntoResponse;
    let pulls = Arc::new(AtomicUsize::new(0));
    let counter = pulls.clone();
    let answers = Arc::new(answers);
    let router = axum::Router::new().route(
        CONFIG_PATH,
        axum::routing::get(move || {
            let (counter, answers) = (counter.clone(), answers.clone());
            async move {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let (body, signature) = answers[n % answers.len()].clone();
                let mut headers = axum::http::HeaderMap::new();
                headers.insert(CONTENT_TYPE, "application/json".parse().expect("header"));
                if let Some(signature) = signature {
                    headers.insert(SIGNATURE_HEADER, signature.parse().expect("header"));
                }
                (headers, body).into_response()
            }
        }),
    );
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let url = format!("https://{}", listener.local_addr().expect("address"));
    let config = tls_config(&tls.cert, &tls.key).expect("TLS");
    tokio::spawn(serve(listener, router, Limits::default(), Some(config), std::future::pending()));
    (url, pulls)
}

/// The trusted key file as the installer writes it: the lines `backend signing-key public`
/// printed, read back the way the kiosk program reads it.
fn install_keys(dir: &Path, keys: &[&SigningKey]) -> TrustedKeys {
    let mut text = String::from("# Anjungan Banyuwangi, content signing keys\n");
    for key in keys {
        text.push_str(&key.public_key().line());
        text.push('\n');
    }
    let path = content_keys::keys_path(None, &dir.join("kiosk.key"));
    std::fs::write(&path, text).expect("keys file");
    content_keys::load(&path).expect("trusted keys")
}

fn client(url: &str, tls: &Tls, key: &KioskKey, keys: &TrustedKeys) -> BackendClient {
    let trust = trust::pinned(url, &tls.ca_file).expect("trust");
    BackendClient::new(url, key.clone(), trust).expect("client").with_content_keys(keys.clone())
}

fn start_agent(client: BackendClient, data: &Path) -> Agent {
    let options = AgentOptions {
        heartbeat_every: Duration::from_millis(150),
        config_every: Duration::from_millis(150),
        data_dir: data.to_owned(),
    };
    let inputs = AgentInputs {
        started: Instant::now(),
        printer: PrinterMonitor::new(None),
        queue_depth: None,
        door_open: None,
        staff_lock: None,
    };
    kiosk::agent::spawn(&tokio::runtime::Handle::current(), client, KIOSK, options, inputs)
}

fn held(agent: &Agent) -> Option<KioskConfig> {
    agent.config().borrow().as_deref().cloned()
}

fn hash(pin: &str) -> String {
    let salt = SaltString::encode_b64(b"a salt of sixteen").expect("salt");
    argon2::Argon2::default().hash_password(pin.as_bytes(), &salt).expect("hash").to_string()
}

fn as_answer(pulled: &PulledConfig) -> Answer {
    (pulled.signed.body.clone(), Some(pulled.signed.signature.clone()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_changed_replayed_or_misaddressed_configuration_is_refused_and_the_last_good_one_stays()
 {
    log_to_ring();
    let tls = tls();
    let (store, key, neighbour_key) = registry();
    let signer = backend::signing_key::open(&tls.dir.path().join("service"), None).expect("key");
    let trusted = install_keys(tls.dir.path(), &[&signer]);
    let url = real_service(&tls, &store, signer).await;
    let real = client(&url, &tls, &key, &trusted);

    // The real configuration is applied, and the desa's PIN opens staff mode.
    let first = real.config().await.expect("a signed configuration");
    let data = tempfile::tempdir().expect("data");
    let agent = start_agent(real.clone(), data.path());
    eventually("the configuration", || held(&agent).is_some()).await;
    // Operators change the kiosk: a newer configuration replaces it.
    let settings = KioskSettings { idle_timeout_seconds: 45, ..KioskSettings::default() };
    store.set_kiosk_settings(KIOSK, &settings).expect("settings");
    eventually("the new configuration", || {
        held(&agent).is_some_and(|c| c.idle_timeout_seconds == 45)
    })
    .await;
    agent.stop();
    let good = load_stored(data.path(), KIOSK, &trusted).expect("stored");
    assert_eq!(check_pin(PIN, &good.staff_pins).as_deref(), Some("Sekdes Bomo"));
    let good_bytes = std::fs::read(data.path().join(CONFIG_FILE)).expect("config.json");

    // What a box in the middle can send:
    // (1) a configuration with its own PIN, signed with its own key;
    let mut forged = good.clone();
    forged.staff_pins[0].pin_hash = hash(FAKE_PIN);
    forged.config_version = "f0f0f0f0f0f0f0f0".into();
    forged.issued_at = "2099-01-01T00:00:00Z".into();
    let body = serde_json::to_string(&forged).expect("JSON");
    let stranger = SigningKey::from_seed([66; 32]);
    let forged_signature = stranger.sign(ContentKind::KioskConfig, KIOSK, body.as_bytes());
    let forged = (body, Some(forged_signature.header_value()));
    // (2) the service's current configuration with its PIN hash changed on the way;
    let current = real.config().await.expect("current");
    let real_hash = &current.config.staff_pins[0].pin_hash;
    let tampered = (
        current.signed.body.replace(real_hash, &hash(FAKE_PIN)),
        Some(current.signed.signature.clone()),
    );
    assert_ne!(tampered.0, current.signed.body);
    // (3) the service's own, older configuration, captured before the change;
    let replayed = as_answer(&first);
    // (4) the service's configuration for the neighbouring kiosk, which has a PIN of its own.
    store.set_kiosk_pin(&PinScope::Kiosk(NEIGHBOUR.into()), "Teknisi", FAKE_PIN).expect("pin");
    let neighbours = client(&url, &tls, &neighbour_key, &trusted).config().await.expect("theirs");
    let misaddressed = as_answer(&neighbours);
    // And without any signature at all.
    let unsigned = (current.signed.body.clone(), None);

    let answers = vec![forged, tampered, replayed, misaddressed, unsigned];
    let (fake_url, pulls) = fake_service(&tls, answers.clone()).await;
    let misled = client(&fake_url, &tls, &key, &trusted);
    // Each as the kiosk's client sees it: refused for its signature, except the replayed one,
    // which is the service's genuine signature and is refused for its age when applied.
    let seen: Vec<_> = pulls_in_a_row(&misled, 5).await;
    assert!(
        matches!(seen[0], Err(ClientError::Unsigned(SignatureError::UnknownKey(_)))),
        "{:?}",
        seen[0]
    );
    assert!(
        matches!(seen[1], Err(ClientError::Unsigned(SignatureError::Mismatch(_)))),
        "{:?}",
        seen[1]
    );
    assert!(seen[2].is_ok(), "a genuine signature: {:?}", seen[2]);
    assert!(
        matches!(seen[3], Err(ClientError::Unsigned(SignatureError::Mismatch(_)))),
        "{:?}",
        seen[3]
    );
    assert!(
        matches!(seen[4], Err(ClientError::Unsigned(SignatureError::Missing))),
        "{:?}",
        seen[4]
    );
    let (publish, _watch) = tokio::sync::watch::channel(Some(Arc::new(good.clone())));
    let older = apply(data.path(), KIOSK, &trusted, first.signed.clone(), &publish);
    assert!(matches!(older, Err(ApplyError::Older { .. })), "{older:?}");

    // The kiosk's agent against the box in the middle: every pull refused, the last good
    // configuration in force, on disk unchanged, and the fake PIN opens nothing.
    let before = pulls.load(Ordering::SeqCst);
    let agent = start_agent(misled, data.path());
    assert_eq!(held(&agent).as_ref(), Some(&good), "the stored configuration at start");
    eventually("two rounds of bad pulls", || pulls.load(Ordering::SeqCst) >= before + 10).await;
    assert_eq!(held(&agent).as_ref(), Some(&good), "the last good one stays");
    agent.stop();
    assert_eq!(std::fs::read(data.path().join(CONFIG_FILE)).expect("config.json"), good_bytes);
    let pins = held(&agent_after_restart(data.path(), &trusted)).expect("config").staff_pins;
    assert_eq!(check_pin(FAKE_PIN, &pins), None, "the fake PIN does not open staff mode");
    assert_eq!(check_pin(PIN, &pins).as_deref(), Some("Sekdes Bomo"));

    // The staff screen's log tail says why, in both languages.
    let log = kiosk::logring::tail(kiosk::logring::CAPACITY).join("\n");
    for needle in [
        "tidak ditandatangani kunci layanan pusat",
        "not signed by the central service's key",
        "is not trusted",
        "does not match the content",
        "content is not signed",
        "lebih lama dari yang sedang dipakai",
        "older than the one in force",
    ] {
        assert!(log.contains(needle), "the log says {needle:?}:\n{log}");
    }
}

/// `n` configuration pulls one after the other.
async fn pulls_in_a_row(
    client: &BackendClient,
    n: usize,
) -> Vec<Result<PulledConfig, ClientError>> {
    let mut seen = Vec::new();
    for _ in 0..n {
        seen.push(client.config().await);
    }
    seen
}

/// The kiosk started again with the service out of reach: what it loads from its disk.
fn agent_after_restart(data: &Path, trusted: &TrustedKeys) -> Agent {
    let key = KioskKey::new(KIOSK, [1; 32]).expect("key");
    let nowhere =
        BackendClient::new("http://127.0.0.1:9", key, kiosk::client::Trust::PlainLoopback)
            .expect("client")
            .with_content_keys(trusted.clone());
    start_agent(nowhere, data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_services_configuration_is_applied_and_still_is_after_a_key_rotation() {
    let tls = tls();
    let (store, key, _) = registry();
    // The service's key, made in its data directory on first start, and the next one made
    // for the rotation, as `backend signing-key new --out` does.
    let service_dir = tls.dir.path().join("service");
    let old = backend::signing_key::open(&service_dir, None).expect("key");
    let new = backend::signing_key::create(&service_dir.join("next.key")).expect("next key");
    let only_old = install_keys(tls.dir.path(), &[&old]);
    let url = real_service(&tls, &store, old).await;
    let data = tempfile::tempdir().expect("data");
    let agent = start_agent(client(&url, &tls, &key, &only_old), data.path());
    eventually("the configuration", || held(&agent).is_some()).await;
    let applied = held(&agent).expect("config");
    assert_eq!(applied.village_name, "Desa Bomo, Kecamatan Blimbingsari");
    assert_eq!(check_pin(PIN, &applied.staff_pins).as_deref(), Some("Sekdes Bomo"));
    agent.stop();

    // Step 1 of the rotation: kiosks trust both keys. Step 2: the service signs with the new
    // one (restarted with it).
    let both = install_keys(
        tls.dir.path(),
        &[&backend::signing_key::open(&service_dir, None).expect("old"), &new],
    );
    assert_eq!(both.ids().len(), 2);
    let url = real_service(&tls, &store, new).await;
    // A kiosk still trusting only the old key would refuse it: install first, then rotate.
    let behind = client(&url, &tls, &key, &only_old).config().await;
    assert!(
        matches!(behind, Err(ClientError::Unsigned(SignatureError::UnknownKey(_)))),
        "{behind:?}"
    );

    let agent = start_agent(client(&url, &tls, &key, &both), data.path());
    assert_eq!(held(&agent), Some(applied.clone()), "the old key's stored configuration loads");
    store
        .set_kiosk_settings(
            KIOSK,
            &KioskSettings { idle_timeout_seconds: 120, ..KioskSettings::default() },
        )
        .expect("settings");
    eventually("the configuration signed with the new key", || {
        held(&agent).is_some_and(|c| c.idle_timeout_seconds == 120)
    })
    .await;
    agent.stop();
    let stored = load_stored(data.path(), KIOSK, &both).expect("stored");
    assert_eq!(stored.idle_timeout_seconds, 120);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_configuration_edited_on_disk_is_not_loaded_at_start() {
    log_to_ring();
    let tls = tls();
    let (store, key, _) = registry();
    let signer = backend::signing_key::open(&tls.dir.path().join("service"), None).expect("key");
    let trusted = install_keys(tls.dir.path(), &[&signer]);
    let url = real_service(&tls, &store, signer).await;
    let data = tempfile::tempdir().expect("data");
    let agent = start_agent(client(&url, &tls, &key, &trusted), data.path());
    eventually("the configuration", || held(&agent).is_some()).await;
    agent.stop();
    let real_hash =
        load_stored(data.path(), KIOSK, &trusted).expect("stored").staff_pins[0].pin_hash.clone();

    // Someone with the kiosk's disk writes their own PIN into the stored configuration.
    let path = data.path().join(CONFIG_FILE);
    let mut stored: SignedContent =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("stored JSON");
    stored.body = stored.body.replace(&real_hash, &hash(FAKE_PIN));
    std::fs::write(&path, serde_json::to_vec(&stored).expect("JSON")).expect("write");

    assert_eq!(load_stored(data.path(), KIOSK, &trusted), None);
    let restarted = agent_after_restart(data.path(), &trusted);
    assert_eq!(held(&restarted), None, "the kiosk starts without a configuration");
    restarted.stop();
    let log = kiosk::logring::tail(kiosk::logring::CAPACITY).join("\n");
    assert!(log.contains("Konfigurasi ditolak: tidak ditandatangani"), "{log}");
    assert!(log.contains("source=stored"), "{log}");
}

#[test]
fn the_kiosk_refuses_to_start_without_the_services_public_key() {
    let tls = tls();
    let key_file = tls.dir.path().join("kiosk.key");
    let key = KioskKey::new(KIOSK, [7; 32]).expect("key").with_issuer(9).expect("issuer");
    std::fs::write(&key_file, key.to_file_text()).expect("key file");
    let data = tls.dir.path().join("state");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--key-file",
            key_file.to_str().expect("path"),
            "--data-dir",
            data.to_str().expect("path"),
            "--backend-url",
            "https://127.0.0.1:9",
        ];
        args.extend_from_slice(extra);
        kiosk(&args)
    };
    // The CA is there (backend-ca.pem beside the key file), the public key file is not.
    let expected = tls.dir.path().join(content_keys::KEYS_FILE_NAME);
    let stderr = refusal(&run(&[]));
    assert!(stderr.contains(&expected.display().to_string()), "{stderr}");
    assert!(stderr.contains("kunci publik") && stderr.contains("public key file"), "{stderr}");
    // A file without a key in it (a comment only) is refused too.
    std::fs::write(&expected, "# to do\n").expect("write");
    let stderr = refusal(&run(&[]));
    assert!(stderr.contains("rusak") && stderr.contains("damaged"), "{stderr}");
    // --backend-keys names another file.
    let named = tls.dir.path().join("elsewhere.pub");
    let stderr = refusal(&run(&["--backend-keys", named.to_str().expect("path")]));
    assert!(stderr.contains(&named.display().to_string()), "{stderr}");
    assert!(!data.exists(), "nothing was written before the refusal");
}
