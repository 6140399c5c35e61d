//! The letter request flow: which letter (from the kiosk's catalogue), who asks (NIK, read
//! from the e-KTP or typed), what for, the type's other fields one page each, then a ticket.
//!
//! The request goes through the kiosk's outbox like a report, with a ticket the kiosk
//! issues itself. The central service decides: a letter issued at once is fetched with that
//! ticket and printed here; one that waits for the desa staff gets a slip with the ticket,
//! to print the letter later at any kiosk of the desa.

use std::collections::BTreeMap;
use std::sync::Arc;

use protocol::api::{NikEntry, TicketKind};
use protocol::letter::{
    Applicant, FieldKind, FieldSpec, LetterKind, LetterRequest, LetterType, clean_purpose,
};
use protocol::{Nik, Text};

use super::{EntryPurpose, Printing, Screen, Session, edit_digits};
use crate::local::new_idempotency_key;
use crate::session::text::{TextLimit, edit_text};

/// The key of the field every letter type has, asked on the purpose page.
pub const PURPOSE: &str = "purpose";

/// Digits of a date typed on the number pad: `DDMMYYYY`.
const DATE_DIGITS: usize = 8;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LetterDraft {
    /// The type chosen, as the catalogue described it then.
    pub letter: Option<LetterType>,
    pub applicant: Option<Nik>,
    /// How the applicant's NIK was entered.
    pub applicant_entry: NikEntry,
    pub purpose: String,
    /// Which of the type's other fields ([`LetterType`] minus the purpose) is on screen.
    pub field: usize,
    /// What was typed for each other field, by key, kept when going back.
    pub inputs: BTreeMap<String, String>,
    /// The answers as `FieldSpec::clean` accepted them, by key; a skipped optional field
    /// has none.
    pub answers: BTreeMap<String, String>,
    /// Chosen when the request is first sent, so pressing "Ajukan" again after a failure
    /// files the same request, not a second one.
    pub idempotency_key: Option<String>,
}

/// Where printing an issued letter stands (on the done page and on "Lacak Tiket").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum LetterPrint {
    #[default]
    Idle,
    /// Fetching it from the central service and printing it.
    Printing,
    Printed,
    /// Not printed: why, in words the citizen can act on.
    Failed(Text),
}

/// The letters a kiosk offered before types came in its configuration: used until a
/// configuration brings a catalogue, so an older central service still gets what it knows
/// (the purpose only).
pub fn builtin_letters() -> Vec<LetterType> {
    LetterKind::ALL
        .into_iter()
        .map(|kind| {
            let (applicant, note) = match kind {
                LetterKind::Sktm => (
                    Applicant::HeadOfFamily,
                    Text::new(
                        "Untuk kepala keluarga: keringanan biaya sekolah, berobat, atau syarat bantuan.",
                        "For the head of the family: reduced school or medical fees, or to apply for assistance.",
                    ),
                ),
                LetterKind::Domisili => (
                    Applicant::Person,
                    Text::new(
                        "Keterangan tempat tinggal Anda di desa ini.",
                        "States that you live in this village.",
                    ),
                ),
                LetterKind::Usaha => (
                    Applicant::Person,
                    Text::new(
                        "Keterangan usaha yang Anda jalankan di desa ini.",
                        "States the business you run in this village.",
                    ),
                ),
            };
            LetterType {
                code: kind.code(),
                name: kind.name(),
                applicant,
                fields: vec![FieldSpec {
                    key: PURPOSE.into(),
                    label: Text::new("Keperluan", "Purpose"),
                    hint: None,
                    kind: FieldKind::Text,
                    max: protocol::letter::LETTER_PURPOSE_MAX as u16,
                    required: true,
                }],
                note: Some(note),
            }
        })
        .collect()
}

/// The catalogue a kiosk offers: the configuration's, or the built-in three without one.
pub fn offered_letters(configured: Vec<LetterType>) -> Arc<[LetterType]> {
    if configured.is_empty() { builtin_letters().into() } else { configured.into() }
}

/// The fields of `letter` asked after the purpose, in the catalogue's order.
pub fn other_fields(letter: &LetterType) -> Vec<&FieldSpec> {
    letter.fields.iter().filter(|field| field.key != PURPOSE).collect()
}

