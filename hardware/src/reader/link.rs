//! The serial link of a reader: open the device with `serialport` (8N1, no flow control),
//! read chunks into the protocol's decoder, and reopen with backoff when the device vanishes.
//!
//! Kiosks configure a stable path such as `/dev/serial/by-id/usb-...`: after an unplug the
//! kernel may give the device a new `ttyUSBn`, but the by-id link follows it, so reopening
//! the same path is all a reconnect needs.

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serialport::{DataBits, FlowControl, Parity, StopBits, TTYPort};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

use super::{Decoder, ReaderEvent};

/// Where the device is and how to talk to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkConfig {
    /// The device, preferably a `/dev/serial/by-id/...` link.
    pub path: PathBuf,
    pub baud: u32,
    /// How long one read waits. It bounds how fast [`super::Reader::stop`] returns and how
    /// often a partial record is checked for its timeout.
    pub read_timeout: Duration,
    /// A record (frame or line) unfinished after this much silence is dropped.
    pub frame_timeout: Duration,
    /// First wait before reopening a device that failed; doubled up to `max_backoff`.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
}

impl LinkConfig {
    /// 9600 baud, the factory setting of most e-KTP bridges and scanners.
    pub fn new(path: impl Into<PathBuf>) -> LinkConfig {
        LinkConfig {
            path: path.into(),
            baud: 9600,
            read_timeout: Duration::from_millis(100),
            frame_timeout: super::ektp::DEFAULT_FRAME_TIMEOUT,
            min_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }

    pub fn baud(mut self, baud: u32) -> LinkConfig {
        self.baud = baud;
        self
    }

    pub fn frame_timeout(mut self, timeout: Duration) -> LinkConfig {
        self.frame_timeout = timeout;
        self
    }

    pub fn read_timeout(mut self, timeout: Duration) -> LinkConfig {
        self.read_timeout = timeout;
        self
    }

    pub fn backoff(mut self, min: Duration, max: Duration) -> LinkConfig {
        self.min_backoff = min;
        self.max_backoff = max.max(min);
        self
    }
}

/// Opens the device 8N1 without flow control. Works on a pseudo-terminal's slave path too,
/// which is how the simulators and tests reach this exact code.
pub fn open(config: &LinkConfig) -> serialport::Result<TTYPort> {
    serialport::new(config.path.to_string_lossy(), config.baud)
        .data_bits(DataBits::Eight)
        .parity(Parity::None)
        .stop_bits(StopBits::One)
        .flow_control(FlowControl::None)
        .timeout(config.read_timeout)
        .open_native()
}

/// The device thread's body: runs until `stop` is set or the receiver is dropped.
pub(crate) fn run(
    config: &LinkConfig,
    mut decoder: impl Decoder,
    tx: &mpsc::Sender<ReaderEvent>,
    stop: &AtomicBool,
) {
    let path = config.path.display().to_string();
    let mut backoff = config.min_backoff;
    // Whether the kiosk was told the device is down, so an outage is reported once.
    let mut reported_down = false;
    while !stop.load(Ordering::SeqCst) {
        match open(config) {
            Ok(mut port) => {
                tracing::info!(%path, baud = config.baud, "reader connected");
                if !send(tx, ReaderEvent::Connected, stop) {
                    return;
                }
                let Some(reason) = pump(&mut port, &mut decoder, config, tx, stop, &mut backoff)
                else {
                    return;
                };
                decoder.reset();
                drop(port);
                tracing::warn!(%path, %reason, "reader disconnected");
                reported_down = true;
                if !send(tx, ReaderEvent::Disconnected { reason }, stop) {
                    return;
                }
            }
            Err(error) => {
                if !reported_down {
                    tracing::warn!(%path, %error, "reader not available; retrying");
                    reported_down = true;
                    let reason = error.to_string();
                    if !send(tx, ReaderEvent::Disconnected { reason }, stop) {
                        return;
                    }
                }
            }
        }
        // stop() unparks the thread, so this wait never delays a shutdown.
        std::thread::park_timeout(backoff);
        backoff = (backoff * 2).min(config.max_backoff);
    }
}

/// Reads until the device fails (returns why) or the reader stops (returns `None`).
fn pump(
    port: &mut TTYPort,
    decoder: &mut impl Decoder,
    config: &LinkConfig,
    tx: &mpsc::Sender<ReaderEvent>,
    stop: &AtomicBool,
    backoff: &mut Duration,
) -> Option<String> {
    let mut buffer = [0u8; 1024];
    let mut events = Vec::new();
    loop {
        if stop.load(Ordering::SeqCst) {
            return None;
        }
        match port.read(&mut buffer) {
            Ok(0) => return Some("device closed".to_string()),
            Ok(read) => {
                // The device talks: an unplug after this starts over from the short wait.
                *backoff = config.min_backoff;
                decoder.feed(&buffer[..read], Instant::now(), &mut events);
            }
            Err(error) if error.kind() == io::ErrorKind::TimedOut => {
                decoder.expire(Instant::now(), &mut events);
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Some(error.to_string()),
        }
        for event in events.drain(..) {
            if !send(tx, event, stop) {
                return None;
            }
        }
    }
}

/// Delivers an event, waiting while the channel is full (a card is never dropped) but not
/// past a stop. Returns false when the reader should end.
fn send(tx: &mpsc::Sender<ReaderEvent>, event: ReaderEvent, stop: &AtomicBool) -> bool {
    let mut event = event;
    loop {
        match tx.try_send(event) {
            Ok(()) => return true,
            Err(TrySendError::Closed(_)) => return false,
            Err(TrySendError::Full(back)) => {
                if stop.load(Ordering::SeqCst) {
                    return false;
                }
                event = back;
                std::thread::park_timeout(Duration::from_millis(20));
            }
        }
    }
}
