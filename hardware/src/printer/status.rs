//! Real-time printer status: DLE EOT n, the ESC/POS command every Epson-compatible thermal
//! printer answers at once, even while offline or with a full receive buffer, with one byte.
//!
//! | n | reply                     | bits used here (Epson ESC/POS reference, "DLE EOT")      |
//! |---|---------------------------|----------------------------------------------------------|
//! | 1 | printer status            | 3: offline                                               |
//! | 2 | offline cause             | 2: cover open, 5: printing stopped by paper end, 6: error |
//! | 3 | error cause               | 2: recoverable, 3: autocutter, 5: unrecoverable, 6: auto-recoverable (head too hot) |
//! | 4 | roll paper sensor         | 2,3: near-end sensor sees no paper, 5,6: end sensor sees no paper |
//!
//! Every reply has the fixed bits `0xx1xx10`: bit 1 and bit 4 on, bit 0 and bit 7 off, i.e.
//! `byte & 0x93 == 0x12`. That pattern is how a host tells a status byte from anything else
//! on the line (a late reply, noise), so a byte without it is rejected rather than read.
//! The bit meanings and the pattern check come from the `escpos` crate
//! ([`RealTimeStatusResponse::parse`]), which follows the same reference; this module turns
//! them into a [`PrinterStatus`] and status changes into [`StatusEvent`]s.
//!
//! The exchange itself (send, wait with a timeout, resync) lives with the connection
//! ([`crate::printer::connection`]); the background poll is [`StatusPoller`].

use std::collections::HashMap;
use std::fmt;
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use escpos::utils::{RealTimeStatusRequest, RealTimeStatusResponse};
use tokio::sync::mpsc;

/// DLE: the first byte of every real-time command.
pub const DLE: u8 = 0x10;
/// EOT: DLE EOT n is "transmit real-time status".
pub const EOT: u8 = 0x04;
/// The bits of a status reply that never change (0, 1, 4 and 7) ...
pub const FIXED_MASK: u8 = 0x93;
/// ... and their values: bit 1 and bit 4 on.
pub const FIXED_BITS: u8 = 0x12;

/// Which status byte to ask for: the `n` of DLE EOT n.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Query {
    /// n = 1: online or offline.
    Printer = 1,
    /// n = 2: why it is offline (cover, paper end, error).
    OfflineCause = 2,
    /// n = 3: which error.
    ErrorCause = 3,
    /// n = 4: the roll paper near-end and end sensors.
    RollPaper = 4,
}

impl Query {
    /// The four queries a status poll sends, in the order their replies are expected.
    pub const ALL: [Query; 4] =
        [Query::Printer, Query::OfflineCause, Query::ErrorCause, Query::RollPaper];

    pub fn n(self) -> u8 {
        self as u8
    }

    pub fn from_n(n: u8) -> Option<Query> {
        Query::ALL.into_iter().find(|q| q.n() == n)
    }

    /// The request bytes: DLE EOT n. (Only n = 7, 8 and 18 take a fourth byte.)
    pub fn request(self) -> [u8; 3] {
        [DLE, EOT, self.n()]
    }

    fn escpos(self) -> RealTimeStatusRequest {
        match self {
            Query::Printer => RealTimeStatusRequest::Printer,
            Query::OfflineCause => RealTimeStatusRequest::OfflineCause,
            Query::ErrorCause => RealTimeStatusRequest::ErrorCause,
            Query::RollPaper => RealTimeStatusRequest::RollPaperSensor,
        }
    }
}

/// True when `byte` has the fixed bits of a status reply.
pub fn is_status_reply(byte: u8) -> bool {
    byte & FIXED_MASK == FIXED_BITS
}

/// A reply byte that is not a status reply (its fixed bits are wrong).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("reply {byte:#04x} to DLE EOT {n} is not a status byte (fixed bits 0xx1xx10 expected)")]
pub struct BadReply {
    pub n: u8,
    pub byte: u8,
}

/// Why the printer cannot print, as DLE EOT 3 tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrinterFault {
    /// The cutter jammed (often paper stuck in it): clear it and close the cover.
    Autocutter,
    /// A hardware failure the printer cannot recover from: needs service.
    Unrecoverable,
    /// Clears by itself, typically the print head cooling down after a long job.
    AutoRecoverable,
    /// A recoverable error (e.g. a paper jam) that staff can clear.
    Recoverable,
    /// DLE EOT 2 says an error occurred but DLE EOT 3 names none of the above.
    Unknown,
}

