//! Pseudo-terminal pairs: the kernel's own stand-in for a serial cable. A simulated device
//! sits on the master side while the code under test opens the slave path like a real
//! `/dev/ttyUSB0`, so drivers are tested through their real I/O path.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};

/// The master side of a raw pseudo-terminal, with the slave's path for the device under test.
pub struct PtyCapture {
    master: File,
    // Held open so the line settings stay and the master never sees a hang-up between jobs.
    _slave: OwnedFd,
    path: PathBuf,
}

impl PtyCapture {
    /// Opens a pair in raw mode: bytes pass unchanged in both directions.
    pub fn open() -> io::Result<PtyCapture> {
        let pair = nix::pty::openpty(None, None).map_err(io::Error::from)?;
        let mut termios = tcgetattr(&pair.slave).map_err(io::Error::from)?;
        cfmakeraw(&mut termios);
        tcsetattr(&pair.slave, SetArg::TCSANOW, &termios).map_err(io::Error::from)?;
        let path = nix::unistd::ttyname(&pair.slave).map_err(io::Error::from)?;
        Ok(PtyCapture { master: File::from(pair.master), _slave: pair.slave, path })
    }

    /// The slave path, e.g. `/dev/pts/3`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The master side, for a simulator that also writes (a reader sending frames).
    pub fn master(&mut self) -> &mut File {
        &mut self.master
    }

    /// Reads what has arrived, waiting up to `timeout` for the first byte and then until the
    /// line stays quiet for 50 ms.
    pub fn read_available(&mut self, timeout: Duration) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let deadline = Instant::now() + timeout;
        let mut buffer = [0u8; 4096];
        loop {
            let wait = if out.is_empty() {
                deadline.saturating_duration_since(Instant::now())
            } else {
                Duration::from_millis(50)
            };
            let millis = u16::try_from(wait.as_millis()).unwrap_or(u16::MAX);
            let mut fds = [PollFd::new(self.master.as_fd(), PollFlags::POLLIN)];
            let ready = poll(&mut fds, PollTimeout::from(millis)).map_err(io::Error::from)?;
            if ready == 0 {
                return Ok(out);
            }
            let read = self.master.read(&mut buffer)?;
            if read == 0 {
                return Ok(out);
            }
            out.extend_from_slice(&buffer[..read]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::decode::decode;
    use crate::printer::render::render;
    use crate::printer::sim::FilePrinter;
    use crate::printer::{Document, Paper, Printer, Style};

    #[test]
    fn a_receipt_crosses_the_pty_byte_for_byte() {
        let mut pty = PtyCapture::open().expect("pty");
        let mut doc = Document::new(Paper::Mm80);
        doc.text("Bukti Cek Status", Style::center().bold()).qr("ANJUNGAN/STATUS/1").cut();
        let mut printer = FilePrinter::open(pty.path()).expect("open slave");
        printer.print(&doc).expect("print");
        let received = pty.read_available(Duration::from_secs(5)).expect("read");
        assert_eq!(received, render(&doc).expect("render"));
        let decoded = decode(&received);
        assert_eq!(decoded.qr_codes, vec!["ANJUNGAN/STATUS/1"]);
        assert_eq!(decoded.cuts, 1);
    }
}
