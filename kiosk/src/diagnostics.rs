//! What the kiosk knows about its own health, for the staff screen and the heartbeat:
//! today's counters, the printer's state as seen from the jobs sent to it, the paper count,
//! and the last receipt (kept for a staff reprint only until the next visitor starts).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use hardware::printer::paper::PaperCounter;
use hardware::printer::{Document, PrintError, Printer};
use protocol::fleet::{PrinterState, PrinterStatus};

/// Lookups, reports and prints since midnight (kiosk-local day), counted in memory: a
/// restart starts them again, which the staff screen says.
#[derive(Debug, Default)]
pub struct Counters {
    day: AtomicU64,
    lookups: AtomicU64,
    reports: AtomicU64,
    prints: AtomicU64,
}

/// A snapshot of [`Counters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Today {
    pub lookups: u64,
    pub reports: u64,
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
            for counter in [&self.lookups, &self.reports, &self.prints] {
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
    receipt: Option<Document>,
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

    /// The printer's state as far as the kiosk can tell: `None` before the first job.
    pub fn status(&self) -> Option<PrinterStatus> {
        let state = self.seen().last_state;
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
}
