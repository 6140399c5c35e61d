//! The central service goes down while a citizen reports: the kiosk files the report into
//! its durable outbox with a kiosk-issued ticket, shows and prints "Laporan disimpan dalam
//! antrean", and tracking the ticket says it is queued here. The service comes back, the
//! outbox's sender drains the queue on its own, and tracking the same ticket shows the
//! decision the service made. A letter request filed while it is down takes the same path.
//!
//! One test per file: Slint's testing platform can be installed once per process.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use hardware::printer::decode::decode;
use kiosk::client::{BackendClient, Trust};
use kiosk::ui::Page;
use protocol::api::ReportState;
use protocol::ticket::Ticket;
use tokio::sync::oneshot;

/// Serves `store` on `address` until the returned sender is dropped or fired; the join
/// handle finishes once the service has stopped.
fn serve(
    runtime: &tokio::runtime::Runtime,
    address: SocketAddr,
    store: backend::Store,
) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let listener = runtime.block_on(tokio::net::TcpListener::bind(address)).expect("bind");
    let catalogue = backend::eligibility::Catalogue::default_catalogue();
    let task = runtime.spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        let _ = backend::serve_until(listener, store, catalogue, shutdown).await;
    });
    (stop, task)
}

#[test]
fn a_report_filed_offline_is_queued_printed_and_decided_when_the_service_returns() {
    let runtime = runtime();
    let store = backend::Store::open_temporary().expect("store");
    let options = backend::demo::DemoOptions { residents: 400, ..Default::default() };
    let examples = backend::demo::generate(&store, &options).expect("demo data").examples;
    let key = store.register_kiosk(KIOSK_ID, None, 60).expect("register kiosk");
    let issuer = key.issuer().expect("the kiosk has a ticket issuer");
    let address = SocketAddr::from(([127, 0, 0, 1], {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        probe.local_addr().expect("address").port()
    }));
    let url = format!("http://{address}");

    // The service runs, then stops: graceful shutdown closes every connection.
    let (stop, running) = serve(&runtime, address, store.clone());
    let client = BackendClient::new(&url, key.clone(), Trust::PlainLoopback).expect("client");
    runtime.block_on(client.health()).expect("the service answers at first");
    let _ = stop.send(());
    runtime.block_on(running).expect("service stopped");
    assert!(runtime.block_on(client.health()).is_err(), "the service is down");

    // The kiosk, with its outbox and the sender that drains it.
    let data = tempfile::tempdir().expect("kiosk data dir");
    let outbox = kiosk::local::open_outbox(data.path(), &key).expect("outbox");
    let _sender = kiosk::local::Sender::spawn(outbox.clone(), client.clone(), runtime.handle());
    i_slint_backend_testing::init_integration_test_with_system_time();
    let (app, printer) = kiosk_with(&runtime, &url, key.clone(), |services, settings| {
        (services.with_outbox(outbox.clone()), settings)
    });

    // A citizen reports themselves while the service is down.
    let person = examples
        .iter()
        .find(|e| e.description.contains("tidak menerima bantuan"))
        .expect("an uncovered resident");
    tap(&app, "Lapor");
    tap(&app, "Diri sendiri");
    type_digits(&app, person.nik.as_str());
    tap(&app, "Lanjut");
    tap(&app, "Penghasilan berhenti");
    type_digits(&app, "081298765432");
    tap(&app, "Lanjut");
    type_text(&app, "WARUNG TUTUP");
    tap(&app, "Lanjut");
    tap(&app, "Kirim Laporan");
    assert!(wait_for_page(&app, Page::ReportDone), "the kiosk answers without the service");
    assert_eq!(value_of(&app, "outcome-title").as_deref(), Some("Laporan disimpan dalam antrean"));
    let ticket = Ticket::parse(&value_of(&app, "ticket").unwrap_or_default()).expect("a ticket");
    assert_eq!(ticket.issuer(), issuer, "issued by this kiosk, so no other kiosk has it");

    // The receipt says "queued" and carries the ticket.
    assert!(wait_for_print(&app), "the queued receipt is printed");
    let slip = decode(&printer.jobs()[0]);
    let text = slip.text();
    assert!(text.contains("Laporan disimpan dalam antrean"), "{text}");
    assert!(text.contains(&ticket.to_string()), "{text}");
    assert!(text.contains(&person.nik.masked()), "{text}");
    assert_eq!(slip.qr_codes, vec![kiosk::slip::report_qr_payload(ticket)]);
    assert_eq!(outbox.depth().expect("depth"), 1, "one report queued");
    tap(&app, "Selesai");

    // Tracking it now: the kiosk knows it is queued here.
    let digits: String = ticket.to_string().chars().filter(char::is_ascii_digit).collect();
    tap(&app, "Lacak Tiket");
    type_digits(&app, &digits);
    tap(&app, "Lacak");
    assert!(
        wait_for_page(&app, Page::TrackResult),
        "queued ticket not shown: page {:?}, error {:?}, failure {:?}",
        page_of(&app),
        value_of(&app, "ticket-error"),
        app.with_session(|s| s.failure.clone())
    );
    assert_eq!(
        value_of(&app, "track-title").as_deref(),
        Some("Status: dalam antrean di anjungan ini")
    );
    assert_eq!(value_of(&app, "track-subject"), Some(person.nik.masked()));
    tap(&app, "Selesai");

    // A letter request while the service is still down: queued the same way, next ticket.
    tap(&app, "Surat");
    tap(&app, "Surat Keterangan Domisili");
    type_digits(&app, person.nik.as_str());
    tap(&app, "Lanjut");
    tap(&app, "Lanjut"); // Typed: the letter waits for the desa staff, and the kiosk says so.
    type_text(&app, "SYARAT MELAMAR KERJA");
    tap(&app, "Lanjut");
    tap(&app, "Ajukan");
    assert!(wait_for_page(&app, Page::LetterDone), "the kiosk answers without the service");
    assert_eq!(
        value_of(&app, "outcome-title").as_deref(),
        Some("Permohonan surat disimpan dalam antrean")
    );
    let letter = Ticket::parse(&value_of(&app, "ticket").expect("ticket")).expect("a ticket");
    assert_eq!((letter.issuer(), letter.serial()), (issuer, ticket.serial() + 1));
    assert!(wait_for_print(&app), "the queued letter slip is printed");
    let slip = decode(printer.jobs().last().expect("a print job"));
    let text = slip.text().replace('\n', " ");
    assert!(text.contains("Permohonan surat disimpan dalam antrean"), "{text}");
    assert_eq!(outbox.depth().expect("depth"), 2, "a report and a letter request queued");
    tap(&app, "Selesai");

    // The service comes back; the sender drains the outbox by itself.
    let (_stop, _running) = serve(&runtime, address, store.clone());
    let queue = outbox.clone();
    assert!(
        run_until(Duration::from_secs(90), move || queue.depth().is_ok_and(|d| d == 0)),
        "the outbox drains once the service is back"
    );
    let filed = runtime.block_on(client.ticket_status(&ticket)).expect("filed under its ticket");
    assert_eq!(filed.state, ReportState::Verification);
    let filed_letter = runtime.block_on(client.ticket_status(&letter)).expect("letter filed");
    assert_eq!(
        (filed_letter.kind, filed_letter.letter),
        (protocol::api::TicketKind::Letter, Some(protocol::letter::LetterKind::Domisili.code()))
    );

    // Tracking the same ticket now shows the service's decision.
    tap(&app, "Lacak Tiket");
    type_digits(&app, &digits);
    tap(&app, "Lacak");
    assert!(
        wait_for_page(&app, Page::TrackResult),
        "decided ticket not shown: page {:?}, error {:?}, failure {:?}",
        page_of(&app),
        value_of(&app, "ticket-error"),
        app.with_session(|s| s.failure.clone())
    );
    assert_eq!(value_of(&app, "track-title").as_deref(), Some("Status: dalam verifikasi"));
    assert_eq!(value_of(&app, "ticket"), Some(ticket.to_string()));
    assert_eq!(printer.jobs().len(), 2, "tracking prints nothing: one report, one letter slip");
}
