//! Simulated readers on pseudo-terminals: an e-KTP bridge and a serial QR scanner that
//! write the real protocols to a pty master, so the kiosk opens the slave path exactly as it
//! opens `/dev/serial/by-id/...` on a kiosk. Used by the demo, development without hardware
//! and the tests; they can also misbehave on purpose (split writes, noise, bad checksums,
//! frames cut short) and be unplugged.

use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use super::ektp::{EktpCard, encode};
use crate::pty::PtyCapture;

/// A serial device on a pty master.
struct SerialSim {
    pty: PtyCapture,
}

impl SerialSim {
    fn plug() -> io::Result<SerialSim> {
        Ok(SerialSim { pty: PtyCapture::open()? })
    }

    /// Writes `bytes` in pieces of `chunk` bytes with `pause` after each, as a slow or
    /// bursty device does; the reader then sees the record split across many reads.
    fn write_split(&mut self, bytes: &[u8], chunk: usize, pause: Duration) -> io::Result<()> {
        for piece in bytes.chunks(chunk.max(1)) {
            let master = self.pty.master();
            master.write_all(piece)?;
            master.flush()?;
            if !pause.is_zero() {
                std::thread::sleep(pause);
            }
        }
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let master = self.pty.master();
        master.write_all(bytes)?;
        master.flush()
    }
}

fn invalid(error: impl std::error::Error + Send + Sync + 'static) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, error)
}

/// An e-KTP reader bridge that sends cards in the framing of [`super::ektp`].
pub struct EktpReaderSim {
    serial: SerialSim,
}

impl EktpReaderSim {
    /// A new bridge on a fresh pty, "plugged in".
    pub fn plug() -> io::Result<EktpReaderSim> {
        Ok(EktpReaderSim { serial: SerialSim::plug()? })
    }

    /// The path the kiosk opens (a `/dev/pts/N`).
    pub fn path(&self) -> &Path {
        self.serial.pty.path()
    }

    /// Sends one card in a single write.
    pub fn send_card(&mut self, card: &EktpCard) -> io::Result<()> {
        let frame = encode(card).map_err(invalid)?;
        self.serial.write(&frame)
    }

    /// Sends one card in pieces of `chunk` bytes, pausing between them.
    pub fn send_card_split(
        &mut self,
        card: &EktpCard,
        chunk: usize,
        pause: Duration,
    ) -> io::Result<()> {
        let frame = encode(card).map_err(invalid)?;
        self.serial.write_split(&frame, chunk, pause)
    }

    /// Sends a card whose checksum does not match, as line noise inside a frame would.
    pub fn send_corrupt_card(&mut self, card: &EktpCard) -> io::Result<()> {
        let mut frame = encode(card).map_err(invalid)?;
        // The last checksum digit, just before ETX: change it to another hex digit.
        if let Some(at) = frame.len().checked_sub(2) {
            frame[at] = if frame[at] == b'0' { b'1' } else { b'0' };
        }
        self.serial.write(&frame)
    }

    /// Sends only the first `bytes` bytes of a card's frame, as a bridge reset mid-frame.
    pub fn send_partial_card(&mut self, card: &EktpCard, bytes: usize) -> io::Result<()> {
        let frame = encode(card).map_err(invalid)?;
        self.serial.write(&frame[..bytes.min(frame.len())])
    }

    /// Sends arbitrary bytes: noise, or frames built by hand with [`super::ektp::frame`].
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.serial.write(bytes)
    }

    /// Pulls the cable: the pty goes away and the reader's port hangs up.
    pub fn unplug(self) {
        drop(self);
    }
}

/// How a scanner ends a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineEnd {
    #[default]
    Cr,
    Lf,
    CrLf,
}

impl LineEnd {
    pub fn bytes(self) -> &'static [u8] {
        match self {
            LineEnd::Cr => b"\r",
            LineEnd::Lf => b"\n",
            LineEnd::CrLf => b"\r\n",
        }
    }
}

/// A 2D barcode/QR scanner in serial mode: each scan is a line of text.
pub struct ScannerSim {
    serial: SerialSim,
    end: LineEnd,
}

impl ScannerSim {
    /// A new scanner on a fresh pty, ending codes with `end`.
    pub fn plug(end: LineEnd) -> io::Result<ScannerSim> {
        Ok(ScannerSim { serial: SerialSim::plug()?, end })
    }

    pub fn path(&self) -> &Path {
        self.serial.pty.path()
    }

    /// Scans one code: its text and the line end in a single write.
    pub fn scan(&mut self, text: &str) -> io::Result<()> {
        let line = self.line(text);
        self.serial.write(&line)
    }

    /// Scans one code sent in pieces of `chunk` bytes, pausing between them.
    pub fn scan_split(&mut self, text: &str, chunk: usize, pause: Duration) -> io::Result<()> {
        let line = self.line(text);
        self.serial.write_split(&line, chunk, pause)
    }

    /// Sends arbitrary bytes: noise, or a code without its line end.
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.serial.write(bytes)
    }

    /// Pulls the cable.
    pub fn unplug(self) {
        drop(self);
    }

    fn line(&self, text: &str) -> Vec<u8> {
        let mut line = text.as_bytes().to_vec();
        line.extend_from_slice(self.end.bytes());
        line
    }
}
