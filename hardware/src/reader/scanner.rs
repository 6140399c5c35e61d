//! A 2D barcode/QR scanner in serial mode: one code per line of text.
//!
//! Scanners end each code with CR, LF or CRLF (the scanner must be configured with such a
//! suffix; most ship with CR). A line is accepted only if it is UTF-8 without control
//! characters and at most [`MAX_LINE`] bytes; a line that stops arriving without its end is
//! dropped after the timeout, so noise from a cable being plugged in is not glued onto the
//! next scan.
//!
//! Each line is sorted by shape only ([`classify`]): the kiosk validates fully (NIK region
//! and date, ticket check digit) with the protocol crate, which this crate must not use.

use std::fmt;
use std::time::{Duration, Instant};

use super::{Decoder, ReaderEvent, Reject, mask_nik};

/// Longest line accepted. Our own QR payloads are well under 200 bytes.
pub const MAX_LINE: usize = 512;
/// A scanner sends a code in one burst; a line unfinished after this long is dropped.
pub const DEFAULT_LINE_TIMEOUT: Duration = Duration::from_millis(500);
/// Prefix of the QR on a printed letter (surat): `ANJ-SURAT:<letter number>`.
pub const LETTER_PREFIX: &str = "ANJ-SURAT:";
/// Prefix of every QR payload the kiosk prints, e.g. `ANJUNGAN/STATUS/1?kiosk=..&t=..`.
pub const PAYLOAD_PREFIX: &str = "ANJUNGAN/";

/// What a scanned line looks like.
#[derive(Clone, PartialEq, Eq)]
pub enum Scanned {
    /// 16 digits: a NIK typed into a barcode, or scanned from a document.
    Nik(String),
    /// A ticket from our receipts, in the canonical form `LP-IIII-SSSSSS-C`. Found as the
    /// whole line (with or without dashes, any case) or as the `ticket=` parameter of an
    /// `ANJUNGAN/...` payload. The check digit is not verified here.
    Ticket(String),
    /// The letter number after [`LETTER_PREFIX`].
    Letter(String),
    /// Any other text, e.g. the QR of a status slip or a product barcode.
    Other(String),
}

impl fmt::Debug for Scanned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scanned::Nik(nik) => write!(f, "Nik({})", mask_nik(nik)),
            Scanned::Ticket(ticket) => write!(f, "Ticket({ticket})"),
            Scanned::Letter(letter) => write!(f, "Letter({letter})"),
            // Foreign text may hold anything, a NIK included: show its size only.
            Scanned::Other(text) => write!(f, "Other({} bytes)", text.len()),
        }
    }
}

/// Sorts a line (already known to be printable text) by its shape.
pub fn classify(line: &str) -> Scanned {
    let line = line.trim();
    if line.len() == 16 && line.bytes().all(|b| b.is_ascii_digit()) {
        return Scanned::Nik(line.to_string());
    }
    if let Some(ticket) = ticket_shape(line) {
        return Scanned::Ticket(ticket);
    }
    if let Some(ticket) = payload_ticket(line) {
        return Scanned::Ticket(ticket);
    }
    if let Some(letter) = letter_number(line) {
        return Scanned::Letter(letter);
    }
    Scanned::Other(line.to_string())
}

/// `LP-0000-000123-4`, `lp00000001234`, `LP 0000 000123 4` -> `LP-0000-000123-4`: the same
/// spellings `protocol::Ticket::parse` accepts.
fn ticket_shape(text: &str) -> Option<String> {
    let compact: String =
        text.chars().filter(|c| *c != '-' && *c != ' ').collect::<String>().to_uppercase();
    let digits = compact.strip_prefix("LP")?;
    if digits.len() != 11 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("LP-{}-{}-{}", &digits[..4], &digits[4..10], &digits[10..]))
}

/// The `ticket=` parameter of one of our payloads: `ANJUNGAN/REPORT/1?ticket=LP-...`.
fn payload_ticket(text: &str) -> Option<String> {
    let query = text.strip_prefix(PAYLOAD_PREFIX)?.split_once('?')?.1;
    query.split('&').find_map(|pair| ticket_shape(pair.strip_prefix("ticket=")?))
}

