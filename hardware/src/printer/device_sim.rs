//! A simulated thermal printer on the far end of a real line: the master side of a
//! pseudo-terminal (the kiosk opens the slave path as a serial or USB printer) or a TCP port
//! on 127.0.0.1 (the network kind). It keeps every job byte it receives, answers DLE EOT 1-4
//! at once with the bytes an Epson-compatible printer sends in its current state, and lets
//! the demo and the tests run the paper low, open the cover, jam the cutter or stop
//! answering.
//!
//! Like a real printer it handles real-time requests as they arrive, even while "offline",
//! and it keeps data sent while out of paper (a real one buffers it and prints after the
//! roll is changed).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::printer::connection::{DEFAULT_BAUD, PrinterConfig};
use crate::printer::decode::{Decoded, decode};
use crate::printer::status::{DLE, EOT, FIXED_BITS, PaperLevel, PrinterFault, Query};
use crate::pty::PtyCapture;

/// What the simulated printer is going through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SimState {
    pub paper: PaperLevel,
    pub cover_open: bool,
    pub fault: Option<PrinterFault>,
    /// Offline for another reason (the feed button held down).
    pub offline: bool,
    /// False: a printer that never replies to DLE EOT (switched off behind a live
    /// connection, a one-way cable, a model without status).
    pub answers_status: bool,
}

impl Default for SimState {
    fn default() -> SimState {
        SimState {
            paper: PaperLevel::Adequate,
            cover_open: false,
            fault: None,
            offline: false,
            answers_status: true,
        }
    }
}

impl SimState {
    /// The reply to DLE EOT n in this state, bit for bit as the ESC/POS reference gives it
    /// (see [`crate::printer::status`]): the fixed bits 0x12 plus the state's bits.
    pub fn reply(&self, query: Query) -> u8 {
        let out = self.paper == PaperLevel::Out;
        let bit = |on: bool, mask: u8| if on { mask } else { 0 };
        let bits = match query {
            // A printer stops by itself with the cover open, no paper or an error.
            Query::Printer => {
                bit(self.offline || self.cover_open || out || self.fault.is_some(), 0x08)
            }
            Query::OfflineCause => {
                bit(self.cover_open, 0x04) | bit(out, 0x20) | bit(self.fault.is_some(), 0x40)
            }
            Query::ErrorCause => match self.fault {
                Some(PrinterFault::Recoverable) => 0x04,
                Some(PrinterFault::Autocutter) => 0x08,
                Some(PrinterFault::Unrecoverable) => 0x20,
                Some(PrinterFault::AutoRecoverable) => 0x40,
                Some(PrinterFault::Unknown) | None => 0,
            },
            // With the roll empty the near-end sensor sees no paper either.
            Query::RollPaper => bit(self.paper != PaperLevel::Adequate, 0x0C) | bit(out, 0x60),
        };
        FIXED_BITS | bits
    }
}

/// Where the incoming stream is: job data or part-way through DLE EOT n.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Stage {
    #[default]
    Data,
    Dle,
    DleEot,
}

/// Splits the incoming stream into job data and DLE EOT n requests, across reads.
#[derive(Debug, Default)]
struct RealTime {
    stage: Stage,
    /// The state DLE EOT 1 was answered from, for the 2, 3 and 4 that follow it. A real
    /// printer answers a poll's four requests within microseconds, far quicker than a cover
    /// opens or a roll runs out; answering them from one moment keeps a test's state change
    /// from landing between two replies of one poll.
    burst: Option<(SimState, u8)>,
}

impl RealTime {
    fn state_for(&mut self, query: Query, now: SimState) -> SimState {
        if query == Query::Printer {
            self.burst = Some((now, 3));
            return now;
        }
        match &mut self.burst {
            Some((state, left)) if *left > 0 => {
                *left -= 1;
                *state
            }
            _ => now,
        }
    }
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<SimState>,
    received: Mutex<Vec<u8>>,
    arrived: Condvar,
    status_requests: AtomicUsize,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn received(&self) -> MutexGuard<'_, Vec<u8>> {
        self.received.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes in bytes from the line; returns the status replies to send back.
    fn feed(&self, bytes: &[u8], parser: &mut RealTime) -> Vec<u8> {
        let mut data = Vec::with_capacity(bytes.len());
        let mut replies = Vec::new();
        for &byte in bytes {
            parser.stage = match (parser.stage, byte) {
                (Stage::Data, DLE) => Stage::Dle,
                (Stage::Data, _) => {
                    data.push(byte);
                    Stage::Data
                }
                (Stage::Dle, EOT) => Stage::DleEot,
                (Stage::Dle, DLE) => {
                    data.push(DLE);
                    Stage::Dle
                }
                (Stage::Dle, _) => {
                    data.extend_from_slice(&[DLE, byte]);
                    Stage::Data
                }
                (Stage::DleEot, n) => {
                    match Query::from_n(n) {
                        Some(query) => {
                            self.status_requests.fetch_add(1, Ordering::SeqCst);
                            let state = parser.state_for(query, *self.state());
                            if state.answers_status {
                                replies.push(state.reply(query));
                            }
                        }
                        // Other real-time requests (n = 7, 8, 18) are not simulated.
                        None => data.extend_from_slice(&[DLE, EOT, n]),
                    }
                    Stage::Data
                }
            };
        }
        if !data.is_empty() {
            self.received().extend_from_slice(&data);
            self.arrived.notify_all();
        }
        replies
    }
}

