//! Real printer connections against the simulated printer: jobs over a pseudo-terminal
//! (serial and USB kinds) and over TCP (network kind) decode back to the document; status
//! changes made on the printer arrive as events, in order; prints are refused while the
//! paper is out; a silent printer is reported within the timeout; and the paper counter
//! survives reopening and torn writes.

use std::time::{Duration, Instant};

use hardware::printer::connection::{ConnectError, ConnectedPrinter, PrinterConfig};
use hardware::printer::decode::decode;
use hardware::printer::device_sim::SimulatedPrinter;
use hardware::printer::paper::{self, CounterError, PaperCounter, RollConfig};
use hardware::printer::status::{OfflineReason, PaperLevel, PrinterFault, Reading, StatusEvent};
use hardware::printer::{Document, Paper, PrintError, Printer, Style};
use tokio::sync::mpsc::UnboundedReceiver;

/// Generous: the tests wait for conditions, this only bounds a failure.
const WAIT: Duration = Duration::from_secs(10);

fn receipt(ticket: &str) -> Document {
    let mut doc = Document::new(Paper::Mm58);
    doc.text("ANJUNGAN MANDIRI", Style::center().bold().double())
        .text("Bukti Pengaduan", Style::center())
        .rule()
        .pair("Tiket", ticket)
        .qr(format!("ANJUNGAN/TIKET/{ticket}"))
        .feed(2)
        .cut();
    doc
}

/// The next event, waiting up to [`WAIT`].
fn next_event(events: &mut UnboundedReceiver<StatusEvent>) -> StatusEvent {
    let deadline = Instant::now() + WAIT;
    loop {
        match events.try_recv() {
            Ok(event) => return event,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Err(error) => panic!("no status event within {WAIT:?}: {error}"),
        }
    }
}

fn assert_prints_back(sim: &SimulatedPrinter, printer: &mut ConnectedPrinter) {
    let doc = receipt("A-0042");
    printer.print(&doc).expect("print");
    let decoded = sim.wait_for_cuts(1, WAIT).expect("the job arrives");
    let lines: Vec<&str> = decoded.lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(lines[0], "ANJUNGAN MANDIRI");
    assert!(decoded.lines[0].double && decoded.lines[0].bold);
    assert_eq!(lines[1], "Bukti Pengaduan");
    assert!(lines.iter().any(|l| l.starts_with("Tiket") && l.ends_with("A-0042")), "{lines:?}");
    assert_eq!(decoded.qr_codes, vec!["ANJUNGAN/TIKET/A-0042"]);
    assert_eq!(decoded.cuts, 1);
    // The status check before the job stays out of the job: the printer answered it.
    assert!(sim.status_requests() >= 4);
    assert!(decoded.unknown_commands().is_empty(), "{:?}", decoded.unknown_commands());
}

#[test]
fn a_serial_print_over_a_pty_decodes_to_the_document() {
    let sim = SimulatedPrinter::on_pty().expect("pty");
    let mut printer = ConnectedPrinter::open(&sim.config()).expect("open");
    assert_eq!(printer.name(), format!("serial:{}@9600", sim.path().expect("pty").display()));
    assert_prints_back(&sim, &mut printer);
}

#[test]
fn a_usb_node_is_driven_the_same_way() {
    // /dev/usb/lp0 is a plain two-way character device; a pty slave stands in for it.
    let sim = SimulatedPrinter::on_pty().expect("pty");
    let mut printer =
        ConnectedPrinter::open(&PrinterConfig::usb(sim.path().expect("pty"))).expect("open");
    assert_prints_back(&sim, &mut printer);
}

#[test]
fn a_network_print_over_tcp_decodes_to_the_document() {
    let sim = SimulatedPrinter::on_tcp().expect("listen");
    let config: PrinterConfig = toml::from_str(&format!(
        "kind = \"network\"\nhost = \"127.0.0.1\"\nport = {}\n",
        sim.addr().expect("tcp").port()
    ))
    .expect("toml");
    let mut printer = ConnectedPrinter::open(&config).expect("connect");
    assert_prints_back(&sim, &mut printer);
    // A second job on the same connection.
    printer.print(&receipt("A-0043")).expect("print");
    let decoded = sim.wait_for_cuts(2, WAIT).expect("both jobs");
    assert_eq!(decoded.qr_codes.len(), 2);
}

