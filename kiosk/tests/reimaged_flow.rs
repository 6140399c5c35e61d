//! A citizen at a re-imaged kiosk: the kiosk lost its database and the central service was
//! out of reach at start, so the report is queued under a ticket the service already holds
//! for an earlier report, and that ticket is printed. When the service is back the report
//! is filed under a new ticket, and tracking the printed ticket at this kiosk shows the
//! citizen's own report (under its new number), not the earlier one.
//!
//! One test per file: Slint's testing platform can be installed once per process.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use kiosk::client::{BackendClient, Trust};
use kiosk::ui::Page;
use protocol::ticket::Ticket;

#[test]
fn tracking_the_printed_ticket_of_a_renumbered_report_shows_the_new_ones_state() {
    let runtime = runtime();
    let store = backend::Store::open_temporary().expect("store");
    let options = backend::demo::DemoOptions { residents: 400, ..Default::default() };
    let examples = backend::demo::generate(&store, &options).expect("demo data").examples;
    let key = store.register_kiosk(KIOSK_ID, None, 60).expect("register kiosk");
    let issuer = key.issuer().expect("the kiosk has a ticket issuer");
    let example = |words: &str| {
        examples.iter().find(|e| e.description.contains(words)).expect("an example").clone()
    };
    let (earlier, citizen) = (example("guru ngaji"), example("tidak menerima bantuan"));

    // Before the re-image, the kiosk filed a report about `earlier` under serial 1.
    let first_ticket = Ticket::new(issuer, 1).expect("ticket");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
    let address: SocketAddr = listener.local_addr().expect("address");
    drop(listener);
    let url = format!("http://{address}");
    {
        let old_image = tempfile::tempdir().expect("old image");
        let outbox = kiosk::local::open_outbox(old_image.path(), &key).expect("outbox");
        let listener = runtime.block_on(tokio::net::TcpListener::bind(address)).expect("bind");
        let serving = runtime.spawn(backend::serve(listener, store.clone()));
        let client = BackendClient::new(&url, key.clone(), Trust::PlainLoopback).expect("client");
        let report = kiosk::local::outbox::Submission::Report(protocol::api::ReportRequest {
            reporter_nik: earlier.nik.to_string(),
            subject_nik: earlier.nik.to_string(),
            reason: protocol::api::ReportReason::LostJob,
            phone: "081234567890".into(),
            text: String::new(),
            idempotency_key: String::new(),
            ticket: None,
            nik_entry: Default::default(),
        });
        let submitted = runtime
            .block_on(kiosk::local::submit_within(&outbox, &client, report, Duration::from_secs(8)))
            .expect("submit");
        assert!(
            matches!(&submitted, kiosk::local::Submitted::Decided(s) if s.ticket == first_ticket),
            "{submitted:?}"
        );
        serving.abort();
        let _ = runtime.block_on(serving);
    }

    // The re-imaged kiosk starts while the service is down.
    let client = BackendClient::new(&url, key.clone(), Trust::PlainLoopback).expect("client");
    assert!(runtime.block_on(client.health()).is_err(), "the service is down");
    let data = tempfile::tempdir().expect("kiosk data dir");
    let outbox = kiosk::local::open_outbox(data.path(), &key).expect("outbox");
    let _sender = kiosk::local::Sender::spawn(outbox.clone(), client.clone(), runtime.handle());
    i_slint_backend_testing::init_integration_test_with_system_time();
    let (app, printer) = kiosk_with(&runtime, &url, key.clone(), |services, settings| {
        (services.with_outbox(outbox.clone()), settings)
    });

    tap(&app, "Lapor");
    tap(&app, "Diri sendiri");
    type_digits(&app, citizen.nik.as_str());
    tap(&app, "Lanjut");
    tap(&app, "Penghasilan berhenti");
    type_digits(&app, "081298765432");
    tap(&app, "Lanjut");
    type_text(&app, "WARUNG TUTUP");
    tap(&app, "Lanjut");
    tap(&app, "Kirim Laporan");
    assert!(wait_for_page(&app, Page::ReportDone), "the kiosk answers without the service");
    let printed = Ticket::parse(&value_of(&app, "ticket").unwrap_or_default()).expect("a ticket");
    assert_eq!(printed, first_ticket, "the counter started again: a ticket already held");
    assert!(wait_for_print(&app), "the queued receipt is printed");
    tap(&app, "Selesai");

    // The service comes back; the sender files the report under a new ticket.
    let listener = runtime.block_on(tokio::net::TcpListener::bind(address)).expect("bind");
    let _serving = runtime.spawn(backend::serve(listener, store.clone()));
    outbox.force_sync().expect("force sync");
    let queue = outbox.clone();
    assert!(
        run_until(Duration::from_secs(60), move || queue.depth().is_ok_and(|d| d == 0)),
        "the outbox drains once the service is back: {:?}",
        outbox.list_masked(5)
    );
    let new = kiosk::local::renumber::replacement(outbox.store(), &printed)
        .expect("read")
        .expect("the printed ticket was replaced");
    assert_eq!(new.issuer(), issuer);
    assert!(new.serial() > 1, "{new}");

    // The citizen tracks the ticket on their slip: their own report, under its new number.
    let digits: String = printed.to_string().chars().filter(char::is_ascii_digit).collect();
    tap(&app, "Lacak Tiket");
    type_digits(&app, &digits);
    tap(&app, "Lacak");
    assert!(
        wait_for_page(&app, Page::TrackResult),
        "ticket not shown: page {:?}, error {:?}, failure {:?}",
        page_of(&app),
        value_of(&app, "ticket-error"),
        app.with_session(|s| s.failure.clone())
    );
    assert_eq!(value_of(&app, "track-title").as_deref(), Some("Status: dalam verifikasi"));
    assert_eq!(value_of(&app, "ticket"), Some(new.to_string()));
    assert_eq!(value_of(&app, "track-subject"), Some(citizen.nik.masked()));
    // Asked directly, the printed ticket still names the earlier report: the kiosk's
    // pointer is what leads the citizen to their own.
    let held = runtime.block_on(client.ticket_status(&printed)).expect("the earlier report");
    assert_eq!(held.ticket, printed);
    assert_eq!(printer.jobs().len(), 1, "tracking prints nothing");
}
