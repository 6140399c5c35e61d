//! kill -9 in the middle of a submission, with the real kiosk binary: nothing is lost and
//! nothing is filed twice.
//!
//! The kiosk runs headless (`kiosk outbox add-report` / `kiosk outbox drain`, the same
//! outbox and sender code as the UI) against a real central service behind a TCP proxy that
//! holds either the request (the kiosk dies before the service saw it) or the answer (the
//! service filed the report, the kiosk dies before it learns so). Restarted, the kiosk
//! sends again with the same idempotency key and ticket.

mod outbox_support;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::Duration;

use kiosk::local::{SubmissionState, open_outbox};
use outbox_support::*;
use protocol::ticket::Ticket;

const KIOSK: &str = env!("CARGO_BIN_EXE_kiosk");

struct Kiosk {
    data: tempfile::TempDir,
    key_file: std::path::PathBuf,
}

impl Kiosk {
    fn install(backend: &Backend) -> Kiosk {
        let data = tempfile::tempdir().expect("temp dir");
        let key_file = data.path().join("kiosk.key");
        std::fs::write(&key_file, backend.key.to_file_text()).expect("key file");
        Kiosk { data, key_file }
    }

    fn data_dir(&self) -> std::path::PathBuf {
        self.data.path().join("state")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(KIOSK);
        command
            .arg("outbox")
            .arg("--data-dir")
            .arg(self.data_dir())
            .arg("--key-file")
            .arg(&self.key_file)
            .args(args)
            .env("RUST_LOG", "info");
        command
    }

    /// Queues a report with the real binary; returns its ticket.
    fn add_report(&self, nik: &str) -> Ticket {
        let json = self.data.path().join("report.json");
        std::fs::write(&json, serde_json::to_vec(&self_report(nik)).expect("JSON")).expect("write");
        let output = self.command(&["add-report", "--json"]).arg(&json).output().expect("run");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let ticket = stdout.split_whitespace().next().expect("ticket printed");
        Ticket::parse(ticket).expect("a ticket")
    }

    fn start_drain(&self, url: &str) -> Child {
        self.command(&["drain", "--until-empty", "--backend-url", url])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kiosk")
    }

    /// Runs `drain --until-empty` to its end; returns whether it emptied the outbox.
    async fn drain_to_end(&self, url: &str) -> bool {
        let mut command = self.command(&["drain", "--until-empty", "--give-up-after", "30"]);
        command.args(["--backend-url", url]);
        let output = tokio::task::spawn_blocking(move || command.output().expect("run"))
            .await
            .expect("join");
        if !output.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        }
        output.status.success()
    }
}

/// SIGKILL, as a power cut or the OOM killer would.
fn kill_9(mut child: Child) {
    child.kill().expect("kill -9");
    let status = child.wait().expect("reap");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "killed by SIGKILL, not exited");
    }
}

fn outbox_state(kiosk: &Kiosk, backend: &Backend, ticket: &Ticket) -> (u64, SubmissionState) {
    let outbox = open_outbox(&kiosk.data_dir(), &backend.key).expect("outbox");
    let entry = outbox.entry(ticket).expect("read").expect("the submission is in the outbox");
    (outbox.depth().expect("depth"), entry.state)
}