#[test]
fn paper_near_end_then_out_then_refilled_are_three_events_in_order() {
    let sim = SimulatedPrinter::on_pty().expect("pty");
    let config = sim.config().with_status_interval(Duration::from_millis(20));
    let printer = ConnectedPrinter::new(&config).expect("config");
    let mut events = printer.status_events();
    let poller = printer.spawn_status_poller().expect("poller");

    // Healthy: polls go by without events. Wait for a few answered polls to be sure.
    let polled = sim.status_requests();
    while sim.status_requests() < polled + 12 {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(events.try_recv().is_err(), "no event while nothing changes");

    sim.set_paper(PaperLevel::NearEnd);
    assert_eq!(next_event(&mut events), StatusEvent::PaperNearEnd);
    sim.set_paper(PaperLevel::Out);
    assert_eq!(next_event(&mut events), StatusEvent::PaperOut);
    sim.set_paper(PaperLevel::Adequate);
    assert_eq!(next_event(&mut events), StatusEvent::PaperRefilled);

    // Polling on changes nothing: no repeated events.
    let polled = sim.status_requests();
    while sim.status_requests() < polled + 12 {
        std::thread::sleep(Duration::from_millis(5));
    }
    poller.stop();
    assert!(events.try_recv().is_err(), "each change is reported once");
}

#[test]
fn cover_and_cutter_changes_are_events_too() {
    let sim = SimulatedPrinter::on_tcp().expect("listen");
    let config = sim.config().with_status_interval(Duration::from_millis(20));
    let printer = ConnectedPrinter::new(&config).expect("config");
    let mut events = printer.status_events();
    let _poller = printer.spawn_status_poller().expect("poller");
    sim.set_cover_open(true);
    assert_eq!(next_event(&mut events), StatusEvent::CoverOpened);
    sim.set_cover_open(false);
    assert_eq!(next_event(&mut events), StatusEvent::CoverClosed);
    sim.set_fault(Some(PrinterFault::Autocutter));
    assert_eq!(next_event(&mut events), StatusEvent::Fault(PrinterFault::Autocutter));
    sim.set_fault(None);
    assert_eq!(next_event(&mut events), StatusEvent::FaultCleared);
    sim.set_offline(true);
    assert_eq!(next_event(&mut events), StatusEvent::Offline);
}

#[test]
fn a_print_is_refused_while_the_paper_is_out_and_accepted_after_refill() {
    let sim = SimulatedPrinter::on_pty().expect("pty");
    let mut printer = ConnectedPrinter::open(&sim.config()).expect("open");
    let mut events = printer.status_events();

    sim.set_paper(PaperLevel::Out);
    let error = printer.print(&receipt("B-0001")).expect_err("no paper");
    assert!(matches!(error, PrintError::PaperOut), "{error:?}");
    assert_eq!(error.to_string(), "printer is out of paper");
    assert_eq!(next_event(&mut events), StatusEvent::PaperOut, "the check is an event too");
    // Nothing was sent: the refusal came before the job.
    assert!(sim.wait_for_cuts(1, Duration::from_millis(300)).is_none());
    assert!(sim.received().is_empty());

    sim.set_paper(PaperLevel::Adequate);
    printer.print(&receipt("B-0001")).expect("paper loaded");
    assert_eq!(next_event(&mut events), StatusEvent::PaperRefilled);
    let decoded = sim.wait_for_cuts(1, WAIT).expect("the job");
    assert_eq!(decoded.qr_codes, vec!["ANJUNGAN/TIKET/B-0001"]);

    sim.set_cover_open(true);
    let error = printer.print(&receipt("B-0002")).expect_err("cover open");
    assert!(matches!(error, PrintError::CoverOpen), "{error:?}");
    sim.set_cover_open(false);
    sim.set_paper(PaperLevel::NearEnd);
    printer.print(&receipt("B-0002")).expect("near end still prints");
}

#[test]
fn a_printer_that_never_answers_is_reported_within_the_timeout() {
    let sim = SimulatedPrinter::on_tcp().expect("listen");
    sim.set_answers_status(false);
    let timeout = Duration::from_millis(300);
    let config = sim.config().with_status_timeout(timeout);
    let mut printer = ConnectedPrinter::open(&config).expect("connect");
    let mut events = printer.status_events();

    let started = Instant::now();
    assert_eq!(printer.query_status(), Some(Reading::NoReply));
    assert!(started.elapsed() < WAIT, "bounded by the status timeout, not a hang");
    assert!(started.elapsed() >= timeout, "it did wait for the reply");
    assert_eq!(next_event(&mut events), StatusEvent::NoReply);

    let error = printer.print(&receipt("C-0001")).expect_err("silent printer");
    assert!(
        matches!(error, PrintError::Offline(OfflineReason::NoReply { timeout: t }) if t == timeout),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "printer is offline: no reply to a status request within 300ms");
    assert!(events.try_recv().is_err(), "no-reply is reported once");

    // Switched back on: the kiosk reconnects and prints.
    sim.set_answers_status(true);
    printer.print(&receipt("C-0001")).expect("answers again");
    assert_eq!(next_event(&mut events), StatusEvent::Reconnected);
    assert!(sim.wait_for_cuts(1, WAIT).is_some());
}

#[test]
fn a_printer_that_is_not_there_fails_with_its_address() {
    // Bind then drop: a local port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let error = ConnectedPrinter::open(&PrinterConfig::network("127.0.0.1", port))
        .err()
        .expect("nobody listens");
    assert!(matches!(error, ConnectError::Connect { .. }), "{error:?}");
    assert!(error.to_string().contains(&format!("127.0.0.1:{port}")), "{error}");

    let error =
        ConnectedPrinter::open(&PrinterConfig::usb("/dev/usb/lp-none")).err().expect("gone");
    assert!(error.to_string().contains("/dev/usb/lp-none"), "{error}");

    // Lazily connected printers start anyway and report the printer missing.
    let mut printer =
        ConnectedPrinter::new(&PrinterConfig::network("127.0.0.1", port)).expect("config");
    let mut events = printer.status_events();
    assert_eq!(printer.query_status(), Some(Reading::NoReply));
    assert_eq!(next_event(&mut events), StatusEvent::NoReply);
    let error = printer.print(&receipt("D-0001")).expect_err("not connected");
    assert!(matches!(error, PrintError::Connect(_)), "{error:?}");
}

#[test]
fn configs_name_what_is_wrong() {
    let parse = |text: &str| toml::from_str::<PrinterConfig>(text).expect("toml");
    let usb = parse("kind = \"usb\"\npath = \"/dev/usb/lp0\"\n");
    assert_eq!(usb.endpoint().expect("valid").to_string(), "usb:/dev/usb/lp0");
    let net = parse("kind = \"network\"\nhost = \"192.168.1.87\"\npaper = 80\n");
    assert_eq!(net.endpoint().expect("valid").to_string(), "network:192.168.1.87:9100");
    assert_eq!(net.paper_width(), Ok(Paper::Mm80));
    let serial = parse("kind = \"serial\"\npath = \"/dev/ttyUSB0\"\n");
    assert_eq!(serial.endpoint().expect("valid").to_string(), "serial:/dev/ttyUSB0@9600");

    let errors = [
        ("kind = \"serial\"\n", "printer kind \"serial\" needs `path`"),
        ("kind = \"network\"\n", "printer kind \"network\" needs `host`"),
        (
            "kind = \"usb\"\npath = \"/dev/usb/lp0\"\nbaud = 9600\n",
            "`baud` does not apply to printer kind \"usb\"",
        ),
        (
            "kind = \"file\"\npath = \"/tmp/x\"\npaper = 76\n",
            "printer paper must be 58 or 80 (mm), not 76",
        ),
        (
            "kind = \"usb\"\npath = \"/dev/usb/lp0\"\nstatus_timeout_ms = 0\n",
            "`status_timeout_ms` must be more than 0",
        ),
    ];
    for (text, message) in errors {
        let error = parse(text).endpoint().expect_err(text);
        assert_eq!(error.to_string(), message);
    }
    assert!(
        toml::from_str::<PrinterConfig>("kind = \"usb\"\ndevice = \"/dev/usb/lp0\"\n").is_err()
    );
    assert!(toml::from_str::<PrinterConfig>("kind = \"parallel\"\n").is_err());
}

#[test]
fn the_file_kind_appends_jobs_and_has_no_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("receipts.escpos");
    let mut printer = ConnectedPrinter::open(&PrinterConfig::file(&path)).expect("open");
    assert!(!printer.has_status());
    assert_eq!(printer.query_status(), None);
    printer.print(&receipt("E-0001")).expect("print");
    printer.print(&receipt("E-0002")).expect("print");
    let decoded = decode(&std::fs::read(&path).expect("read"));
    assert_eq!(decoded.qr_codes, vec!["ANJUNGAN/TIKET/E-0001", "ANJUNGAN/TIKET/E-0002"]);
}

