//! A 2D barcode/QR scanner in serial mode: one code per line of text.
//!
//! Scanners end each code with CR, LF or CRLF (the scanner must be configured with such a
//! suffix; most ship with CR). A line is accepted only if it is UTF-8 without control
//! characters and at most [`MAX_LINE`] bytes; a line that stops arriving without its end is
//! dropped after the timeout, so noise from a cable being plugged in is not glued onto the
//! next scan.
//!
//! Each line is handed over as it was sent ([`Scanned`]): what it means (a NIK, one of our
//! tickets) is the kiosk's to decide with the protocol crate's rules, which this crate must
//! not use. The line may hold anything, a NIK included, so its `Debug` shows its length only.

use std::fmt;
use std::time::{Duration, Instant};

use super::{Decoder, ReaderEvent, Reject};

/// Longest line accepted. Our own QR payloads are well under 200 bytes.
pub const MAX_LINE: usize = 512;
/// A scanner sends a code in one burst; a line unfinished after this long is dropped.
pub const DEFAULT_LINE_TIMEOUT: Duration = Duration::from_millis(500);

/// One scanned code: a line of printable UTF-8 text, without its line end and the spaces
/// around it.
#[derive(Clone, PartialEq, Eq)]
pub struct Scanned {
    line: String,
}

impl Scanned {
    pub fn new(line: impl Into<String>) -> Scanned {
        Scanned { line: line.into() }
    }

    /// The line as the scanner sent it.
    pub fn as_str(&self) -> &str {
        &self.line
    }
}

impl fmt::Debug for Scanned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scanned({} chars)", self.line.chars().count())
    }
}

/// Incremental line decoder: feed it chunks as they come off the wire, in any split.
#[derive(Debug)]
pub struct LineDecoder {
    line: Vec<u8>,
    /// The current line passed [`MAX_LINE`]; its bytes are skipped until its end.
    overflow: bool,
    last_byte: Option<Instant>,
    timeout: Duration,
}

impl LineDecoder {
    pub fn new(timeout: Duration) -> LineDecoder {
        LineDecoder { line: Vec::new(), overflow: false, last_byte: None, timeout }
    }

    /// Decodes one chunk; `now` is when it arrived.
    pub fn push(&mut self, bytes: &[u8], now: Instant) -> Vec<ReaderEvent> {
        let mut out = Vec::new();
        self.expire_into(now, &mut out);
        for &byte in bytes {
            match byte {
                b'\r' | b'\n' => self.end_line(&mut out),
                _ if self.overflow => {}
                _ if self.line.len() >= MAX_LINE => {
                    self.overflow = true;
                    self.line.clear();
                }
                _ => self.line.push(byte),
            }
        }
        if !bytes.is_empty() {
            self.last_byte = Some(now);
        }
        out
    }

    /// Drops an unfinished line once the scanner has been quiet for the timeout. Call it
    /// when a read times out.
    pub fn expire(&mut self, now: Instant) -> Vec<ReaderEvent> {
        let mut out = Vec::new();
        self.expire_into(now, &mut out);
        out
    }

    pub fn reset(&mut self) {
        self.line.clear();
        self.overflow = false;
        self.last_byte = None;
    }

    fn expire_into(&mut self, now: Instant, out: &mut Vec<ReaderEvent>) {
        let Some(last) = self.last_byte else { return };
        if now.saturating_duration_since(last) < self.timeout {
            return;
        }
        if !self.line.is_empty() || self.overflow {
            out.push(rejected(Reject::TimedOut));
        }
        self.reset();
    }

    fn end_line(&mut self, out: &mut Vec<ReaderEvent>) {
        let line = std::mem::take(&mut self.line);
        if std::mem::take(&mut self.overflow) {
            out.push(rejected(Reject::TooLong { max: MAX_LINE }));
            return;
        }
        // An empty line is the LF of a CRLF, or a scanner's keep-alive.
        if line.is_empty() {
            return;
        }
        match std::str::from_utf8(&line) {
            Ok(text) if !text.chars().any(char::is_control) && !text.trim().is_empty() => {
                tracing::debug!(bytes = line.len(), "code scanned");
                out.push(ReaderEvent::Scan(Scanned::new(text.trim())));
            }
            Ok(text) if text.trim().is_empty() => {}
            _ => out.push(rejected(Reject::NotText)),
        }
    }
}

fn rejected(why: Reject) -> ReaderEvent {
    tracing::debug!(%why, "scanner input rejected");
    ReaderEvent::Rejected { why }
}

impl Decoder for LineDecoder {
    fn feed(&mut self, bytes: &[u8], now: Instant, out: &mut Vec<ReaderEvent>) {
        out.extend(self.push(bytes, now));
    }

