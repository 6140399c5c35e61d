//! The fleet endpoints as a kiosk meets them: it reports a heartbeat and pulls its
//! configuration, both signed; PINs set by operators reach it as Argon2id hashes. Run on
//! SQLite and, with `ANJUNGAN_TEST_DATABASE` set, on PostgreSQL.

use crate::common;

use std::net::SocketAddr;

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use backend::Store;
use backend::store::{AlertKind, AlertRecord, KioskSettings, PinScope};
use common::{fresh_nonce, now};
use protocol::Text;
use protocol::auth::KioskKey;
use protocol::fleet::{
    CONFIG_PATH, HEARTBEAT_PATH, Heartbeat, HeartbeatAck, KioskConfig, PrinterState, PrinterStatus,
    SERVICES,
};
use protocol::region::regions;

const KIOSK: &str = "BWI-3510-0042";

struct Fleet {
    url: String,
    store: Store,
    key: KioskKey,
    desa: u64,
}

/// A served registry with one kiosk standing in Desa Bomo.
async fn fleet() -> Fleet {
    let store = Store::open_temporary().expect("store");
    let desa = regions().villages_of(351025).iter().find(|v| v.name == "Bomo").expect("Bomo").code;
    let key = store.register_kiosk(KIOSK, Some(desa), 60).expect("register kiosk");
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(backend::serve(listener, store.clone()));
    Fleet { url, store, key, desa }
}

async fn send(fleet: &Fleet, method: &str, path: &str, body: Vec<u8>) -> reqwest::Response {
    let client = reqwest::Client::new();
    let mut request = match method {
        "POST" => client.post(format!("{}{path}", fleet.url)).body(body.clone()),
        _ => client.get(format!("{}{path}", fleet.url)),
    }
    .header("content-type", "application/json");
    for (name, value) in fleet.key.sign(method, path, now(), &fresh_nonce(), &body).pairs() {
        request = request.header(name, value);
    }
    request.send().await.expect("request")
}

async fn config(fleet: &Fleet) -> KioskConfig {
    let response = send(fleet, "GET", CONFIG_PATH, Vec::new()).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("config JSON")
}

fn beat() -> Heartbeat {
    Heartbeat {
        version: "0.1.0".into(),
        uptime_seconds: 3_725,
        printer: Some(PrinterStatus {
            state: PrinterState::PaperNearEnd,
            paper_remaining_mm: Some(1_200),
        }),
        queue_depth: Some(3),
        door_open: Some(false),
        last_error: Some("report for 3510015203850002 not sent: timeout".into()),
        sent_at: "2026-03-02T01:02:03Z".into(),
        pin_failures: 0,
        pin_locked: false,
    }
}

/// Sends a heartbeat as JSON and expects it recorded.
async fn beat_ok(fleet: &Fleet, body: &serde_json::Value) {
    let response =
        send(fleet, "POST", HEARTBEAT_PATH, serde_json::to_vec(body).expect("JSON")).await;
    assert_eq!(response.status(), 200);
}

fn pin_alerts(fleet: &Fleet) -> Vec<AlertRecord> {
    let alerts = fleet.store.alerts(true, 50).expect("alerts");
    alerts.into_iter().filter(|a| a.kind == AlertKind::PinFailures).collect()
}

/// Wrong staff PINs reach the fleet record, and a lockout raises one alert however many
/// heartbeats report it; a heartbeat of an older kiosk, without the PIN fields, still counts.
#[tokio::test]
async fn pin_failures_are_kept_and_a_lockout_raises_one_alert() {
    let fleet = fleet().await;
    // An older kiosk: no PIN fields at all.
    let mut older = serde_json::to_value(beat()).expect("JSON");
    older.as_object_mut().expect("object").retain(|k, _| !k.starts_with("pin_"));
    beat_ok(&fleet, &older).await;
    let stored = fleet.store.kiosk_heartbeat(KIOSK).expect("read").expect("kept");
    assert_eq!((stored.heartbeat.pin_failures, stored.heartbeat.pin_locked), (0, false));

    let mut failing = beat();
    failing.pin_failures = 3;
    beat_ok(&fleet, &serde_json::to_value(&failing).expect("JSON")).await;
    let stored = fleet.store.kiosk_heartbeat(KIOSK).expect("read").expect("kept");
    assert_eq!((stored.heartbeat.pin_failures, stored.heartbeat.pin_locked), (3, false));
    assert!(pin_alerts(&fleet).is_empty(), "wrong PINs without a lock: no alert yet");

    // Locked for three heartbeats in a row: one alert, counted once.
    let mut locked = beat();
    (locked.pin_failures, locked.pin_locked) = (5, true);
    for _ in 0..3 {
        beat_ok(&fleet, &serde_json::to_value(&locked).expect("JSON")).await;
    }
    let stored = fleet.store.kiosk_heartbeat(KIOSK).expect("read").expect("kept");
    assert_eq!((stored.heartbeat.pin_failures, stored.heartbeat.pin_locked), (5, true));
    let alerts = pin_alerts(&fleet);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!((alerts[0].count, alerts[0].subject.as_str()), (1, "kiosk:BWI-3510-0042"));
    assert!(alerts[0].detail.contains("5 wrong PINs"), "{}", alerts[0].detail);

    // The lock runs out, five more wrong PINs lock it again: the open alert counts a second.
    let mut open = beat();
    open.pin_failures = 5;
    beat_ok(&fleet, &serde_json::to_value(&open).expect("JSON")).await;
    (locked.pin_failures, locked.pin_locked) = (10, true);
    beat_ok(&fleet, &serde_json::to_value(&locked).expect("JSON")).await;
    let alerts = pin_alerts(&fleet);
    assert_eq!((alerts.len(), alerts[0].count), (1, 2), "{alerts:?}");
    assert!(alerts[0].detail.contains("10 wrong PINs"), "{}", alerts[0].detail);

    fleet.store.flush_audit();
    let audit = fleet.store.recent_audit(20).expect("audit");
    assert!(
        audit
            .iter()
            .any(|e| e.action == "heartbeat"
                && e.outcome.contains("pin_failures=10 pin_locked=true")),
        "{audit:?}"
    );
}

