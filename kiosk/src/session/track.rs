//! Tracking a ticket: the 11 digits after `LP` typed on the keypad (or scanned), checked
//! with the ticket's check digit before anything is sent.

use protocol::Text;
use protocol::api::{TicketKind, TicketStatus};
use protocol::ticket::{Ticket, TicketError};

use super::{Screen, Session, edit_digits};

/// Digits of a ticket after `LP`: issuer (4), serial (6), check digit (1).
pub const TICKET_DIGITS: usize = 11;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackState {
    pub digits: String,
    pub error: Option<Text>,
    /// The ticket being looked up or shown.
    pub ticket: Option<Ticket>,
    pub status: Option<TicketStatus>,
    /// When the status last changed, in local time as written in each language.
    pub updated: Option<Text>,
    /// The ticket is in this kiosk's own queue, not yet at the central service: the
    /// reported person or the applicant, masked.
    pub queued_here: Option<String>,
    /// What the ticket shown is for.
    pub kind: TicketKind,
}

/// `00000001234` -> `LP-0000-000123-4`; shorter input is shown as far as it goes.
pub fn ticket_display(digits: &str) -> String {
    if digits.is_empty() {
        return String::new();
    }
    let mut out = String::from("LP-");
    for (index, ch) in digits.chars().enumerate() {
        if matches!(index, 4 | 10) {
            out.push('-');
        }
        out.push(ch);
    }
    out
}

fn check_digit_error() -> Text {
    Text::new(
        "Nomor tiket tidak cocok dengan angka pemeriksanya: ada angka yang salah ketik. Periksa lagi bukti Anda.",
        "The ticket number does not match its check digit: a digit was mistyped. Please check your receipt.",
    )
}

fn parse(digits: &str) -> Result<Ticket, Text> {
    Ticket::parse(&format!("LP{digits}")).map_err(|error| match error {
        TicketError::CheckDigit => check_digit_error(),
        TicketError::Format | TicketError::Range => Text::new(
            format!(
                "Nomor tiket terdiri dari {TICKET_DIGITS} angka setelah LP; baru {} angka.",
                digits.len()
            ),
            format!(
                "A ticket number has {TICKET_DIGITS} digits after LP; {} so far.",
                digits.len()
            ),
        ),
    })
}

impl Session {
    /// Starts tracking: an empty ticket keypad.
    pub fn start_track(&mut self) {
        self.start(Screen::TrackEntry);
    }

    /// One keypad press; a complete number with a wrong check digit is refused at once.
    pub fn ticket_key(&mut self, key: &str) {
        if self.busy {
            return;
        }
        if edit_digits(&mut self.track.digits, key, TICKET_DIGITS) {
            self.track.error = None;
            if self.track.digits.len() == TICKET_DIGITS {
                self.track.error = parse(&self.track.digits).err();
            }
        }
    }

    /// A ticket from the scanner: fills the keypad as if typed.
    pub fn ticket_scanned(&mut self, text: &str) {
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        self.track.digits = digits.chars().take(TICKET_DIGITS).collect();
        self.track.error = parse(&self.track.digits).err();
    }

    /// "Lacak": the ticket to look up, the kiosk then busy; or the reason on screen.
    pub fn submit_ticket(&mut self) -> Option<Ticket> {
        if self.busy {
            return None;
        }
        match parse(&self.track.digits) {
            Ok(ticket) => {
                self.track.error = None;
                self.track.ticket = Some(ticket);
                self.busy = true;
                Some(ticket)
            }
            Err(error) => {
                self.track.error = Some(error);
                None
            }
        }
    }

    /// The ticket is still in this kiosk's queue: say so, with the masked subject.
    pub fn show_queued_ticket(&mut self, ticket: Ticket, subject: String, kind: TicketKind) {
        self.busy = false;
        self.track.kind = kind;
        self.track.ticket = Some(ticket);
        self.track.status = None;
        self.track.updated = None;
        self.track.queued_here = Some(subject);
        self.screen = Screen::TrackResult;
    }

    /// The central service's answer about the ticket, with its time in local words.
    pub fn show_ticket(&mut self, status: TicketStatus, updated: Option<Text>) {
        self.busy = false;
        self.track.updated = updated;
        self.track.queued_here = None;
        self.track.kind = status.kind;
        self.track.ticket = Some(status.ticket);
        self.track.status = Some(status);
        self.letter_print = super::LetterPrint::Idle;
        self.screen = Screen::TrackResult;
    }

    /// The ticket whose issued letter "Cetak Surat" prints: the tracked one when its letter
    /// is issued, or the request just filed when it was issued at once.
    pub fn printable_letter(&self) -> Option<Ticket> {
        match self.screen {
            Screen::TrackResult => self
                .track
                .status
                .as_ref()
                .filter(|status| crate::present::letter_printable(status))
                .map(|status| status.ticket),
            Screen::LetterDone => match &self.decision {
                Some(super::Decision::Decided(status))
                    if crate::present::letter_printable(status) =>
                {
                    Some(status.ticket)
                }
                _ => None,
            },
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn type_ticket(session: &mut Session, digits: &str) {
        for d in digits.chars() {
            session.ticket_key(&d.to_string());
        }
    }

    #[test]
    fn digits_are_shown_as_a_ticket_and_checked_when_complete() {
        let ticket = Ticket::new(42, 7).expect("ticket");
        let digits: String = ticket.to_string().chars().filter(char::is_ascii_digit).collect();
        let mut session = Session::default();
        session.start_track();
        type_ticket(&mut session, &digits[..6]);
        assert_eq!(ticket_display(&session.track.digits), "LP-0042-00");
        assert_eq!(session.track.error, None, "not complete yet: no error");
        assert!(session.submit_ticket().is_none());
        assert!(session.track.error.as_ref().is_some_and(|e| e.id.contains("baru 6 angka")));
        type_ticket(&mut session, &digits[6..]);
        assert_eq!(ticket_display(&session.track.digits), ticket.to_string());
        assert_eq!(session.track.error, None);
        assert_eq!(session.submit_ticket(), Some(ticket));
        assert!(session.busy);

        // One digit off: refused at the last key, before anything is sent.
        let mut session = Session::default();
        session.start_track();
        let wrong = format!("{}{}", &digits[..10], (digits.as_bytes()[10] - b'0' + 1) % 10);
        type_ticket(&mut session, &wrong);
        assert!(session.track.error.as_ref().is_some_and(|e| e.id.contains("salah ketik")));
        assert!(session.submit_ticket().is_none());
        session.ticket_key("back");
        assert_eq!(session.track.error, None);
    }

    #[test]
    fn a_scanned_ticket_fills_the_keypad() {
        let ticket = Ticket::new(0, 123).expect("ticket");
        let mut session = Session::default();
        session.start_track();
        session.ticket_scanned(&ticket.to_string());
        assert_eq!(ticket_display(&session.track.digits), ticket.to_string());
        assert_eq!(session.track.error, None);
    }
}
