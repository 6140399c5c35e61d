//! What one visitor has done so far. The single source of truth the screen is drawn from,
//! and the one place personal data lives on the kiosk: `Session::reset` forgets it all.
//!
//! The flows' own steps are in [`report`], [`track`] and [`letter`]; this module holds the
//! screens, the NIK keypad every flow shares, and going back one step.

pub mod letter;
pub mod report;
pub mod text;
pub mod track;

use std::sync::Arc;

use protocol::api::{NikEntry, StatusResponse, TicketStatus};
use protocol::letter::LetterType;
use protocol::ticket::Ticket;
use protocol::{Lang, Nik, NikError, Text};

pub use letter::{LetterDraft, LetterPrint};
pub use report::{ReportDraft, normalise_phone};
pub use track::TrackState;

/// The page being shown (mirrors the UI's `Page`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Home,
    NikEntry,
    Result,
    Failure,
    ReportWho,
    ReportReason,
    ReportPhone,
    ReportText,
    ReportConfirm,
    ReportDone,
    TrackEntry,
    TrackResult,
    LetterType,
    /// A typed NIK: the letter waits for the desa staff, said before going on.
    LetterNotice,
    LetterPurpose,
    /// One of the type's other fields (`LetterDraft::field`).
    LetterField,
    LetterConfirm,
    LetterDone,
    Help,
}

/// Whose NIK the entry page asks for (mirrors the UI's `EntryPurpose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryPurpose {
    /// A status check: the number is looked up at once.
    Status,
    /// The person filing a report.
    Reporter,
    /// The person a report is about, when it is someone else.
    Subject,
    /// The person asking for a letter.
    Letter,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Printing {
    Idle,
    Printing,
    Done,
    Failed(Text),
}

/// How a submission (report or letter request) ended, as the citizen is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The central service decided at once.
    Decided(TicketStatus),
    /// Not decided yet: kept in the kiosk's queue under this ticket, sent when it can be.
    Queued { ticket: Ticket },
    /// Refused for good (unknown NIK, invalid phone...): nothing was filed, no ticket.
    Refused(Text),
}

impl Decision {
    /// The ticket to show and print, if the submission has one.
    pub fn ticket(&self) -> Option<Ticket> {
        match self {
            Decision::Decided(status) => Some(status.ticket),
            Decision::Queued { ticket } => Some(*ticket),
            Decision::Refused(_) => None,
        }
    }
}

#[derive(Debug)]
pub struct Session {
    pub screen: Screen,
    pub lang: Lang,
    /// Larger type, chosen by this visitor.
    pub large_text: bool,
    /// White and yellow on black, chosen by this visitor.
    pub high_contrast: bool,
    pub purpose: EntryPurpose,
    pub digits: String,
    /// How `digits` got there: read from the e-KTP, or typed (also any prefill).
    pub digits_entry: NikEntry,
    pub busy: bool,
    pub entry_error: Option<Text>,
    pub status: Option<StatusResponse>,
    /// The NIK the status on screen is of (kept to ask the seal of a printed slip).
    pub status_nik: Option<Nik>,
    /// The desa's seal of that answer, once asked for a print.
    pub slip_seal: Option<String>,
    /// Whether the seal was asked already in this visit (asked once, printed either way).
    pub seal_asked: bool,
    pub printing: Printing,
    pub failure: Option<(Text, Text)>,
    /// Where "Coba lagi" on the failure page leads.
    pub failure_return: Screen,
    pub report: ReportDraft,
    pub letter: LetterDraft,
    /// Printing an issued letter, after a request or from "Lacak Tiket".
    pub letter_print: LetterPrint,
    pub track: TrackState,
    /// Why the free text was refused, on the keyboard page.
    pub text_error: Option<Text>,
    pub decision: Option<Decision>,
    /// The visitor asked for staff on the help page.
    pub staff_called: bool,
    /// Bumped on every reset so answers that arrive after the visitor left are dropped.
    pub visit: u64,
    /// The letters this kiosk offers (its configuration's, or the built-in three): nothing
    /// of a visitor, so kept across visits.
    pub letter_types: Arc<[LetterType]>,
}