/// `ANJ-SURAT:470/12/2024` -> `470/12/2024`: letter numbers are digits, capitals and `/.-`.
fn letter_number(text: &str) -> Option<String> {
    let prefix = text.get(..LETTER_PREFIX.len())?;
    if !prefix.eq_ignore_ascii_case(LETTER_PREFIX) {
        return None;
    }
    let number = &text[LETTER_PREFIX.len()..];
    let shape_ok = (1..=64).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_alphanumeric() || b"/.-".contains(&b));
    shape_ok.then(|| number.to_ascii_uppercase())
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
                let scanned = classify(text);
                tracing::debug!(kind = kind(&scanned), bytes = line.len(), "code scanned");
                out.push(ReaderEvent::Scan(scanned));
            }
            Ok(text) if text.trim().is_empty() => {}
            _ => out.push(rejected(Reject::NotText)),
        }
    }
}

fn kind(scanned: &Scanned) -> &'static str {
    match scanned {
        Scanned::Nik(_) => "nik",
        Scanned::Ticket(_) => "ticket",
        Scanned::Letter(_) => "letter",
        Scanned::Other(_) => "other",
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

    fn scan(s: Scanned) -> ReaderEvent {
        ReaderEvent::Scan(s)
    }

    #[test]
    fn lines_are_classified_by_shape() {
        assert_eq!(classify("3510011203850001"), Scanned::Nik("3510011203850001".into()));
        assert_eq!(classify("LP-0000-000123-4"), Scanned::Ticket("LP-0000-000123-4".into()));
        assert_eq!(classify("lp00420001239"), Scanned::Ticket("LP-0042-000123-9".into()));
        assert_eq!(
            classify("ANJUNGAN/REPORT/1?kiosk=BWI-01&ticket=LP-0042-000123-9"),
            Scanned::Ticket("LP-0042-000123-9".into())
        );
        assert_eq!(
            classify("ANJ-SURAT:470/12/429.501/2024"),
            Scanned::Letter("470/12/429.501/2024".into())
        );
        let slip = "ANJUNGAN/STATUS/1?kiosk=BWI-01&t=1700000000&nik=3510********0001";
        assert_eq!(classify(slip), Scanned::Other(slip.into()));
        // Near misses stay Other: the kiosk must not look them up as what they resemble.
        for near in [
            "351001120385000",
            "35100112038500011",
            "LP-0000-00123-4",
            "ANJ-SURAT:",
            "ANJ-SURAT:a b",
        ] {
            assert_eq!(classify(near), Scanned::Other(near.into()), "{near}");
        }
    }

    #[test]
    fn cr_lf_and_crlf_all_end_a_line() {
        let events = scans(&[b"3510011203850001\r", b"LP-0000-000123-4\n", b"ANJ-SURAT:1/2\r\n"]);
        assert_eq!(
            events,
            vec![
                scan(Scanned::Nik("3510011203850001".into())),
                scan(Scanned::Ticket("LP-0000-000123-4".into())),
                scan(Scanned::Letter("1/2".into())),
            ]
        );
    }

    #[test]
    fn a_line_split_at_every_position_decodes_once() {
        let line = b"LP-0000-000123-4\r\n";
        for cut in 0..=line.len() {
            assert_eq!(
                scans(&[&line[..cut], &line[cut..]]),
                vec![scan(Scanned::Ticket("LP-0000-000123-4".into()))],
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
                scan(Scanned::Nik("3510011203850001".into())),
            ]
        );
        // Exactly MAX_LINE is still a line.
        let edge = vec![b'A'; MAX_LINE];
        assert_eq!(scans(&[&edge, b"\r"]), vec![scan(Scanned::Other("A".repeat(MAX_LINE)))]);
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
        assert_eq!(
            decoder.push(b"LP-0000-000123-4\r", later),
            vec![scan(Scanned::Ticket("LP-0000-000123-4".into()))]
        );
    }

    #[test]
    fn debug_masks_a_nik_and_foreign_text() {
        let text = format!(
            "{:?} {:?}",
            Scanned::Nik("3510011203850001".into()),
            Scanned::Other("name=BUDI".into())
        );
        assert_eq!(text, "Nik(3510********0001) Other(9 bytes)");
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
            prop_assert_eq!(events, vec![ReaderEvent::Scan(classify(&line))]);
        }
    }
}
