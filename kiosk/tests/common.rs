//! Helpers shared by the headless UI tests: a real central service on loopback, a kiosk
//! window on Slint's testing platform, and ways to touch it like a person would.

#![allow(dead_code)] // Each test binary uses a different subset.

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hardware::printer::Paper;
use hardware::printer::sim::MemoryPrinter;
use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use kiosk::app::{KioskApp, Services, Settings, build};
use kiosk::client::{BackendClient, Trust};
use protocol::auth::KioskKey;
use slint::ComponentHandle;
use time::UtcOffset;

pub const KIOSK_ID: &str = "BWI-TEST-01";

/// A central service with demo data on a free loopback port, and the test kiosk's key.
pub fn start_backend(
    runtime: &tokio::runtime::Runtime,
) -> (String, Vec<backend::demo::Example>, KioskKey) {
    let (url, examples, key, _store) = start_backend_with_store(runtime);
    (url, examples, key)
}

/// [`start_backend`], with its store to look into what was filed.
pub fn start_backend_with_store(
    runtime: &tokio::runtime::Runtime,
) -> (String, Vec<backend::demo::Example>, KioskKey, backend::Store) {
    runtime.block_on(async {
        let store = backend::Store::open_temporary().expect("in-memory store");
        let options = backend::demo::DemoOptions { residents: 400, ..Default::default() };
        let summary = backend::demo::generate(&store, &options).expect("demo data");
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let key = store.register_kiosk(KIOSK_ID, None, 60).expect("register kiosk");
        tokio::spawn(backend::serve(listener, store.clone()));
        (format!("http://{address}"), summary.examples, key, store)
    })
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A kiosk window on the testing platform (which must already be initialised).
pub fn kiosk(
    runtime: &tokio::runtime::Runtime,
    backend_url: &str,
    key: KioskKey,
) -> (KioskApp, MemoryPrinter) {
    kiosk_with(runtime, backend_url, key, |services, settings| (services, settings))
}

/// A kiosk window whose services and settings the test adjusts first (readers, idle
/// timeout, outbox).
pub fn kiosk_with(
    runtime: &tokio::runtime::Runtime,
    backend_url: &str,
    key: KioskKey,
    adjust: impl FnOnce(Services, Settings) -> (Services, Settings),
) -> (KioskApp, MemoryPrinter) {
    let printer = MemoryPrinter::new(Paper::Mm58);
    let services = Services::new(
        BackendClient::new(backend_url, key, Trust::PlainLoopback).expect("client"),
        Arc::new(Mutex::new(Box::new(printer.clone()))),
        runtime.handle().clone(),
    );
    let settings = Settings {
        kiosk_id: KIOSK_ID.into(),
        village_name: "Desa Bomo".into(),
        paper: Paper::Mm58,
        utc_offset: UtcOffset::from_hms(7, 0, 0).expect("offset"),
        demo_hint: String::new(),
        idle_timeout: Settings::DEFAULT_IDLE_TIMEOUT,
    };
    let (services, settings) = adjust(services, settings);
    let app = build(settings, services).expect("kiosk window");
    app.window.show().expect("show");
    (app, printer)
}

/// Taps the button with this accessible label (its visible text).
pub fn tap(app: &KioskApp, label: &str) {
    let buttons: Vec<ElementHandle> = ElementHandle::find_by_accessible_label(&app.window, label)
        .filter(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .collect();
    assert_eq!(buttons.len(), 1, "expected one button labelled {label:?}, found {}", buttons.len());
    assert_eq!(buttons[0].accessible_enabled(), Some(true), "button {label:?} is disabled");
    buttons[0].invoke_accessible_default_action();
}

/// Types digits on the on-screen keypad.
pub fn type_digits(app: &KioskApp, digits: &str) {
    for digit in digits.chars() {
        tap(app, &digit.to_string());
    }
}

/// The value of the element with this accessible label, if it is on screen.
pub fn value_of(app: &KioskApp, label: &str) -> Option<String> {
    ElementHandle::find_by_accessible_label(&app.window, label)
        .find_map(|e| e.accessible_value())
        .map(|v| v.to_string())
}

/// Whether any element with exactly this label is on screen.
pub fn shows(app: &KioskApp, label: &str) -> bool {
    ElementHandle::find_by_accessible_label(&app.window, label).next().is_some()
}

/// Runs the event loop until `done` holds or `timeout` passes; returns whether it held.
pub fn run_until(timeout: Duration, done: impl Fn() -> bool + 'static) -> bool {
    let met = Rc::new(Cell::new(done()));
    if met.get() {
        return true;
    }
    let deadline = Instant::now() + timeout;
    let timer = slint::Timer::default();
    let flag = met.clone();
    // Quit once only: a second quit left pending would end the next run at once.
    let quitting = Rc::new(Cell::new(false));
    timer.start(slint::TimerMode::Repeated, Duration::from_millis(5), move || {
        if quitting.get() {
            return;
        }
        if done() {
            flag.set(true);
            quitting.set(true);
            let _ = slint::quit_event_loop();
        } else if Instant::now() > deadline {
            quitting.set(true);
            let _ = slint::quit_event_loop();
        }
    });
    slint::run_event_loop().expect("event loop");
    met.get()
}

/// The page on screen now.
pub fn page_of(app: &KioskApp) -> kiosk::ui::Page {
    app.window.global::<kiosk::ui::Kiosk>().get_page()
}

/// Runs the event loop until the page is `page` (10 s at most); whether it came.
pub fn wait_for_page(app: &KioskApp, page: kiosk::ui::Page) -> bool {
    let weak = app.window.as_weak();
    run_until(Duration::from_secs(10), move || {
        weak.upgrade().is_some_and(|w| w.global::<kiosk::ui::Kiosk>().get_page() == page)
    })
}

/// Runs the event loop until the slip has been printed (or failed); whether it was printed.
pub fn wait_for_print(app: &KioskApp) -> bool {
    use kiosk::ui::PrintState;
    let weak = app.window.as_weak();
    run_until(Duration::from_secs(10), move || {
        weak.upgrade().is_some_and(|w| {
            matches!(
                w.global::<kiosk::ui::Kiosk>().get_print_state(),
                PrintState::Done | PrintState::Failed
            )
        })
    });
    app.window.global::<kiosk::ui::Kiosk>().get_print_state() == kiosk::ui::PrintState::Done
}

/// Types free text on the on-screen keyboard (capitals, digits, space as " ").
pub fn type_text(app: &KioskApp, text: &str) {
    for ch in text.chars() {
        match ch {
            // The space bar is named in the visitor's language.
            ' ' => tap(app, if shows(app, "Spasi") { "Spasi" } else { "Space" }),
            c => tap(app, &c.to_ascii_uppercase().to_string()),
        }
    }
}