/// `31122026` as typed -> `31-12-2026`, as far as it goes.
pub fn date_display(digits: &str) -> String {
    let mut out = String::new();
    for (index, ch) in digits.chars().enumerate() {
        if matches!(index, 2 | 4) {
            out.push('-');
        }
        out.push(ch);
    }
    out
}

impl LetterDraft {
    /// The field on screen on the field pages.
    pub fn current_field(&self) -> Option<&FieldSpec> {
        other_fields(self.letter.as_ref()?).get(self.field).copied()
    }

    /// The purpose field's own description (its hint), when the type has one.
    pub fn purpose_field(&self) -> Option<&FieldSpec> {
        self.letter.as_ref()?.fields.iter().find(|field| field.key == PURPOSE)
    }

    /// What is typed for the field on screen.
    pub fn current_input(&self) -> &str {
        self.current_field()
            .and_then(|field| self.inputs.get(&field.key))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Whether only the head of the family may ask for the chosen letter.
    pub fn head_of_family_only(&self) -> bool {
        self.letter.as_ref().is_some_and(|letter| letter.applicant == Applicant::HeadOfFamily)
    }
}

impl Session {
    pub fn start_letter(&mut self) {
        self.start(Screen::LetterType);
    }

    /// A letter type tapped on the type page, by its code; an unknown code (a catalogue
    /// replaced meanwhile) changes nothing.
    pub fn choose_letter(&mut self, code: &str) {
        let Some(letter) = self.letter_types.iter().find(|t| t.code.as_str() == code).cloned()
        else {
            tracing::warn!(code, "letter type not in the catalogue");
            return;
        };
        if self.letter.letter.as_ref().is_some_and(|chosen| chosen.code != letter.code) {
            // Another type asks other things: its answers start empty.
            self.letter.inputs.clear();
            self.letter.answers.clear();
        }
        self.letter.letter = Some(letter);
        self.letter.field = 0;
        self.letter.idempotency_key = None;
        let applicant = self.letter.applicant.as_ref().map(|n| n.as_str().to_string());
        self.ask_nik(EntryPurpose::Letter, applicant.as_deref().unwrap_or(""));
        if applicant.is_some() {
            self.digits_entry = self.letter.applicant_entry;
        }
    }

    /// "Lanjut" on the typed-NIK notice: the citizen goes on knowing the letter waits.
    pub fn accept_typed_nik(&mut self) {
        if self.screen == Screen::LetterNotice {
            self.screen = Screen::LetterPurpose;
        }
    }

    /// The central service's rule for a purpose, applied before anything is sent.
    pub(super) fn submit_letter_purpose(&mut self) {
        let checked = clean_purpose(&self.letter.purpose).and_then(|purpose| {
            match self.letter.purpose_field() {
                Some(spec) => spec.clean(&purpose),
                None => Ok(purpose),
            }
        });
        match checked {
            Ok(purpose) => {
                self.letter.purpose = purpose;
                self.text_error = None;
                self.letter.field = 0;
                self.next_letter_page();
            }
            Err(why) => self.text_error = Some(why),
        }
    }

    /// The field page of `letter.field`, or the confirm page after the last field.
    fn next_letter_page(&mut self) {
        self.screen = if self.letter.current_field().is_some() {
            Screen::LetterField
        } else {
            Screen::LetterConfirm
        };
    }

    /// One key on a field page: the keyboard for a text field, the number pad for digits
    /// and dates.
    pub(super) fn letter_field_key(&mut self, key: &str) {
        let Some(field) = self.letter.current_field().cloned() else { return };
        let input = self.letter.inputs.entry(field.key.clone()).or_default();
        self.text_error = match field.kind {
            FieldKind::Text => edit_text(input, key, TextLimit(usize::from(field.max))),
            FieldKind::Digits => {
                edit_digits(input, key, usize::from(field.max));
                None
            }
            FieldKind::Date => {
                edit_digits(input, key, DATE_DIGITS);
                None
            }
        };
        self.letter.idempotency_key = None;
    }