impl Default for Session {
    fn default() -> Session {
        Session {
            screen: Screen::Home,
            lang: Lang::Id,
            large_text: false,
            high_contrast: false,
            purpose: EntryPurpose::Status,
            digits: String::new(),
            digits_entry: NikEntry::Keypad,
            busy: false,
            entry_error: None,
            status: None,
            status_nik: None,
            slip_seal: None,
            seal_asked: false,
            printing: Printing::Idle,
            failure: None,
            failure_return: Screen::Home,
            report: ReportDraft::default(),
            letter: LetterDraft::default(),
            letter_print: LetterPrint::Idle,
            track: TrackState::default(),
            text_error: None,
            decision: None,
            staff_called: false,
            visit: 0,
            letter_types: letter::builtin_letters().into(),
        }
    }
}

/// The longest input the keypad accepts: a NIK plus a few digits, so a 17-digit typo is
/// reported as such instead of being silently cut.
const MAX_DIGITS: usize = 20;

impl Session {
    /// Forgets everything about the visitor, keeping only the visit counter and what the
    /// kiosk offers.
    pub fn reset(&mut self) {
        let visit = self.visit + 1;
        let letter_types = self.letter_types.clone();
        *self = Session { visit, letter_types, ..Session::default() };
    }

    /// Whether there is anything of a visitor to forget: a home screen in the default
    /// language and look has nothing.
    pub fn is_pristine(&self) -> bool {
        self.screen == Screen::Home
            && self.lang == Lang::Id
            && !self.large_text
            && !self.high_contrast
            && self.digits.is_empty()
            && self.status.is_none()
            && self.decision.is_none()
    }

    /// Starts a new flow on `screen`: everything from an earlier flow is forgotten, the
    /// visitor's language and display choices stay.
    pub fn start(&mut self, screen: Screen) {
        let (lang, large_text, high_contrast) = (self.lang, self.large_text, self.high_contrast);
        self.reset();
        self.lang = lang;
        self.large_text = large_text;
        self.high_contrast = high_contrast;
        self.screen = screen;
    }

    /// Starts a status check: an empty entry screen.
    pub fn start_status_check(&mut self) {
        self.start(Screen::NikEntry);
        self.purpose = EntryPurpose::Status;
    }

    /// Shows the NIK entry page for `purpose`, with `digits` already typed.
    pub(crate) fn ask_nik(&mut self, purpose: EntryPurpose, digits: &str) {
        self.screen = Screen::NikEntry;
        self.purpose = purpose;
        self.digits = digits.to_string();
        self.digits_entry = NikEntry::Keypad;
        self.entry_error = None;
    }

    /// One keypad press: a digit, `back` or `clear`.
    pub fn key(&mut self, key: &str) {
        if self.busy {
            return;
        }
        if edit_digits(&mut self.digits, key, MAX_DIGITS) {
            // Edited by hand: no longer what the card said.
            self.digits_entry = NikEntry::Keypad;
            self.entry_error = None;
        }
    }

    /// Validates the typed number; on success the kiosk is busy asking the backend.
    pub fn submit(&mut self) -> Result<Nik, NikError> {
        match Nik::parse(&self.digits) {
            Ok(nik) => {
                self.busy = true;
                self.entry_error = None;
                Ok(nik)
            }
            Err(error) => {
                self.entry_error = Some(error.text());
                Err(error)
            }
        }
    }

    /// "Lanjut" on the entry page of a report or letter: the number is checked here (no
    /// lookup) and the flow moves on.
    pub fn accept_nik(&mut self) -> Result<(), Text> {
        let nik = match Nik::parse(&self.digits) {
            Ok(nik) => nik,
            Err(error) => {
                self.entry_error = Some(error.text());
                return Err(error.text());
            }
        };
        match self.purpose {
            EntryPurpose::Status => return Ok(()),
            EntryPurpose::Reporter => {
                self.report.reporter = Some(nik);
                self.report.reporter_entry = self.digits_entry;
                if self.report.about_self {
                    self.report.subject = None;
                    self.screen = Screen::ReportReason;
                } else {
                    let subject = self.report.subject.as_ref().map(|n| n.as_str().to_string());
                    self.ask_nik(EntryPurpose::Subject, subject.as_deref().unwrap_or(""));
                    return Ok(());
                }
            }
            EntryPurpose::Subject => {
                if self.report.reporter.as_ref() == Some(&nik) {
                    let reason = Text::new(
                        "Ini NIK Anda sendiri. Kembali dan pilih \"Diri sendiri\", atau masukkan NIK orang yang dilaporkan.",
                        "This is your own NIK. Go back and choose \"Myself\", or enter the NIK of the person you report.",
                    );
                    self.entry_error = Some(reason.clone());
                    return Err(reason);
                }
                self.report.subject = Some(nik);
                self.screen = Screen::ReportReason;
            }
            EntryPurpose::Letter => {
                if self.letter.applicant.as_ref() != Some(&nik) {
                    self.letter.idempotency_key = None;
                }
                self.letter.applicant = Some(nik);
                self.letter.applicant_entry = self.digits_entry;
                // A typed number cannot prove presence: the citizen hears first that the
                // letter waits for the staff.
                self.screen = match self.digits_entry {
                    NikEntry::Keypad => Screen::LetterNotice,
                    NikEntry::Card => Screen::LetterPurpose,
                };
            }
        }
        self.report.idempotency_key = None;
        self.digits.clear();
        self.digits_entry = NikEntry::Keypad;
        self.entry_error = None;
        Ok(())
    }