/// Where the kiosk reaches the simulator.
#[derive(Debug, Clone)]
enum Endpoint {
    Pty(PathBuf),
    Tcp(SocketAddr),
}

/// A simulated receipt printer, served by a background thread until dropped.
#[derive(Debug)]
pub struct SimulatedPrinter {
    shared: Arc<Shared>,
    endpoint: Endpoint,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// How often the serving thread checks whether to stop.
const TICK_MS: u16 = 20;

impl SimulatedPrinter {
    /// A printer on a fresh pseudo-terminal; open [`SimulatedPrinter::path`] as a serial
    /// port (or as a USB printer node: the line is the same).
    pub fn on_pty() -> io::Result<SimulatedPrinter> {
        let mut pty = PtyCapture::open()?;
        let path = pty.path().to_path_buf();
        SimulatedPrinter::serve(Endpoint::Pty(path), move |shared, stop| {
            let mut parser = RealTime::default();
            if let Err(error) = serve_stream(pty.master(), shared, stop, &mut parser) {
                tracing::warn!(%error, "simulated printer: pty failed");
            }
        })
    }

    /// A network printer listening on 127.0.0.1 (a free port); one connection at a time,
    /// as real ones on port 9100 serve.
    pub fn on_tcp() -> io::Result<SimulatedPrinter> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        SimulatedPrinter::serve(Endpoint::Tcp(addr), move |shared, stop| {
            while !stop.load(Ordering::SeqCst) {
                match ready(&listener, PollFlags::POLLIN) {
                    Ok(false) => continue,
                    Ok(true) => {}
                    Err(error) => {
                        tracing::warn!(%error, "simulated printer: listener failed");
                        return;
                    }
                }
                let Ok((mut stream, _)) = listener.accept() else { continue };
                // Each connection starts a fresh command stream.
                let mut parser = RealTime::default();
                if let Err(error) = serve_stream(&mut stream, shared, stop, &mut parser) {
                    tracing::debug!(%error, "simulated printer: connection ended");
                }
            }
        })
    }

    fn serve(
        endpoint: Endpoint,
        run: impl FnOnce(&Shared, &AtomicBool) + Send + 'static,
    ) -> io::Result<SimulatedPrinter> {
        let shared = Arc::new(Shared::default());
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new().name("printer-sim".into()).spawn({
            let (shared, stop) = (Arc::clone(&shared), Arc::clone(&stop));
            move || run(&shared, &stop)
        })?;
        Ok(SimulatedPrinter { shared, endpoint, stop, thread: Some(thread) })
    }

    /// The pty slave path (`/dev/pts/N`), for the pty printer.
    pub fn path(&self) -> Option<&Path> {
        match &self.endpoint {
            Endpoint::Pty(path) => Some(path),
            Endpoint::Tcp(_) => None,
        }
    }

    /// The listening address, for the network printer.
    pub fn addr(&self) -> Option<SocketAddr> {
        match &self.endpoint {
            Endpoint::Tcp(addr) => Some(*addr),
            Endpoint::Pty(_) => None,
        }
    }

    /// A config that reaches this printer: serial at 9600 baud on the pty, or network.
    pub fn config(&self) -> PrinterConfig {
        match &self.endpoint {
            Endpoint::Pty(path) => PrinterConfig::serial(path, DEFAULT_BAUD),
            Endpoint::Tcp(addr) => PrinterConfig::network(addr.ip().to_string(), addr.port()),
        }
    }

    pub fn state(&self) -> SimState {
        *self.shared.state()
    }

    pub fn set_state(&self, state: SimState) {
        *self.shared.state() = state;
    }

    pub fn set_paper(&self, paper: PaperLevel) {
        self.shared.state().paper = paper;
    }

    pub fn set_cover_open(&self, open: bool) {
        self.shared.state().cover_open = open;
    }

    pub fn set_fault(&self, fault: Option<PrinterFault>) {
        self.shared.state().fault = fault;
    }

    pub fn set_offline(&self, offline: bool) {
        self.shared.state().offline = offline;
    }

    pub fn set_answers_status(&self, answers: bool) {
        self.shared.state().answers_status = answers;
    }

    /// Every job byte received so far (status requests excluded).
    pub fn received(&self) -> Vec<u8> {
        self.shared.received().clone()
    }

    /// The job bytes received so far, clearing them.
    pub fn take_received(&self) -> Vec<u8> {
        std::mem::take(&mut *self.shared.received())
    }