impl fmt::Display for PrinterFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PrinterFault::Autocutter => "the cutter is jammed",
            PrinterFault::Unrecoverable => "hardware failure, service needed",
            PrinterFault::AutoRecoverable => "print head too hot, waiting for it to cool",
            PrinterFault::Recoverable => "recoverable error (paper jam?)",
            PrinterFault::Unknown => "unspecified error",
        })
    }
}

/// How much paper the roll sensors see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PaperLevel {
    #[default]
    Adequate,
    /// The near-end sensor sees the core: a few metres left.
    NearEnd,
    /// The end sensor sees no paper: nothing prints until a roll is loaded.
    Out,
}

/// What the printer reports about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PrinterStatus {
    /// Ready to print. A printer goes offline by itself with the cover open, the paper out
    /// or an error; the other fields say which.
    pub online: bool,
    pub cover_open: bool,
    pub paper_near_end: bool,
    pub paper_out: bool,
    pub error: Option<PrinterFault>,
}

impl PrinterStatus {
    /// A printer with nothing to report.
    pub const READY: PrinterStatus = PrinterStatus {
        online: true,
        cover_open: false,
        paper_near_end: false,
        paper_out: false,
        error: None,
    };

    /// Reads the replies to DLE EOT 1, 2, 3 and 4, in that order.
    pub fn from_replies(replies: [u8; 4]) -> Result<PrinterStatus, BadReply> {
        let [printer, offline, error, paper] = replies;
        let printer = flags(Query::Printer, printer)?;
        let offline = flags(Query::OfflineCause, offline)?;
        let error = flags(Query::ErrorCause, error)?;
        let paper = flags(Query::RollPaper, paper)?;
        let on = |map: &HashMap<RealTimeStatusResponse, bool>, key| map.get(&key) == Some(&true);
        let off = |map: &HashMap<RealTimeStatusResponse, bool>, key| map.get(&key) == Some(&false);
        use RealTimeStatusResponse as R;
        let fault = if on(&error, R::UnrecoverableErrorOccurred) {
            Some(PrinterFault::Unrecoverable)
        } else if on(&error, R::AutocutterErrorOccurred) {
            Some(PrinterFault::Autocutter)
        } else if on(&error, R::AutoRecoverableErrorOccurred) {
            Some(PrinterFault::AutoRecoverable)
        } else if on(&offline, R::ErrorOccurred) {
            // Bit 2 of DLE EOT 3 is "recoverable error" on Epson but undefined on several
            // compatibles, so it only names the error that DLE EOT 2 already reports.
            Some(if on(&error, R::RecoverableErrorOccurred) {
                PrinterFault::Recoverable
            } else {
                PrinterFault::Unknown
            })
        } else {
            None
        };
        Ok(PrinterStatus {
            online: on(&printer, R::Online),
            cover_open: off(&offline, R::CoverClosed),
            paper_near_end: off(&paper, R::RollPaperNearEndSensorPaperAdequate),
            paper_out: off(&paper, R::RollPaperEndSensorPaperPresent)
                || on(&offline, R::PrintingStopsDueToPaperEnd),
            error: fault,
        })
    }

    pub fn paper_level(&self) -> PaperLevel {
        if self.paper_out {
            PaperLevel::Out
        } else if self.paper_near_end {
            PaperLevel::NearEnd
        } else {
            PaperLevel::Adequate
        }
    }

    /// Offline for no reason the other fields give (e.g. paper being fed with the button,
    /// waiting for an online-recovery command). Reported on its own, so that a cover opened
    /// is one event, not "cover opened" plus "offline".
    pub fn offline_unexplained(&self) -> bool {
        !self.online && !self.cover_open && !self.paper_out && self.error.is_none()
    }
}

fn flags(query: Query, byte: u8) -> Result<HashMap<RealTimeStatusResponse, bool>, BadReply> {
    RealTimeStatusResponse::parse(query.escpos(), byte).map_err(|_| BadReply { n: query.n(), byte })
}

/// Why a printer counts as offline when a job is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfflineReason {
    /// No status reply (or no connection) within the timeout.
    NoReply { timeout: Duration },
    /// The printer says it is offline, for no reason it names (e.g. paper being fed with
    /// the button).
    Reported,
}

impl fmt::Display for OfflineReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OfflineReason::NoReply { timeout } => {
                write!(f, "no reply to a status request within {timeout:?}")
            }
            OfflineReason::Reported => f.write_str("the printer reports itself offline"),
        }
    }
}

/// One look at the printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reading {
    Status(PrinterStatus),
    /// No (valid) reply within the timeout: switched off, unplugged, cable fault, or a
    /// printer that does not implement DLE EOT.
    NoReply,
}

