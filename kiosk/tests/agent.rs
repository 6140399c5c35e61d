//! The kiosk's agent against a real central service on loopback: its heartbeat arrives with
//! the kiosk's real state, its configuration is applied atomically (validated, saved, then
//! published), survives a restart with the service gone, and a service sending a bad
//! configuration does not unseat the last good one.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use backend::Store;
use backend::http::RouterOptions;
use backend::store::{KioskSettings, PinScope};
use hardware::printer::sim::MemoryPrinter;
use hardware::printer::{Document, Paper};
use kiosk::agent::{AgentInputs, AgentOptions, CONFIG_FILE, spawn};
use kiosk::client::{BackendClient, Trust};
use kiosk::diagnostics::PrinterMonitor;
use protocol::fleet::{KioskConfig, PrinterState};
use protocol::region::regions;
use protocol::signed::{ContentKind, SIGNATURE_HEADER, SignedContent, SigningKey, TrustedKeys};
use tokio::sync::watch;

const KIOSK: &str = "BWI-3510-0077";

fn options(dir: &Path) -> AgentOptions {
    AgentOptions {
        heartbeat_every: Duration::from_millis(150),
        config_every: Duration::from_millis(150),
        data_dir: dir.to_owned(),
    }
}

fn inputs(monitor: &PrinterMonitor, depth: watch::Receiver<u64>) -> AgentInputs {
    AgentInputs {
        started: Instant::now() - Duration::from_secs(42),
        printer: monitor.clone(),
        queue_depth: Some(depth),
        door_open: None,
        staff_lock: None,
    }
}

