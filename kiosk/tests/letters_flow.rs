//! Letters from choice to paper against a real central service whose desa has a kepala desa
//! to sign: an e-KTP read for a certificate of residence is issued at once and the letter
//! itself comes out of the printer (full NIK, its number, its seal), a reprint from "Lacak
//! Tiket" is marked SALINAN; a typed NIK for the SKTM is told first that it waits, gets a
//! masked slip saying to bring the KTP and no number, and once the desa staff approve it the
//! letter prints from "Lacak Tiket", opened by holding the slip's QR code to the scanner.
//!
//! One test per file: Slint's testing platform can be installed once per process.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use backend::letters::LetterCatalogue;
use backend::store::{LetterSettings, StaffRecord, StaffRole};
use common::*;
use hardware::printer::decode::decode;
use hardware::reader::ReaderEvent;
use hardware::reader::ektp::{EktpCard, sample_card};
use kiosk::ui::{Kiosk, Page, PrintState};
use protocol::Nik;
use slint::ComponentHandle;

/// The central service with demo data, the test kiosk registered in the desa of an
/// uncovered resident, and that desa's letter settings naming who signs.
struct Service {
    url: String,
    store: backend::Store,
    key: protocol::auth::KioskKey,
    /// A resident of the kiosk's desa, not the head of the family.
    resident: Nik,
    /// The head of that resident's family.
    head: Nik,
}

fn letter_service(runtime: &tokio::runtime::Runtime) -> Service {
    runtime.block_on(async {
        let store = backend::Store::open_temporary().expect("in-memory store");
        let options = backend::demo::DemoOptions { residents: 400, ..Default::default() };
        let examples = backend::demo::generate(&store, &options).expect("demo data").examples;
        let someone = examples
            .iter()
            .find(|e| e.description.contains("tidak menerima bantuan"))
            .expect("an uncovered resident")
            .nik;
        let family = store.letter_family(&someone).expect("store").expect("a family");
        let head = family.members.iter().find(|m| m.relation == "head").expect("a head");
        let head = Nik::parse(&head.nik).expect("valid NIK");
        let resident = family
            .members
            .iter()
            .filter_map(|m| Nik::parse(&m.nik).ok())
            .find(|nik| *nik != head)
            .unwrap_or(head);
        let key = store.register_kiosk(KIOSK_ID, Some(family.desa_code), 60).expect("register");
        let settings = LetterSettings {
            head_name: "Sutrisno".into(),
            head_position: "Kepala Desa".into(),
            ..LetterSettings::defaults(family.desa_code)
        };
        store.set_letter_settings(&settings, "test").expect("letter settings");
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(backend::serve(listener, store.clone()));
        Service { url: format!("http://{address}"), store, key, resident, head }
    })
}

/// Runs the event loop until printing the letter has ended; whether it printed.
fn wait_for_letter(app: &kiosk::app::KioskApp) -> bool {
    let weak = app.window.as_weak();
    run_until(Duration::from_secs(10), move || {
        weak.upgrade().is_some_and(|w| {
            matches!(
                w.global::<Kiosk>().get_letter_print_state(),
                PrintState::Done | PrintState::Failed
            )
        })
    });
    app.window.global::<Kiosk>().get_letter_print_state() == PrintState::Done
}

/// The number the service gave the letter of `ticket`, if one was issued.
fn letter_number(store: &backend::Store, ticket: &str) -> Option<String> {
    let detail = store.letter_request(ticket).expect("store").expect("a request");
    let id = detail.letter_id?;
    Some(store.letter(&id).expect("store").expect("the letter").number)
}

fn track(app: &kiosk::app::KioskApp, ticket: &str) {
    tap(app, "Lacak Tiket");
    type_digits(app, &ticket.chars().filter(char::is_ascii_digit).collect::<String>());
    tap(app, "Lacak");
    assert!(wait_for_page(app, Page::TrackResult), "ticket {ticket} not shown");
}