    /// "Lanjut" on a field page: the answer checked by the field's own rule (the one the
    /// central service applies), kept, and the next page.
    pub fn submit_letter_field(&mut self) {
        let Some(field) = self.letter.current_field().cloned() else { return };
        let typed = self.letter.current_input().to_string();
        let raw = if field.kind == FieldKind::Date { date_display(&typed) } else { typed };
        match field.clean(&raw) {
            Ok(answer) => {
                self.text_error = None;
                if answer.is_empty() {
                    self.letter.answers.remove(&field.key);
                } else {
                    self.letter.answers.insert(field.key.clone(), answer);
                }
                self.letter.field += 1;
                self.next_letter_page();
            }
            Err(why) => self.text_error = Some(why),
        }
    }

    /// "Lewati" on an optional field: left empty, the next page.
    pub fn skip_letter_field(&mut self) {
        let Some(field) = self.letter.current_field().cloned() else { return };
        if field.required {
            return;
        }
        self.letter.inputs.remove(&field.key);
        self.letter.answers.remove(&field.key);
        self.text_error = None;
        self.letter.field += 1;
        self.next_letter_page();
    }

    /// "Kembali" on a field page or the confirm page: the field before, or the purpose.
    pub(super) fn letter_field_back(&mut self) {
        let fields = self.letter.letter.as_ref().map(|t| other_fields(t).len()).unwrap_or(0);
        let previous = match self.screen {
            Screen::LetterConfirm => fields.checked_sub(1),
            _ => self.letter.field.checked_sub(1),
        };
        match previous {
            Some(index) => {
                self.letter.field = index;
                self.screen = Screen::LetterField;
            }
            None => self.screen = Screen::LetterPurpose,
        }
    }