    /// DLE EOT 1-4 requests seen, answered or not.
    pub fn status_requests(&self) -> usize {
        self.shared.status_requests.load(Ordering::SeqCst)
    }

    /// Waits until the received jobs hold at least `cuts` cuts (that many complete
    /// documents) and returns them decoded, or `None` after `timeout`.
    pub fn wait_for_cuts(&self, cuts: usize, timeout: Duration) -> Option<Decoded> {
        let deadline = Instant::now() + timeout;
        let mut received = self.shared.received();
        loop {
            let decoded = decode(&received);
            if decoded.cuts >= cuts {
                return Some(decoded);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            received = match self.shared.arrived.wait_timeout(received, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }
}

impl Drop for SimulatedPrinter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("simulated printer thread panicked");
        }
    }
}

/// Waits one tick for `source` to be ready.
fn ready(source: &impl AsFd, flags: PollFlags) -> io::Result<bool> {
    let mut fds = [PollFd::new(source.as_fd(), flags)];
    match poll(&mut fds, PollTimeout::from(TICK_MS)) {
        Ok(count) => Ok(count > 0),
        Err(nix::errno::Errno::EINTR) => Ok(false),
        Err(errno) => Err(errno.into()),
    }
}

/// Reads the line until it closes or the simulator stops, answering status requests.
fn serve_stream<S: Read + Write + AsFd>(
    stream: &mut S,
    shared: &Shared,
    stop: &AtomicBool,
    parser: &mut RealTime,
) -> io::Result<()> {
    let mut buffer = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) {
        if !ready(stream, PollFlags::POLLIN)? {
            continue;
        }
        let read = match stream.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(read) => read,
            Err(e)
                if matches!(e.kind(), io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock) =>
            {
                continue;
            }
            Err(e) => return Err(e),
        };
        let replies = shared.feed(&buffer[..read], parser);
        if !replies.is_empty() {
            stream.write_all(&replies)?;
            stream.flush()?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::status::PrinterStatus;

    fn replies(state: SimState) -> [u8; 4] {
        Query::ALL.map(|q| state.reply(q))
    }

    #[test]
    fn every_state_reads_back_as_itself() {
        let faults = [
            None,
            Some(PrinterFault::Autocutter),
            Some(PrinterFault::Unrecoverable),
            Some(PrinterFault::AutoRecoverable),
            Some(PrinterFault::Recoverable),
        ];
        for paper in [PaperLevel::Adequate, PaperLevel::NearEnd, PaperLevel::Out] {
            for cover_open in [false, true] {
                for fault in faults {
                    for offline in [false, true] {
                        let state =
                            SimState { paper, cover_open, fault, offline, answers_status: true };
                        let status = PrinterStatus::from_replies(replies(state)).expect("valid");
                        assert_eq!(status.paper_level(), paper, "{state:?}");
                        assert_eq!(status.cover_open, cover_open, "{state:?}");
                        assert_eq!(status.error, fault, "{state:?}");
                        let stopped = offline || cover_open || fault.is_some();
                        assert_eq!(status.online, !stopped && paper != PaperLevel::Out);
                    }
                }
            }
        }
    }

    #[test]
    fn a_healthy_printer_sends_0x12_four_times() {
        assert_eq!(replies(SimState::default()), [0x12; 4]);
        let out = SimState { paper: PaperLevel::Out, ..SimState::default() };
        assert_eq!(replies(out), [0x1A, 0x32, 0x12, 0x7E]);
    }

    #[test]
    fn requests_split_across_reads_are_answered_and_kept_out_of_the_job() {
        let shared = Shared::default();
        let mut parser = RealTime::default();
        let mut replies = shared.feed(b"AB\x10", &mut parser);
        replies.extend(shared.feed(b"\x04", &mut parser));
        replies.extend(shared.feed(b"\x04CD\x10\x10x\x10\x04\x09", &mut parser));
        assert_eq!(replies, [0x12]);
        // A DLE not followed by EOT n is data, as is DLE EOT with an n it does not know.
        assert_eq!(*shared.received(), b"ABCD\x10\x10x\x10\x04\x09");
        assert_eq!(shared.status_requests.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn one_poll_is_answered_from_one_moment() {
        let shared = Shared::default();
        let mut parser = RealTime::default();
        let mut replies = shared.feed(&[DLE, EOT, 1, DLE, EOT, 2], &mut parser);
        shared.state().cover_open = true;
        replies.extend(shared.feed(&[DLE, EOT, 3, DLE, EOT, 4], &mut parser));
        assert_eq!(replies, [0x12; 4], "the change waits for the next poll");
        replies = shared.feed(&[DLE, EOT, 2, DLE, EOT, 1, DLE, EOT, 2], &mut parser);
        assert_eq!(replies, [0x16, 0x1A, 0x16], "a lone request reads the current state");
    }
}