#[tokio::test]
async fn heartbeat_is_kept_masked_audited_and_answered_with_the_config_version() {
    let fleet = fleet().await;
    let body = serde_json::to_vec(&beat()).expect("JSON");
    let response = send(&fleet, "POST", HEARTBEAT_PATH, body).await;
    assert_eq!(response.status(), 200);
    let ack: HeartbeatAck = response.json().await.expect("ack JSON");
    assert_eq!(ack.config_version, config(&fleet).await.config_version);

    let stored = fleet.store.kiosk_heartbeat(KIOSK).expect("read").expect("heartbeat kept");
    let mut expected = beat();
    expected.last_error = Some("report for 3510********0002 not sent: timeout".into());
    assert_eq!(stored.heartbeat, expected, "every field kept, the NIK masked");
    assert!(stored.received_at.starts_with("20"), "{}", stored.received_at);

    // Only the latest is kept per kiosk.
    let mut second = beat();
    second.uptime_seconds = 3_785;
    second.printer =
        Some(PrinterStatus { state: PrinterState::PaperOut, paper_remaining_mm: None });
    second.last_error = None;
    let response =
        send(&fleet, "POST", HEARTBEAT_PATH, serde_json::to_vec(&second).expect("JSON")).await;
    assert_eq!(response.status(), 200);
    let stored = fleet.store.kiosk_heartbeat(KIOSK).expect("read").expect("heartbeat kept");
    assert_eq!(stored.heartbeat, second);

    fleet.store.flush_audit();
    let audit = fleet.store.recent_audit(20).expect("audit");
    let beats: Vec<_> = audit.iter().filter(|e| e.action == "heartbeat").collect();
    assert_eq!(beats.len(), 2, "{audit:?}");
    assert!(beats.iter().all(|e| e.actor == format!("kiosk:{KIOSK}")));
    assert!(beats.iter().any(|e| e.outcome.contains("printer=paper_out")), "{beats:?}");
    assert!(!format!("{audit:?}").contains("3510015203850002"));
}

#[tokio::test]
async fn unsigned_or_malformed_heartbeats_are_refused() {
    let fleet = fleet().await;
    let unsigned = reqwest::Client::new()
        .post(format!("{}{HEARTBEAT_PATH}", fleet.url))
        .json(&beat())
        .send()
        .await
        .expect("request");
    assert_eq!(unsigned.status(), 401);
    let unsigned_config =
        reqwest::get(format!("{}{CONFIG_PATH}", fleet.url)).await.expect("request");
    assert_eq!(unsigned_config.status(), 401);

    let response = send(&fleet, "POST", HEARTBEAT_PATH, b"{\"version\": 1}".to_vec()).await;
    assert_eq!(response.status(), 400);
    let mut bad_version = beat();
    bad_version.version = "x".repeat(100);
    let response =
        send(&fleet, "POST", HEARTBEAT_PATH, serde_json::to_vec(&bad_version).expect("JSON")).await;
    assert_eq!(response.status(), 400);
    assert!(fleet.store.kiosk_heartbeat(KIOSK).expect("read").is_none(), "nothing kept");
}

