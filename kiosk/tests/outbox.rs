//! The kiosk's offline outbox against a real central service on loopback: what a citizen
//! submits is kept across restarts, sent once, decided at once when the service is up,
//! queued with its ticket when it is not, and its personal data is gone from the kiosk as
//! soon as the service has it.

mod outbox_support;

use std::path::Path;
use std::time::Duration;

use kiosk::client::{BackendClient, Trust};
use kiosk::local::{
    Kind, LocalStore, Outbox, Sender, Submission, SubmissionState, Submitted, open_outbox,
    submit_report_within, submit_within, tickets,
};
use outbox_support::*;
use protocol::api::{ReportState, TicketKind};
use protocol::auth::KioskKey;
use protocol::letter::{LetterKind, LetterRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const UNCOVERED: &str = "tidak menerima bantuan";

fn client(url: &str, key: &KioskKey) -> BackendClient {
    BackendClient::new(url, key.clone(), Trust::PlainLoopback).expect("client")
}

/// Every byte of the kiosk's database files (the file and its write-ahead log).
fn database_bytes(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for name in ["kiosk.sqlite3", "kiosk.sqlite3-wal"] {
        if let Ok(mut content) = std::fs::read(dir.join(name)) {
            bytes.append(&mut content);
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle.as_bytes())
}

fn queued_payloads(dir: &Path) -> i64 {
    let conn = rusqlite::Connection::open(dir.join(LocalStore::FILE)).expect("open");
    conn.query_row("SELECT count(*) FROM outbox WHERE payload IS NOT NULL", [], |row| row.get(0))
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_report_survives_a_restart_with_its_ticket_and_is_masked_for_staff() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = KioskKey::new(KIOSK_ID, [3; 32]).expect("key").with_issuer(17).expect("issuer");
    let nik = "3510011203850001";
    let queued = {
        let outbox = open_outbox(dir.path(), &key).expect("outbox");
        let queued = outbox.enqueue_report(&self_report(nik)).expect("enqueue");
        assert_eq!((queued.ticket.issuer(), queued.ticket.serial()), (17, 1));
        assert_eq!(outbox.depth().expect("depth"), 1);
        queued
    };
    // The kiosk restarts (the outbox was dropped): the submission is still there.
    let outbox = open_outbox(dir.path(), &key).expect("reopen");
    assert_eq!(outbox.depth().expect("depth"), 1);
    assert_eq!(*outbox.watch_depth().borrow(), 1);
    let listed = outbox.list_masked(10).expect("list");
    assert_eq!(listed.len(), 1);
    let entry = &listed[0];
    assert_eq!(entry.ticket, queued.ticket);
    assert_eq!(entry.state, SubmissionState::Queued);
    assert_eq!(entry.subject, "3510********0001");
    assert_eq!(entry.attempts, 0);
    assert!(!format!("{listed:?}").contains(nik), "the staff view never shows the NIK");

    // The next report gets the next serial; the same idempotency key gets the same ticket.
    let next = outbox.enqueue_report(&self_report(nik)).expect("enqueue");
    assert_eq!(next.ticket.serial(), 2);
    let mut again = self_report(nik);
    again.idempotency_key = queued.idempotency_key.clone();
    assert_eq!(outbox.enqueue_report(&again).expect("enqueue").ticket, queued.ticket);
    assert_eq!(outbox.depth().expect("depth"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serial_reserved_before_a_crash_is_never_handed_out_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = KioskKey::new(KIOSK_ID, [3; 32]).expect("key").with_issuer(5).expect("issuer");
    {
        // The kiosk reserved a serial, then died before the submission was written.
        let store = LocalStore::open(dir.path()).expect("store");
        let reserved = tickets::reserve(&store, 5).expect("reserve");
        assert_eq!(reserved.serial(), 1);
    }
    let outbox = open_outbox(dir.path(), &key).expect("reopen");
    let queued = outbox.enqueue_report(&self_report("3510011203850001")).expect("enqueue");
    assert_eq!(queued.ticket.serial(), 2, "serial 1 may be on a half-printed slip");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_service_up_the_citizen_gets_the_decision_and_the_kiosk_forgets_the_data() {
    let backend = Backend::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let outbox = open_outbox(dir.path(), &backend.key).expect("outbox");
    let nik = backend.nik(UNCOVERED);
    let submitted = submit_report_within(
        &outbox,
        &client(&backend.url, &backend.key),
        self_report(&nik),
        Duration::from_secs(8),
    )
    .await
    .expect("submit");
    let Submitted::Decided(status) = submitted else { panic!("not decided: {submitted:?}") };
    assert_eq!(status.state, ReportState::Verification);
    assert_eq!(Some(status.ticket.issuer()), backend.key.issuer(), "the kiosk's own ticket");
    assert_eq!(backend.ticket(status.ticket).await, Some(status.clone()));
    assert_eq!(backend.report_count().await, 1);

    assert_eq!(outbox.depth().expect("depth"), 0);
    let entry = outbox.entry(&status.ticket).expect("read").expect("entry");
    assert_eq!(entry.state, SubmissionState::Sent);
    assert_eq!(entry.answer, Some(status));
    assert_eq!(entry.attempts, 1);
    assert_eq!(queued_payloads(dir.path()), 0);
    let bytes = database_bytes(dir.path());
    assert!(!contains(&bytes, &nik), "the NIK is gone from the kiosk's files");
    assert!(!contains(&bytes, "0812-3456-7890"), "and the phone number");
    assert!(!contains(&bytes, "Terkena PHK"), "and the free text");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_the_report_is_queued_with_its_ticket_and_drains_when_the_service_returns() {
    let mut backend = Backend::prepare().await;
    backend.close_port(); // The central service is down: connections are refused.
    let dir = tempfile::tempdir().expect("temp dir");
    let outbox = open_outbox(dir.path(), &backend.key).expect("outbox");
    let client = client(&backend.url, &backend.key);
    let nik = backend.nik(UNCOVERED);
    let submitted =
        submit_report_within(&outbox, &client, self_report(&nik), Duration::from_secs(4))
            .await
            .expect("submit");
    let Submitted::Queued { ticket } = submitted else { panic!("not queued: {submitted:?}") };
    assert_eq!(Some(ticket.issuer()), backend.key.issuer());
    assert_eq!(outbox.depth().expect("depth"), 1);
    let entry = outbox.entry(&ticket).expect("read").expect("entry");
    assert_eq!((entry.state, entry.attempts), (SubmissionState::Queued, 1));
    assert!(entry.last_error.as_deref().is_some_and(|e| e.contains("unreachable")), "{entry:?}");

    assert!(contains(&database_bytes(dir.path()), &nik), "kept while the queue needs it");

    // The service comes back on the same address; the sender drains the queue.
    drain_once_back(&mut backend, &outbox, &client).await;

    let filed = backend.ticket(ticket).await.expect("the service has the kiosk's ticket");
    assert_eq!(filed.state, ReportState::Verification);
    let entry = outbox.entry(&ticket).expect("read").expect("entry");
    assert_eq!(entry.state, SubmissionState::Sent);
    assert_eq!(entry.answer, Some(filed), "the status the kiosk keeps matches the service");
    assert_eq!(backend.report_count().await, 1);
    assert_eq!(queued_payloads(dir.path()), 0);
    assert!(!contains(&database_bytes(dir.path()), &nik), "and gone once sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_letter_request_shares_the_ticket_counter_and_drains_like_a_report() {
    let mut backend = Backend::prepare().await;
    backend.close_port();
    let dir = tempfile::tempdir().expect("temp dir");
    let outbox = open_outbox(dir.path(), &backend.key).expect("outbox");
    let client = client(&backend.url, &backend.key);
    let nik = backend.nik(UNCOVERED);
    let report = outbox.enqueue_report(&self_report(&nik)).expect("report queued");
    let letter = Submission::Letter(LetterRequest {
        applicant_nik: nik.clone(),
        letter: LetterKind::Domisili.code(),
        fields: Default::default(),
        purpose: "Syarat melamar pekerjaan".into(),
        idempotency_key: String::new(),
        ticket: None,
        nik_entry: Default::default(),
    });
    let submitted =
        submit_within(&outbox, &client, letter, Duration::from_secs(4)).await.expect("submit");
    let Submitted::Queued { ticket } = submitted else { panic!("not queued: {submitted:?}") };
    assert_eq!(ticket.serial(), report.ticket.serial() + 1, "one counter for both kinds");
    let entry = outbox.entry(&ticket).expect("read").expect("entry");
    assert_eq!((entry.kind, entry.state), (Kind::LetterRequest, SubmissionState::Queued));
    assert!(entry.subject.contains('*') && !entry.subject.contains(&nik[6..12]));

    // The service comes back on the same address; the sender drains the queue.
    drain_once_back(&mut backend, &outbox, &client).await;

    let filed = backend.ticket(ticket).await.expect("the service has the letter's ticket");
    assert_eq!(
        (filed.kind, filed.letter.clone()),
        (TicketKind::Letter, Some(LetterKind::Domisili.code()))
    );
    assert_eq!(filed.state, ReportState::Verification);
    let kept = outbox.entry(&ticket).expect("read").expect("entry");
    assert_eq!(kept.answer, Some(filed));
    assert!(!contains(&database_bytes(dir.path()), "Syarat melamar"), "purpose wiped once sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_back_off_instead_of_hammering_a_service_that_is_down() {
    let backend = Backend::prepare().await;
    let proxy = Proxy::start(backend.address, Mode::Down).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let outbox = open_outbox(dir.path(), &backend.key).expect("outbox");
    let queued = outbox.enqueue_report(&self_report(&backend.nik(UNCOVERED))).expect("enqueue");
    let sender = Sender::spawn(
        outbox.clone(),
        client(&proxy.url, &backend.key),
        &tokio::runtime::Handle::current(),
    );
    tokio::time::sleep(Duration::from_millis(3500)).await;
    sender.stop();
    // Attempts at 0 s, 1 s, then 1-2 s later; the next one is at least 2 s after that.
    let entry = outbox.entry(&queued.ticket).expect("read").expect("entry");
    assert!((2..=3).contains(&entry.attempts), "{} attempts in 3.5 s", entry.attempts);
    assert_eq!(entry.state, SubmissionState::Queued);
    assert_eq!(queued_payloads(dir.path()), 1, "kept while the queue needs it");
}

/// Starts the sender, brings the service back on its address, and waits (20 s at most)
/// until nothing is queued.
async fn drain_once_back(backend: &mut Backend, outbox: &Outbox, client: &BackendClient) {
    let sender = Sender::spawn(outbox.clone(), client.clone(), &tokio::runtime::Handle::current());
    let mut depth = outbox.watch_depth();
    backend.serve().await;
    outbox.force_sync().expect("force sync");
    let drained = tokio::time::timeout(Duration::from_secs(20), depth.wait_for(|d| *d == 0)).await;
    assert!(drained.is_ok(), "outbox drained: {:?}", outbox.list_masked(5));
    sender.stop();
}

/// A stand-in service that answers every request with `status` and `body`.
async fn fixed_answer(status: u16, body: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                // Read the head and the body the client announced, then answer.
                loop {
                    let Ok(n) = socket.read(&mut buffer).await else { return };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buffer[..n]);
                    let text = String::from_utf8_lossy(&request).to_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|line| line.strip_prefix("content-length:"))
                            .and_then(|value| value.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_about_the_report_are_final_while_service_trouble_is_retried() {
    let key = KioskKey::new(KIOSK_ID, [3; 32]).expect("key").with_issuer(9).expect("issuer");
    let nik = "3510011203850001";
    let cases: [(u16, &str, bool); 6] = [
        (503, "<html>maintenance</html>", true),
        (500, r#"{"code":"internal","message":{"id":"gangguan","en":"trouble"}}"#, true),
        (429, r#"{"code":"rate_limited","message":{"id":"tunggu","en":"wait"}}"#, true),
        (401, r#"{"code":"unauthorized","message":{"id":"tidak sah","en":"unauthorized"}}"#, true),
        (404, r#"{"code":"resident_not_found","message":{"id":"tidak ada","en":"none"}}"#, false),
        (422, r#"{"code":"invalid_phone","message":{"id":"HP salah","en":"bad phone"}}"#, false),
    ];
    for (status, body, retried) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = open_outbox(dir.path(), &key).expect("outbox");
        let url = fixed_answer(status, body).await;
        let submitted = submit_report_within(
            &outbox,
            &client(&url, &key),
            self_report(nik),
            Duration::from_secs(8),
        )
        .await
        .expect("submit");
        let (ticket, state) = match &submitted {
            Submitted::Queued { ticket } => (*ticket, SubmissionState::Queued),
            Submitted::Refused { ticket, error } => {
                assert!(!error.message.id.is_empty(), "the citizen is told why");
                (*ticket, SubmissionState::RejectedPermanent)
            }
            Submitted::Decided(status) => panic!("decided {status:?}"),
        };
        let entry = outbox.entry(&ticket).expect("read").expect("entry");
        assert_eq!(entry.state, state, "HTTP {status}");
        assert_eq!(entry.attempts, 1, "HTTP {status}");
        assert_eq!(state == SubmissionState::Queued, retried, "HTTP {status}: {submitted:?}");
        assert_eq!(outbox.depth().expect("depth"), u64::from(retried), "HTTP {status}");
        // Refused for good: nothing left to send, so nothing personal is kept.
        assert_eq!(queued_payloads(dir.path()), i64::from(retried), "HTTP {status}");
        if !retried {
            assert!(!contains(&database_bytes(dir.path()), nik), "HTTP {status}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_service_gets_a_queued_receipt_and_the_attempt_finishes_in_the_background() {
    let backend = Backend::start().await;
    let proxy = Proxy::start(backend.address, Mode::HoldResponse).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let outbox: Outbox = open_outbox(dir.path(), &backend.key).expect("outbox");
    let client = client(&proxy.url, &backend.key);
    let started = std::time::Instant::now();
    let submitted = submit_report_within(
        &outbox,
        &client,
        self_report(&backend.nik(UNCOVERED)),
        Duration::from_millis(700),
    )
    .await
    .expect("submit");
    assert!(started.elapsed() < Duration::from_secs(3), "the citizen is not kept waiting");
    let Submitted::Queued { ticket } = submitted else { panic!("not queued: {submitted:?}") };
    // The service did file it; the kiosk will learn so when it sends again.
    assert!(
        eventually(Duration::from_secs(5), || async { backend.report_count().await == 1 }).await
    );
    proxy.set(Mode::Pass);
    let sender = Sender::spawn(outbox.clone(), client.clone(), &tokio::runtime::Handle::current());
    let mut depth = outbox.watch_depth();
    let drained = tokio::time::timeout(Duration::from_secs(30), depth.wait_for(|d| *d == 0)).await;
    sender.stop();
    assert!(drained.is_ok(), "{:?}", outbox.list_masked(5));
    assert_eq!(backend.report_count().await, 1, "sent twice, filed once");
    let entry = outbox.entry(&ticket).expect("read").expect("entry");
    assert_eq!(entry.answer, backend.ticket(ticket).await);
}