    /// Shows a failure the visitor cannot fix by retyping; "Coba lagi" returns to `back_to`.
    pub fn fail(&mut self, title: Text, message: Text, back_to: Screen) {
        self.busy = false;
        self.failure = Some((title, message));
        self.failure_return = back_to;
        self.screen = Screen::Failure;
    }

    /// "Kembali": one step back in the current flow, keeping what was entered.
    pub fn back(&mut self) {
        if self.busy {
            return;
        }
        let reporter = self.report.reporter.as_ref().map(|n| n.as_str().to_string());
        let subject = self.report.subject.as_ref().map(|n| n.as_str().to_string());
        match self.screen {
            Screen::Home | Screen::Result | Screen::Help | Screen::LetterDone => self.home(),
            Screen::Failure => {
                self.failure = None;
                self.screen = self.failure_return;
                if self.screen == Screen::Home {
                    self.home();
                }
            }
            Screen::NikEntry => match self.purpose {
                EntryPurpose::Status => self.home(),
                EntryPurpose::Reporter => self.screen = Screen::ReportWho,
                EntryPurpose::Subject => {
                    self.ask_nik(EntryPurpose::Reporter, reporter.as_deref().unwrap_or(""))
                }
                EntryPurpose::Letter => self.screen = Screen::LetterType,
            },
            Screen::ReportWho | Screen::TrackEntry | Screen::LetterType => self.home(),
            Screen::ReportReason => {
                if self.report.about_self {
                    self.ask_nik(EntryPurpose::Reporter, reporter.as_deref().unwrap_or(""));
                } else {
                    self.ask_nik(EntryPurpose::Subject, subject.as_deref().unwrap_or(""));
                }
            }
            Screen::ReportPhone => self.screen = Screen::ReportReason,
            Screen::ReportText => self.screen = Screen::ReportPhone,
            Screen::ReportConfirm => self.screen = Screen::ReportText,
            Screen::ReportDone => {
                // Only a refused report can be corrected; a filed one is finished.
                if matches!(self.decision, Some(Decision::Refused(_))) {
                    self.decision = None;
                    self.printing = Printing::Idle;
                    self.screen = Screen::ReportConfirm;
                } else {
                    self.home();
                }
            }
            Screen::TrackResult => self.start(Screen::TrackEntry),
            Screen::LetterPurpose
                if self.letter.applicant_entry == NikEntry::Keypad
                    && self.letter.applicant.is_some() =>
            {
                self.screen = Screen::LetterNotice
            }
            Screen::LetterNotice | Screen::LetterPurpose => {
                let applicant = self.letter.applicant.as_ref().map(|n| n.as_str().to_string());
                self.ask_nik(EntryPurpose::Letter, applicant.as_deref().unwrap_or(""));
                if applicant.is_some() {
                    // The same number, entered the same way: a card read stays a card read.
                    self.digits_entry = self.letter.applicant_entry;
                }
            }
            Screen::LetterField | Screen::LetterConfirm => self.letter_field_back(),
        }
        self.text_error = None;
    }

    fn home(&mut self) {
        self.reset();
    }

    /// A NIK from the e-KTP reader (or a scanned NIK): fills the entry page, as if typed.
    /// Elsewhere it is ignored, so a card left on the reader cannot start anything.
    pub fn nik_read(&mut self, nik: &str) -> bool {
        if self.screen != Screen::NikEntry || self.busy {
            return false;
        }
        self.digits = nik.chars().filter(char::is_ascii_digit).take(MAX_DIGITS).collect();
        self.digits_entry = NikEntry::Card;
        self.entry_error = None;
        true
    }