/// After the restart: exactly one report, under the kiosk's ticket, which the outbox holds
/// as sent with the same status the service gives.
async fn assert_filed_once(kiosk: &Kiosk, backend: &Backend, ticket: Ticket) {
    assert_eq!(backend.report_count().await, 1, "filed exactly once");
    let filed = backend.ticket(ticket).await.expect("filed under the kiosk-issued ticket");
    let outbox = open_outbox(&kiosk.data_dir(), &backend.key).expect("outbox");
    assert_eq!(outbox.depth().expect("depth"), 0, "nothing left queued");
    let entry = outbox.entry(&ticket).expect("read").expect("entry");
    assert_eq!(entry.state, SubmissionState::Sent);
    assert_eq!(entry.answer, Some(filed), "the kiosk's status matches the service's");
    let conn = rusqlite::Connection::open(kiosk.data_dir().join(kiosk::local::LocalStore::FILE))
        .expect("open");
    let payloads: i64 = conn
        .query_row("SELECT count(*) FROM outbox WHERE payload IS NOT NULL", [], |r| r.get(0))
        .expect("count");
    assert_eq!(payloads, 0, "personal data wiped once sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_the_service_filed_the_report_but_before_the_answer_arrived() {
    let backend = Backend::start().await;
    let proxy = Proxy::start(backend.address, Mode::HoldResponse).await;
    let kiosk = Kiosk::install(&backend);
    let ticket = kiosk.add_report(&backend.nik("tidak menerima bantuan"));
    assert_eq!(Some(ticket.issuer()), backend.key.issuer());

    let child = kiosk.start_drain(&proxy.url);
    let committed = eventually(Duration::from_secs(30), || async {
        backend.report_count().await == 1 && proxy.responses_held.load(Ordering::SeqCst) > 0
    })
    .await;
    assert!(committed, "the service filed the report and answered into the proxy");
    kill_9(child);
    assert_eq!(
        outbox_state(&kiosk, &backend, &ticket),
        (1, SubmissionState::Queued),
        "the kiosk never learnt the answer, so it still has the report queued"
    );

    proxy.set(Mode::Pass);
    assert!(kiosk.drain_to_end(&proxy.url).await, "the restarted kiosk empties its outbox");
    assert_filed_once(&kiosk, &backend, ticket).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_before_the_request_reached_the_service() {
    let backend = Backend::start().await;
    let proxy = Proxy::start(backend.address, Mode::HoldRequest).await;
    let kiosk = Kiosk::install(&backend);
    let ticket = kiosk.add_report(&backend.nik("tidak menerima bantuan"));

    let child = kiosk.start_drain(&proxy.url);
    let sent = eventually(Duration::from_secs(30), || async {
        proxy.requests_held.load(Ordering::SeqCst) > 0
    })
    .await;
    assert!(sent, "the kiosk sent its request into the proxy");
    kill_9(child);
    assert_eq!(backend.report_count().await, 0, "the service never saw it");
    assert_eq!(outbox_state(&kiosk, &backend, &ticket), (1, SubmissionState::Queued));

    proxy.set(Mode::Pass);
    assert!(kiosk.drain_to_end(&proxy.url).await, "the restarted kiosk empties its outbox");
    assert_filed_once(&kiosk, &backend, ticket).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_queueing_loses_nothing_already_ticketed() {
    // Queue reports in a loop and kill the process at a random moment: every ticket it
    // printed (reported on stdout) is in the outbox, and no ticket is handed out twice.
    let backend = Backend::prepare().await;
    let kiosk = Kiosk::install(&backend);
    let nik = backend.nik("tidak menerima bantuan");
    let json = kiosk.data.path().join("report.json");
    std::fs::write(&json, serde_json::to_vec(&self_report(&nik)).expect("JSON")).expect("write");
    let mut printed = Vec::new();
    for round in 0..6u64 {
        let mut child = kiosk
            .command(&["add-report", "--json"])
            .arg(&json)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start");
        std::thread::sleep(Duration::from_millis(5 + round * 7));
        let _ = child.kill();
        let output = child.wait_with_output().expect("reap");
        if let Some(ticket) = String::from_utf8_lossy(&output.stdout).split_whitespace().next() {
            printed.push(Ticket::parse(ticket).expect("ticket"));
        }
    }
    let last = kiosk.add_report(&nik);
    printed.push(last);
    let outbox = open_outbox(&kiosk.data_dir(), &backend.key).expect("outbox");
    let queued: Vec<Ticket> =
        outbox.list_masked(100).expect("list").into_iter().map(|entry| entry.ticket).collect();
    for ticket in &printed {
        assert!(queued.contains(ticket), "{ticket} was printed but is not queued");
    }
    let mut serials: Vec<u32> = queued.iter().map(Ticket::serial).collect();
    serials.sort_unstable();
    serials.dedup();
    assert_eq!(serials.len(), queued.len(), "no ticket twice");
    assert_eq!(queued.iter().map(Ticket::serial).max(), Some(last.serial()));
}