fn roll(length_m: u32, warn_percent: u8) -> RollConfig {
    RollConfig { length_m, warn_percent }
}

#[test]
fn the_paper_counter_survives_reopening_and_counts_a_known_document() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("paper-counter");
    let doc = receipt("F-0001");
    let mm = u64::from(paper::document_mm(&doc));
    // Title 48 dots, 3 lines of 34, the QR (version 2 for 21 characters: 25 modules x 5
    // dots + 2 x 20 dots of quiet zone), 2 feeds of 34: 383 dots = 48 mm, +15 mm cut margin.
    assert_eq!(mm, 63);

    let counter = PaperCounter::open(&path, roll(30, 10)).expect("open");
    assert_eq!((counter.used_mm(), counter.remaining_mm()), (0, 30_000));
    assert_eq!(counter.record(&doc).expect("record"), 63);
    counter.record(&doc).expect("record");
    assert_eq!(counter.remaining_mm(), 30_000 - 2 * mm);
    drop(counter);

    let reopened = PaperCounter::open(&path, roll(30, 10)).expect("reopen");
    assert_eq!(reopened.used_mm(), 2 * mm, "the count outlives the process");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), format!("used_mm={}\n", 2 * mm));
}

#[test]
fn the_counter_warns_below_the_threshold_and_resets_for_a_new_roll() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("paper-counter");
    let counter = PaperCounter::open(&path, roll(1, 10)).expect("open");
    counter.add_mm(899).expect("add");
    assert!(!counter.should_warn(), "101 mm left of a 1 m roll: above 10 %");
    counter.add_mm(1).expect("add");
    assert!(counter.should_warn(), "100 mm left: at 10 %");
    counter.add_mm(5_000).expect("add");
    assert_eq!(counter.remaining_mm(), 0, "never below zero");

    counter.reset().expect("reset");
    assert_eq!((counter.used_mm(), counter.should_warn()), (0, false));
    let reopened = PaperCounter::open(&path, roll(1, 10)).expect("reopen");
    assert_eq!(reopened.used_mm(), 0, "the reset is saved");
}