/// A change in the printer's condition. Sent once per change, never repeated by polling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusEvent {
    /// The printer stopped answering status requests (or could not be reached).
    NoReply,
    /// It answers again. Changes that happened meanwhile follow as their own events.
    Reconnected,
    /// Offline for a reason no other event explains.
    Offline,
    /// Back online after [`StatusEvent::Offline`].
    Online,
    CoverOpened,
    CoverClosed,
    /// The near-end sensor sees the roll's end coming: time to fetch a new roll.
    PaperNearEnd,
    /// No paper: prints are refused until a roll is loaded.
    PaperOut,
    /// The sensors see enough paper again after near-end or out.
    PaperRefilled,
    Fault(PrinterFault),
    FaultCleared,
    /// The paper counter (see [`crate::printer::paper`]) has passed the warning threshold:
    /// this much paper is left by its count, usually before the near-end sensor notices.
    RollLow {
        remaining_mm: u64,
    },
}

impl fmt::Display for StatusEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusEvent::NoReply => f.write_str("printer not answering"),
            StatusEvent::Reconnected => f.write_str("printer answering again"),
            StatusEvent::Offline => f.write_str("printer offline"),
            StatusEvent::Online => f.write_str("printer online"),
            StatusEvent::CoverOpened => f.write_str("printer cover opened"),
            StatusEvent::CoverClosed => f.write_str("printer cover closed"),
            StatusEvent::PaperNearEnd => f.write_str("paper roll nearly empty"),
            StatusEvent::PaperOut => f.write_str("paper roll empty"),
            StatusEvent::PaperRefilled => f.write_str("paper loaded"),
            StatusEvent::Fault(fault) => write!(f, "printer error: {fault}"),
            StatusEvent::FaultCleared => f.write_str("printer error cleared"),
            StatusEvent::RollLow { remaining_mm } => {
                write!(f, "paper roll low: about {} m left", remaining_mm / 1000)
            }
        }
    }
}

/// The events that lead from `before` to `after`: errors first (they explain the rest), then
/// the cover, the paper and an unexplained offline.
pub fn transitions(before: &PrinterStatus, after: &PrinterStatus) -> Vec<StatusEvent> {
    let mut events = Vec::new();
    if before.error != after.error {
        events.push(after.error.map_or(StatusEvent::FaultCleared, StatusEvent::Fault));
    }
    if before.cover_open != after.cover_open {
        events.push(if after.cover_open {
            StatusEvent::CoverOpened
        } else {
            StatusEvent::CoverClosed
        });
    }
    if before.paper_level() != after.paper_level() {
        events.push(match after.paper_level() {
            PaperLevel::Out => StatusEvent::PaperOut,
            PaperLevel::NearEnd => StatusEvent::PaperNearEnd,
            PaperLevel::Adequate => StatusEvent::PaperRefilled,
        });
    }
    if before.offline_unexplained() != after.offline_unexplained() {
        events.push(if after.offline_unexplained() {
            StatusEvent::Offline
        } else {
            StatusEvent::Online
        });
    }
    events
}

/// Remembers the last reading and turns each new one into events.
///
/// The starting point is a healthy printer, so a printer already out of paper when the kiosk
/// starts produces [`StatusEvent::PaperOut`] on the first reading, and a healthy one produces
/// nothing. After [`StatusEvent::NoReply`], the next answer is compared with the last
/// answered status, so a roll still empty after a replug is not reported twice.
#[derive(Debug)]
pub struct StatusTracker {
    last_answered: PrinterStatus,
    answering: bool,
    current: Option<Reading>,
    events: Option<mpsc::UnboundedSender<StatusEvent>>,
}

impl Default for StatusTracker {
    fn default() -> StatusTracker {
        StatusTracker {
            last_answered: PrinterStatus::READY,
            answering: true,
            current: None,
            events: None,
        }
    }
}

