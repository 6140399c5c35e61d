//! The letter request flow: which letter, who asks (NIK), for what purpose, then a ticket.
//!
//! The request goes through the kiosk's outbox like a report, with a ticket the kiosk
//! issues itself; the letters themselves are made and signed by the desa staff (a later
//! issue brings them to the kiosk's printer). The citizen gets a slip saying what happens
//! next, with the ticket to track it.

use protocol::Nik;
use protocol::api::{NikEntry, TicketKind};
use protocol::letter::{LetterRequest, clean_purpose};

use super::{EntryPurpose, Printing, Screen, Session};
use crate::local::new_idempotency_key;

pub use protocol::letter::LetterKind;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LetterDraft {
    pub kind: Option<LetterKind>,
    pub applicant: Option<Nik>,
    /// How the applicant's NIK was entered.
    pub applicant_entry: NikEntry,
    pub purpose: String,
    /// Chosen when the request is first sent, so pressing "Ajukan" again after a failure
    /// files the same request, not a second one.
    pub idempotency_key: Option<String>,
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

    /// The central service's rule for a purpose, applied before anything is sent.
    pub(super) fn submit_letter_purpose(&mut self) {
        match clean_purpose(&self.letter.purpose) {
            Ok(purpose) => {
                self.letter.purpose = purpose;
                self.text_error = None;
                self.screen = Screen::LetterConfirm;
            }
            Err(why) => self.text_error = Some(why),
        }
    }

    /// What the decision on screen is about: a letter request on the letter pages, else a
    /// report.
    pub fn submission_kind(&self) -> TicketKind {
        match self.screen {
            Screen::LetterType
            | Screen::LetterPurpose
            | Screen::LetterConfirm
            | Screen::LetterDone => TicketKind::Letter,
            _ => TicketKind::Report,
        }
    }

    /// "Ajukan": the request to file, the kiosk then busy; `None` while something is
    /// missing or a request is on its way.
    pub fn letter_request(&mut self) -> Option<LetterRequest> {
        if self.busy || self.screen != Screen::LetterConfirm || self.letter.purpose.is_empty() {
            return None;
        }
        let draft = &mut self.letter;
        let letter = draft.kind?;
        let applicant = draft.applicant.as_ref()?.as_str().to_string();
        let key = draft.idempotency_key.get_or_insert_with(new_idempotency_key).clone();
        let request = LetterRequest {
            applicant_nik: applicant,
            letter: letter.code(),
            fields: Default::default(),
            purpose: draft.purpose.clone(),
            idempotency_key: key,
            ticket: None,
            nik_entry: draft.applicant_entry,
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
        let request = session.letter_request().expect("complete");
        assert_eq!(
            (request.letter, request.purpose.as_str()),
            (LetterKind::Domisili.code(), "Kerja")
        );
        assert_eq!(request.applicant_nik, "3510011203850001");
        assert!(session.busy && session.letter_request().is_none(), "one request at a time");
        session.busy = false;
        let again = session.letter_request().expect("retry after a failure");
        assert_eq!(again.idempotency_key, request.idempotency_key, "the same request again");
    }
}
