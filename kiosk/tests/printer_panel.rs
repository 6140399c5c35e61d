//! The kiosk with real devices' protocols: a printer that answers DLE EOT (simulated on a
//! pseudo-terminal, reached as a serial printer) and the GPIO panel (simulated pins).
//!
//! Paper running out is seen by the status poller before anyone prints: the LED asks for
//! staff, the heartbeat's printer state says so, and a slip is refused with words that tell
//! the visitor what to do; a new roll puts everything back. The call-staff button raises a
//! staff call and sounds the buzzer; the door switch is the heartbeat's door state.
//!
//! One test per file: Slint's testing platform can be installed once per process.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use hardware::gpio::{Beep, GpioConfig, LedState};
use hardware::printer::device_sim::SimulatedPrinter;
use hardware::printer::status::PaperLevel;
use kiosk::app::Services;
use kiosk::devices::open_configured_printer;
use kiosk::diagnostics::PrinterMonitor;
use kiosk::ui::{Page, PrintState};
use protocol::fleet::PrinterState;
use slint::ComponentHandle;

/// Runs the event loop until `done` holds, 10 s at most.
fn eventually(done: impl Fn() -> bool + 'static) -> bool {
    run_until(Duration::from_secs(10), done)
}

#[test]
fn paper_out_is_seen_shown_and_refused_and_the_panel_follows() {
    let runtime = runtime();
    let (url, examples, key) = start_backend(&runtime);
    i_slint_backend_testing::init_integration_test_with_system_time();

    let sim = SimulatedPrinter::on_pty().expect("simulated printer");
    let config = sim.config().with_status_interval(Duration::from_millis(100));
    let opened = open_configured_printer(&config, false).expect("printer");
    let monitor = PrinterMonitor::new(None);
    let feed = opened.status.expect("a serial printer answers DLE EOT");
    monitor.follow(feed.events, runtime.handle());
    let _poller = feed.poller;
    let printer: kiosk::app::SharedPrinter = Arc::new(Mutex::new(monitor.wrap(opened.printer)));

    let (gpio, events) = {
        let _inside = runtime.enter();
        hardware::gpio::open(&GpioConfig::default()).expect("simulated GPIO")
    };
    let pins = gpio.sim().expect("simulator").clone();
    let mut panel = None;
    let mut calls = None;
    let (app, _) = kiosk_with(&runtime, &url, key, |mut services: Services, settings| {
        services.printer = printer.clone();
        calls = Some(services.staff_calls.subscribe());
        panel = Some(kiosk::panel::start(gpio, events, true, &services, monitor.clone()));
        (services, settings)
    });
    let (panel, mut calls) = (panel.expect("panel"), calls.expect("subscribed"));
    let led_is = |state: LedState| {
        let pins = pins.clone();
        move || pins.led_history().last().map(|(_, s)| *s) == Some(state)
    };

    // A status check printed on the serial printer.
    tap(&app, "Cek Status Bansos");
    type_digits(&app, examples[0].nik.as_str());
    tap(&app, "Periksa");
    assert!(wait_for_page(&app, Page::Result));
    tap(&app, "Cetak Bukti");
    assert!(wait_for_print(&app), "printed");
    assert_eq!(sim.wait_for_cuts(1, Duration::from_secs(5)).map(|d| d.cuts), Some(1));
    assert!(eventually(led_is(LedState::Idle)), "{:?}", pins.led_history());
    assert_eq!(monitor.status().map(|s| s.state), Some(PrinterState::Online));

    // The roll runs out: the poller sees it before anyone prints.
    sim.set_paper(PaperLevel::Out);
    let watched = monitor.clone();
    assert!(eventually(move || {
        watched.status().map(|s| s.state) == Some(PrinterState::PaperOut)
    }));
    assert!(eventually(led_is(LedState::Fault)), "the LED calls for staff");
    tap(&app, "Cetak Bukti");
    let ui = app.window.as_weak();
    assert!(eventually(move || {
        ui.upgrade()
            .is_some_and(|w| w.global::<kiosk::ui::Kiosk>().get_print_state() == PrintState::Failed)
    }));
    let message = value_of(&app, "print-message").unwrap_or_default();
    assert!(
        message.contains("Kertas printer habis") && message.contains("petugas desa"),
        "{message}"
    );
    assert_eq!(decode_cuts(&sim), 1, "nothing was sent to a printer without paper");

    // A new roll: online again, and the slip prints.
    sim.set_paper(PaperLevel::Adequate);
    let watched = monitor.clone();
    assert!(eventually(move || watched.status().map(|s| s.state) == Some(PrinterState::Online)));
    assert!(eventually(led_is(LedState::Idle)));
    tap(&app, "Cetak Bukti");
    assert!(wait_for_print(&app), "printed after the new roll");
    assert_eq!(sim.wait_for_cuts(2, Duration::from_secs(5)).map(|d| d.cuts), Some(2));
    tap(&app, "Selesai");

    // The cabinet door: the heartbeat's door state, and the LED while it is open.
    let door = panel.door_open.clone().expect("a door switch");
    assert!(!*door.borrow());
    pins.open_door();
    let open = door.clone();
    assert!(eventually(move || *open.borrow()), "door open after its debounce");
    assert!(eventually(led_is(LedState::Fault)));
    pins.close_door();
    let closed = door.clone();
    assert!(eventually(move || !*closed.borrow()));
    assert!(eventually(led_is(LedState::Idle)));

    // The call-staff button: a staff call like the help page's, and the buzzer.
    pins.press_call_staff();
    let beeps = pins.clone();
    assert!(eventually(move || beeps.beeps().iter().any(|(_, b)| *b == Some(Beep::Attention))));
    assert_eq!(calls.borrow_and_update().map(|c| c.seq), Some(1));
    pins.release_call_staff();
    assert_eq!(page_of(&app), Page::Home, "a press changes nothing on screen");
}

fn decode_cuts(sim: &SimulatedPrinter) -> usize {
    hardware::printer::decode::decode(&sim.received()).cuts
}