impl StatusTracker {
    /// Events go to the returned receiver from now on (replacing an earlier subscriber).
    /// Unbounded because events are rare (changes only) and sending must never block the
    /// print path or panic inside an async runtime.
    pub fn subscribe(&mut self) -> mpsc::UnboundedReceiver<StatusEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.events = Some(tx);
        rx
    }

    /// The last reading, if any was taken.
    pub fn current(&self) -> Option<Reading> {
        self.current
    }

    /// Records a reading; returns (and sends to the subscriber) the events it causes.
    pub fn observe(&mut self, reading: Reading) -> Vec<StatusEvent> {
        self.current = Some(reading);
        let events = match reading {
            Reading::NoReply => {
                let first = std::mem::replace(&mut self.answering, false);
                if first { vec![StatusEvent::NoReply] } else { Vec::new() }
            }
            Reading::Status(status) => {
                let mut events = Vec::new();
                if !std::mem::replace(&mut self.answering, true) {
                    events.push(StatusEvent::Reconnected);
                }
                events.extend(transitions(&self.last_answered, &status));
                self.last_answered = status;
                events
            }
        };
        self.send(&events);
        events
    }

    /// Sends events that do not come from a reading (the paper counter's warning).
    pub fn announce(&mut self, event: StatusEvent) {
        self.send(&[event]);
    }

    fn send(&mut self, events: &[StatusEvent]) {
        for event in events {
            tracing::info!(%event, "printer status");
            if let Some(tx) = &self.events
                && tx.send(*event).is_err()
            {
                // The receiver is gone: nobody listens any more.
                self.events = None;
            }
        }
    }
}

/// A background thread that takes a status reading every `interval` until stopped or dropped.
///
/// A blocking thread rather than a tokio task: the exchange is blocking I/O with timeouts
/// and shares the printer's connection lock with blocking print jobs.
#[derive(Debug)]
pub struct StatusPoller {
    stop: Option<std_mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl StatusPoller {
    /// Starts polling: `poll` runs at once, then every `interval` after the previous one ends.
    pub fn spawn(
        interval: Duration,
        mut poll: impl FnMut() + Send + 'static,
    ) -> std::io::Result<StatusPoller> {
        let (stop, stopped) = std_mpsc::channel::<()>();
        let thread =
            std::thread::Builder::new().name("printer-status".into()).spawn(move || {
                loop {
                    poll();
                    match stopped.recv_timeout(interval) {
                        Err(std_mpsc::RecvTimeoutError::Timeout) => continue,
                        // A message or the handle dropped: stop.
                        _ => break,
                    }
                }
            })?;
        Ok(StatusPoller { stop: Some(stop), thread: Some(thread) })
    }

    /// Stops polling; returns once a reading in progress has finished (bounded by the
    /// connection's timeouts).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("printer status poller panicked");
        }
    }
}

impl Drop for StatusPoller {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_dle_eot_n() {
        assert_eq!(Query::Printer.request(), [0x10, 0x04, 1]);
        assert_eq!(Query::RollPaper.request(), [0x10, 0x04, 4]);
        assert_eq!(Query::from_n(3), Some(Query::ErrorCause));
        assert_eq!(Query::from_n(5), None);
    }

    #[test]
    fn a_healthy_printer_answers_the_fixed_pattern_only() {
        let status = PrinterStatus::from_replies([0x12; 4]).expect("valid");
        assert_eq!(status, PrinterStatus::READY);
    }

    #[test]
    fn paper_out_as_a_real_printer_reports_it() {
        // Offline (0x08), stopped by paper end (0x20), both roll sensors empty (0x0C|0x60).
        let status = PrinterStatus::from_replies([0x1A, 0x32, 0x12, 0x7E]).expect("valid");
        assert!(!status.online && status.paper_out && status.paper_near_end);
        assert_eq!(status.paper_level(), PaperLevel::Out);
        assert!(!status.offline_unexplained(), "paper explains the offline");
        assert_eq!(status.error, None);
    }

    #[test]
    fn near_end_alone_keeps_printing() {
        let status = PrinterStatus::from_replies([0x12, 0x12, 0x12, 0x1E]).expect("valid");
        assert!(status.online && status.paper_near_end && !status.paper_out);
    }

    #[test]
    fn cover_open_and_errors_are_named() {
        let cover = PrinterStatus::from_replies([0x1A, 0x16, 0x12, 0x12]).expect("valid");
        assert!(cover.cover_open && !cover.online && !cover.offline_unexplained());
        let cutter = PrinterStatus::from_replies([0x1A, 0x52, 0x1A, 0x12]).expect("valid");
        assert_eq!(cutter.error, Some(PrinterFault::Autocutter));
        let hot = PrinterStatus::from_replies([0x1A, 0x52, 0x52, 0x12]).expect("valid");
        assert_eq!(hot.error, Some(PrinterFault::AutoRecoverable));
        let dead = PrinterStatus::from_replies([0x1A, 0x52, 0x3A, 0x12]).expect("valid");
        assert_eq!(dead.error, Some(PrinterFault::Unrecoverable), "the worst cause wins");
        let vague = PrinterStatus::from_replies([0x1A, 0x52, 0x12, 0x12]).expect("valid");
        assert_eq!(vague.error, Some(PrinterFault::Unknown));
        // Bit 2 of DLE EOT 3 alone (undefined on some compatibles) is not an error.
        let stray = PrinterStatus::from_replies([0x12, 0x12, 0x16, 0x12]).expect("valid");
        assert_eq!(stray.error, None);
    }

