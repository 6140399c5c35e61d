//! Desa staff at the kiosk: the hidden gesture opens a PIN keypad, wrong PINs are refused
//! and lock it after five, the right PIN (provisioned from the central service, checked on
//! the kiosk) opens staff mode, where the test page prints, the network check tells up from
//! down, the outbox shows masked entries, a receipt can be reprinted, and leaving staff mode
//! leaves nothing behind. Headless, on Slint's testing platform, against a real service.
//!
//! One test per file: Slint's testing platform can be installed once per process.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backend::Store;
use backend::store::PinScope;
use common::*;
use hardware::printer::decode::decode;
use hardware::printer::paper::{PaperCounter, RollConfig};
use hardware::printer::sim::MemoryPrinter;
use hardware::printer::{Document, Paper};
use i_slint_backend_testing::ElementHandle;
use kiosk::agent::{AgentInputs, AgentOptions};
use kiosk::app::SharedPrinter;
use kiosk::diagnostics::{PrinterMonitor, counters};
use kiosk::staff::{EXIT_RESTART, StaffOptions, StaffTools, install, requested_exit};
use kiosk::ui::{Kiosk, Page, Staff, StaffMode};
use protocol::api::ReportRequest;
use slint::platform::PointerEventButton;
use slint::{ComponentHandle, Model};
use time::UtcOffset;

const PIN: &str = "482913";

/// The kiosk's time zone in this test, for its slips and "today".
fn wib() -> UtcOffset {
    UtcOffset::from_hms(7, 0, 0).expect("offset")
}

fn mode(app: &kiosk::app::KioskApp) -> StaffMode {
    app.window.global::<Staff>().get_mode()
}

/// Taps the top-left corner of the screen, as a finger would.
fn tap_corner(app: &kiosk::app::KioskApp, times: usize) {
    use slint::platform::WindowEvent;
    let position = slint::LogicalPosition::new(30.0, 30.0);
    let window = app.window.window();
    for _ in 0..times {
        window.dispatch_event(WindowEvent::PointerMoved { position });
        window.dispatch_event(WindowEvent::PointerPressed {
            position,
            button: PointerEventButton::Left,
        });
        window.dispatch_event(WindowEvent::PointerReleased {
            position,
            button: PointerEventButton::Left,
        });
    }
    window.dispatch_event(WindowEvent::PointerExited);
}

fn enabled(app: &kiosk::app::KioskApp, label: &str) -> bool {
    ElementHandle::find_by_accessible_label(&app.window, label)
        .any(|e| e.accessible_enabled() == Some(true))
}

fn type_pin(app: &kiosk::app::KioskApp, pin: &str) {
    for digit in pin.chars() {
        tap(app, &digit.to_string());
    }
    tap(app, "Masuk");
}

/// Waits until the PIN check that was just started has answered.
fn wait_pin_checked(app: &kiosk::app::KioskApp) {
    let weak = app.window.as_weak();
    assert!(run_until(Duration::from_secs(20), move || {
        weak.upgrade().is_some_and(|w| !w.global::<Staff>().get_pin_busy())
    }));
}

fn wait_message(app: &kiosk::app::KioskApp, needle: &'static str) -> String {
    let weak = app.window.as_weak();
    let found = run_until(Duration::from_secs(10), move || {
        weak.upgrade().is_some_and(|w| w.global::<Staff>().get_message().contains(needle))
    });
    let message = app.window.global::<Staff>().get_message().to_string();
    assert!(found, "waited for {needle:?}, the staff screen says {message:?}");
    message
}