#[tokio::test]
async fn config_carries_desa_services_and_the_pins_that_open_this_kiosk() {
    let fleet = fleet().await;
    let first = config(&fleet).await;
    assert_eq!(first.kiosk_id, KIOSK);
    assert_eq!(first.desa_code, Some(fleet.desa));
    assert_eq!(first.village_name, "Desa Bomo, Kecamatan Blimbingsari");
    assert_eq!(first.services, SERVICES);
    assert!(first.staff_pins.is_empty());
    assert_eq!(first.validate(KIOSK), Ok(()));

    // A PIN for this kiosk, one for its desa, one for another desa and one for another kiosk.
    let other_desa = regions().villages_of(351025)[0].code;
    assert_ne!(other_desa, fleet.desa);
    fleet.store.register_kiosk("BWI-OTHER", Some(fleet.desa), 60).expect("other kiosk");
    fleet.store.set_kiosk_pin(&PinScope::Kiosk(KIOSK.into()), "Teknisi", "482913").expect("pin");
    fleet.store.set_kiosk_pin(&PinScope::Desa(fleet.desa), "Sekdes Bomo", "135791").expect("pin");
    fleet.store.set_kiosk_pin(&PinScope::Desa(other_desa), "Sekdes lain", "246813").expect("pin");
    fleet.store.set_kiosk_pin(&PinScope::Kiosk("BWI-OTHER".into()), "Lain", "999999").expect("pin");
    assert!(fleet.store.set_kiosk_pin(&PinScope::Desa(fleet.desa), "x", "12a456").is_err());
    // Four digits are too few.
    assert!(fleet.store.set_kiosk_pin(&PinScope::Desa(fleet.desa), "x", "1234").is_err());
    assert!(fleet.store.set_kiosk_pin(&PinScope::Kiosk("NOPE".into()), "x", "123456").is_err());

    let second = config(&fleet).await;
    assert_ne!(second.config_version, first.config_version, "a new PIN is a new version");
    let labels: Vec<&str> = second.staff_pins.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(labels, ["Sekdes Bomo", "Teknisi"]);
    let verifies = |label: &str, pin: &str| {
        let stored = second.staff_pins.iter().find(|p| p.label == label).expect("pin");
        assert!(stored.pin_hash.starts_with("$argon2id$"), "{}", stored.pin_hash);
        let hash = PasswordHash::new(&stored.pin_hash).expect("PHC string");
        argon2::Argon2::default().verify_password(pin.as_bytes(), &hash).is_ok()
    };
    assert!(verifies("Teknisi", "482913"));
    assert!(verifies("Sekdes Bomo", "135791"));
    assert!(!verifies("Sekdes Bomo", "1358"));
    assert!(!format!("{second:?}").contains("482913"), "the PIN itself never leaves");
    assert_eq!(config(&fleet).await.config_version, second.config_version, "stable otherwise");

    // Settings: fewer services, a notice, a shorter timeout.
    let settings = KioskSettings {
        services: vec!["report".into(), "status".into()],
        notice: Some(Text::new(
            "Balai desa tutup Jumat.",
            "The village hall is closed on Fridays.",
        )),
        idle_timeout_seconds: 45,
    };
    fleet.store.set_kiosk_settings(KIOSK, &settings).expect("settings");
    let third = config(&fleet).await;
    assert_eq!(third.services, ["report", "status"]);
    assert_eq!(
        third.notice().map(|t| t.en.as_str()),
        Some("The village hall is closed on Fridays.")
    );
    assert_eq!(third.idle_timeout_seconds, 45);
    assert_eq!(third.validate(KIOSK), Ok(()));
    let unknown = KioskSettings { services: vec!["casino".into()], ..settings.clone() };
    assert!(fleet.store.set_kiosk_settings(KIOSK, &unknown).is_err());
    let too_short = KioskSettings { idle_timeout_seconds: 3, ..settings };
    assert!(fleet.store.set_kiosk_settings(KIOSK, &too_short).is_err());

    // Withdrawn PINs disappear from the next pull.
    assert!(fleet.store.remove_kiosk_pin(&PinScope::Kiosk(KIOSK.into()), "Teknisi").expect("rm"));
    let fourth = config(&fleet).await;
    let labels: Vec<&str> = fourth.staff_pins.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(labels, ["Sekdes Bomo"]);
}

/// `backend kiosk-pin` reads the PIN from standard input, never from the command line
/// (where `ps` and shell history would show it).
#[test]
fn kiosk_pin_command_reads_the_pin_from_stdin() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("fleet.sqlite3");
    let backend = env!("CARGO_BIN_EXE_backend");
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(backend)
            .arg("--database")
            .arg(&database)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run backend");
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
        child.wait_with_output().expect("wait")
    };
    let key_file = dir.path().join("k.key");
    let key_file = key_file.to_str().expect("path");
    let secrets_key = dir.path().join("secrets.key");
    let secrets_key = secrets_key.to_str().expect("path");
    let added =
        run(&["kiosk-add", "--id", KIOSK, "--key-out", key_file, "--secrets-key", secrets_key], "");
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let short = run(&["kiosk-pin", "--id", KIOSK, "--label", "Teknisi"], "1234\n");
    assert!(!short.status.success(), "a 4-digit PIN is refused");
    assert!(String::from_utf8_lossy(&short.stderr).contains("6 to 8 digits"));
    let set = run(&["kiosk-pin", "--id", KIOSK, "--label", "Teknisi"], "482913\n");
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));

    let store = Store::open(&database).expect("open");
    let config = store.kiosk_config(KIOSK, &[]).expect("config").expect("kiosk");
    let pin = &config.staff_pins[0];
    assert_eq!(pin.label, "Teknisi");
    let hash = PasswordHash::new(&pin.pin_hash).expect("PHC");
    assert!(argon2::Argon2::default().verify_password(b"482913", &hash).is_ok());
}