#[test]
fn an_ektp_letter_prints_at_once_a_typed_one_waits_then_prints_from_tracking() {
    let runtime = runtime();
    let service = letter_service(&runtime);
    i_slint_backend_testing::init_integration_test_with_system_time();
    let (input, _) = tokio::sync::broadcast::channel(16);
    let (app, printer) = kiosk_with(&runtime, &service.url, service.key.clone(), |services, s| {
        (services.with_id_input(input.clone()), s)
    });
    app.set_letters(LetterCatalogue::builtin().for_kiosks());

    // --- (a) A certificate of residence, the NIK read from the e-KTP: printed at once.
    tap(&app, "Surat");
    tap(&app, "Surat Keterangan Domisili");
    let card = EktpCard { nik: service.resident.as_str().into(), ..sample_card() };
    input.send(ReaderEvent::Card(card)).expect("the kiosk listens");
    let ui = app.window.as_weak();
    assert!(
        run_until(Duration::from_secs(10), move || {
            ui.upgrade().is_some_and(|w| w.global::<Kiosk>().get_nik_count() == 16)
        }),
        "the card's NIK fills the entry"
    );
    tap(&app, "Lanjut");
    assert_eq!(page_of(&app), Page::LetterPurpose, "a card read needs no warning");
    type_text(&app, "MELAMAR KERJA");
    tap(&app, "Lanjut");
    assert_eq!(page_of(&app), Page::LetterConfirm, "the residence letter asks nothing more");
    assert_eq!(value_of(&app, "confirm-applicant"), Some(service.resident.masked()));
    tap(&app, "Ajukan");
    assert!(wait_for_page(&app, Page::LetterDone), "the central service answers");
    assert!(wait_for_letter(&app), "the letter is printed");
    assert_eq!(value_of(&app, "outcome-title").as_deref(), Some("Surat Anda sudah dicetak"));
    let ticket = value_of(&app, "ticket").expect("the ticket on screen");
    let number = letter_number(&service.store, &ticket).expect("issued at once, numbered");
    assert_eq!(printer.jobs().len(), 1, "the letter alone: no slip is needed");
    let letter = decode(&printer.jobs()[0]);
    let text = letter.text();
    assert!(text.contains("SURAT KETERANGAN DOMISILI"), "{text}");
    assert!(text.contains(service.resident.as_str()), "a letter carries the full NIK:\n{text}");
    assert!(text.contains(&number), "number {number} on the letter:\n{text}");
    assert!(text.contains("Sutrisno"), "signed by the desa's head:\n{text}");
    assert!(!text.contains("SALINAN"), "{text}");
    assert_eq!(letter.qr_codes.len(), 1, "its seal as a QR code");
    assert_eq!(letter.cuts, 1);
    tap(&app, "Selesai");

    // A second print from "Lacak Tiket" is marked as a copy.
    track(&app, &ticket);
    tap(&app, "Cetak Surat");
    assert!(wait_for_letter(&app), "the letter is printed again");
    assert_eq!(value_of(&app, "track-title").as_deref(), Some("Surat Anda sudah dicetak"));
    let copy = decode(printer.jobs().last().expect("a print job")).text();
    assert!(copy.contains("SALINAN") && copy.contains(&number), "{copy}");
    tap(&app, "Selesai");

    // --- (b) The SKTM with the NIK typed: told first, a slip, nothing numbered.
    tap(&app, "Surat");
    tap(&app, "Surat Keterangan Tidak Mampu (SKTM)");
    assert_eq!(
        value_of(&app, "entry-hint").as_deref(),
        Some("Surat ini hanya untuk kepala keluarga: masukkan NIK kepala keluarga.")
    );
    type_digits(&app, service.head.as_str());
    tap(&app, "Lanjut");
    assert_eq!(page_of(&app), Page::LetterNotice, "the consequence comes before the purpose");
    assert_eq!(
        value_of(&app, "typed-title").as_deref(),
        Some("NIK diketik: surat tidak dapat langsung dicetak.")
    );
    assert_eq!(
        value_of(&app, "typed-message").as_deref(),
        Some("Permohonan diperiksa petugas desa; bawa KTP Anda ke kantor desa.")
    );
    assert_eq!(
        value_of(&app, "head-only-title").as_deref(),
        Some("Hanya kepala keluarga yang dapat mengajukan surat ini.")
    );
    tap(&app, "Lanjut");
    assert_eq!(page_of(&app), Page::LetterPurpose);
    type_text(&app, "BEASISWA SEKOLAH");
    tap(&app, "Lanjut");
    tap(&app, "Ajukan");
    assert!(wait_for_page(&app, Page::LetterDone), "the central service answers");
    assert_eq!(value_of(&app, "outcome-title").as_deref(), Some("Permohonan surat diterima"));
    let reason = value_of(&app, "outcome-message").unwrap_or_default();
    assert!(reason.starts_with("Perlu verifikasi") || reason.contains("Bawa KTP"), "{reason}");
    let waiting = value_of(&app, "ticket").expect("the ticket on screen");
    assert!(wait_for_print(&app), "the slip is printed");
    let slip = decode(printer.jobs().last().expect("a print job"));
    let text = slip.text().replace('\n', " ");
    assert!(text.contains("Permohonan Surat") && text.contains(&waiting), "{text}");
    assert!(text.contains(&reason), "the reason on paper:\n{text}");
    assert_eq!(text.matches("Bawa KTP").count(), 1, "said once:\n{text}");
    assert!(text.contains(&service.head.masked()), "{text}");
    assert!(!text.contains(service.head.as_str()), "a slip stays masked:\n{text}");
    assert_eq!(letter_number(&service.store, &waiting), None, "nothing numbered yet");
    tap(&app, "Selesai");

    // Tracked before the staff act: waiting, nothing to print.
    track(&app, &waiting);
    assert_eq!(
        value_of(&app, "track-title").as_deref(),
        Some("Status: menunggu pemeriksaan petugas desa")
    );
    assert!(!shows(&app, "Cetak Surat"), "no letter to print yet");
    tap(&app, "Selesai");

    // The desa staff check the KTP (prepare) and the kepala desa approves.
    let detail = service.store.letter_request(&waiting).expect("store").expect("the request");
    service.store.prepare_letter(&detail.ticket, "staff:operator.bomo").expect("prepared");
    let detail = service.store.letter_request(&waiting).expect("store").expect("the request");
    let signer = StaffRecord {
        username: "kades.bomo".into(),
        desa_code: Some(detail.desa_code),
        role: StaffRole::Signer,
        full_name: "Sutrisno".into(),
        position: "Kepala Desa".into(),
    };
    let issued = backend::letters::workflow::approve(
        &service.store,
        &LetterCatalogue::builtin(),
        &signer,
        &detail,
        None,
    )
    .expect("approved");

    // The slip's QR code held to the scanner opens it, and the letter is there to print.
    let jobs = printer.jobs().len();
    let ticket = protocol::ticket::Ticket::parse(&waiting).expect("the slip's ticket");
    let scanned = hardware::reader::Scanned::new(kiosk::slip::letter_qr_payload(ticket));
    input.send(ReaderEvent::Scan(scanned)).expect("the kiosk listens");
    let ui = app.window.as_weak();
    assert!(
        run_until(Duration::from_secs(10), move || {
            ui.upgrade().is_some_and(|w| w.global::<Kiosk>().get_ticket_count() == 11)
        }),
        "the scanned ticket fills the tracking page"
    );
    tap(&app, "Lacak");
    assert!(wait_for_page(&app, Page::TrackResult), "ticket {waiting} not shown");
    assert_eq!(
        value_of(&app, "track-title").as_deref(),
        Some("Status: surat sudah terbit: cetak di anjungan desa dengan tiket ini")
    );
    tap(&app, "Cetak Surat");
    assert!(wait_for_letter(&app), "the approved letter is printed");
    assert_eq!(printer.jobs().len(), jobs + 1);
    let text = decode(printer.jobs().last().expect("a print job")).text();
    assert!(text.contains("SURAT KETERANGAN TIDAK MAMPU"), "{text}");
    assert!(text.contains(service.head.as_str()) && text.contains(&issued.number), "{text}");
    assert!(!text.contains("SALINAN"), "the first print is the original:\n{text}");
}
