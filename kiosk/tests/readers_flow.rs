//! The other ways in and the other services: an e-KTP on the reader fills the NIK, a ticket's
//! QR code held to the scanner opens it on the tracking page (both simulated devices on
//! pseudo-terminals, read by the same `hardware::reader` code as on a kiosk), a letter
//! request from choice to printed ticket and tracked by its QR code, and "Panggil Petugas"
//! reaching whoever listens.
//!
//! One test per file: Slint's testing platform can be installed once per process.

mod common;

use std::time::Duration;

use common::*;
use hardware::printer::decode::decode;
use hardware::reader::ektp::sample_card;
use hardware::reader::sim::{EktpReaderSim, LineEnd, ScannerSim};
use hardware::reader::{LinkConfig, Reader};
use kiosk::app::{Services, forward_reader};
use kiosk::client::{BackendClient, Trust};
use kiosk::ui::{Kiosk, Page};
use protocol::api::{ReportReason, ReportRequest};
use slint::ComponentHandle;

fn link(path: &std::path::Path) -> LinkConfig {
    LinkConfig::new(path)
        .baud(115_200)
        .read_timeout(Duration::from_millis(50))
        .backoff(Duration::from_millis(50), Duration::from_millis(400))
}

#[test]
fn card_and_qr_fill_the_pages_letters_are_filed_and_staff_called() {
    let runtime = runtime();
    let (url, examples, key) = start_backend(&runtime);
    i_slint_backend_testing::init_integration_test_with_system_time();

    // Both readers on ptys, feeding the kiosk's reader channel.
    let mut card_reader = EktpReaderSim::plug().expect("e-KTP simulator");
    let mut scanner = ScannerSim::plug(LineEnd::Cr).expect("scanner simulator");
    let (input, _) = tokio::sync::broadcast::channel(16);
    let ektp = Reader::ektp(link(card_reader.path())).expect("reader");
    forward_reader(ektp, input.clone(), runtime.handle());
    let qr = Reader::scanner(link(scanner.path())).expect("scanner");
    forward_reader(qr, input.clone(), runtime.handle());
    let mut staff_calls = None;
    let (app, printer) = kiosk_with(&runtime, &url, key.clone(), |services: Services, settings| {
        staff_calls = Some(services.staff_calls.subscribe());
        (services.with_id_input(input.clone()), settings)
    });
    let mut staff_calls = staff_calls.expect("subscribed");

    // --- A card on the home page starts nothing; on the NIK page it fills the number.
    card_reader.send_card(&sample_card()).expect("send card");
    run_until(Duration::from_millis(500), || false);
    assert_eq!(page_of(&app), Page::Home);
    tap(&app, "Cek Status Bansos");
    card_reader.send_card(&sample_card()).expect("send card");
    let ui = app.window.as_weak();
    assert!(
        run_until(Duration::from_secs(10), move || {
            ui.upgrade().is_some_and(|w| w.global::<Kiosk>().get_nik_count() == 16)
        }),
        "the card's NIK fills the entry"
    );
    assert_eq!(
        value_of(&app, "nik-display").map(|v| v.replace(' ', "")).as_deref(),
        Some(sample_card().nik.as_str())
    );
    tap(&app, "Kembali");

    // --- A ticket's QR code held to the scanner on the home page opens it.
    let example = &examples[1];
    let client = BackendClient::new(&url, key, Trust::PlainLoopback).expect("client");
    let filed = runtime
        .block_on(client.file_report(&ReportRequest {
            reporter_nik: example.nik.as_str().into(),
            subject_nik: example.nik.as_str().into(),
            reason: ReportReason::IncomeStopped,
            phone: "081234567890".into(),
            text: String::new(),
            idempotency_key: "readers-flow-0001".into(),
            ticket: None,
            nik_entry: Default::default(),
        }))
        .expect("report filed");
    scanner.scan(&kiosk::slip::report_qr_payload(filed.ticket)).expect("scan");
    let ui = app.window.as_weak();
    assert!(run_until(Duration::from_secs(10), move || {
        ui.upgrade().is_some_and(|w| w.global::<Kiosk>().get_ticket_count() == 11)
    }));
    assert_eq!(page_of(&app), Page::TrackEntry);
    assert_eq!(value_of(&app, "ticket-display"), Some(filed.ticket.to_string()));
    tap(&app, "Lacak");
    assert!(wait_for_page(&app, Page::TrackResult));
    assert_eq!(value_of(&app, "ticket"), Some(filed.ticket.to_string()));
    tap(&app, "Selesai");

    // --- A letter: which one, whose NIK, what for; a note is printed for the desa office.
    tap(&app, "Surat");
    assert_eq!(page_of(&app), Page::LetterType);
    tap(&app, "Surat Keterangan Tidak Mampu (SKTM)");
    assert_eq!(value_of(&app, "entry-title").as_deref(), Some("NIK pemohon surat"));
    type_digits(&app, example.nik.as_str());
    tap(&app, "Lanjut");
    assert_eq!(page_of(&app), Page::LetterNotice, "a typed NIK: told the letter waits");
    tap(&app, "Lanjut");
    assert_eq!(page_of(&app), Page::LetterPurpose);
    tap(&app, "Lanjut");
    assert!(value_of(&app, "text-error").unwrap_or_default().contains("Tuliskan keperluan"));
    type_text(&app, "BEASISWA SEKOLAH");
    tap(&app, "Lanjut");
    assert_eq!(page_of(&app), Page::LetterConfirm);
    assert_eq!(
        value_of(&app, "confirm-letter").as_deref(),
        Some("Surat Keterangan Tidak Mampu (SKTM)")
    );
    assert_eq!(value_of(&app, "confirm-applicant"), Some(example.nik.masked()));
    assert_eq!(value_of(&app, "confirm-purpose").as_deref(), Some("Beasiswa sekolah"));
    tap(&app, "Ajukan");
    assert!(wait_for_page(&app, Page::LetterDone), "the central service answers");
    assert_eq!(value_of(&app, "outcome-title").as_deref(), Some("Permohonan surat diterima"));
    let ticket = value_of(&app, "ticket").expect("a ticket on screen");
    assert!(wait_for_print(&app), "the slip is printed");
    let slip = decode(printer.jobs().last().expect("a print job"));
    let text = slip.text();
    assert!(text.contains("Permohonan Surat") && text.contains("Beasiswa sekolah"), "{text}");
    assert!(text.contains(&ticket) && text.contains(&example.nik.masked()), "{text}");
    assert!(!text.contains(example.nik.as_str()), "no full NIK on paper:\n{text}");
    let payload = format!("ANJUNGAN/LETTER/1?ticket={ticket}");
    assert_eq!(slip.qr_codes, vec![payload.clone()]);
    tap(&app, "Selesai");

    // --- The slip's QR code at the scanner tracks the request, in words for a letter.
    scanner.scan(&payload).expect("scan");
    let ui = app.window.as_weak();
    assert!(run_until(Duration::from_secs(10), move || {
        ui.upgrade().is_some_and(|w| w.global::<Kiosk>().get_ticket_count() == 11)
    }));
    tap(&app, "Lacak");
    assert!(wait_for_page(&app, Page::TrackResult));
    assert_eq!(value_of(&app, "ticket"), Some(ticket));
    let state = value_of(&app, "track-title").unwrap_or_default();
    assert_eq!(state, "Status: menunggu pemeriksaan petugas desa");
    assert!(shows(&app, "Pemohon"), "the applicant, not 'the reported person'");
    tap(&app, "Selesai");

    // --- Help: "Panggil Petugas" reaches whoever listens (the GPIO buzzer, the agent).
    tap(&app, "Bantuan / Panggil Petugas");
    assert_eq!(page_of(&app), Page::Help);
    assert!(!shows(&app, "staff-called-title"));
    tap(&app, "Panggil Petugas");
    assert!(staff_calls.has_changed().unwrap_or(false), "a call was raised");
    let call = staff_calls.borrow_and_update().expect("a call");
    assert_eq!(call.seq, 1);
    assert_eq!(value_of(&app, "staff-called-title").as_deref(), Some("Petugas sudah dipanggil"));
    tap(&app, "Panggil Petugas");
    assert_eq!(staff_calls.borrow_and_update().map(|c| c.seq), Some(2), "every press counts");
    tap(&app, "Ke Beranda");
    assert_eq!(page_of(&app), Page::Home);

    // A desa that does not offer tracking: a ticket's QR opens nothing.
    let fleet = app.window.global::<kiosk::ui::Fleet>();
    let services: Vec<slint::SharedString> = vec!["status".into(), "help".into()];
    fleet.set_services(slint::ModelRc::new(slint::VecModel::from(services)));
    fleet.set_configured(true);
    scanner.scan(&payload).expect("scan");
    run_until(Duration::from_millis(700), || false);
    assert_eq!(page_of(&app), Page::Home, "tracking is not offered here");
}