/// Polls `check` until it holds or ten seconds pass.
async fn eventually(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The central service's content signing key in these tests, and the kiosk's trust in it.
fn signing() -> (SigningKey, TrustedKeys) {
    let key = SigningKey::from_seed([42; 32]);
    let trusted = TrustedKeys::new(vec![key.public_key()]);
    (key, trusted)
}

/// `config` as the service would send it to this kiosk: its bytes, signed with `key`.
fn signed(key: &SigningKey, config: &KioskConfig) -> (String, Option<String>) {
    let body = serde_json::to_string(config).expect("JSON");
    let signature = key.sign(ContentKind::KioskConfig, KIOSK, body.as_bytes()).header_value();
    (body, Some(signature))
}

/// A central service that answers every configuration pull with the next of `bodies` (with
/// its signature header, if any; everything else with 404), counting the pulls.
async fn bad_service(bodies: Vec<(String, Option<String>)>) -> (String, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let pulls = Arc::new(AtomicUsize::new(0));
    let counter = pulls.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let mut request = vec![0u8; 64 * 1024];
            let mut read = 0;
            while !request[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                match socket.read(&mut request[read..]).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => read += n,
                }
            }
            let head = String::from_utf8_lossy(&request[..read]).to_string();
            let (status, (body, signature)) = if head.starts_with("GET /api/v1/kiosk/config") {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                ("200 OK", bodies[n % bodies.len()].clone())
            } else {
                let error = r#"{"code":"not_found","message":{"id":"x","en":"x"}}"#;
                ("404 Not Found", (error.to_owned(), None))
            };
            let signature = signature.map(|s| format!("{SIGNATURE_HEADER}: {s}\r\n"));
            let answer = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{}connection: close\r\n\r\n{body}",
                body.len(),
                signature.unwrap_or_default()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    (url, pulls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_arrives_and_config_is_applied_atomically_survives_restart_and_bad_ones_are_ignored()
 {
    // A central service with this kiosk standing in Desa Bomo and a PIN for its desa.
    let store = Store::open_temporary().expect("store");
    let bomo = regions().villages_of(351025).iter().find(|v| v.name == "Bomo").expect("Bomo").code;
    let key = store.register_kiosk(KIOSK, Some(bomo), 60).expect("register");
    store.set_kiosk_pin(&PinScope::Desa(bomo), "Sekdes Bomo", "246813").expect("pin");
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let (signer, trusted) = signing();
    let service = RouterOptions { signer: Some(Arc::new(signer)), ..RouterOptions::default() };
    tokio::spawn(backend::serve_with_options(
        listener,
        store.clone(),
        service,
        std::future::pending(),
    ));

    let dir = tempfile::tempdir().expect("temp dir");
    let monitor = PrinterMonitor::new(None);
    let mut printer = monitor.wrap(Box::new(MemoryPrinter::new(Paper::Mm58)));
    let mut receipt = Document::new(Paper::Mm58);
    receipt.text("bukti", Default::default()).cut();
    printer.print(&receipt).expect("print");
    let (depth, depth_rx) = watch::channel(3u64);
    kiosk::logring::push(tracing::Level::ERROR, "test", "report 3510015203850002 not sent");

    let client = BackendClient::new(&url, key.clone(), Trust::PlainLoopback)
        .expect("client")
        .with_content_keys(trusted.clone());
    // The door switch as the GPIO panel reports it (kiosk/src/panel.rs).
    let (door, door_rx) = watch::channel(false);
    let agent = spawn(
        &tokio::runtime::Handle::current(),
        client,
        KIOSK,
        options(dir.path()),
        AgentInputs { door_open: Some(door_rx), ..inputs(&monitor, depth_rx) },
    );
    assert!(agent.config().borrow().is_none(), "nothing stored before the first pull");

    // The heartbeat carries what the kiosk really knows.
    eventually("a heartbeat", || store.kiosk_heartbeat(KIOSK).expect("read").is_some()).await;
    let beat = store.kiosk_heartbeat(KIOSK).expect("read").expect("beat").heartbeat;
    assert_eq!(beat.version, env!("CARGO_PKG_VERSION"));
    assert!(beat.uptime_seconds >= 42, "uptime counts from the kiosk's start");
    assert_eq!(beat.printer.map(|p| p.state), Some(PrinterState::Online));
    assert_eq!(beat.queue_depth, Some(3));
    assert_eq!(beat.door_open, Some(false), "the door switch says closed");
    assert_eq!(beat.last_error.as_deref(), Some("report 3510********0002 not sent"));
    depth.send_replace(0);
    eventually("the queue draining in the heartbeat", || {
        store
            .kiosk_heartbeat(KIOSK)
            .ok()
            .flatten()
            .is_some_and(|b| b.heartbeat.queue_depth == Some(0))
    })
    .await;
    door.send_replace(true);
    eventually("the opened door in the heartbeat", || {
        store
            .kiosk_heartbeat(KIOSK)
            .ok()
            .flatten()
            .is_some_and(|b| b.heartbeat.door_open == Some(true))
    })
    .await;

    // The configuration: published and on disk with its signature, the same content.
    let config = agent.config();
    eventually("a configuration", || config.borrow().is_some()).await;
    let applied = config.borrow().clone().expect("config");
    assert_eq!(applied.village_name, "Desa Bomo, Kecamatan Blimbingsari");
    assert_eq!(applied.staff_pins.len(), 1);
    let on_disk: SignedContent = serde_json::from_slice(
        &std::fs::read(dir.path().join(CONFIG_FILE)).expect("config.json written"),
    )
    .expect("config.json parses");
    let body = on_disk.verified(&trusted, ContentKind::KioskConfig, KIOSK).expect("signed");
    assert_eq!(&serde_json::from_str::<KioskConfig>(body).expect("config"), applied.as_ref());
    assert!(!dir.path().join(format!("{CONFIG_FILE}.tmp")).exists(), "no temporary file left");

    // Operators change the kiosk: the heartbeat's answer names a new version and the kiosk
    // pulls it.
    let settings = KioskSettings {
        services: vec!["report".into(), "status".into()],
        notice: None,
        idle_timeout_seconds: 45,
    };
    store.set_kiosk_settings(KIOSK, &settings).expect("settings");
    eventually("the new configuration", || {
        config.borrow().as_ref().is_some_and(|c| c.idle_timeout_seconds == 45)
    })
    .await;
    let good = config.borrow().clone().expect("config");
    assert_eq!(good.known_services(), ["report", "status"]);
    agent.stop();
    let good_bytes = std::fs::read(dir.path().join(CONFIG_FILE)).expect("config.json");

    // Restart with the central service unreachable: the stored configuration is back at once.
    let nowhere = BackendClient::new("http://127.0.0.1:9", key.clone(), Trust::PlainLoopback)
        .expect("client")
        .with_content_keys(trusted.clone());
    let (_depth, depth_rx) = watch::channel(0u64);
    let offline = spawn(
        &tokio::runtime::Handle::current(),
        nowhere,
        KIOSK,
        options(dir.path()),
        inputs(&monitor, depth_rx),
    );
    assert_eq!(offline.config().borrow().as_deref(), Some(good.as_ref()));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(offline.config().borrow().as_deref(), Some(good.as_ref()), "kept while offline");
    offline.stop();

    // A service sending configurations the kiosk must not apply, though signed with the
    // trusted key: for another kiosk and with an idle timeout of one second; and a page
    // that is not JSON at all, unsigned.
    let mut other_kiosk = good.as_ref().clone();
    other_kiosk.kiosk_id = "BWI-SOMEONE-ELSE".into();
    other_kiosk.config_version = "ffff0001".into();
    let mut too_short = good.as_ref().clone();
    too_short.idle_timeout_seconds = 1;
    too_short.config_version = "ffff0002".into();
    let (signer, _) = signing();
    let bodies = vec![
        signed(&signer, &other_kiosk),
        signed(&signer, &too_short),
        ("<html>captive portal</html>".into(), None),
    ];
    let (bad_url, pulls) = bad_service(bodies).await;
    let (_depth, depth_rx) = watch::channel(0u64);
    let misled = spawn(
        &tokio::runtime::Handle::current(),
        BackendClient::new(&bad_url, key, Trust::PlainLoopback)
            .expect("client")
            .with_content_keys(trusted),
        KIOSK,
        options(dir.path()),
        inputs(&monitor, depth_rx),
    );
    eventually("three bad pulls", || pulls.load(Ordering::SeqCst) >= 4).await;
    assert_eq!(misled.config().borrow().as_deref(), Some(good.as_ref()), "the last good one stays");
    assert_eq!(std::fs::read(dir.path().join(CONFIG_FILE)).expect("config.json"), good_bytes);
    misled.stop();
}

/// A configuration file cut short (or otherwise broken) is not loaded: the kiosk starts
/// without one rather than with half of one.
#[test]
fn a_broken_stored_configuration_is_not_loaded() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join(CONFIG_FILE), br#"{"config_version": "ab", "kiosk_id": "#)
        .expect("write");
    assert!(kiosk::agent::load_stored(dir.path(), KIOSK, &signing().1).is_none());
}

/// Wrong staff PINs typed at the kiosk reach the central service in the heartbeat, from the
/// kiosk's own database, and the lockout raises one alert there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_staff_pins_and_the_lockout_reach_the_fleet_record_and_raise_an_alert() {
    let store = Store::open_temporary().expect("store");
    let key = store.register_kiosk(KIOSK, None, 60).expect("register");
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(backend::serve(listener, store.clone()));

    let dir = tempfile::tempdir().expect("temp dir");
    let local = kiosk::local::LocalStore::open(dir.path()).expect("local store");
    let lock = kiosk::local::PinLock::open(
        Some(local.clone()),
        5,
        &kiosk::local::pin_lock::DEFAULT_LOCK_LENGTHS,
    )
    .expect("lock");
    let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    for _ in 0..2 {
        lock.failed(now);
    }
    let monitor = PrinterMonitor::new(None);
    let (_depth, depth_rx) = watch::channel(0u64);
    let client = BackendClient::new(&url, key, Trust::PlainLoopback).expect("client");
    let agent = spawn(
        &tokio::runtime::Handle::current(),
        client,
        KIOSK,
        options(dir.path()),
        AgentInputs { staff_lock: Some(local.clone()), ..inputs(&monitor, depth_rx) },
    );
    let beat = |store: &Store| store.kiosk_heartbeat(KIOSK).ok().flatten().map(|b| b.heartbeat);
    eventually("two wrong PINs reported", || {
        beat(&store).is_some_and(|b| (b.pin_failures, b.pin_locked) == (2, false))
    })
    .await;
    let pin_alerts = |store: &Store| {
        let alerts = store.alerts(false, 20).expect("alerts");
        alerts
            .into_iter()
            .filter(|a| a.kind == backend::store::AlertKind::PinFailures)
            .collect::<Vec<_>>()
    };
    assert!(pin_alerts(&store).is_empty(), "no lock, no alert");

    for _ in 0..3 {
        lock.failed(now);
    }
    eventually("the lockout reported", || {
        beat(&store).is_some_and(|b| (b.pin_failures, b.pin_locked) == (5, true))
    })
    .await;
    // Several more heartbeats while locked: still one alert, raised once.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let alerts = pin_alerts(&store);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!((alerts[0].count, alerts[0].subject.as_str()), (1, "kiosk:BWI-3510-0077"));

    lock.succeeded();
    eventually("the right PIN reported", || {
        beat(&store).is_some_and(|b| (b.pin_failures, b.pin_locked) == (0, false))
    })
    .await;
    agent.stop();
}