#[test]
fn a_torn_write_never_corrupts_the_counter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("paper-counter");
    let counter = PaperCounter::open(&path, RollConfig::default()).expect("open");
    counter.add_mm(1234).expect("add");
    drop(counter);

    // Power cut while writing the next count: the temporary file is half-written and was
    // never renamed over the counter.
    let temp = paper::temp_path(&path);
    std::fs::write(&temp, b"used_mm=99").expect("torn temp");
    let counter = PaperCounter::open(&path, RollConfig::default()).expect("reopen");
    assert_eq!(counter.used_mm(), 1234, "the last complete count");
    assert!(!temp.exists(), "the leftover is cleaned up");
    counter.add_mm(6).expect("counting goes on");
    drop(counter);
    let counter = PaperCounter::open(&path, RollConfig::default()).expect("reopen");
    assert_eq!(counter.used_mm(), 1240);

    // A file that is not a count is reported, not read as zero.
    std::fs::write(&path, b"\0\0\0").expect("garbage");
    let error = PaperCounter::open(&path, RollConfig::default()).expect_err("corrupt");
    assert!(matches!(error, CounterError::Corrupt { .. }), "{error:?}");
}

#[test]
fn a_printer_with_a_counter_warns_once_when_the_roll_runs_low() {
    let sim = SimulatedPrinter::on_pty().expect("pty");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = sim.config().with_counter(dir.path().join("paper-counter"), roll(1, 10));
    let mut printer = ConnectedPrinter::open(&config).expect("open");
    let mut events = printer.status_events();
    let counter = printer.counter().expect("configured").clone();
    let doc = receipt("G-0001");
    let per_receipt = u64::from(paper::document_mm(&doc));
    // Print until the count crosses 900 mm of the 1 m roll.
    let receipts = 900u64.div_ceil(per_receipt);
    for _ in 0..receipts {
        printer.print(&doc).expect("print");
    }
    assert_eq!(counter.used_mm(), receipts * per_receipt);
    let remaining_mm = 1000 - receipts * per_receipt;
    assert_eq!(next_event(&mut events), StatusEvent::RollLow { remaining_mm });
    printer.print(&doc).expect("print");
    assert!(events.try_recv().is_err(), "warned once per roll");
    assert!(sim.wait_for_cuts(usize::try_from(receipts + 1).expect("small"), WAIT).is_some());

    counter.reset().expect("new roll");
    printer.print(&doc).expect("print");
    assert!(events.try_recv().is_err(), "a fresh roll is not low");
}
