//! Citizens report on the kiosk, about themselves and about someone else, against a real
//! central service on loopback: every step on the on-screen keypads and keyboard, the
//! decision on screen at once, the ticket printed with a QR code, and then the tickets
//! tracked by typing them in, both languages.
//!
//! One test per file: Slint's testing platform can be installed once per process.

mod common;

use common::*;
use hardware::printer::decode::decode;
use kiosk::client::{BackendClient, Trust};
use kiosk::ui::{Kiosk, Page};
use protocol::api::ReportState;
use protocol::ticket::Ticket;
use slint::ComponentHandle;

fn example_nik(examples: &[backend::demo::Example], words: &str) -> String {
    examples
        .iter()
        .find(|e| e.description.contains(words))
        .map(|e| e.nik.as_str().to_string())
        .unwrap_or_else(|| panic!("demo data has an example with {words:?}"))
}

#[test]
fn citizens_report_get_a_decision_and_a_ticket_then_track_it() {
    let runtime = runtime();
    let (url, examples, key) = start_backend(&runtime);
    i_slint_backend_testing::init_integration_test_with_system_time();
    // Reports go through the kiosk's outbox, as on a real kiosk.
    let data = tempfile::tempdir().expect("kiosk data dir");
    let outbox = kiosk::local::open_outbox(data.path(), &key).expect("outbox");
    let (app, printer) = kiosk_with(&runtime, &url, key.clone(), |services, settings| {
        (services.with_outbox(outbox.clone()), settings)
    });
    let client = BackendClient::new(&url, key.clone(), Trust::PlainLoopback).expect("client");
    let uncovered = example_nik(&examples, "tidak menerima bantuan");
    let son_of_bst = example_nik(&examples, "ayahnya menerima BST");

    // --- About oneself: someone the registry shows without any assistance.
    tap(&app, "Lapor");
    assert_eq!(page_of(&app), Page::ReportWho);
    tap(&app, "Diri sendiri");
    assert_eq!(value_of(&app, "entry-title").as_deref(), Some("NIK Anda (pelapor)"));
    // A wrong NIK is explained before going on.
    type_digits(&app, "3510013102850001");
    tap(&app, "Lanjut");
    assert!(value_of(&app, "entry-error").unwrap_or_default().contains("tanggal 31"));
    tap(&app, "Hapus semua");
    type_digits(&app, &uncovered);
    tap(&app, "Lanjut");
    assert_eq!(page_of(&app), Page::ReportReason);
    tap(&app, "Kehilangan pekerjaan");
    assert_eq!(page_of(&app), Page::ReportPhone);

    // A landline prefix is refused at the second digit, a short number on "Lanjut".
    type_digits(&app, "03");
    let error = value_of(&app, "phone-error").unwrap_or_default();
    assert!(error.contains("diawali 08"), "{error}");
    tap(&app, "Hapus semua");
    assert_eq!(value_of(&app, "phone-error").unwrap_or_default(), "");
    type_digits(&app, "0812345");
    tap(&app, "Lanjut");
    assert!(value_of(&app, "phone-error").unwrap_or_default().contains("10 sampai 13"));
    assert_eq!(page_of(&app), Page::ReportPhone);
    type_digits(&app, "67890");
    assert_eq!(value_of(&app, "phone-display").as_deref(), Some("0812 3456 7890"));
    tap(&app, "Lanjut");
    assert_eq!(page_of(&app), Page::ReportText);

    // Free text on the on-screen keyboard: capitals at the start of a sentence only.
    type_text(&app, "PHK SEJAK MARET. ANAK 3");
    tap(&app, "Hapus satu huruf");
    type_text(&app, "2");
    assert_eq!(value_of(&app, "free-text").as_deref(), Some("Phk sejak maret. Anak 2"));
    tap(&app, "Lanjut");
    assert_eq!(page_of(&app), Page::ReportConfirm);
    let reporter_masked = protocol::Nik::parse(&uncovered).expect("nik").masked();
    assert_eq!(value_of(&app, "confirm-reporter"), Some(reporter_masked.clone()));
    assert_eq!(value_of(&app, "confirm-subject").as_deref(), Some("Diri sendiri"));
    assert_eq!(value_of(&app, "confirm-reason").as_deref(), Some("Kehilangan pekerjaan"));
    assert_eq!(value_of(&app, "confirm-phone").as_deref(), Some("0812 3456 7890"));

    tap(&app, "Kirim Laporan");
    assert!(wait_for_page(&app, Page::ReportDone), "a decision comes back");
    let title = value_of(&app, "outcome-title").unwrap_or_default();
    assert_eq!(title, "Laporan diterima dan sedang diverifikasi");
    let shown_ticket = value_of(&app, "ticket").expect("ticket on screen");
    let ticket = Ticket::parse(&shown_ticket).expect("a valid ticket");

    // The ticket is printed without asking, with its QR code and nothing unmasked.
    assert!(wait_for_print(&app), "ticket printed");
    assert!(value_of(&app, "print-message").unwrap_or_default().contains("Silakan ambil"));
    let jobs = printer.jobs();
    assert_eq!(jobs.len(), 1, "one ticket");
    let slip = decode(&jobs[0]);
    // Words as read, whatever the paper's line breaks.
    let text = slip.text().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("Tiket Laporan Warga"), "{text}");
    assert!(text.contains(&ticket.to_string()), "{text}");
    assert!(text.contains(&reporter_masked), "{text}");
    assert!(text.contains("Laporan diterima dan sedang diverifikasi"), "{text}");
    assert!(text.contains("Kehilangan pekerjaan"), "{text}");
    assert_eq!(slip.qr_codes, vec![format!("ANJUNGAN/REPORT/1?ticket={ticket}")]);
    assert_eq!(slip.cuts, 1);
    assert!(!jobs[0].windows(16).any(|w| w == uncovered.as_bytes()), "no full NIK on paper");
    assert!(!text.contains("0812"), "the phone number is not printed:\n{text}");

    // The central service has it, decided the same way.
    let filed = runtime.block_on(client.ticket_status(&ticket)).expect("ticket filed");
    assert_eq!(filed.state, ReportState::Verification);
    assert_eq!(ticket.issuer(), key.issuer().expect("issuer"), "the kiosk's own ticket");
    assert_eq!(outbox.depth().expect("depth"), 0, "sent at once: nothing queued");

    tap(&app, "Selesai");
    assert_eq!(page_of(&app), Page::Home);
    assert!(app.with_session(|s| s.report.reporter.is_none() && s.decision.is_none()));

    // --- About someone else: a young man whose father's household already gets BST.
    tap(&app, "Lapor");
    tap(&app, "Orang lain");
    type_digits(&app, &uncovered);
    tap(&app, "Lanjut");
    assert_eq!(value_of(&app, "entry-title").as_deref(), Some("NIK orang yang dilaporkan"));
    // Their own number is not "someone else".
    type_digits(&app, &uncovered);
    tap(&app, "Lanjut");
    assert!(value_of(&app, "entry-error").unwrap_or_default().contains("NIK Anda sendiri"));
    tap(&app, "Hapus semua");
    type_digits(&app, &son_of_bst);
    tap(&app, "Lanjut");
    tap(&app, "Penghasilan berhenti");
    type_digits(&app, "6281234567890");
    tap(&app, "Lanjut");
    tap(&app, "Lanjut"); // no description
    let subject_masked = protocol::Nik::parse(&son_of_bst).expect("nik").masked();
    assert_eq!(value_of(&app, "confirm-subject"), Some(subject_masked.clone()));
    // "Ubah" goes back a step with everything kept.
    tap(&app, "Ubah");
    assert_eq!(page_of(&app), Page::ReportText);
    tap(&app, "Lanjut");
    tap(&app, "Kirim Laporan");
    assert!(wait_for_page(&app, Page::ReportDone));
    assert_eq!(value_of(&app, "outcome-title").as_deref(), Some("Laporan ditolak"));
    let reason = value_of(&app, "outcome-message").unwrap_or_default();
    assert!(!reason.is_empty(), "the reason is shown");
    let rejected = Ticket::parse(&value_of(&app, "ticket").unwrap_or_default()).expect("ticket");
    assert!(wait_for_print(&app));
    let jobs = printer.jobs();
    assert_eq!(jobs.len(), 2);
    let text = decode(&jobs[1]).text().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains(&subject_masked) && text.contains(&reporter_masked), "{text}");
    assert!(text.contains("Laporan ditolak"), "{text}");
    tap(&app, "Selesai");

    // --- Tracking: typed in, a wrong check digit refused at once, then both tickets.
    tap(&app, "Lacak Tiket");
    assert_eq!(page_of(&app), Page::TrackEntry);
    let digits = |t: Ticket| t.to_string().chars().filter(char::is_ascii_digit).collect::<String>();
    let typed = digits(ticket);
    let last = typed.as_bytes()[10] - b'0';
    let typo = format!("{}{}", &typed[..10], (last + 1) % 10);
    type_digits(&app, &typo);
    let error = value_of(&app, "ticket-error").unwrap_or_default();
    assert!(error.contains("salah ketik"), "refused before Lacak: {error}");
    tap(&app, "Hapus satu angka");
    type_digits(&app, &typed[10..]);
    assert_eq!(value_of(&app, "ticket-error").unwrap_or_default(), "");
    assert_eq!(value_of(&app, "ticket-display"), Some(ticket.to_string()));
    tap(&app, "Lacak");
    assert!(wait_for_page(&app, Page::TrackResult));
    assert_eq!(value_of(&app, "track-title").as_deref(), Some("Status: dalam verifikasi"));
    assert_eq!(value_of(&app, "track-subject"), Some(reporter_masked.clone()));
    assert!(value_of(&app, "track-updated").unwrap_or_default().contains("WIB"));
    tap(&app, "English");
    assert_eq!(value_of(&app, "track-title").as_deref(), Some("Status: being verified"));
    tap(&app, "Bahasa Indonesia");

    tap(&app, "Lacak tiket lain");
    type_digits(&app, &digits(rejected));
    tap(&app, "Lacak");
    assert!(wait_for_page(&app, Page::TrackResult));
    assert_eq!(value_of(&app, "track-title").as_deref(), Some("Status: ditolak"));
    assert_eq!(value_of(&app, "track-message"), Some(reason), "the same reason as at filing");

    // A well-formed ticket nobody was given.
    tap(&app, "Lacak tiket lain");
    let unknown = Ticket::new(0, 999_999).expect("ticket");
    type_digits(&app, &digits(unknown));
    tap(&app, "Lacak");
    let ui = app.window.as_weak();
    assert!(run_until(std::time::Duration::from_secs(10), move || {
        ui.upgrade().is_some_and(|w| !w.global::<Kiosk>().get_ticket_error().is_empty())
    }));
    assert!(value_of(&app, "ticket-error").unwrap_or_default().contains("tidak ditemukan"));
    assert_eq!(page_of(&app), Page::TrackEntry);
}
