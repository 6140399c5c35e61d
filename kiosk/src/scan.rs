//! What a line from the QR/barcode scanner means to the kiosk. The scanner in `hardware`
//! hands each line over as it was sent, because what a NIK or a ticket looks like is the
//! protocol crate's rule and `hardware` must not depend on it; the kiosk sorts lines here,
//! with `protocol`'s own ticket parser, before a flow acts on them.

use std::fmt;

use protocol::mask::mask_digits_in;
use protocol::ticket::{Ticket, TicketError};

/// Prefix of every QR payload the kiosk prints (`slip::report_qr_payload`,
/// `slip::letter_qr_payload`, the status slip's): `ANJUNGAN/REPORT/1?ticket=LP-...`.
pub const PAYLOAD_PREFIX: &str = "ANJUNGAN/";

/// A scanned line, sorted.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ScannedCode<'a> {
    /// 16 digits, as typed on the NIK page. Not parsed here: `Nik::parse` judges them on
    /// "Periksa" as it does typed digits, so a NIK with an unknown region is explained on
    /// screen rather than ignored.
    Nik(&'a str),
    /// A ticket in a spelling `Ticket::parse` accepts (any case, spaces, with or without
    /// dashes), the whole line or the `ticket=` parameter of one of our payloads. A wrong
    /// check digit still counts: the tracking page explains it, as for a typed ticket.
    Ticket(&'a str),
    /// Anything else (a status slip's QR, a product barcode, a letter QR): not acted on.
    Other,
}

impl fmt::Debug for ScannedCode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScannedCode::Nik(digits) => write!(f, "Nik({})", mask_digits_in(digits)),
            ScannedCode::Ticket(ticket) => write!(f, "Ticket({ticket})"),
            ScannedCode::Other => f.write_str("Other"),
        }
    }
}

/// Sorts one line from the scanner.
pub fn classify(line: &str) -> ScannedCode<'_> {
    let line = line.trim();
    if line.len() == 16 && line.bytes().all(|b| b.is_ascii_digit()) {
        return ScannedCode::Nik(line);
    }
    if is_ticket(line) {
        return ScannedCode::Ticket(line);
    }
    match payload_ticket(line) {
        Some(ticket) => ScannedCode::Ticket(ticket),
        None => ScannedCode::Other,
    }
}

/// A ticket's format, by `Ticket::parse`: only a check digit may be wrong.
fn is_ticket(text: &str) -> bool {
    !matches!(Ticket::parse(text), Err(TicketError::Format))
}

/// The `ticket=` parameter of one of our payloads, if it holds a ticket.
fn payload_ticket(text: &str) -> Option<&str> {
    let query = text.strip_prefix(PAYLOAD_PREFIX)?.split_once('?')?.1;
    query.split('&').filter_map(|pair| pair.strip_prefix("ticket=")).find(|value| is_ticket(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slip;

    /// Every spelling the hardware scanner recognised before the kiosk took this over is
    /// still recognised, and every near miss it refused is still refused.
    #[test]
    fn lines_sort_into_what_the_kiosk_acts_on() {
        use ScannedCode::{Nik, Other, Ticket};
        let table: &[(&str, ScannedCode<'_>)] = &[
            ("3510011203850001", Nik("3510011203850001")),
            (" 3510011203850001 ", Nik("3510011203850001")),
            // A NIK with an unknown region is still a NIK here: the entry page explains it.
            ("9999011203850001", Nik("9999011203850001")),
            ("351001120385000", Other),
            ("35100112038500011", Other),
            ("3510 0112 0385 0001", Other),
            ("LP-0000-000123-4", Ticket("LP-0000-000123-4")),
            ("lp00420001239", Ticket("lp00420001239")),
            ("LP 0042 000123 9", Ticket("LP 0042 000123 9")),
            ("lp-0042-000123-9", Ticket("lp-0042-000123-9")),
            // A mistyped check digit: the tracking page says so.
            ("LP-0042-000123-8", Ticket("LP-0042-000123-8")),
            ("LP-0000-00123-4", Other),
            ("LP-0000-000123-45", Other),
            ("XP-0000-000123-4", Other),
            ("ANJUNGAN/REPORT/1?kiosk=BWI-01&ticket=LP-0042-000123-9", Ticket("LP-0042-000123-9")),
            ("ANJUNGAN/LETTER/1?ticket=lp00420001239", Ticket("lp00420001239")),
            ("ANJUNGAN/REPORT/1?ticket=LP-0000-00123-4", Other),
            ("ANJUNGAN/REPORT/1", Other),
            ("OTHER/REPORT/1?ticket=LP-0042-000123-9", Other),
            ("ANJUNGAN/STATUS/1?kiosk=BWI-01&t=1700000000&nik=3510********0001", Other),
            // Letter QRs and product barcodes are not acted on.
            ("ANJ-SURAT:470/12/429.501/2024", Other),
            ("8991002101012", Other),
        ];
        for (line, expected) in table {
            assert_eq!(classify(line), *expected, "{line:?}");
        }
    }

    #[test]
    fn the_kiosks_own_qr_payloads_open_their_ticket() {
        let ticket = Ticket::new(42, 123).expect("in range");
        let text = ticket.to_string();
        for payload in [slip::report_qr_payload(ticket), slip::letter_qr_payload(ticket)] {
            assert_eq!(classify(&payload), ScannedCode::Ticket(&text), "{payload}");
        }
    }

    #[test]
    fn debug_masks_a_nik() {
        let text = format!("{:?}", classify("3510011203850001"));
        assert_eq!(text, "Nik(3510********0001)");
    }
}