#[test]
fn staff_mode_from_gesture_to_leaving() {
    // Log lines reach the staff screen's log tail.
    {
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber = tracing_subscriber::registry().with(kiosk::logring::RingLayer);
        tracing::subscriber::set_global_default(subscriber).expect("subscriber");
    }
    let runtime = runtime();
    let store = Store::open_temporary().expect("store");
    let key = store.register_kiosk(KIOSK_ID, Some(3510252005), 60).expect("register kiosk");
    store.set_kiosk_pin(&PinScope::Kiosk(KIOSK_ID.into()), "Teknisi Bomo", PIN).expect("PIN");
    let desa_settings = backend::store::KioskSettings {
        services: vec!["letter".into(), "status".into(), "help".into()],
        notice: Some(protocol::Text::new(
            "Balai desa tutup hari Jumat.",
            "The village hall is closed on Fridays.",
        )),
        idle_timeout_seconds: 90,
    };
    store.set_kiosk_settings(KIOSK_ID, &desa_settings).expect("settings");
    // The service signs the configuration (and with it the PIN) that the kiosk trusts.
    let signer = protocol::signed::SigningKey::from_seed([11; 32]);
    let trusted = protocol::signed::TrustedKeys::new(vec![signer.public_key()]);
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    let url = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let options = backend::http::RouterOptions {
            signer: Some(Arc::new(signer)),
            ..backend::http::RouterOptions::default()
        };
        tokio::spawn(backend::serve_with_options(listener, store.clone(), options, async {
            let _ = stopped.await;
        }));
        url
    });

    i_slint_backend_testing::init_integration_test_with_system_time();
    let printer = MemoryPrinter::new(Paper::Mm58);
    let data = tempfile::tempdir().expect("temp dir");
    let paper = PaperCounter::open(data.path().join("paper-used"), RollConfig::default())
        .expect("paper counter");
    let monitor = PrinterMonitor::new(Some(paper.clone()));
    let shared: SharedPrinter = Arc::new(Mutex::new(monitor.wrap(Box::new(printer.clone()))));
    let (app, _unused) = kiosk_with(&runtime, &url, key.clone(), |mut services, settings| {
        services.printer = shared.clone();
        (services, settings)
    });
    let client =
        kiosk::client::BackendClient::new(&url, key.clone(), kiosk::client::Trust::PlainLoopback)
            .expect("client")
            .with_content_keys(trusted);
    let agent = kiosk::agent::spawn(
        runtime.handle(),
        client.clone(),
        KIOSK_ID,
        AgentOptions::new(data.path()),
        AgentInputs {
            started: Instant::now(),
            printer: monitor.clone(),
            queue_depth: None,
            door_open: None,
            staff_lock: None,
        },
    );
    let outbox = kiosk::local::outbox::Outbox::open(
        kiosk::local::LocalStore::open(data.path()).expect("local store"),
        1,
    )
    .expect("outbox");
    let queued = outbox
        // As JSON, so the test reads the same whatever optional fields the request grows.
        .enqueue_report(
            &serde_json::from_value::<ReportRequest>(serde_json::json!({
                "reporter_nik": "3510011203850001",
                "subject_nik": "3510015203850002",
                "reason": "lost_job",
                "phone": "081234567890",
                "idempotency_key": "staff-test-0001",
            }))
            .expect("report"),
        )
        .expect("queued");
    let _staff = install(
        &app.window,
        StaffTools {
            kiosk_id: KIOSK_ID.into(),
            client,
            printer: shared.clone(),
            monitor: monitor.clone(),
            paper: Paper::Mm58,
            utc_offset: wib(),
            runtime: runtime.handle().clone(),
            config: agent.config(),
            outbox: Some(outbox),
            store: Some(kiosk::local::LocalStore::open(data.path()).expect("local store")),
            started: Instant::now(),
            options: StaffOptions {
                tap_window: Duration::from_millis(800),
                lock_lengths: vec![Duration::from_secs(3)],
                ..StaffOptions::default()
            },
        },
    );
    let config = agent.config();
    assert!(run_until(Duration::from_secs(10), move || {
        config.borrow().as_ref().is_some_and(|c| !c.staff_pins.is_empty())
    }));

    // The pulled configuration reaches the screen: the village name, the services, and the
    // idle timeout handed to the flows.
    let app = std::rc::Rc::new(app);
    let idle = std::rc::Rc::new(std::cell::Cell::new(None));
    let _follow = kiosk::agent::follow_in_ui(app.clone(), agent.config(), {
        let idle = idle.clone();
        move |timeout| idle.set(Some(timeout))
    })
    .expect("follow the configuration");
    assert_eq!(
        app.window.global::<Kiosk>().get_village_name(),
        "Desa Bomo, Kecamatan Blimbingsari"
    );
    let fleet = app.window.global::<kiosk::ui::Fleet>();
    assert!(fleet.get_configured());
    let services: Vec<String> = fleet.get_services().iter().map(|s| s.to_string()).collect();
    assert_eq!(services, ["letter", "status", "help"]);
    assert_eq!(idle.get(), Some(Duration::from_secs(90)));
    // The home page offers those services, in that order, and the desa's notice.
    let tiles: Vec<String> = ElementHandle::find_by_accessible_label(&app.window, "Surat")
        .chain(ElementHandle::find_by_accessible_label(&app.window, "Cek Status Bansos"))
        .chain(ElementHandle::find_by_accessible_label(&app.window, "Bantuan / Panggil Petugas"))
        .filter(|e| e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::Button))
        .map(|e| e.accessible_label().unwrap_or_default().to_string())
        .collect();
    assert_eq!(tiles.len(), 3, "{tiles:?}");
    assert!(!shows(&app, "Lapor") && !shows(&app, "Lacak Tiket"), "left out by the desa");
    let order: Vec<f32> = ["Surat", "Cek Status Bansos"]
        .iter()
        .map(|label| {
            ElementHandle::find_by_accessible_label(&app.window, label)
                .next()
                .map(|e| e.absolute_position().x + e.absolute_position().y * 10_000.0)
                .unwrap_or_default()
        })
        .collect();
    assert!(order[0] < order[1], "letters before status, as configured: {order:?}");
    assert_eq!(value_of(&app, "home-notice").as_deref(), Some("Balai desa tutup hari Jumat."));

    // A citizen's receipt was printed before staff came.
    let mut receipt = Document::new(Paper::Mm58);
    receipt.text("BUKTI CEK STATUS", Default::default()).cut();
    shared.lock().expect("printer").print(&receipt).expect("print");
    let prints_before = counters().today(wib()).prints;

    // The gesture: four taps do nothing, nor do five spread out; five quick ones open the
    // keypad.
    assert_eq!(mode(&app), StaffMode::Closed);
    tap_corner(&app, 4);
    assert_eq!(mode(&app), StaffMode::Closed);
    std::thread::sleep(Duration::from_millis(900));
    tap_corner(&app, 1);
    assert_eq!(mode(&app), StaffMode::Closed, "taps spread over more than the window");
    tap_corner(&app, 5);
    assert_eq!(mode(&app), StaffMode::Pin);
    assert_eq!(value_of(&app, "pin-dots").as_deref(), Some("0"));

    // Wrong PINs are refused, with the attempts left; the fifth locks the keypad.
    for attempt in 1..=5u32 {
        type_pin(&app, "111111");
        wait_pin_checked(&app);
        assert_eq!(mode(&app), StaffMode::Pin);
        let message = value_of(&app, "pin-message").unwrap_or_default();
        if attempt < 5 {
            assert!(message.contains(&format!("Sisa {} kali", 5 - attempt)), "{message}");
        } else {
            assert!(message.contains("Terlalu banyak PIN salah"), "{message}");
        }
    }
    assert!(app.window.global::<Staff>().get_pin_locked());
    assert!(!enabled(&app, "1"), "the keypad is locked");
    // The lock is on disk: a kiosk restarted now would still be locked.
    let reopened = kiosk::local::PinLock::open(
        Some(kiosk::local::LocalStore::open(data.path()).expect("local store")),
        5,
        &[Duration::from_secs(3)],
    )
    .expect("lock");
    let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    assert!(reopened.locked_for(now).is_some(), "locked across a restart");
    // Locked even for the right PIN, until the lock runs out.
    let weak = app.window.as_weak();
    assert!(run_until(Duration::from_secs(10), move || {
        weak.upgrade().is_some_and(|w| !w.global::<Staff>().get_pin_locked())
    }));

    // The right PIN opens staff mode.
    type_pin(&app, PIN);
    wait_pin_checked(&app);
    assert_eq!(mode(&app), StaffMode::Open);
    assert_eq!(app.window.global::<Staff>().get_who(), "Teknisi Bomo");
    assert!(!format!("{:?}", app.window.global::<Staff>().get_pin_message()).contains(PIN));

    // Printer: status, then the test page, read back from the ESC/POS bytes.
    let status = value_of(&app, "printer-status").unwrap_or_default();
    assert!(status.contains("siap"), "{status}");
    assert!(enabled(&app, "Cetak Ulang Struk Terakhir"));
    tap(&app, "Cetak Halaman Uji");
    wait_message(&app, "Halaman uji sudah dicetak");
    let jobs = printer.jobs();
    assert_eq!(jobs.len(), 2, "the receipt, then the test page");
    let page = decode(&jobs[1]);
    let text = page.text();
    assert!(text.contains("UJI PRINTER") && text.contains("Printer test page"), "{text}");
    assert!(text.contains(KIOSK_ID), "{text}");
    assert!(text.contains("12345678901234567890123456789012"), "a full-width ruler:\n{text}");
    assert_eq!(page.qr_codes, [format!("ANJUNGAN/TEST/1?kiosk={KIOSK_ID}")]);
    assert_eq!(page.cuts, 1);
    assert_eq!(
        counters().today(wib()).prints,
        prints_before,
        "a test page is not a citizen's print"
    );

    // Paper: every print is counted; a new roll starts the count again.
    assert!(paper.used_mm() > 0, "the receipt and the test page used paper");
    tap(&app, "Printer");
    let left = value_of(&app, "paper-status").unwrap_or_default();
    assert!(left.starts_with("Sisa kertas sekitar 29,"), "{left}");
    tap(&app, "Gulungan Kertas Baru");
    wait_message(&app, "gulungan baru");
    assert_eq!(paper.used_mm(), 0);
    assert_eq!(
        value_of(&app, "paper-status").as_deref(),
        Some("Sisa kertas sekitar 30,0 m dari 30 m.")
    );

    // Reprint: the same bytes as the citizen's receipt.
    tap(&app, "Cetak Ulang Struk Terakhir");
    wait_message(&app, "sudah dicetak ulang");
    let jobs = printer.jobs();
    assert_eq!(jobs.len(), 3);
    assert_eq!(jobs[2], jobs[0], "the reprint is the receipt");

    // Network: up, then down once the central service stops.
    tap(&app, "Jaringan");
    tap(&app, "Periksa Koneksi");
    let weak = app.window.as_weak();
    assert!(run_until(Duration::from_secs(10), move || {
        weak.upgrade().is_some_and(|w| {
            let staff = w.global::<Staff>();
            !staff.get_backend_checking() && !staff.get_backend_status().is_empty()
        })
    }));
    let up = value_of(&app, "backend-status").unwrap_or_default();
    assert!(up.starts_with("Terhubung") && up.contains(" ms"), "{up}");
    let _ = shutdown.send(());
    std::thread::sleep(Duration::from_millis(300));
    tap(&app, "Periksa Koneksi");
    let weak = app.window.as_weak();
    assert!(run_until(Duration::from_secs(15), move || {
        weak.upgrade().is_some_and(|w| {
            let staff = w.global::<Staff>();
            !staff.get_backend_checking() && staff.get_backend_status().starts_with("Tidak")
        })
    }));
    assert!(!app.window.global::<Staff>().get_backend_up());

    // Outbox: masked, and "send now".
    tap(&app, "Antrean");
    let summary = value_of(&app, "outbox-summary").unwrap_or_default();
    assert!(summary.starts_with("1 kiriman menunggu"), "{summary}");
    let rows: Vec<String> =
        app.window.global::<Staff>().get_outbox_rows().iter().map(|r| r.to_string()).collect();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains(&queued.ticket.to_string()), "{rows:?}");
    assert!(rows[0].contains("3510********0002"), "{rows:?}");
    assert!(!rows[0].contains("3510015203850002") && !rows[0].contains("0812"), "{rows:?}");
    tap(&app, "Kirim Sekarang");
    wait_message(&app, "1 kiriman dikirim sekarang");

    // Today's counters and the log tail.
    tap(&app, "Hari Ini");
    assert_eq!(value_of(&app, "prints-today"), Some(counters().today(wib()).prints.to_string()));
    assert!(counters().today(wib()).prints >= 1);
    tap(&app, "Log");
    let log = value_of(&app, "log-text").unwrap_or_default();
    assert!(log.contains("wrong staff PIN") && log.contains("staff mode opened"), "{log}");
    assert!(log.lines().count() <= kiosk::logring::TAIL);
    assert!(!log.contains(PIN), "the PIN is never logged");

    // Leaving staff mode leaves nothing behind.
    tap(&app, "Keluar Mode Petugas");
    assert_eq!(mode(&app), StaffMode::Closed);
    let staff = app.window.global::<Staff>();
    assert!(staff.get_who().is_empty() && staff.get_message().is_empty());
    assert!(staff.get_log_text().is_empty() && staff.get_outbox_summary().is_empty());
    assert_eq!(staff.get_outbox_rows().row_count(), 0);
    assert_eq!(staff.get_pin_count(), 0);
    assert!(!shows(&app, "log-text") && !shows(&app, "printer-status"));
    assert_eq!(app.window.global::<Kiosk>().get_page(), Page::Home);

    // The next visitor starts: the previous receipt can no longer be reprinted.
    assert!(monitor.last_receipt().is_some());
    app.window.global::<Kiosk>().set_page(Page::NikEntry);
    assert!(run_until(Duration::from_secs(2), {
        let monitor = monitor.clone();
        move || monitor.last_receipt().is_none()
    }));
    app.window.global::<Kiosk>().set_page(Page::Home);

    // Restart asks the service manager to start the kiosk again.
    assert_eq!(requested_exit(), None);
    tap_corner(&app, 5);
    type_pin(&app, PIN);
    wait_pin_checked(&app);
    assert_eq!(mode(&app), StaffMode::Open);
    tap(&app, "Sistem");
    tap(&app, "Mulai Ulang Aplikasi");
    assert_eq!(requested_exit(), Some(EXIT_RESTART));
}
