//! A re-imaged kiosk (its database new, its key the same) against a real central service on
//! loopback: it learns the highest serial the service holds under its issuer before it
//! numbers tickets, and a submission queued offline under a ticket the service already
//! holds is filed under a new ticket, with the old one leading to it, and never dropped.

mod outbox_support;

use std::time::Duration;

use kiosk::client::{BackendClient, Trust};
use kiosk::local::{
    LocalStore, Sender, SubmissionState, Submitted, open_outbox, renumber, submit_report_within,
    tickets,
};
use outbox_support::*;
use protocol::api::ReportState;
use protocol::auth::KioskKey;

const UNCOVERED: &str = "tidak menerima bantuan";

fn client(url: &str, key: &KioskKey) -> BackendClient {
    BackendClient::new(url, key.clone(), Trust::PlainLoopback).expect("client")
}

/// Files `count` reports through a kiosk image in its own data directory, decided at once.
async fn file_before_reimage(backend: &Backend, count: u32) -> Vec<protocol::ticket::Ticket> {
    let old_image = tempfile::tempdir().expect("temp dir");
    let outbox = open_outbox(old_image.path(), &backend.key).expect("outbox");
    let client = client(&backend.url, &backend.key);
    let mut filed = Vec::new();
    for _ in 0..count {
        let submitted = submit_report_within(
            &outbox,
            &client,
            self_report(&backend.nik(UNCOVERED)),
            Duration::from_secs(8),
        )
        .await
        .expect("submit");
        let Submitted::Decided(status) = submitted else { panic!("not decided: {submitted:?}") };
        filed.push(status.ticket);
    }
    filed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reimaged_kiosk_learns_its_last_serial_and_numbers_above_it() {
    let backend = Backend::start().await;
    let issuer = backend.key.issuer().expect("issuer");
    let before = file_before_reimage(&backend, 3).await;
    assert_eq!(before.iter().map(|t| t.serial()).collect::<Vec<_>>(), [1, 2, 3]);

    // Re-imaged: a new database, the same key. Its sender learns the serial at start.
    let new_image = tempfile::tempdir().expect("temp dir");
    let outbox = open_outbox(new_image.path(), &backend.key).expect("outbox");
    assert_eq!(tickets::last(outbox.store(), issuer).expect("counter"), None, "a new database");
    let client = client(&backend.url, &backend.key);
    let sender = Sender::spawn(outbox.clone(), client.clone(), &tokio::runtime::Handle::current());
    let store = outbox.store().clone();
    let learned = tokio::time::timeout(Duration::from_secs(10), async move {
        while tickets::last(&store, issuer).expect("counter") != Some(3) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(learned.is_ok(), "the counter is raised to the service's last serial");

    let submitted = submit_report_within(
        &outbox,
        &client,
        self_report(&backend.nik(UNCOVERED)),
        Duration::from_secs(8),
    )
    .await
    .expect("submit");
    let Submitted::Decided(status) = submitted else { panic!("not decided: {submitted:?}") };
    assert_eq!((status.ticket.issuer(), status.ticket.serial()), (issuer, 4));
    assert_eq!(backend.report_count().await, 4, "nothing refused, nothing lost");
    sender.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_colliding_ticket_queued_offline_is_filed_under_a_new_one_and_the_old_leads_to_it() {
    let backend = Backend::start().await;
    let issuer = backend.key.issuer().expect("issuer");
    let before = file_before_reimage(&backend, 2).await;
    let first_owner = backend.ticket(before[0]).await.expect("filed before");

    // Re-imaged while the service is out of reach: the counter starts at 1 again.
    let proxy = Proxy::start(backend.address, Mode::Down).await;
    let new_image = tempfile::tempdir().expect("temp dir");
    let outbox = open_outbox(new_image.path(), &backend.key).expect("outbox");
    let client = client(&proxy.url, &backend.key);
    let nik = backend.nik(UNCOVERED);
    let submitted =
        submit_report_within(&outbox, &client, self_report(&nik), Duration::from_secs(4))
            .await
            .expect("submit");
    let Submitted::Queued { ticket: printed } = submitted else {
        panic!("not queued: {submitted:?}")
    };
    assert_eq!(printed, before[0], "the slip carries a ticket the service already holds");

    // The service is reachable again: the sender learns the serial, the service answers
    // ticket_taken, the report is filed under a new ticket.
    let sender = Sender::spawn(outbox.clone(), client.clone(), &tokio::runtime::Handle::current());
    proxy.set(Mode::Pass);
    outbox.force_sync().expect("force sync");
    let mut depth = outbox.watch_depth();
    let drained = tokio::time::timeout(Duration::from_secs(20), depth.wait_for(|d| *d == 0)).await;
    assert!(drained.is_ok(), "outbox drained: {:?}", outbox.list_masked(5));
    sender.stop();

    // Durable: a kiosk restarted now still knows where the slip's ticket went.
    drop(outbox);
    let store = LocalStore::open(new_image.path()).expect("reopen");
    let new = renumber::replacement(&store, &printed).expect("read").expect("replaced");
    assert_eq!((new.issuer(), new.serial()), (issuer, 3), "above the service's last serial");
    let outbox = kiosk::local::Outbox::open(store, issuer).expect("outbox");
    let entry = outbox.entry(&new).expect("read").expect("the submission under its new ticket");
    assert_eq!(entry.state, SubmissionState::Sent);
    assert_eq!(entry.subject, protocol::Nik::parse(&nik).expect("NIK").masked());
    assert!(outbox.entry(&printed).expect("read").is_none(), "no row under the old ticket");

    // The service has the report under the new ticket; the old one still names the first.
    let filed = backend.ticket(new).await.expect("filed under the new ticket");
    assert_eq!((filed.state, filed.subject), (ReportState::Verification, entry.subject));
    assert_eq!(backend.ticket(before[0]).await, Some(first_owner), "untouched");
    assert_eq!(backend.report_count().await, 3, "nothing dropped, nothing twice");
}
