//! What the kiosk knows about its own health, for the staff screen and the heartbeat:
//! today's counters, the printer's state as seen from the jobs sent to it, the paper count,
//! and the last receipt (kept for a staff reprint only until the next visitor starts).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use hardware::printer::paper::PaperCounter;
use hardware::printer::status::StatusEvent;
use hardware::printer::{Document, PrintError, Printer};
use protocol::fleet::{PrinterState, PrinterStatus};

/// Lookups, reports, letter requests and prints since midnight (kiosk-local day), counted in memory: a
/// restart starts them again, which the staff screen says.
#[derive(Debug, Default)]
pub struct Counters {
    day: AtomicU64,
    lookups: AtomicU64,
    reports: AtomicU64,
    letters: AtomicU64,
    prints: AtomicU64,
}

/// A snapshot of [`Counters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Today {
    pub lookups: u64,
    pub reports: u64,
    pub letters: u64,
    pub prints: u64,
}

/// Hours ahead of UTC used to decide when "today" starts (WIB unless set otherwise).
static UTC_OFFSET_HOURS: AtomicU64 = AtomicU64::new(7);

/// Sets the kiosk's UTC offset for the day boundary of the counters.
pub fn set_utc_offset_hours(hours: i8) {
    UTC_OFFSET_HOURS.store(hours.clamp(0, 14) as u64, Ordering::Relaxed);
}

fn local_day() -> u64 {
    let offset = UTC_OFFSET_HOURS.load(Ordering::Relaxed) as i64 * 3600;
    let now = time::OffsetDateTime::now_utc().unix_timestamp() + offset;
    (now.max(0) / 86_400) as u64
}

impl Counters {
    fn roll_over(&self) {
        let today = local_day();
        if self.day.swap(today, Ordering::Relaxed) != today {
            for counter in [&self.lookups, &self.reports, &self.letters, &self.prints] {
                counter.store(0, Ordering::Relaxed);
            }
        }
    }

    /// A status lookup answered by the central service.
    pub fn lookup(&self) {
        self.roll_over();
        self.lookups.fetch_add(1, Ordering::Relaxed);
    }

    /// A report filed with the central service.
    pub fn report(&self) {
        self.roll_over();
        self.reports.fetch_add(1, Ordering::Relaxed);
    }

    /// A letter request filed with the central service.
    pub fn letter(&self) {
        self.roll_over();
        self.letters.fetch_add(1, Ordering::Relaxed);
    }

    /// A receipt printed for a citizen.
    pub fn print(&self) {
        self.roll_over();
        self.prints.fetch_add(1, Ordering::Relaxed);
    }

    pub fn today(&self) -> Today {
        self.roll_over();
        Today {
            lookups: self.lookups.load(Ordering::Relaxed),
            reports: self.reports.load(Ordering::Relaxed),
            letters: self.letters.load(Ordering::Relaxed),
            prints: self.prints.load(Ordering::Relaxed),
        }
    }
}

/// The process's counters (one kiosk per process).
pub fn counters() -> &'static Counters {
    static COUNTERS: OnceLock<Counters> = OnceLock::new();
    COUNTERS.get_or_init(Counters::default)
}

/// What the monitor saw; shared between the printer wrapper, the staff screen and the agent.
#[derive(Default)]
struct Seen {
    /// Outcome of the last job: `None` before the first.
    last: Option<Result<(), String>>,
    last_state: Option<PrinterState>,
    /// What the printer itself reports (DLE EOT), when it can: `None` for printers that
    /// cannot answer, whose state is told by job outcomes alone.
    device: Option<DeviceCondition>,
    receipt: Option<Document>,
}

/// The printer's condition as its status events tell it, one flag per sensor, so that two
/// problems at once (cover open and paper out) are both remembered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeviceCondition {
    pub unreachable: bool,
    pub offline: bool,
    pub fault: bool,
    pub cover_open: bool,
    pub paper_out: bool,
    pub paper_near_end: bool,
}

impl DeviceCondition {
    /// Applies one status event from the printer.
    pub fn apply(&mut self, event: StatusEvent) {
        match event {
            StatusEvent::NoReply => self.unreachable = true,
            StatusEvent::Reconnected => self.unreachable = false,
            StatusEvent::Offline => self.offline = true,
            StatusEvent::Online => self.offline = false,
            StatusEvent::CoverOpened => self.cover_open = true,
            StatusEvent::CoverClosed => self.cover_open = false,
            StatusEvent::PaperNearEnd => (self.paper_near_end, self.paper_out) = (true, false),
            StatusEvent::PaperOut => self.paper_out = true,
            StatusEvent::PaperRefilled => (self.paper_near_end, self.paper_out) = (false, false),
            StatusEvent::Fault(_) => self.fault = true,
            StatusEvent::FaultCleared => self.fault = false,
            // The kiosk's own paper count already says this (PrinterMonitor::status); events
            // a later hardware version adds change nothing here until they are known.
            _ => {}
        }
    }

