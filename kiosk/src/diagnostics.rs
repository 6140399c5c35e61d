//! What the kiosk knows about its own health, for the staff screen and the heartbeat:
//! today's counters, the printer's state as seen from the jobs sent to it, the paper count,
//! and the last receipt (kept for a staff reprint only until the next visitor starts).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use hardware::printer::paper::PaperCounter;
use hardware::printer::status::StatusEvent;
use hardware::printer::{Document, PrintError, Printer};
use protocol::fleet::{PrinterState, PrinterStatus};
use time::UtcOffset;

/// Lookups, reports, letter requests and prints, counted in memory: a restart starts them
/// again, which the staff screen says. Counted in quarter-hour slots of UTC time, so the
/// counters need no time zone: whoever asks for [`Counters::today`] passes the kiosk's UTC
/// offset (from its settings), and gets what happened since midnight there.
#[derive(Debug, Default)]
pub struct Counters {
    slots: Mutex<VecDeque<Slot>>,
}

/// A snapshot of [`Counters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Today {
    pub lookups: u64,
    pub reports: u64,
    pub letters: u64,
    pub prints: u64,
}

/// What was counted in one quarter hour starting at `start` (Unix seconds).
#[derive(Debug, Clone, Copy)]
struct Slot {
    start: i64,
    counts: Today,
}

/// Every UTC offset in use is a whole number of quarter hours, so a local midnight always
/// starts a slot.
const SLOT_SECONDS: i64 = 15 * 60;
/// A local midnight is at most a day ago: older slots count for no "today".
const KEEP_SECONDS: i64 = 24 * 3600 + SLOT_SECONDS;

impl Counters {
    fn add(&self, count: impl FnOnce(&mut Today)) {
        self.add_at(time::OffsetDateTime::now_utc().unix_timestamp(), count);
    }

    fn add_at(&self, at: i64, count: impl FnOnce(&mut Today)) {
        let start = at.div_euclid(SLOT_SECONDS) * SLOT_SECONDS;
        let mut slots = self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Old slots go, and so do slots "in the future" when the clock was set back.
        slots.retain(|slot| slot.start > start - KEEP_SECONDS && slot.start <= start);
        match slots.back_mut() {
            Some(slot) if slot.start == start => count(&mut slot.counts),
            _ => {
                let mut counts = Today::default();
                count(&mut counts);
                slots.push_back(Slot { start, counts });
            }
        }
    }

    /// A status lookup answered by the central service.
    pub fn lookup(&self) {
        self.add(|today| today.lookups += 1);
    }

    /// A report filed with the central service.
    pub fn report(&self) {
        self.add(|today| today.reports += 1);
    }

    /// A letter request filed with the central service.
    pub fn letter(&self) {
        self.add(|today| today.letters += 1);
    }

    /// A receipt printed for a citizen.
    pub fn print(&self) {
        self.add(|today| today.prints += 1);
    }

    /// What was counted since midnight at `offset` (the kiosk's time zone).
    pub fn today(&self, offset: UtcOffset) -> Today {
        self.today_at(time::OffsetDateTime::now_utc(), offset)
    }

    fn today_at(&self, now: time::OffsetDateTime, offset: UtcOffset) -> Today {
        let midnight = now.to_offset(offset).replace_time(time::Time::MIDNIGHT).unix_timestamp();
        let now = now.unix_timestamp();
        let slots = self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        slots.iter().filter(|slot| (midnight..=now).contains(&slot.start)).fold(
            Today::default(),
            |sum, slot| Today {
                lookups: sum.lookups + slot.counts.lookups,
                reports: sum.reports + slot.counts.reports,
                letters: sum.letters + slot.counts.letters,
                prints: sum.prints + slot.counts.prints,
            },
        )
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
    /// Where prints are counted: the kiosk's [`counters`] unless a test gives its own (the
    /// kiosk's are shared by every test of the process).
    counted: Option<&'static Counters>,
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
                self.counted.unwrap_or_else(counters).print();
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
        // Counters of its own: other tests print through the kiosk's at the same time.
        let counted: &'static Counters = Box::leak(Box::default());
        let monitor = PrinterMonitor { counted: Some(counted), ..PrinterMonitor::new(None) };
        let mut printer = monitor.wrap(Box::new(MemoryPrinter::new(Paper::Mm58)));
        assert_eq!(monitor.status(), None, "nothing known before the first job");
        printer.print(&receipt("citizen")).expect("print");
        monitor.staff_job(|| printer.print(&receipt("test page"))).expect("print");
        assert_eq!(monitor.last_receipt(), Some(receipt("citizen")));
        let prints = counted.today(UtcOffset::UTC).prints;
        assert_eq!(prints, 1, "the citizen's slip is counted, the test page is not");
        assert_eq!(monitor.status().map(|s| s.state), Some(PrinterState::Online));
        monitor.forget_receipt();
        assert_eq!(monitor.last_receipt(), None);
    }

    #[test]
    fn today_starts_at_midnight_in_the_time_zone_asked_for() {
        let at = |text: &str| {
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .expect("time")
        };
        let wib = UtcOffset::from_hms(7, 0, 0).expect("offset");
        let wit = UtcOffset::from_hms(9, 0, 0).expect("offset");
        let counters = Counters::default();
        // 23:59 WIB on the 22nd, then just after midnight WIB on the 23rd.
        counters.add_at(at("2026-11-22T16:59:00Z").unix_timestamp(), |t| t.lookups += 1);
        counters.add_at(at("2026-11-22T17:00:30Z").unix_timestamp(), |t| t.prints += 1);
        counters.add_at(at("2026-11-22T17:10:00Z").unix_timestamp(), |t| t.prints += 1);
        let morning = at("2026-11-23T01:00:00Z");
        assert_eq!(counters.today_at(morning, wib), Today { prints: 2, ..Today::default() });
        // In WIT (UTC+9) all three fell on the 23rd (from 01:59 there).
        assert_eq!(
            counters.today_at(morning, wit),
            Today { lookups: 1, prints: 2, ..Today::default() }
        );
        // A day later nothing is left, and the clock set back forgets the "future".
        assert_eq!(counters.today_at(at("2026-11-24T01:00:00Z"), wib), Today::default());
        counters.add_at(at("2026-11-22T10:00:00Z").unix_timestamp(), |t| t.reports += 1);
        assert_eq!(
            counters.today_at(at("2026-11-22T10:01:00Z"), wib),
            Today { reports: 1, ..Today::default() }
        );
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
