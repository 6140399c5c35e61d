//! When the central service is out of reach the kiosk says so and offers a way on; it never
//! freezes.

mod common;

use std::time::Duration;

use common::*;
use kiosk::ui::{Kiosk, Page};
use slint::ComponentHandle;

#[test]
fn unreachable_backend_shows_a_failure_page() {
    let runtime = runtime();
    // A port that was free a moment ago: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    i_slint_backend_testing::init_integration_test_with_system_time();
    let key = protocol::auth::KioskKey::new(KIOSK_ID, [1; 32]).expect("key");
    let (app, printer) = kiosk(&runtime, &url, key);

    tap(&app, "Cek Status Bansos");
    type_digits(&app, "3510011203850001");
    tap(&app, "Periksa");
    assert!(app.window.global::<Kiosk>().get_busy(), "busy while asking");
    let ui = app.window.as_weak();
    assert!(run_until(Duration::from_secs(15), move || {
        ui.upgrade().is_some_and(|w| w.global::<Kiosk>().get_page() == Page::Failure)
    }));
    let message = app.window.global::<Kiosk>().get_failure_message().to_string();
    assert!(message.contains("tidak dapat dihubungi"), "{message}");
    assert_eq!(value_of(&app, "failure-title").as_deref(), Some("Layanan belum dapat digunakan"));
    assert!(printer.jobs().is_empty());

    // In English too.
    tap(&app, "Ke Beranda");
    tap(&app, "English");
    assert!(shows(&app, "Check Social Assistance"), "home in English");
    tap(&app, "Check Social Assistance");
    type_digits(&app, "3510011203850001");
    tap(&app, "Check");
    let ui = app.window.as_weak();
    assert!(run_until(Duration::from_secs(15), move || {
        ui.upgrade().is_some_and(|w| w.global::<Kiosk>().get_page() == Page::Failure)
    }));
    assert_eq!(value_of(&app, "failure-title").as_deref(), Some("Service not available"));
    tap(&app, "Try again");
    assert_eq!(app.window.global::<Kiosk>().get_page(), Page::NikEntry);
}
