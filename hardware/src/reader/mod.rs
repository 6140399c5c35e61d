//! ID input over serial: an e-KTP reader bridge ([`ektp`]) and a 2D barcode/QR scanner in
//! serial mode ([`scanner`]).
//!
//! Each device gets a [`Reader`]: a background thread that owns the serial port
//! ([`link`]), feeds what arrives into the protocol's decoder, reconnects when the device is
//! unplugged, and delivers [`ReaderEvent`]s on a `tokio::sync::mpsc` channel, so the async
//! kiosk can `select!` on it and sync code can call [`Reader::blocking_recv`]. Simulators that
//! speak both protocols over a pseudo-terminal are in [`sim`].
//!
//! Nothing here logs or formats card data in the clear: `Debug` of [`EktpCard`] masks the NIK
//! and hides the name, `Debug` of [`Scanned`] shows a scan's length only, and a [`Reject`]
//! never carries the bytes it refused. These redactions are this crate's own, for its logs
//! and diagnostics; what a slip or screen shows is the protocol crate's masking.

pub mod ektp;
pub mod link;
pub mod scanner;
pub mod sim;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

pub use ektp::{EktpCard, Field, FieldError, Sex};
pub use link::LinkConfig;
pub use scanner::Scanned;

/// What a reader reports. Card data arrives validated; everything else is about the link.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[expect(
    clippy::large_enum_variant,
    reason = "a few events a minute through a 32-slot channel: boxing the card buys nothing"
)]
pub enum ReaderEvent {
    /// The serial device was opened (at start or after a replug).
    Connected,
    /// The device could not be opened or went away; the reader keeps retrying with backoff.
    /// Sent once per outage, not once per retry.
    Disconnected { reason: String },
    /// An e-KTP was read and every field passed validation.
    Card(EktpCard),
    /// The scanner read a code.
    Scan(Scanned),
    /// Input that was dropped: counted so staff diagnostics can show a noisy cable, never
    /// holding the bytes themselves (they may be half a NIK).
    Rejected { why: Reject },
}

/// Why input was dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Reject {
    #[error("{bytes} bytes of noise outside any record")]
    Garbage { bytes: usize },
    #[error("a record was cut off by the start of the next one")]
    Truncated,
    #[error("a record stopped arriving part-way and was dropped")]
    TimedOut,
    #[error("a record exceeded {max} bytes")]
    TooLong { max: usize },
    #[error("checksum mismatch")]
    BadChecksum,
    #[error("malformed record: {0}")]
    Malformed(&'static str),
    #[error("invalid field: {0}")]
    Field(FieldError),
    #[error("scanned text is not UTF-8 or holds control characters")]
    NotText,
}

/// A protocol's incremental decoder, as the link drives it. Pure: time comes in as `now`.
pub(crate) trait Decoder: Send + 'static {
    /// Consumes one chunk as it came off the wire, in any split.
    fn feed(&mut self, bytes: &[u8], now: Instant, out: &mut Vec<ReaderEvent>);
    /// Called when the line is quiet: drops a partial record that is too old.
    fn expire(&mut self, now: Instant, out: &mut Vec<ReaderEvent>);
    /// The link dropped: whatever was half-received belongs to a device that is gone.
    fn reset(&mut self);
}

/// How long [`Reader::stop`] waits for the thread beyond one read timeout before giving up
/// on it (it is then detached; it exits at its next read timeout).
const STOP_GRACE: Duration = Duration::from_secs(2);

/// Capacity of the event channel. Events are small and come at human speed; when the kiosk
/// stops reading the reader thread waits rather than dropping a card.
const CHANNEL: usize = 32;

/// A running reader: owns the device thread and the receiving end of its events.
/// Dropping it stops the thread.
pub struct Reader {
    events: mpsc::Receiver<ReaderEvent>,
    worker: Option<Worker>,
}

struct Worker {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
    done: std::sync::mpsc::Receiver<()>,
    bound: Duration,
}

impl Reader {
    /// Starts reading e-KTP frames from the configured device.
    pub fn ektp(config: LinkConfig) -> std::io::Result<Reader> {
        let decoder = ektp::EktpDecoder::new(config.frame_timeout);
        Reader::spawn("ektp-reader", config, decoder)
    }

    /// Starts reading lines from a serial-mode barcode/QR scanner.
    pub fn scanner(config: LinkConfig) -> std::io::Result<Reader> {
        let decoder = scanner::LineDecoder::new(config.frame_timeout);
        Reader::spawn("qr-scanner", config, decoder)
    }

    fn spawn(name: &str, config: LinkConfig, decoder: impl Decoder) -> std::io::Result<Reader> {
        let (tx, events) = mpsc::channel(CHANNEL);
        let stop = Arc::new(AtomicBool::new(false));
        let (done_tx, done) = std::sync::mpsc::channel();
        let bound = config.read_timeout + STOP_GRACE;
        let thread = std::thread::Builder::new().name(name.to_string()).spawn({
            let stop = Arc::clone(&stop);
            move || {
                link::run(&config, decoder, &tx, &stop);
                // Dropped on return or unwind alike: tells stop() the thread is over.
                drop(done_tx);
            }
        })?;
        Ok(Reader { events, worker: Some(Worker { stop, thread, done, bound }) })
    }

    /// The next event; `None` once the reader has stopped and every event was taken.
    pub async fn recv(&mut self) -> Option<ReaderEvent> {
        self.events.recv().await
    }

    /// The next event, blocking the calling thread. Panics inside an async runtime (tokio's
    /// rule): use [`Reader::recv`] there.
    pub fn blocking_recv(&mut self) -> Option<ReaderEvent> {
        self.events.blocking_recv()
    }

    /// The channel itself, for `tokio::select!` or `try_recv`.
    pub fn events(&mut self) -> &mut mpsc::Receiver<ReaderEvent> {
        &mut self.events
    }

    /// Stops the device thread and closes the port. Returns within the read timeout plus a
    /// couple of seconds even if the thread is stuck in the kernel.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let Some(worker) = self.worker.take() else { return };
        worker.stop.store(true, Ordering::SeqCst);
        worker.thread.thread().unpark();
        let started = Instant::now();
        // The sender half is dropped when the thread ends, so this wakes at once then.
        match worker.done.recv_timeout(worker.bound) {
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                tracing::warn!(waited = ?started.elapsed(), "reader thread did not stop; detached");
            }
            _ => {
                if worker.thread.join().is_err() {
                    tracing::error!("reader thread panicked");
                }
            }
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// `3510011203850001` -> `3510********0001`: the first and last four characters, the rest
/// starred (all of it when there are eight or fewer).
pub(crate) fn keep_ends(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let tail = chars.len() - 4;
    chars.iter().enumerate().map(|(i, c)| if i < 4 || i >= tail { *c } else { '*' }).collect()
}

/// `BUDI SANTOSO` -> `<12 chars>`: a name says nothing in a log, its length shows it was read.
pub(crate) fn redact(text: &str) -> String {
    format!("<{} chars>", text.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redactions_keep_no_more_than_a_log_needs() {
        assert_eq!(keep_ends("3510011203850001"), "3510********0001");
        assert_eq!(keep_ends("351001120"), "3510*1120");
        assert_eq!(keep_ends("35100112"), "********");
        assert_eq!(keep_ends("123"), "***");
        assert_eq!(redact("BUDI  SANTOSO"), "<13 chars>");
        assert_eq!(redact("Ñoño"), "<4 chars>");
    }
}
