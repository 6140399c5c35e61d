//! A status slip printed at a kiosk of a desa carries that desa's seal of the answer in its
//! QR code: shown at the desa office, it proves what the kiosk said and when, and a slip
//! whose printed answer was changed no longer matches it. (A kiosk of no desa prints the
//! unsigned reference: status_flow.rs.)
//!
//! One test per file: Slint's testing platform can be installed once per process.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use hardware::printer::decode::decode;
use kiosk::ui::{Kiosk, Page, PrintState};
use protocol::letter::seal::{SealError, SlipSeal};
use slint::ComponentHandle;

#[test]
fn a_printed_status_slip_carries_the_desas_seal_of_the_answer() {
    let runtime = runtime();
    let (url, store, key, holder) = runtime.block_on(async {
        let store = backend::Store::open_temporary().expect("store");
        let options = backend::demo::DemoOptions { residents: 400, ..Default::default() };
        let examples = backend::demo::generate(&store, &options).expect("demo data").examples;
        let holder =
            examples.iter().find(|e| e.description.contains("PKH")).expect("a PKH family").nik;
        let desa = store.status(&holder).expect("store").expect("registered").desa_code;
        let key = store.register_kiosk(KIOSK_ID, Some(desa), 60).expect("register");
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(backend::serve(listener, store.clone()));
        (url, store, key, holder)
    });
    i_slint_backend_testing::init_integration_test_with_system_time();
    let (app, printer) = kiosk(&runtime, &url, key);

    tap(&app, "Cek Status Bansos");
    type_digits(&app, holder.as_str());
    tap(&app, "Periksa");
    assert!(wait_for_page(&app, Page::Result), "the answer comes back");
    tap(&app, "Cetak Bukti");
    let ui = app.window.as_weak();
    assert!(run_until(Duration::from_secs(10), move || {
        ui.upgrade().is_some_and(|w| w.global::<Kiosk>().get_print_state() == PrintState::Done)
    }));
    let jobs = printer.jobs();
    assert_eq!(jobs.len(), 1, "one slip");
    let slip = decode(&jobs[0]);
    assert_eq!(slip.qr_codes.len(), 1);
    let seal = &slip.qr_codes[0];
    assert!(seal.starts_with("AJS1|"), "{seal}");
    let keys = store.desa_public_keys().expect("keys");
    let sealed = SlipSeal::verify(seal, &keys).expect("the desa's seal verifies");
    assert_eq!((sealed.kiosk.as_str(), sealed.nik.clone()), (KIOSK_ID, holder.masked()));
    assert!(sealed.answer.contains("PKH"), "{}", sealed.answer);
    assert!(!seal.contains(holder.as_str()), "the seal holds the NIK masked, as the slip");
    let forged = seal.replace("PKH", "PKH, PIP");
    assert_eq!(SlipSeal::verify(&forged, &keys), Err(SealError::Mismatch));
}