    /// A ticket from the QR scanner: on the home or tracking pages it opens tracking with
    /// the ticket filled in; elsewhere it is ignored.
    pub fn ticket_read(&mut self, ticket: &str) -> bool {
        if self.busy
            || !matches!(self.screen, Screen::Home | Screen::TrackEntry | Screen::TrackResult)
        {
            return false;
        }
        if self.screen != Screen::TrackEntry {
            self.start_track();
        }
        self.ticket_scanned(ticket);
        true
    }

    /// The digits grouped as on the KTP: `3510 01 120385 0001`.
    pub fn grouped_digits(&self) -> String {
        let mut out = String::new();
        for (index, ch) in self.digits.chars().enumerate() {
            if matches!(index, 4 | 6 | 12 | 16) {
                out.push(' ');
            }
            out.push(ch);
        }
        out
    }
}

/// Applies a keypad press to a digit string: a digit (up to `max`), `back` or `clear`.
/// Returns whether the key was one of those.
pub(crate) fn edit_digits(digits: &mut String, key: &str, max: usize) -> bool {
    match key {
        "back" => {
            digits.pop();
        }
        "clear" => digits.clear(),
        digit if digit.len() == 1 && digit.bytes().all(|b| b.is_ascii_digit()) => {
            if digits.len() < max {
                digits.push_str(digit);
            }
        }
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keypad_edits_and_groups() {
        let mut session = Session::default();
        session.start_status_check();
        for d in "3510011203850001".chars() {
            session.key(&d.to_string());
        }
        assert_eq!(session.grouped_digits(), "3510 01 120385 0001");
        session.key("back");
        assert_eq!(session.digits, "351001120385000");
        session.key("x");
        assert_eq!(session.digits, "351001120385000");
        session.key("clear");
        assert_eq!(session.digits, "");
    }

    #[test]
    fn invalid_number_gives_a_reason_and_stays_on_entry() {
        let mut session = Session::default();
        session.start_status_check();
        session.digits = "351001120385000".into();
        assert!(session.submit().is_err());
        assert!(!session.busy);
        let reason = session.entry_error.as_ref().map(|t| t.id.as_str()).unwrap_or_default();
        assert!(reason.contains("15 angka"), "{reason}");
        session.key("1");
        assert_eq!(session.entry_error, None, "typing clears the old reason");
    }

    #[test]
    fn reset_forgets_personal_data() {
        let mut session = Session::default();
        session.start_status_check();
        session.digits = "3510011203850001".into();
        session.lang = Lang::En;
        session.large_text = true;
        let before = session.visit;
        session.reset();
        assert_eq!(session.digits, "");
        assert!(session.status.is_none());
        assert_eq!(session.lang, Lang::Id);
        assert!(!session.large_text);
        assert_eq!(session.visit, before + 1);
        assert!(session.is_pristine());
    }

    #[test]
    fn a_new_flow_keeps_language_and_look_but_not_data() {
        let mut session = Session {
            lang: Lang::En,
            high_contrast: true,
            digits: "3510".into(),
            ..Session::default()
        };
        session.start(Screen::TrackEntry);
        assert_eq!((session.lang, session.high_contrast), (Lang::En, true));
        assert!(session.digits.is_empty());
    }

    #[test]
    fn report_about_someone_else_asks_both_numbers_and_goes_back_with_them() {
        let mut session = Session::default();
        session.start(Screen::ReportWho);
        session.choose_report_self(false);
        assert_eq!((session.screen, session.purpose), (Screen::NikEntry, EntryPurpose::Reporter));
        session.digits = "3510011203850001".into();
        assert!(session.accept_nik().is_ok());
        assert_eq!(session.purpose, EntryPurpose::Subject);
        assert!(session.digits.is_empty());
        // The reporter's own number is not "someone else".
        session.digits = "3510011203850001".into();
        assert!(session.accept_nik().is_err());
        assert!(session.entry_error.is_some());
        session.digits = "3510015203850002".into();
        assert!(session.accept_nik().is_ok());
        assert_eq!(session.screen, Screen::ReportReason);
        session.back();
        assert_eq!((session.screen, session.purpose), (Screen::NikEntry, EntryPurpose::Subject));
        assert_eq!(session.digits, "3510015203850002");
        session.back();
        assert_eq!(session.purpose, EntryPurpose::Reporter);
        assert_eq!(session.digits, "3510011203850001");
    }
}
