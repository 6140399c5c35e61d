//! The report flow's steps: about whom, why, a phone number, a description, then the
//! request the central service (or the kiosk's queue) receives.

use protocol::api::{NikEntry, ReportReason, ReportRequest};
use protocol::{Nik, Text};

use crate::local::new_idempotency_key;

use super::text::{TextLimit, edit_text};
use super::{EntryPurpose, Printing, Screen, Session, edit_digits};

/// What the visitor has said so far about their report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDraft {
    pub about_self: bool,
    pub reporter: Option<Nik>,
    /// How the reporter's NIK was entered.
    pub reporter_entry: NikEntry,
    /// The reported person when it is someone else.
    pub subject: Option<Nik>,
    pub reason: Option<ReportReason>,
    /// Digits as typed.
    pub phone: String,
    pub phone_error: Option<Text>,
    pub text: String,
    /// Chosen at the first "Kirim" and kept while nothing changes, so a second tap or a
    /// retry files the report once.
    pub idempotency_key: Option<String>,
}

impl Default for ReportDraft {
    fn default() -> ReportDraft {
        ReportDraft {
            about_self: true,
            reporter: None,
            reporter_entry: NikEntry::Keypad,
            subject: None,
            reason: None,
            phone: String::new(),
            phone_error: None,
            text: String::new(),
            idempotency_key: None,
        }
    }
}

/// The longest phone number the keypad takes: `62` and 13 digits, so a typo is explained
/// rather than cut off.
const MAX_PHONE: usize = 15;

pub use protocol::phone::normalise_phone;

fn phone_example_error() -> Text {
    Text::new(
        "Nomor HP diawali 08 (atau 62). Contoh: 0812 3456 7890.",
        "A mobile number starts with 08 (or 62). Example: 0812 3456 7890.",
    )
}

/// What is wrong with the digits typed so far, as soon as it can be told: a wrong start
/// is shown at the second digit, a wrong length when the visitor taps "Lanjut".
fn early_phone_error(digits: &str) -> Option<Text> {
    let start_ok = ["08", "62"].iter().any(|p| p.starts_with(digits) || digits.starts_with(p));
    if !start_ok {
        return Some(phone_example_error());
    }
    let national_len = if digits.starts_with("62") { digits.len() - 1 } else { digits.len() };
    (national_len > 13).then(|| {
        Text::new(
            "Nomor HP terlalu panjang: paling banyak 13 angka.",
            "The mobile number is too long: at most 13 digits.",
        )
    })
}

/// `081234567890` -> `0812 3456 7890`.
pub fn group_phone(digits: &str) -> String {
    let mut out = String::new();
    for (index, ch) in digits.chars().enumerate() {
        if index > 0 && index.is_multiple_of(4) {
            out.push(' ');
        }
        out.push(ch);
    }
    out
}

impl Session {
    /// Starts a report: about whom?
    pub fn start_report(&mut self) {
        self.start(Screen::ReportWho);
    }

    pub fn choose_report_self(&mut self, about_self: bool) {
        self.report.about_self = about_self;
        if about_self {
            self.report.subject = None;
        }
        let reporter = self.report.reporter.as_ref().map(|n| n.as_str().to_string());
        self.ask_nik(EntryPurpose::Reporter, reporter.as_deref().unwrap_or(""));
    }

    pub fn choose_reason(&mut self, reason: ReportReason) {
        self.report.reason = Some(reason);
        self.report.idempotency_key = None;
        self.screen = Screen::ReportPhone;
    }

    /// One key on the phone page; the error, if any, shows at once.
    pub fn phone_key(&mut self, key: &str) {
        if edit_digits(&mut self.report.phone, key, MAX_PHONE) {
            self.report.idempotency_key = None;
            self.report.phone_error = early_phone_error(&self.report.phone);
        }
    }

    /// "Lanjut" on the phone page.
    pub fn submit_phone(&mut self) -> bool {
        if normalise_phone(&self.report.phone).is_some() {
            self.report.phone_error = None;
            self.screen = Screen::ReportText;
            true
        } else {
            self.report.phone_error = Some(early_phone_error(&self.report.phone).unwrap_or_else(|| {
                Text::new(
                    "Nomor HP harus 10 sampai 13 angka, diawali 08. Contoh: 0812 3456 7890.",
                    "A mobile number has 10 to 13 digits and starts with 08. Example: 0812 3456 7890.",
                )
            }));
            false
        }
    }

    /// One key on the keyboard page, for whichever text the page is asking.
    pub fn text_key(&mut self, key: &str) {
        match self.screen {
            Screen::ReportText => {
                self.text_error = edit_text(&mut self.report.text, key, TextLimit::REPORT);
                self.report.idempotency_key = None;
            }
            Screen::LetterPurpose => {
                self.text_error =
                    edit_text(&mut self.letter.purpose, key, TextLimit::LETTER_PURPOSE);
                self.letter.idempotency_key = None;
            }
            // The keyboard of a text field and the number pad of digits and dates alike.
            Screen::LetterField => self.letter_field_key(key),
            _ => {}
        }
    }