    /// What the decision on screen is about: a letter request on the letter pages, else a
    /// report.
    pub fn submission_kind(&self) -> TicketKind {
        match self.screen {
            Screen::LetterType
            | Screen::LetterNotice
            | Screen::LetterPurpose
            | Screen::LetterField
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
        let letter = draft.letter.as_ref()?;
        let missing = other_fields(letter)
            .iter()
            .any(|field| field.required && !draft.answers.contains_key(&field.key));
        if missing {
            return None;
        }
        let code = letter.code.clone();
        let fields = other_fields(letter)
            .iter()
            .filter_map(|field| Some((field.key.clone(), draft.answers.get(&field.key)?.clone())))
            .collect();
        let applicant = draft.applicant.as_ref()?.as_str().to_string();
        let key = draft.idempotency_key.get_or_insert_with(new_idempotency_key).clone();
        let request = LetterRequest {
            applicant_nik: applicant,
            letter: code,
            fields,
            purpose: draft.purpose.clone(),
            idempotency_key: key,
            ticket: None,
            nik_entry: draft.applicant_entry,
        };
        self.busy = true;
        self.printing = Printing::Idle;
        self.letter_print = LetterPrint::Idle;
        Some(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usaha() -> LetterType {
        let field = |key: &str, kind, required| FieldSpec {
            key: key.into(),
            label: Text::new(key, key),
            hint: None,
            kind,
            max: 40,
            required,
        };
        LetterType {
            code: protocol::letter::LetterCode::parse("usaha").expect("code"),
            name: Text::new("Surat Keterangan Usaha", "Business certificate"),
            applicant: Applicant::Person,
            fields: vec![
                field("business_name", FieldKind::Text, true),
                field("started", FieldKind::Date, true),
                field("business_address", FieldKind::Text, false),
                field(PURPOSE, FieldKind::Text, true),
            ],
            note: None,
        }
    }

    fn at_purpose(session: &mut Session, entry: NikEntry) {
        session.letter_types = vec![usaha()].into();
        session.start_letter();
        session.choose_letter("usaha");
        session.digits = "3510011203850001".into();
        session.digits_entry = entry;
        assert!(session.accept_nik().is_ok());
    }

    #[test]
    fn without_a_catalogue_the_three_builtin_letters_ask_only_the_purpose() {
        let offered = offered_letters(Vec::new());
        let codes: Vec<&str> = offered.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(codes, ["sktm", "domisili", "usaha"]);
        assert!(offered.iter().all(|t| other_fields(t).is_empty()));
        assert_eq!(offered[0].applicant, Applicant::HeadOfFamily);
        assert_eq!(offered_letters(vec![usaha()]).len(), 1);
    }

    #[test]
    fn a_typed_nik_is_told_before_the_purpose_a_card_goes_straight_on() {
        let mut session = Session::default();
        at_purpose(&mut session, NikEntry::Keypad);
        assert_eq!(session.screen, Screen::LetterNotice);
        session.back();
        assert_eq!(
            (session.screen, session.digits.as_str()),
            (Screen::NikEntry, "3510011203850001")
        );
        assert!(session.accept_nik().is_ok());
        session.accept_typed_nik();
        assert_eq!(session.screen, Screen::LetterPurpose);

        let mut session = Session::default();
        at_purpose(&mut session, NikEntry::Card);
        assert_eq!(session.screen, Screen::LetterPurpose);
        session.back();
        assert_eq!(session.digits_entry, NikEntry::Card, "going back keeps what the card read");
    }

    #[test]
    fn each_field_is_checked_optional_ones_skipped_and_sent_with_the_purpose() {
        let mut session = Session::default();
        at_purpose(&mut session, NikEntry::Card);
        for key in ["K", "U", "R"] {
            session.text_key(key);
        }
        session.submit_text();
        assert_eq!((session.screen, session.letter.field), (Screen::LetterField, 0));
        session.submit_letter_field();
        assert!(session.text_error.as_ref().is_some_and(|e| e.id.contains("wajib")));
        for key in ["W", "A", "R", "U", "N", "G"] {
            session.text_key(key);
        }
        session.submit_letter_field();
        assert_eq!(session.letter.field, 1);
        for digit in "31022026".chars() {
            session.text_key(&digit.to_string());
        }
        assert_eq!(date_display(session.letter.current_input()), "31-02-2026");
        session.submit_letter_field();
        let error = session.text_error.clone().expect("no 31 February");
        assert!(error.id.contains("tidak ada") && error.en.contains("not a day"), "{error:?}");
        session.text_key("clear");
        for digit in "01011998".chars() {
            session.text_key(&digit.to_string());
        }
        session.submit_letter_field();
        assert_eq!(session.letter.answers.get("started").map(String::as_str), Some("1998-01-01"));
        assert_eq!(session.letter.field, 2);
        session.skip_letter_field();
        assert_eq!(session.screen, Screen::LetterConfirm);
        session.back();
        assert_eq!((session.screen, session.letter.field), (Screen::LetterField, 2));
        session.skip_letter_field();

        let request = session.letter_request().expect("complete");
        assert_eq!(request.purpose, "Kur");
        let fields: Vec<(&str, &str)> =
            request.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(fields, [("business_name", "Warung"), ("started", "1998-01-01")]);
        assert_eq!(request.nik_entry, NikEntry::Card);
    }

    #[test]
    fn a_letter_needs_a_purpose_and_is_filed_once() {
        let mut session = Session::default();
        session.start_letter();
        session.choose_letter("domisili");
        assert_eq!((session.screen, session.purpose), (Screen::NikEntry, EntryPurpose::Letter));
        session.digits = "3510011203850001".into();
        assert!(session.accept_nik().is_ok());
        session.accept_typed_nik();
        assert_eq!(session.screen, Screen::LetterPurpose);
        session.submit_text();
        assert!(session.text_error.is_some(), "an empty purpose is refused");
        for key in ["K", "E", "R", "J", "A"] {
            session.text_key(key);
        }
        session.submit_text();
        assert_eq!(session.screen, Screen::LetterConfirm, "the built-in types ask nothing more");
        assert_eq!(session.letter.purpose, "Kerja");
        let request = session.letter_request().expect("complete");
        assert_eq!(
            (request.letter, request.purpose.as_str()),
            (LetterKind::Domisili.code(), "Kerja")
        );
        assert_eq!(request.applicant_nik, "3510011203850001");
        assert_eq!(request.nik_entry, NikEntry::Keypad);
        assert!(session.busy && session.letter_request().is_none(), "one request at a time");
        session.busy = false;
        let again = session.letter_request().expect("retry after a failure");
        assert_eq!(again.idempotency_key, request.idempotency_key, "the same request again");
    }
}