    fn expire(&mut self, now: Instant, out: &mut Vec<ReaderEvent>) {
        self.expire_into(now, out);
    }

    fn reset(&mut self) {
        LineDecoder::reset(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn scans(chunks: &[&[u8]]) -> Vec<ReaderEvent> {
        let mut decoder = LineDecoder::new(DEFAULT_LINE_TIMEOUT);
        let now = Instant::now();
        chunks.iter().flat_map(|chunk| decoder.push(chunk, now)).collect()
    }

    fn scan(line: &str) -> ReaderEvent {
        ReaderEvent::Scan(Scanned::new(line))
    }

    #[test]
    fn lines_are_handed_over_as_sent() {
        // Whatever a line means is the kiosk's business: no spelling is changed here, only
        // the spaces around the code go.
        for line in [
            "3510011203850001",
            "lp00420001239",
            "ANJUNGAN/REPORT/1?kiosk=BWI-01&ticket=LP-0042-000123-9",
            "ANJ-SURAT:470/12/429.501/2024",
            "LP-0000-00123-4",
        ] {
            assert_eq!(scans(&[line.as_bytes(), b"\r"]), vec![scan(line)], "{line}");
        }
        assert_eq!(scans(&[b"  LP 0042 000123 9 \r"]), vec![scan("LP 0042 000123 9")]);
    }

    #[test]
    fn cr_lf_and_crlf_all_end_a_line() {
        let events = scans(&[b"3510011203850001\r", b"LP-0000-000123-4\n", b"ANJ-SURAT:1/2\r\n"]);
        assert_eq!(
            events,
            vec![scan("3510011203850001"), scan("LP-0000-000123-4"), scan("ANJ-SURAT:1/2")]
        );
    }

    #[test]
    fn a_line_split_at_every_position_decodes_once() {
        let line = b"LP-0000-000123-4\r\n";
        for cut in 0..=line.len() {
            assert_eq!(
                scans(&[&line[..cut], &line[cut..]]),
                vec![scan("LP-0000-000123-4")],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn garbage_and_overlong_lines_are_rejected_and_the_next_line_survives() {
        let long = vec![b'A'; MAX_LINE + 1];
        let events = scans(&[b"\xFF\xFE\x00\x1B[\r", &long, b"\n", b"3510011203850001\r\n"]);
        assert_eq!(
            events,
            vec![
                ReaderEvent::Rejected { why: Reject::NotText },
                ReaderEvent::Rejected { why: Reject::TooLong { max: MAX_LINE } },
                scan("3510011203850001"),
            ]
        );
        // Exactly MAX_LINE is still a line.
        let edge = vec![b'A'; MAX_LINE];
        assert_eq!(scans(&[&edge, b"\r"]), vec![scan(&"A".repeat(MAX_LINE))]);
    }

    #[test]
    fn an_unfinished_line_times_out() {
        let mut decoder = LineDecoder::new(DEFAULT_LINE_TIMEOUT);
        let start = Instant::now();
        assert!(decoder.push(b"3510", start).is_empty());
        assert!(decoder.expire(start + Duration::from_millis(100)).is_empty());
        assert_eq!(
            decoder.expire(start + DEFAULT_LINE_TIMEOUT),
            vec![ReaderEvent::Rejected { why: Reject::TimedOut }]
        );
        let later = start + Duration::from_secs(2);
        assert_eq!(decoder.push(b"LP-0000-000123-4\r", later), vec![scan("LP-0000-000123-4")]);
    }

    #[test]
    fn debug_shows_the_length_only() {
        let text =
            format!("{:?} {:?}", Scanned::new("3510011203850001"), Scanned::new("name=BUDÍ"));
        assert_eq!(text, "Scanned(16 chars) Scanned(9 chars)");
    }

    proptest! {
        #[test]
        fn decoder_never_panics(chunks in proptest::collection::vec(
            proptest::collection::vec(any::<u8>(), 0..700), 0..10)
        ) {
            let mut decoder = LineDecoder::new(DEFAULT_LINE_TIMEOUT);
            let start = Instant::now();
            for (i, chunk) in chunks.iter().enumerate() {
                let _ = decoder.push(chunk, start + Duration::from_millis(300 * i as u64));
            }
        }

        #[test]
        fn printable_lines_come_back_whole(line in "[!-~][ -~]{0,300}[!-~]") {
            let mut bytes = line.clone().into_bytes();
            bytes.extend_from_slice(b"\r\n");
            let events = scans(&[&bytes]);
            prop_assert_eq!(events, vec![ReaderEvent::Scan(Scanned::new(line))]);
        }
    }
}
