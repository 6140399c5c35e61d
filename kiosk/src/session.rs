//! What one visitor has done so far. The single source of truth the screen is drawn from,
//! and the one place personal data lives on the kiosk: `Session::reset` forgets it all.

use protocol::api::StatusResponse;
use protocol::{Lang, Nik, NikError, Text};

/// The page being shown (mirrors the UI's `Page`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Home,
    NikEntry,
    Result,
    Failure,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Printing {
    Idle,
    Printing,
    Done,
    Failed(Text),
}

#[derive(Debug)]
pub struct Session {
    pub screen: Screen,
    pub lang: Lang,
    pub digits: String,
    pub busy: bool,
    pub entry_error: Option<Text>,
    pub status: Option<StatusResponse>,
    pub printing: Printing,
    pub failure: Option<(Text, Text)>,
    /// Bumped on every reset so answers that arrive after the visitor left are dropped.
    pub visit: u64,
}

impl Default for Session {
    fn default() -> Session {
        Session {
            screen: Screen::Home,
            lang: Lang::Id,
            digits: String::new(),
            busy: false,
            entry_error: None,
            status: None,
            printing: Printing::Idle,
            failure: None,
            visit: 0,
        }
    }
}

/// The longest input the keypad accepts: a NIK plus a few digits, so a 17-digit typo is
/// reported as such instead of being silently cut.
const MAX_DIGITS: usize = 20;

impl Session {
    /// Forgets everything about the visitor, keeping only the visit counter.
    pub fn reset(&mut self) {
        let visit = self.visit + 1;
        *self = Session { visit, ..Session::default() };
    }

    /// Starts a status check: an empty entry screen.
    pub fn start_status_check(&mut self) {
        let lang = self.lang;
        self.reset();
        self.lang = lang;
        self.screen = Screen::NikEntry;
    }

    /// One keypad press: a digit, `back` or `clear`.
    pub fn key(&mut self, key: &str) {
        if self.busy {
            return;
        }
        match key {
            "back" => {
                self.digits.pop();
            }
            "clear" => self.digits.clear(),
            digit if digit.len() == 1 && digit.bytes().all(|b| b.is_ascii_digit()) => {
                if self.digits.len() < MAX_DIGITS {
                    self.digits.push_str(digit);
                }
            }
            _ => return,
        }
        self.entry_error = None;
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
        let before = session.visit;
        session.reset();
        assert_eq!(session.digits, "");
        assert!(session.status.is_none());
        assert_eq!(session.lang, Lang::Id);
        assert_eq!(session.visit, before + 1);
    }
}