    /// The one state the heartbeat and the staff screen show: what stops printing first.
    pub fn state(&self) -> PrinterState {
        if self.unreachable || self.offline || self.fault {
            PrinterState::Offline
        } else if self.cover_open {
            PrinterState::CoverOpen
        } else if self.paper_out {
            PrinterState::PaperOut
        } else if self.paper_near_end {
            PrinterState::PaperNearEnd
        } else {
            PrinterState::Online
        }
    }
}

/// Watches every job sent to the printer. Clones share one state.
#[derive(Clone, Default)]
pub struct PrinterMonitor {
    seen: Arc<Mutex<Seen>>,
    /// Set while a staff job (test page, reprint) runs: it is neither counted nor kept.
    staff_job: Arc<AtomicBool>,
    paper: Option<PaperCounter>,
}

impl PrinterMonitor {
    /// A monitor counting paper with `paper`, when the kiosk keeps a count.
    pub fn new(paper: Option<PaperCounter>) -> PrinterMonitor {
        PrinterMonitor { paper, ..PrinterMonitor::default() }
    }

    fn seen(&self) -> MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wraps the printer every job goes through.
    pub fn wrap(&self, inner: Box<dyn Printer>) -> Box<dyn Printer> {
        Box::new(MonitoredPrinter { inner, monitor: self.clone() })
    }

    /// Runs a staff job: not counted as a citizen's print, and the last receipt stays.
    pub fn staff_job<T>(&self, job: impl FnOnce() -> T) -> T {
        self.staff_job.store(true, Ordering::SeqCst);
        let result = job();
        self.staff_job.store(false, Ordering::SeqCst);
        result
    }

    /// The paper counter, when the kiosk keeps one.
    pub fn paper(&self) -> Option<&PaperCounter> {
        self.paper.as_ref()
    }

    /// A status event from the printer itself (its DLE EOT poller).
    pub fn device_event(&self, event: StatusEvent) {
        let mut seen = self.seen();
        seen.device.get_or_insert_with(DeviceCondition::default).apply(event);
    }

    /// Follows a printer's status events for as long as it reports them: logged (so the
    /// staff screen's log tail says "paper out") and kept for the heartbeat and the staff
    /// screen.
    pub fn follow(
        &self,
        mut events: tokio::sync::mpsc::UnboundedReceiver<StatusEvent>,
        runtime: &tokio::runtime::Handle,
    ) {
        let monitor = self.clone();
        runtime.spawn(async move {
            while let Some(event) = events.recv().await {
                match event {
                    StatusEvent::PaperOut
                    | StatusEvent::CoverOpened
                    | StatusEvent::Fault(_)
                    | StatusEvent::NoReply
                    | StatusEvent::Offline => tracing::warn!(%event, "printer"),
                    _ => tracing::info!(%event, "printer"),
                }
                monitor.device_event(event);
            }
        });
    }

    /// The printer's state as far as the kiosk can tell: what the printer reports when it
    /// can, else the last job's outcome; `None` before either.
    pub fn status(&self) -> Option<PrinterStatus> {
        let (device, last) = {
            let seen = self.seen();
            (seen.device, seen.last_state)
        };
        let state = device.map(|d| d.state()).or(last);
        let remaining =
            self.paper.as_ref().map(|p| u32::try_from(p.remaining_mm()).unwrap_or(u32::MAX));
        let near_end = self.paper.as_ref().is_some_and(PaperCounter::should_warn);
        let state = match (state, near_end) {
            (Some(PrinterState::Online), true) => Some(PrinterState::PaperNearEnd),
            (None, true) => Some(PrinterState::PaperNearEnd),
            (state, _) => state,
        }?;
        Some(PrinterStatus { state, paper_remaining_mm: remaining })
    }

    /// Why the last job failed, if it did.
    pub fn last_error(&self) -> Option<String> {
        match &self.seen().last {
            Some(Err(error)) => Some(error.clone()),
            _ => None,
        }
    }

    /// The last citizen receipt, for a staff reprint.
    pub fn last_receipt(&self) -> Option<Document> {
        self.seen().receipt.clone()
    }

    /// A new visitor has started: the previous one's receipt is dropped.
    pub fn forget_receipt(&self) {
        self.seen().receipt = None;
    }

