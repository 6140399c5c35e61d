//! Letters ("surat keterangan"): a citizen asks at the kiosk for a village certificate; the
//! central service decides whether it is issued at once or waits for the desa staff, numbers
//! it, seals it with the desa's key and hands the kiosk the document to print.
//!
//! - [`catalogue`]: letter types as data, pushed to kiosks in their configuration.
//! - [`document`]: a letter laid out for paper, drawn alike by the kiosk's printer and the
//!   service's A4 PDF.
//! - [`seal`]: what the QR code carries, verifiable offline with the desa's public key.
//!
//! A request is filed like a report: with an idempotency key and, from a kiosk, a ticket
//! the kiosk issued itself from the same serial counter as its reports, so one ticket
//! number names exactly one submission of either kind and is tracked the same way
//! (`GET /api/v1/tickets/{ticket}` answers with [`TicketKind::Letter`](crate::api::TicketKind)).
//! An issued letter (at once, or after the staff approved it) is fetched for printing with
//! its ticket ([`LETTER_PRINT_PATH`]) at any kiosk of the desa.

pub mod catalogue;
pub mod document;
pub mod seal;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use catalogue::{Applicant, FieldKind, FieldSpec, LetterCode, LetterType};
pub use document::LetterDocument;

use crate::lang::Text;

/// `POST` path of a letter request.
pub const LETTERS_PATH: &str = "/api/v1/letters";

/// The longest purpose a request may give, in characters.
pub const LETTER_PURPOSE_MAX: usize = 200;
/// The shortest: a word that says what the letter is for.
pub const LETTER_PURPOSE_MIN: usize = 3;

/// The three letters kiosks offered before letter types became data; a kiosk that has no
/// catalogue in its configuration yet still offers these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LetterKind {
    /// Surat Keterangan Tidak Mampu (certificate of low income).
    Sktm,
    /// Surat Keterangan Domisili (certificate of residence).
    Domisili,
    /// Surat Keterangan Usaha (business certificate).
    Usaha,
}

impl LetterKind {
    pub const ALL: [LetterKind; 3] = [LetterKind::Sktm, LetterKind::Domisili, LetterKind::Usaha];

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

    /// The name on the wire, in queues and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            LetterKind::Sktm => "sktm",
            LetterKind::Domisili => "domisili",
            LetterKind::Usaha => "usaha",
        }
    }

    pub fn parse(text: &str) -> Option<LetterKind> {
        LetterKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    pub fn code(self) -> LetterCode {
        LetterCode::parse(self.as_str()).unwrap_or_else(|| unreachable!("built-in codes are valid"))
    }
}

impl From<LetterKind> for LetterCode {
    fn from(kind: LetterKind) -> LetterCode {
        kind.code()
    }
}

/// Body of `POST /api/v1/letters`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LetterRequest {
    /// The person the letter is about, who asks for it.
    pub applicant_nik: String,
    /// The letter type's code in the catalogue.
    pub letter: LetterCode,
    /// What the letter is for ("syarat beasiswa"), [`LETTER_PURPOSE_MIN`] to
    /// [`LETTER_PURPOSE_MAX`] characters.
    pub purpose: String,
    /// The answers to the type's other fields ([`FieldSpec::key`] to the answer).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// Chosen by the kiosk once per submission, as for reports.
    pub idempotency_key: String,
    /// A ticket the kiosk issued itself; absent: the central service issues one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "LP-0042-000008-1"))]
    pub ticket: Option<crate::ticket::Ticket>,
    /// How the applicant's NIK was entered. Absent (an older kiosk): keypad.
    #[serde(default)]
    pub nik_entry: crate::api::NikEntry,
}

/// `GET` path of an issued letter for printing, by its request's ticket: answered with an
/// [`IssuedLetter`] to a kiosk of the letter's desa once the letter is issued.
pub const LETTER_PRINT_PATH: &str = "/api/v1/letters/print/{ticket}";

pub fn letter_print_path(ticket: &crate::ticket::Ticket) -> String {
    LETTER_PRINT_PATH.replace("{ticket}", &ticket.to_string())
}

/// An issued letter as a kiosk prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuedLetter {
    /// The letter's own id (in its seal and its verification address).
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "LP-0042-000008-1"))]
    pub ticket: crate::ticket::Ticket,
    pub letter: LetterCode,
    /// What to print; `copy` is set from the second print on.
    pub document: LetterDocument,
}

/// A purpose as it is kept and printed: control characters gone, white space folded, or
/// the reason it cannot be accepted. The one rule for the kiosk's keyboard page and the
/// central service's boundary.
pub fn clean_purpose(raw: &str) -> Result<String, Text> {
    let folded = raw
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect::<String>()
        .split(' ')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let length = folded.chars().count();
    if length < LETTER_PURPOSE_MIN {
        return Err(Text::new(
            "Tuliskan keperluan surat, misalnya \"syarat beasiswa sekolah\".",
            "Write what the letter is for, e.g. \"school scholarship requirement\".",
        ));
    }
    if length > LETTER_PURPOSE_MAX {
        return Err(Text::new(
            format!("Keperluan surat paling banyak {LETTER_PURPOSE_MAX} huruf."),
            format!("The purpose may have at most {LETTER_PURPOSE_MAX} characters."),
        ));
    }
    Ok(folded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_on_the_wire() {
        for kind in LetterKind::ALL {
            assert_eq!(LetterKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).expect("serialise");
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(LetterKind::parse("ktp"), None);
    }

    #[test]
    fn a_purpose_is_folded_and_bounded() {
        assert_eq!(
            clean_purpose("  syarat\x1b beasiswa\n\tsekolah ").as_deref(),
            Ok("syarat beasiswa sekolah")
        );
        assert!(clean_purpose("ab").is_err());
        assert!(clean_purpose(" \x07\x1b  ").is_err());
        assert!(clean_purpose(&"a".repeat(LETTER_PURPOSE_MAX)).is_ok());
        let long = clean_purpose(&"a".repeat(LETTER_PURPOSE_MAX + 1)).expect_err("too long");
        assert!(long.en.contains("200"), "{long:?}");
    }

    #[test]
    fn a_request_refuses_unknown_fields() {
        let json = r#"{"applicant_nik":"3510011203850001","letter":"sktm","purpose":"beasiswa","idempotency_key":"abcdefgh","desa":"1"}"#;
        assert!(serde_json::from_str::<LetterRequest>(json).is_err());
        let json = r#"{"applicant_nik":"3510011203850001","letter":"sktm","purpose":"beasiswa","idempotency_key":"abcdefgh"}"#;
        let request: LetterRequest = serde_json::from_str(json).expect("valid");
        assert_eq!((request.letter, request.ticket), (LetterKind::Sktm.code(), None));
        assert!(request.fields.is_empty());
    }
}
