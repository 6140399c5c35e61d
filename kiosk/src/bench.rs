//! `kiosk bench`: the kiosk's own figures, measured on the real app with the software
//! renderer: cold start to the first rendered frame, resident memory after each flow, and
//! tap-to-print latency with a simulated printer.
//!
//! The parent process runs a central service on loopback (the `demo` feature) and starts the
//! kiosk binary as a child (`kiosk bench-child`), so the child's memory is the kiosk's alone
//! and its start is a real cold start: exec, runtime, Slint, first frame. The child renders
//! on Slint's headless platform with the same software renderer the kiosk ships with (there
//! is no display here); a display server would add its own start-up on top.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use hardware::printer::Paper;
use hardware::printer::sim::MemoryPrinter;
use serde::{Deserialize, Serialize};
use slint::ComponentHandle;
use time::UtcOffset;

use crate::app::{Services, Settings, build};
use crate::client::{BackendClient, Trust};
use crate::ui::{Kiosk, Page, PrintState};

/// One figure the child reports, as a JSON line on stdout.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Report {
    /// The first frame has been rendered; `render_ms` is the render itself.
    FirstFrame { render_ms: f64 },
    /// Resident memory after a step of a flow.
    Rss { after: String, mb: f64 },
    /// From the tap on "Periksa" to the result page (the backend's reply included).
    Lookup { ms: f64 },
    /// From the tap on "Cetak" to the slip's bytes in the printer.
    TapToPrint { ms: f64 },
}

/// Cold starts measured; the median is reported.
const STARTS: usize = 5;

/// What the parent prints.
#[derive(Debug, Default)]
pub struct Figures {
    pub cold_starts_ms: Vec<f64>,
    pub first_render_ms: f64,
    pub rss: Vec<(String, f64)>,
    pub lookup_ms: Vec<f64>,
    pub tap_to_print_ms: Vec<f64>,
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cold = median(&self.cold_starts_ms);
        writeln!(
            f,
            "cold start to first frame: {cold:.0} ms median of {} (target 500 ms; render of the first frame {:.0} ms)",
            self.cold_starts_ms.len(),
            self.first_render_ms
        )?;
        for (after, mb) in &self.rss {
            writeln!(f, "RSS after {after}: {mb:.1} MB (target 60 MB)")?;
        }
        writeln!(
            f,
            "status lookup, tap to result page: {:.1} ms median of {}",
            median(&self.lookup_ms),
            self.lookup_ms.len()
        )?;
        write!(
            f,
            "tap to print (simulated printer, no backend involved): {:.1} ms median of {} (target 100 ms)",
            median(&self.tap_to_print_ms),
            self.tap_to_print_ms.len()
        )
    }
}

/// Runs the benchmark: a central service here, the kiosk as child processes.
pub fn run(exe: &Path) -> anyhow::Result<Figures> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("runtime")?;
    let embedded =
        runtime.block_on(crate::demo::start_with_limit(2000, "BWI-BENCH-01", 100_000))?;
    let nik = embedded
        .examples
        .iter()
        .map(|e| e.nik)
        .next()
        .context("the demo registry has no examples")?;
    let key_file = std::env::temp_dir().join(format!("anjungan-bench-{}.key", std::process::id()));
    std::fs::write(&key_file, embedded.key.to_file_text()).context("write key file")?;
    let figures = measure(exe, &embedded.url, &key_file, nik.as_str());
    let _ = std::fs::remove_file(&key_file);
    figures
}

fn measure(exe: &Path, url: &str, key_file: &Path, nik: &str) -> anyhow::Result<Figures> {
    let mut figures = Figures::default();
    for start in 0..STARTS {
        let started = Instant::now();
        let mut child = Command::new(exe)
            .arg("bench-child")
            .arg("--backend-url")
            .arg(url)
            .arg("--key-file")
            .arg(key_file)
            .arg("--nik")
            .arg(nik)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("start the kiosk")?;
        let stdout = child.stdout.take().context("child stdout")?;
        for line in BufReader::new(stdout).lines() {
            let line = line.context("read child")?;
            let report: Report = serde_json::from_str(&line)
                .with_context(|| format!("unexpected line from the kiosk: {line}"))?;
            match report {
                Report::FirstFrame { render_ms } => {
                    figures.cold_starts_ms.push(started.elapsed().as_secs_f64() * 1000.0);
                    figures.first_render_ms = render_ms;
                }
                // Memory is the same on every start; keep the last run's.
                Report::Rss { after, mb } if start == STARTS - 1 => figures.rss.push((after, mb)),
                Report::Rss { .. } => {}
                Report::Lookup { ms } => figures.lookup_ms.push(ms),
                Report::TapToPrint { ms } => figures.tap_to_print_ms.push(ms),
            }
        }
        let status = child.wait().context("wait for the kiosk")?;
        anyhow::ensure!(status.success(), "the kiosk bench child failed: {status}");
    }
    Ok(figures)
}