    #[test]
    fn bytes_without_the_fixed_bits_are_rejected() {
        for byte in 0..=u8::MAX {
            let valid = PrinterStatus::from_replies([byte, 0x12, 0x12, 0x12]).is_ok();
            assert_eq!(valid, byte & 0x93 == 0x12, "{byte:#04x}");
        }
        let error = PrinterStatus::from_replies([0x12, 0x12, 0x12, 0x00]).expect_err("bad");
        assert_eq!(error, BadReply { n: 4, byte: 0 });
    }

    fn with(f: impl FnOnce(&mut PrinterStatus)) -> PrinterStatus {
        let mut status = PrinterStatus::READY;
        f(&mut status);
        status
    }

    #[test]
    fn the_paper_runs_out_and_is_refilled() {
        let mut tracker = StatusTracker::default();
        let near = with(|s| s.paper_near_end = true);
        let out = with(|s| {
            s.paper_near_end = true;
            s.paper_out = true;
            s.online = false;
        });
        let mut events = Vec::new();
        for status in [PrinterStatus::READY, near, near, out, out, PrinterStatus::READY] {
            events.extend(tracker.observe(Reading::Status(status)));
        }
        assert_eq!(
            events,
            [StatusEvent::PaperNearEnd, StatusEvent::PaperOut, StatusEvent::PaperRefilled]
        );
    }

    #[test]
    fn silence_is_reported_once_and_not_repeated_after_reconnecting() {
        let mut tracker = StatusTracker::default();
        let mut rx = tracker.subscribe();
        let out = with(|s| {
            s.paper_out = true;
            s.online = false;
        });
        tracker.observe(Reading::Status(out));
        tracker.observe(Reading::NoReply);
        tracker.observe(Reading::NoReply);
        tracker.observe(Reading::Status(out));
        tracker.observe(Reading::Status(PrinterStatus::READY));
        let mut got = Vec::new();
        while let Ok(event) = rx.try_recv() {
            got.push(event);
        }
        assert_eq!(
            got,
            [
                StatusEvent::PaperOut,
                StatusEvent::NoReply,
                StatusEvent::Reconnected,
                StatusEvent::PaperRefilled
            ]
        );
        assert_eq!(tracker.current(), Some(Reading::Status(PrinterStatus::READY)));
    }

    #[test]
    fn a_printer_broken_at_start_is_reported_at_once() {
        let mut tracker = StatusTracker::default();
        let events = tracker.observe(Reading::Status(with(|s| {
            s.online = false;
            s.cover_open = true;
        })));
        assert_eq!(events, [StatusEvent::CoverOpened]);
        assert_eq!(StatusTracker::default().observe(Reading::NoReply), [StatusEvent::NoReply]);
    }

    #[test]
    fn an_unexplained_offline_is_its_own_event() {
        let offline = with(|s| s.online = false);
        assert_eq!(transitions(&PrinterStatus::READY, &offline), [StatusEvent::Offline]);
        let cover = with(|s| {
            s.online = false;
            s.cover_open = true;
        });
        // Cover closed but still offline (e.g. the feed button held): one event each.
        assert_eq!(transitions(&cover, &offline), [StatusEvent::CoverClosed, StatusEvent::Offline]);
        let fault = with(|s| {
            s.online = false;
            s.error = Some(PrinterFault::Autocutter);
        });
        assert_eq!(transitions(&fault, &PrinterStatus::READY), [StatusEvent::FaultCleared]);
    }

    #[test]
    fn the_poller_polls_until_dropped() {
        let (tx, rx) = std_mpsc::channel();
        let poller = StatusPoller::spawn(Duration::from_millis(10), move || {
            let _ = tx.send(());
        })
        .expect("spawn");
        for _ in 0..3 {
            rx.recv_timeout(Duration::from_secs(5)).expect("a poll");
        }
        drop(poller);
        // The thread is joined: its sender is gone, so the channel disconnects.
        while rx.recv_timeout(Duration::from_secs(5)).is_ok() {}
        assert!(matches!(rx.try_recv(), Err(std_mpsc::TryRecvError::Disconnected)));
    }
}