    /// "Lanjut" on the keyboard page.
    pub fn submit_text(&mut self) {
        match self.screen {
            Screen::ReportText => {
                self.report.text = self.report.text.trim().to_string();
                self.text_error = None;
                self.screen = Screen::ReportConfirm;
            }
            Screen::LetterPurpose => self.submit_letter_purpose(),
            Screen::LetterField => self.submit_letter_field(),
            _ => {}
        }
    }

    /// The request to file, once every step is done; the kiosk is then busy sending it.
    /// `None` (nothing sent) if a step is missing or a submission is already on its way.
    pub fn report_request(&mut self) -> Option<ReportRequest> {
        if self.busy || self.screen != Screen::ReportConfirm {
            return None;
        }
        let draft = &mut self.report;
        let reporter = draft.reporter.as_ref()?;
        let subject = if draft.about_self { reporter } else { draft.subject.as_ref()? };
        let reason = draft.reason?;
        let phone = normalise_phone(&draft.phone)?;
        let key = draft.idempotency_key.get_or_insert_with(new_idempotency_key).clone();
        let request = ReportRequest {
            reporter_nik: reporter.as_str().to_string(),
            subject_nik: subject.as_str().to_string(),
            reason,
            phone,
            text: draft.text.clone(),
            idempotency_key: key,
            ticket: None,
            nik_entry: draft.reporter_entry,
        };
        self.busy = true;
        self.printing = Printing::Idle;
        Some(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_phone_start_is_shown_at_once_and_a_short_one_on_lanjut() {
        let mut session = Session::default();
        session.start_report();
        session.screen = Screen::ReportPhone;
        session.phone_key("0");
        assert_eq!(session.report.phone_error, None, "0 may still become 08");
        session.phone_key("3");
        assert!(session.report.phone_error.is_some(), "03 is a landline prefix");
        session.phone_key("back");
        assert_eq!(session.report.phone_error, None);
        for d in "8123".chars() {
            session.phone_key(&d.to_string());
        }
        assert_eq!(session.report.phone_error, None);
        assert!(!session.submit_phone(), "08123 is too short");
        let error = session.report.phone_error.clone().map(|t| t.id).unwrap_or_default();
        assert!(error.contains("10 sampai 13"), "{error}");
        for d in "4567890".chars() {
            session.phone_key(&d.to_string());
        }
        assert!(session.submit_phone());
        assert_eq!(session.screen, Screen::ReportText);
        assert_eq!(group_phone("081234567890"), "0812 3456 7890");
    }

    /// Fills a report about oneself up to its confirmation, the NIK entered by `enter`.
    fn report_with(enter: impl FnOnce(&mut Session)) -> ReportRequest {
        let mut session = Session::default();
        session.start_report();
        session.choose_report_self(true);
        enter(&mut session);
        assert!(session.accept_nik().is_ok());
        session.choose_reason(ReportReason::LostJob);
        session.report.phone = "081234567890".into();
        assert!(session.submit_phone());
        session.submit_text();
        session.report_request().expect("complete")
    }

    #[test]
    fn the_request_says_whether_the_reporter_held_the_card_or_typed_the_number() {
        let read = report_with(|s| assert!(s.nik_read("3510011203850001")));
        assert_eq!(read.nik_entry, NikEntry::Card);
        let typed = report_with(|s| {
            for digit in "3510011203850001".chars() {
                s.key(&digit.to_string());
            }
        });
        assert_eq!(typed.nik_entry, NikEntry::Keypad);
        // Read from the card, then corrected by hand: no longer the card's number.
        let edited = report_with(|s| {
            assert!(s.nik_read("3510011203850009"));
            s.key("back");
            s.key("1");
        });
        assert_eq!(
            (edited.reporter_nik.as_str(), edited.nik_entry),
            ("3510011203850001", NikEntry::Keypad)
        );
    }

    #[test]
    fn the_request_keeps_its_key_until_something_changes() {
        let mut session = Session::default();
        session.start_report();
        session.choose_report_self(true);
        session.digits = "3510011203850001".into();
        assert!(session.accept_nik().is_ok());
        session.choose_reason(ReportReason::LostJob);
        session.report.phone = "081234567890".into();
        assert!(session.submit_phone());
        session.text_key("S");
        session.submit_text();
        let first = session.report_request().expect("complete");
        assert_eq!(first.subject_nik, first.reporter_nik, "about oneself");
        assert_eq!(first.text, "S");
        assert!(session.report_request().is_none(), "busy: a second tap sends nothing");
        session.busy = false;
        let again = session.report_request().expect("retry");
        assert_eq!(again.idempotency_key, first.idempotency_key);
        session.busy = false;
        session.screen = Screen::ReportText;
        session.text_key("a");
        session.submit_text();
        let changed = session.report_request().expect("changed");
        assert_ne!(changed.idempotency_key, first.idempotency_key);
    }
}