fn emit(report: &Report) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(report)?);
    Ok(())
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Runs the event loop until `done` holds or `timeout` passes.
fn run_until(timeout: Duration, done: impl Fn() -> bool + 'static) -> anyhow::Result<bool> {
    if done() {
        return Ok(true);
    }
    let met = std::rc::Rc::new(std::cell::Cell::new(false));
    let deadline = Instant::now() + timeout;
    let timer = slint::Timer::default();
    let flag = met.clone();
    // Quit once only: a second quit left pending would end the next run at once.
    let quitting = std::rc::Rc::new(std::cell::Cell::new(false));
    timer.start(slint::TimerMode::Repeated, Duration::from_millis(1), move || {
        if quitting.get() {
            return;
        }
        if done() {
            flag.set(true);
            quitting.set(true);
            let _ = slint::quit_event_loop();
        } else if Instant::now() > deadline {
            quitting.set(true);
            let _ = slint::quit_event_loop();
        }
    });
    slint::run_event_loop()?;
    Ok(met.get())
}

/// The child: start, render, run the status flow and print, reporting as it goes.
pub fn child(backend_url: &str, key_file: &Path, nik: &str, rounds: usize) -> anyhow::Result<()> {
    let backend = i_slint_backend_testing::TestingBackend::new(
        i_slint_backend_testing::TestingBackendOptions {
            mock_time: false,
            threading: true,
            renderer_name: Some("software".into()),
        },
    );
    slint::platform::set_platform(Box::new(backend))
        .map_err(|error| anyhow::anyhow!("cannot install headless platform: {error:?}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("runtime")?;
    let key = protocol::auth::KioskKey::parse(&std::fs::read_to_string(key_file)?)?;
    let printer = MemoryPrinter::new(Paper::Mm58);
    let services = Services::new(
        // The bench's own central service, on loopback (BackendClient refuses anything else).
        BackendClient::new(backend_url, key.clone(), Trust::PlainLoopback)?,
        Arc::new(Mutex::new(Box::new(printer.clone()))),
        runtime.handle().clone(),
    );
    let settings = Settings {
        kiosk_id: key.id().to_string(),
        village_name: "Desa Bomo".into(),
        paper: Paper::Mm58,
        utc_offset: UtcOffset::from_hms(7, 0, 0)?,
        demo_hint: String::new(),
        idle_timeout: Settings::DEFAULT_IDLE_TIMEOUT,
    };
    let app = build(settings, services)?;
    app.window.window().set_size(slint::PhysicalSize::new(1280, 800));
    app.window.show()?;
    let render = Instant::now();
    app.window.window().take_snapshot().context("render the first frame")?;
    emit(&Report::FirstFrame { render_ms: render.elapsed().as_secs_f64() * 1000.0 })?;
    emit(&Report::Rss { after: "start".into(), mb: rss_mb() })?;

    let ui = app.window.as_weak();
    let page = move || ui.upgrade().map(|w| w.global::<Kiosk>().get_page());
    for round in 0..rounds {
        let kiosk = app.window.global::<Kiosk>();
        kiosk.invoke_start_status_check();
        for digit in nik.chars() {
            kiosk.invoke_nik_key(digit.to_string().into());
        }
        let tapped = Instant::now();
        kiosk.invoke_submit_nik();
        let page = page.clone();
        anyhow::ensure!(
            run_until(Duration::from_secs(10), move || page() == Some(Page::Result))?,
            "no result page within 10 s"
        );
        emit(&Report::Lookup { ms: tapped.elapsed().as_secs_f64() * 1000.0 })?;
        app.window.window().take_snapshot()?;
        if round == 0 {
            emit(&Report::Rss { after: "status check".into(), mb: rss_mb() })?;
        }

        let jobs = printer.jobs().len();
        let tapped = Instant::now();
        kiosk.invoke_print_slip();
        let (watched, ui) = (printer.clone(), app.window.as_weak());
        anyhow::ensure!(
            run_until(Duration::from_secs(10), move || {
                watched.jobs().len() > jobs
                    || ui.upgrade().is_some_and(|w| {
                        w.global::<Kiosk>().get_print_state() == PrintState::Failed
                    })
            })?,
            "nothing printed within 10 s"
        );
        anyhow::ensure!(printer.jobs().len() > jobs, "printing failed");
        emit(&Report::TapToPrint { ms: tapped.elapsed().as_secs_f64() * 1000.0 })?;
        app.window.window().take_snapshot()?;
        if round == 0 {
            emit(&Report::Rss { after: "printing the slip".into(), mb: rss_mb() })?;
        }
        kiosk.invoke_go_home();
        app.window.window().take_snapshot()?;
    }
    emit(&Report::Rss { after: format!("{rounds} visits"), mb: rss_mb() })?;
    other_flows(&app, &printer, nik)?;
    runtime.shutdown_background();
    Ok(())
}

/// A report about oneself, a letter request and tracking the report's ticket, each to its
/// last page with its slip printed, and the memory after each.
fn other_flows(
    app: &crate::app::KioskApp,
    printer: &MemoryPrinter,
    nik: &str,
) -> anyhow::Result<()> {
    let kiosk = app.window.global::<Kiosk>();
    let reached = |page: Page, with_print: bool| {
        let (ui, watched, jobs) = (app.window.as_weak(), printer.clone(), printer.jobs().len());
        run_until(Duration::from_secs(10), move || {
            ui.upgrade().is_some_and(|w| w.global::<Kiosk>().get_page() == page)
                && (!with_print || watched.jobs().len() > jobs)
        })
    };
    let keys = |press: &dyn Fn(slint::SharedString), text: &str| {
        for key in text.chars() {
            press(if key == ' ' { "space".into() } else { key.to_string().into() });
        }
    };

    kiosk.invoke_start_report();
    kiosk.invoke_choose_report_self(true);
    keys(&|k| kiosk.invoke_nik_key(k), nik);
    kiosk.invoke_submit_nik();
    kiosk.invoke_choose_reason(crate::ui::Reason::LostJob);
    keys(&|k| kiosk.invoke_phone_key(k), "081234567890");
    kiosk.invoke_submit_phone();
    keys(&|k| kiosk.invoke_text_key(k), "TERKENA PHK");
    kiosk.invoke_submit_text();
    kiosk.invoke_submit_report();
    anyhow::ensure!(reached(Page::ReportDone, true)?, "the report was not filed and printed");
    app.window.window().take_snapshot()?;
    emit(&Report::Rss { after: "a report".into(), mb: rss_mb() })?;
    let ticket: String = kiosk.get_ticket().chars().filter(char::is_ascii_digit).collect();
    kiosk.invoke_go_home();

    kiosk.invoke_start_letter();
    kiosk.invoke_choose_letter("sktm".into());
    keys(&|k| kiosk.invoke_nik_key(k), nik);
    kiosk.invoke_submit_nik();
    // Typed, so the kiosk says first that the letter waits for the staff.
    kiosk.invoke_accept_typed_nik();
    keys(&|k| kiosk.invoke_text_key(k), "BEASISWA SEKOLAH");
    kiosk.invoke_submit_text();
    kiosk.invoke_submit_letter();
    anyhow::ensure!(reached(Page::LetterDone, true)?, "the letter request was not filed");
    app.window.window().take_snapshot()?;
    emit(&Report::Rss { after: "a letter request".into(), mb: rss_mb() })?;
    kiosk.invoke_go_home();

    kiosk.invoke_start_track();
    keys(&|k| kiosk.invoke_ticket_key(k), &ticket);
    kiosk.invoke_submit_ticket();
    anyhow::ensure!(reached(Page::TrackResult, false)?, "the ticket was not tracked");
    app.window.window().take_snapshot()?;
    emit(&Report::Rss { after: "tracking a ticket".into(), mb: rss_mb() })?;
    kiosk.invoke_go_home();
    Ok(())
}
