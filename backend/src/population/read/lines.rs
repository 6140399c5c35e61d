//! True line numbers for CSV records.
//!
//! The csv crate's record position is where the previous record ended, so a record after
//! a blank line (which it skips) would be reported a line early, and with CRLF endings the
//! count runs one behind. Staff look rows up by line, so the lines are counted here from
//! the raw bytes: the reader keeps what it has read until the records are past it.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Bytes read and not yet counted, from offset `base`.
#[derive(Default)]
struct Window {
    base: u64,
    bytes: Vec<u8>,
}

/// Counted bytes are dropped from the window once this many have gathered.
const DRAIN_AT: usize = 1 << 20;

/// A reader that keeps the bytes it hands out (for [`Lines`]) and tells how far it is.
pub(crate) struct Tee<R> {
    inner: R,
    position: Arc<AtomicU64>,
    window: Arc<Mutex<Window>>,
}

/// Counts lines over the bytes a [`Tee`] has read.
pub(crate) struct Lines {
    window: Arc<Mutex<Window>>,
    /// Offset up to which newlines are counted, and how many there were.
    counted_to: u64,
    newlines: u64,
}

pub(crate) fn tee<R: Read>(inner: R, position: Arc<AtomicU64>) -> (Tee<R>, Lines) {
    let window = Arc::new(Mutex::new(Window::default()));
    let lines = Lines { window: window.clone(), counted_to: 0, newlines: 0 };
    (Tee { inner, position, window }, lines)
}

fn lock(window: &Mutex<Window>) -> MutexGuard<'_, Window> {
    // Only this module touches the window, and no code in it panics while holding it.
    window.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buffer)?;
        lock(&self.window).bytes.extend_from_slice(&buffer[..n]);
        self.position.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl Lines {
    /// The 1-based line a record starts on, given the offset where the csv reader stands
    /// after it: blank lines before the record are skipped as the csv reader skips them.
    pub(crate) fn record_ending_at(&mut self, end: u64) -> u64 {
        let mut window = lock(&self.window);
        let from = (self.counted_to - window.base) as usize;
        let to = ((end.max(self.counted_to) - window.base) as usize).min(window.bytes.len());
        let record = &window.bytes[from..to.max(from)];
        let leading = record.iter().take_while(|b| matches!(b, b'\n' | b'\r')).count();
        self.newlines += record[..leading].iter().filter(|b| **b == b'\n').count() as u64;
        let line = self.newlines + 1;
        self.newlines += record[leading..].iter().filter(|b| **b == b'\n').count() as u64;
        self.counted_to = window.base + to.max(from) as u64;
        if to >= DRAIN_AT {
            window.bytes.drain(..to);
            window.base += to as u64;
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(data: &str) -> Vec<(String, u64)> {
        let (tee, mut lines) = tee(data.as_bytes(), Arc::new(AtomicU64::new(0)));
        let mut reader =
            csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(tee);
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while reader.read_byte_record(&mut record).expect("csv") {
            let line = lines.record_ending_at(reader.position().byte());
            out.push((String::from_utf8_lossy(&record[0]).into_owned(), line));
        }
        out
    }

    #[test]
    fn lines_count_blank_lines_crlf_and_newlines_inside_quotes() {
        let expect = |pairs: &[(&str, u64)]| -> Vec<(String, u64)> {
            pairs.iter().map(|(text, line)| (text.to_string(), *line)).collect()
        };
        assert_eq!(lines_of("a\nb\n\nc\n"), expect(&[("a", 1), ("b", 2), ("c", 4)]));
        assert_eq!(lines_of("a\r\nb\r\n\r\nc\r\n"), expect(&[("a", 1), ("b", 2), ("c", 4)]));
        assert_eq!(lines_of("a\n\"x\ny\"\n\nc"), expect(&[("a", 1), ("x\ny", 2), ("c", 5)]));
        assert_eq!(
            lines_of("a\r\n\"x\r\ny\"\r\n\r\n\r\nc\r\n"),
            expect(&[("a", 1), ("x\r\ny", 2), ("c", 6)])
        );
    }
}
