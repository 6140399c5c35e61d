//! The `anjungan-hw` binary as staff run it: real processes, real files, pseudo-terminals for
//! the printer port and the readers, the GPIO simulator behind `--sim`.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use hardware::printer::decode::{Decoded, decode};
use hardware::printer::device_sim::SimulatedPrinter;
use hardware::printer::status::{PaperLevel, PrinterFault};
use hardware::printer::{Align, Paper};
use hardware::pty::PtyCapture;
use hardware::reader::ektp::sample_card;
use hardware::reader::sim::{EktpReaderSim, LineEnd, ScannerSim};

const BIN: &str = env!("CARGO_BIN_EXE_anjungan-hw");
const WAIT: Duration = Duration::from_secs(10);

fn hw(args: &[&str]) -> Output {
    Command::new(BIN).args(args).stdin(Stdio::null()).output().expect("run anjungan-hw")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// What a 58 mm test page must show, line by line.
fn expected_58mm() -> Vec<String> {
    [
        "ANJUNGAN",
        "HALAMAN UJI PRINTER",
        "Printer test page",
        &"-".repeat(32),
        "Kertas 58 mm: 32 kolom",
        "....:....1....:....2....:....3..",
        &format!("|{}|", "-".repeat(30)),
        "Kiri / left",
        "Tengah / center",
        "Kanan / right",
        "Tebal / bold",
        "BESAR / BIG",
        &format!("Kiri{}Kanan", " ".repeat(23)),
        &"-".repeat(32),
        "Pindai QR dengan ponsel",
        "Scan the QR with a phone",
        "Tepi terpotong? Cek lebar kertas",
        "Edges cut? Check paper width.",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn assert_is_the_58mm_test_page(page: &Decoded) {
    let lines: Vec<&str> = page.lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(lines, expected_58mm());
    let line = |text: &str| page.lines.iter().find(|l| l.text == text).expect(text);
    assert!(line("ANJUNGAN").bold && line("ANJUNGAN").double);
    assert_eq!(line("Tengah / center").align, Align::Center);
    assert_eq!(line("Kanan / right").align, Align::Right);
    assert_eq!(line("Kiri / left").align, Align::Left);
    assert!(line("Tebal / bold").bold && !line("Kiri / left").bold);
    assert!(line("BESAR / BIG").double && !line("BESAR / BIG").bold);
    assert_eq!(page.qr_codes, ["ANJUNGAN/TES?kertas=58"]);
    assert_eq!(page.cuts, 1);
    assert!(page.unknown_commands().is_empty(), "{:?}", page.unknown_commands());
}

#[test]
fn the_test_page_file_decodes_to_the_expected_lines() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.escpos");
    // A stale file from an earlier run is replaced, not appended to.
    std::fs::write(&out, b"old job\n").unwrap();
    let run = hw(&["test-page", "--file", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(stdout(&run).contains("out.escpos"));
    assert_is_the_58mm_test_page(&decode(&std::fs::read(&out).unwrap()));
}

#[test]
fn the_80mm_test_page_spans_48_columns() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("wide.escpos");
    let run = hw(&["test-page", "--paper", "80", "--file", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", stderr(&run));
    let page = decode(&std::fs::read(&out).unwrap());
    let columns = Paper::Mm80.columns();
    assert!(page.contains("Kertas 80 mm: 48 kolom"));
    assert!(page.lines.iter().any(|l| l.text == format!("|{}|", "-".repeat(columns - 2))));
    assert!(page.lines.iter().any(|l| l.text.len() == columns && l.text.ends_with("4....:...")));
    assert_eq!(page.qr_codes, ["ANJUNGAN/TES?kertas=80"]);
    assert_eq!(page.cuts, 1);
}

#[test]
fn the_42_column_test_page_rules_42_columns() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tm88.escpos");
    let run = hw(&["test-page", "--paper", "80-42", "--file", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", stderr(&run));
    let page = decode(&std::fs::read(&out).unwrap());
    assert!(page.contains("Kertas 80 mm: 42 kolom"));
    assert!(page.lines.iter().any(|l| l.text == format!("|{}|", "-".repeat(40))));
    assert!(page.lines.iter().any(|l| l.text == "....:....1....:....2....:....3....:....4.."));
}

#[test]
fn the_test_page_reaches_a_serial_printer_byte_for_byte() {
    let mut printer = PtyCapture::open().unwrap();
    let device = printer.path().to_str().unwrap().to_string();
    let run = hw(&["test-page", "--device", &device, "--baud", "19200"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let received = printer.read_available(WAIT).unwrap();
    // Raw mode: no LF became CR LF on the way, so the QR's length bytes and the cut survive.
    assert_is_the_58mm_test_page(&decode(&received));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("same.escpos");
    assert!(hw(&["test-page", "--file", file.to_str().unwrap()]).status.success());
    assert_eq!(received, std::fs::read(&file).unwrap());
}

#[test]
fn a_missing_printer_is_a_clear_error_and_no_file_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let device = dir.path().join("lp0");
    let run = hw(&["test-page", "--device", device.to_str().unwrap()]);
    assert!(!run.status.success());
    let err = stderr(&run);
    assert!(err.contains("lp0") && err.contains("No such file"), "{err}");
    assert!(!device.exists(), "a mistyped device must not become a file");
}

#[test]
fn help_lists_every_subcommand() {
    let run = hw(&["--help"]);
    assert!(run.status.success());
    let help = stdout(&run);
    for command in ["ports", "test-page", "status", "watch", "led", "beep", "gpio"] {
        assert!(help.lines().any(|l| l.trim_start().starts_with(command)), "{command}: {help}");
    }
    let gpio_help = stdout(&hw(&["gpio", "--help"]));
    assert!(gpio_help.contains("watch"), "{gpio_help}");
}

#[test]
fn bad_arguments_are_explained_with_a_failure_exit() {
    let run = hw(&["led", "purple"]);
    assert_eq!(run.status.code(), Some(2));
    let err = stderr(&run);
    assert!(err.contains("purple") && err.contains("idle") && err.contains("fault"), "{err}");

    let run = hw(&["test-page"]);
    assert!(!run.status.success());
    assert!(
        stderr(&run).contains("--device") && stderr(&run).contains("--file"),
        "{}",
        stderr(&run)
    );

    let run = hw(&["led", "busy", "--sim", "--seconds", "soon"]);
    assert!(!run.status.success());
    assert!(stderr(&run).contains("soon"), "{}", stderr(&run));

    let run = hw(&["frobnicate"]);
    assert!(!run.status.success());
    assert!(stderr(&run).contains("frobnicate"));
}

#[test]
fn ports_lists_by_id_names_and_printer_nodes() {
    let dev = tempfile::tempdir().unwrap();
    let root = dev.path();
    std::fs::create_dir_all(root.join("serial/by-id")).unwrap();
    std::fs::create_dir_all(root.join("usb")).unwrap();
    for node in ["ttyUSB0", "ttyACM1", "usb/lp0", "ttyUSBx", "tty", "gpiochip0"] {
        std::fs::write(root.join(node), b"").unwrap();
    }
    std::os::unix::fs::symlink("../../ttyUSB0", root.join("serial/by-id/usb-FTDI_EKTP-if00-port0"))
        .unwrap();
    let run = hw(&["ports", "--dev", root.to_str().unwrap()]);
    assert!(run.status.success(), "{}", stderr(&run));
    let out = stdout(&run);
    let shown = |path: &Path| out.contains(path.to_str().unwrap());
    assert!(out.contains("usb-FTDI_EKTP-if00-port0 -> "), "{out}");
    let by_id_line = out.lines().find(|l| l.contains("usb-FTDI_EKTP")).unwrap();
    assert!(by_id_line.ends_with("ttyUSB0"), "the link's target: {by_id_line}");
    assert!(shown(&root.join("ttyUSB0")) && shown(&root.join("ttyACM1")));
    let lp = out.lines().find(|l| l.contains("usb/lp0")).expect("usb printer listed");
    assert!(lp.contains("USB printer"), "{lp}");
    let chip = out.lines().find(|l| l.contains("gpiochip0")).expect("GPIO chip listed");
    assert!(chip.contains("GPIO"), "{chip}");
    assert!(!shown(&root.join("ttyUSBx")) && !out.contains(&format!("{}/tty ", root.display())));
}

#[test]
fn led_on_the_simulator_blinks_busy_then_goes_dark() {
    let run = hw(&["led", "busy", "--sim", "--seconds", "1.5"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let out = stdout(&run);
    let changes: Vec<&str> = out.lines().filter_map(|l| l.split("ms  LED ").nth(1)).collect();
    // On at once, off after half a second, on again, and dark when the command ends.
    assert_eq!(changes, ["on", "off", "on", "off"], "{out}");
}

#[test]
fn beep_error_on_the_simulator_is_three_beeps() {
    // Phases are never skipped, so even on a loaded machine this is three beeps.
    let run = hw(&["beep", "error", "--sim"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let out = stdout(&run);
    assert_eq!(out.matches("buzzer on").count(), 3, "{out}");
    assert_eq!(out.matches("buzzer off").count(), 3, "{out}");
}

#[cfg(not(feature = "rpi"))]
#[test]
fn gpio_without_the_rpi_build_points_to_the_simulator() {
    let run = hw(&["led", "idle"]);
    assert_eq!(run.status.code(), Some(1));
    let err = stderr(&run);
    assert!(err.contains("rpi") && err.contains("--sim"), "{err}");
}

#[test]
fn a_config_file_with_a_bad_gpio_section_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kiosk.toml");
    std::fs::write(&config, "[gpio]\nled = { pin = 17 }\nbuzzer = { pin = 17 }\n").unwrap();
    let run = hw(&["beep", "--sim", "--config", config.to_str().unwrap()]);
    assert!(!run.status.success());
    assert!(stderr(&run).contains("used twice"), "{}", stderr(&run));
}

#[test]
fn gpio_watch_on_the_simulator_prints_debounced_events() {
    // A long door debounce, so the 2 ms blip stays a blip however slow the machine is.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kiosk.toml");
    std::fs::write(&config, "[gpio]\ndoor = { pin = 22, debounce_ms = 300 }\n").unwrap();
    let mut child = Command::new(BIN)
        .args(["gpio", "watch", "--sim", "--config", config.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Each step waits well past the debounce (call-staff 30 ms, presence 100 ms).
    let script = "door open bounce\nwait 500\ncall press\nwait 200\ncall release\nwait 200\n\
                  presence on\nwait 300\ndoor close\nwait 2\ndoor open\nnonsense\n";
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    // Closing stdin ends the session once pending debounces are done.
    let run = wait_with_timeout(child);
    assert!(run.status.success(), "{}", stderr(&run));
    let out = stdout(&run);
    let events: Vec<&str> = out.lines().filter_map(|l| l.split(" ms  ").nth(1)).collect();
    assert_eq!(
        events,
        ["door opened", "call-staff pressed", "call-staff released", "presence detected"],
        "one opening for the bouncing contact, nothing for the 2 ms blip: {out}"
    );
    assert!(stderr(&run).contains("nonsense"), "unknown input is reported");
}

fn wait_with_timeout(mut child: Child) -> Output {
    let deadline = std::time::Instant::now() + WAIT;
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("anjungan-hw did not finish in {WAIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A running `anjungan-hw watch` whose output lines arrive on a channel.
struct Watching {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Watching {
    fn start(args: &[&str]) -> Watching {
        let mut child = Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watching { child, lines, seen: Vec::new() }
    }

    /// Waits for a line containing `needle`; returns it.
    fn expect(&mut self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!("no line with {needle:?}; saw {:#?}", self.seen),
            }
        }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn watch_shows_an_ektp_card_masked() {
    let mut reader = EktpReaderSim::plug().unwrap();
    let device = reader.path().to_str().unwrap().to_string();
    let mut watch = Watching::start(&["watch", "--device", &device, "--kind", "ektp"]);
    watch.expect("connected");
    let card = sample_card();
    reader.send_card(&card).unwrap();
    let line = watch.expect("e-KTP read");
    assert!(line.contains("3510********0001"), "{line}");
    assert!(line.contains("<12 chars>"), "{line}");
    assert!(!line.contains(&card.nik) && !line.contains("BUDI") && !line.contains("SANTOSO"));
    assert!(!line.contains(&card.address), "{line}");

    reader.send_corrupt_card(&card).unwrap();
    let line = watch.expect("data ditolak");
    assert!(line.contains("checksum"), "{line}");
    assert!(watch.seen.iter().all(|l| !l.contains(&card.nik)), "{:#?}", watch.seen);
}

#[test]
fn watch_shows_qr_scans_masked_and_a_missing_reader() {
    let mut scanner = ScannerSim::plug(LineEnd::Cr).unwrap();
    let device = scanner.path().to_str().unwrap().to_string();
    let mut watch = Watching::start(&["watch", "-d", &device, "-k", "qr"]);
    watch.expect("connected");
    // The scanner does not know a NIK from any other line: every scan shows its length only.
    scanner.scan("3510011203850001").unwrap();
    let line = watch.expect("scan");
    assert!(line.contains("Scanned(16 chars)"), "{line}");
    scanner.scan("ANJUNGAN/REPORT/1?ticket=LP-0001-000042-7").unwrap();
    let line = watch.expect("scan");
    assert!(line.contains("Scanned(41 chars)"), "{line}");
    assert!(watch.seen.iter().all(|l| !l.contains("3510011203850001")), "{:#?}", watch.seen);
    drop(watch);

    let mut missing =
        Watching::start(&["watch", "--device", "/dev/nonexistent-reader", "--kind", "qr"]);
    let line = missing.expect("not connected");
    assert!(line.contains("retrying"), "{line}");
}

#[test]
fn watch_stops_by_itself_after_seconds() {
    let scanner = ScannerSim::plug(LineEnd::Cr).unwrap();
    let child = Command::new(BIN)
        .args(["watch", "--device", scanner.path().to_str().unwrap(), "--kind", "qr"])
        .args(["--seconds", "0.5"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let run = wait_with_timeout(child);
    assert!(run.status.success());
    assert!(stdout(&run).contains("connected"));
}

fn pty_printer() -> (SimulatedPrinter, String) {
    let printer = SimulatedPrinter::on_pty().unwrap();
    let path = printer.path().unwrap().to_str().unwrap().to_string();
    (printer, path)
}

#[test]
fn status_of_a_ready_printer() {
    let (printer, path) = pty_printer();
    let run = hw(&["status", "--device", &path]);
    assert!(run.status.success(), "{}", stderr(&run));
    let out = stdout(&run);
    assert!(out.contains("serial:") && out.contains(&path), "{out}");
    assert!(out.contains("online:  yes") && out.contains("paper:   ok"), "{out}");
    assert!(out.trim_end().ends_with("READY / SIAP"), "{out}");
    assert!(printer.status_requests() >= 4, "DLE EOT 1-4 were asked");
}

#[test]
fn status_says_what_stops_the_printer() {
    let (printer, path) = pty_printer();
    printer.set_paper(PaperLevel::NearEnd);
    printer.set_cover_open(true);
    let out = stdout(&hw(&["status", "--device", &path]));
    assert!(out.contains("cover:   OPEN"), "{out}");
    assert!(out.contains("NEAR END"), "{out}");
    assert!(out.trim_end().ends_with("NOT READY / BELUM SIAP"), "{out}");

    printer.set_cover_open(false);
    printer.set_paper(PaperLevel::Out);
    printer.set_fault(Some(PrinterFault::Autocutter));
    let out = stdout(&hw(&["status", "--device", &path]));
    assert!(out.contains("paper:   OUT"), "{out}");
    assert!(out.contains("error:   the cutter is jammed"), "{out}");
}

#[test]
fn status_of_a_silent_printer_fails_with_a_reason() {
    let (printer, path) = pty_printer();
    printer.set_answers_status(false);
    let run = hw(&["status", "--device", &path]);
    assert_eq!(run.status.code(), Some(1));
    assert!(stdout(&run).contains("NO REPLY"), "{}", stdout(&run));
    assert!(stderr(&run).contains("did not answer"), "{}", stderr(&run));
}

#[test]
fn status_reads_the_printer_of_the_kiosks_hardware_file() {
    let (printer, path) = pty_printer();
    printer.set_paper(PaperLevel::Out);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hardware.toml");
    let text = format!(
        "[printer]\nkind = \"serial\"\npath = \"{path}\"\nbaud = 9600\n\n[gpio]\ndriver = \"sim\"\n"
    );
    std::fs::write(&file, text).unwrap();
    let out = stdout(&hw(&["status", "--config", file.to_str().unwrap()]));
    assert!(out.contains(&path) && out.contains("paper:   OUT"), "{out}");

    std::fs::write(&file, "[gpio]\ndriver = \"sim\"\n").unwrap();
    let run = hw(&["status", "--config", file.to_str().unwrap()]);
    assert!(!run.status.success());
    assert!(stderr(&run).contains("no [printer] section"), "{}", stderr(&run));
    std::fs::write(&file, "[printer]\nkind = \"usb\"\n").unwrap();
    let run = hw(&["status", "--config", file.to_str().unwrap()]);
    assert!(stderr(&run).contains("path"), "{}", stderr(&run));
}

#[test]
fn status_of_a_network_printer() {
    let printer = SimulatedPrinter::on_tcp().unwrap();
    let addr = printer.addr().unwrap().to_string();
    let run = hw(&["status", "--network", &addr]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(stdout(&run).contains(&format!("network:{addr}")), "{}", stdout(&run));
    assert!(stdout(&run).contains("READY / SIAP"));
}

#[test]
fn status_of_a_missing_printer_names_it() {
    let run = hw(&["status", "--device", "/dev/nonexistent-lp9"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("/dev/nonexistent-lp9"), "{}", stderr(&run));
    let run = hw(&["status", "--network", "127.0.0.1:notaport"]);
    assert!(!run.status.success());
    assert!(stderr(&run).contains("notaport"), "{}", stderr(&run));
}

#[test]
fn status_watch_prints_changes_as_they_happen() {
    let (printer, path) = pty_printer();
    let mut watch = Watching::start(&["status", "--device", &path, "--watch"]);
    watch.expect("READY / SIAP");
    watch.expect("Watching for changes");
    printer.set_cover_open(true);
    watch.expect("printer cover opened");
    printer.set_cover_open(false);
    watch.expect("printer cover closed");
    printer.set_paper(PaperLevel::Out);
    watch.expect("paper roll empty");
}
