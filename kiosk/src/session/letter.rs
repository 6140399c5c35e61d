//! The letter request flow: which letter, who asks (NIK), for what purpose.
//!
//! The letters themselves are made and signed by the desa staff (a later issue brings them
//! to the kiosk); here the request is recorded and the citizen gets a note saying what
//! happens next.

use protocol::{Nik, Text};

use super::{EntryPurpose, Screen, Session};

/// The letters a citizen can ask for at the kiosk (mirrors the UI's `LetterKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterKind {
    /// Surat Keterangan Tidak Mampu.
    Sktm,
    Domisili,
    Usaha,
}

impl LetterKind {
    pub fn name(self) -> Text {
        match self {
            LetterKind::Sktm => {
                Text::new("Surat Keterangan Tidak Mampu (SKTM)", "Certificate of low income (SKTM)")
            }
            LetterKind::Domisili => {
                Text::new("Surat Keterangan Domisili", "Certificate of residence")
            }
            LetterKind::Usaha => Text::new("Surat Keterangan Usaha", "Business certificate"),
        }
    }

    /// Stable name in queues and logs.
    pub fn code(self) -> &'static str {
        match self {
            LetterKind::Sktm => "sktm",
            LetterKind::Domisili => "domisili",
            LetterKind::Usaha => "usaha",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LetterDraft {
    pub kind: Option<LetterKind>,
    pub applicant: Option<Nik>,
    pub purpose: String,
}

impl Session {
    pub fn start_letter(&mut self) {
        self.start(Screen::LetterType);
    }

    pub fn choose_letter(&mut self, kind: LetterKind) {
        self.letter.kind = Some(kind);
        let applicant = self.letter.applicant.as_ref().map(|n| n.as_str().to_string());
        self.ask_nik(EntryPurpose::Letter, applicant.as_deref().unwrap_or(""));
    }

    pub(super) fn submit_letter_purpose(&mut self) {
        let purpose = self.letter.purpose.trim().to_string();
        if purpose.chars().count() < 3 {
            self.text_error = Some(Text::new(
                "Tuliskan keperluan surat, misalnya \"syarat beasiswa sekolah\".",
                "Write what the letter is for, e.g. \"school scholarship requirement\".",
            ));
            return;
        }
        self.letter.purpose = purpose;
        self.text_error = None;
        self.screen = Screen::LetterConfirm;
    }

    /// "Ajukan": whether the request is complete (the app then records it).
    pub fn letter_ready(&self) -> bool {
        self.screen == Screen::LetterConfirm
            && !self.busy
            && self.letter.kind.is_some()
            && self.letter.applicant.is_some()
            && !self.letter.purpose.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_letter_needs_a_purpose() {
        let mut session = Session::default();
        session.start_letter();
        session.choose_letter(LetterKind::Domisili);
        assert_eq!((session.screen, session.purpose), (Screen::NikEntry, EntryPurpose::Letter));
        session.digits = "3510011203850001".into();
        assert!(session.accept_nik().is_ok());
        assert_eq!(session.screen, Screen::LetterPurpose);
        session.submit_text();
        assert!(session.text_error.is_some(), "an empty purpose is refused");
        for key in ["K", "E", "R", "J", "A"] {
            session.text_key(key);
        }
        session.submit_text();
        assert_eq!(session.screen, Screen::LetterConfirm);
        assert_eq!(session.letter.purpose, "Kerja");
        assert!(session.letter_ready());
    }
}