    fn record(&self, doc: &Document, outcome: &Result<(), PrintError>) {
        let staff = self.staff_job.load(Ordering::SeqCst);
        let mut seen = self.seen();
        seen.last = Some(outcome.as_ref().map(|_| ()).map_err(|e| e.to_string()));
        seen.last_state = Some(match outcome {
            Ok(()) => PrinterState::Online,
            // The document was refused before any byte left: the printer itself is fine.
            Err(PrintError::Encoding(_)) => seen.last_state.unwrap_or(PrinterState::Online),
            Err(PrintError::PaperOut) => PrinterState::PaperOut,
            Err(PrintError::CoverOpen) => PrinterState::CoverOpen,
            Err(_) => PrinterState::Offline,
        });
        if outcome.is_ok() {
            if let Some(paper) = &self.paper
                && let Err(error) = paper.record(doc)
            {
                tracing::warn!(%error, "paper count not saved");
            }
            if !staff {
                seen.receipt = Some(doc.clone());
                drop(seen);
                counters().print();
            }
        }
    }
}

/// A printer whose every job is seen by a [`PrinterMonitor`].
struct MonitoredPrinter {
    inner: Box<dyn Printer>,
    monitor: PrinterMonitor,
}

impl Printer for MonitoredPrinter {
    fn print(&mut self, doc: &Document) -> Result<(), PrintError> {
        let outcome = self.inner.print(doc);
        self.monitor.record(doc, &outcome);
        outcome
    }

    fn name(&self) -> String {
        self.inner.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hardware::printer::Paper;
    use hardware::printer::sim::MemoryPrinter;

    struct Unplugged;
    impl Printer for Unplugged {
        fn print(&mut self, _: &Document) -> Result<(), PrintError> {
            Err(PrintError::Io(std::io::Error::other("no device")))
        }
        fn name(&self) -> String {
            "unplugged".into()
        }
    }

    fn receipt(text: &str) -> Document {
        let mut doc = Document::new(Paper::Mm58);
        doc.text(text, Default::default()).cut();
        doc
    }

    #[test]
    fn citizen_jobs_are_kept_for_reprint_staff_jobs_are_not() {
        let monitor = PrinterMonitor::new(None);
        let mut printer = monitor.wrap(Box::new(MemoryPrinter::new(Paper::Mm58)));
        assert_eq!(monitor.status(), None, "nothing known before the first job");
        let before = counters().today().prints;
        printer.print(&receipt("citizen")).expect("print");
        monitor.staff_job(|| printer.print(&receipt("test page"))).expect("print");
        assert_eq!(monitor.last_receipt(), Some(receipt("citizen")));
        assert_eq!(counters().today().prints, before + 1, "the test page is not counted");
        assert_eq!(monitor.status().map(|s| s.state), Some(PrinterState::Online));
        monitor.forget_receipt();
        assert_eq!(monitor.last_receipt(), None);
    }

    #[test]
    fn a_failed_job_marks_the_printer_offline() {
        let monitor = PrinterMonitor::new(None);
        let mut printer = monitor.wrap(Box::new(Unplugged));
        assert!(printer.print(&receipt("x")).is_err());
        assert_eq!(monitor.status().map(|s| s.state), Some(PrinterState::Offline));
        assert!(monitor.last_error().is_some_and(|e| e.contains("no device")));
        assert_eq!(monitor.last_receipt(), None, "an unprinted receipt is not reprinted");
    }

    #[test]
    fn the_printers_own_status_wins_and_keeps_every_problem() {
        let mut condition = DeviceCondition::default();
        assert_eq!(condition.state(), PrinterState::Online);
        condition.apply(StatusEvent::PaperNearEnd);
        assert_eq!(condition.state(), PrinterState::PaperNearEnd);
        condition.apply(StatusEvent::PaperOut);
        condition.apply(StatusEvent::CoverOpened);
        assert_eq!(condition.state(), PrinterState::CoverOpen, "the cover first: staff open it");
        condition.apply(StatusEvent::CoverClosed);
        assert_eq!(condition.state(), PrinterState::PaperOut, "the paper is still out");
        condition.apply(StatusEvent::NoReply);
        assert_eq!(condition.state(), PrinterState::Offline);
        condition.apply(StatusEvent::Reconnected);
        condition.apply(StatusEvent::PaperRefilled);
        assert_eq!(condition.state(), PrinterState::Online);

        let monitor = PrinterMonitor::new(None);
        let mut printer = monitor.wrap(Box::new(MemoryPrinter::new(Paper::Mm58)));
        printer.print(&receipt("ok")).expect("print");
        monitor.device_event(StatusEvent::PaperOut);
        assert_eq!(monitor.status().map(|s| s.state), Some(PrinterState::PaperOut));
    }
}
