//! What the console and the staff API share when staff read the registry: the reason an
//! unmasked view needs (a kind from a short list and the staff's own words, both written
//! to the audit log), and the program dry run ("would this NIK be accepted, and why not"),
//! decided by the same engine and registry facts as every real way into a program.

use protocol::mask::mask_digits_in;
use protocol::{Nik, Text};

use crate::checks::decide_for;
use crate::eligibility::{Catalogue, Decision, Quota, Request};
use crate::store::{StaffRecord, Store, StoreError};

/// Why someone asks to see names and NIKs in full.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    /// Verifikasi laporan.
    ReportVerification,
    /// Permohonan surat.
    LetterRequest,
    /// Pemutakhiran data.
    DataUpdate,
    /// Lainnya.
    Other,
}

impl ReasonKind {
    pub const ALL: [ReasonKind; 4] = [
        ReasonKind::ReportVerification,
        ReasonKind::LetterRequest,
        ReasonKind::DataUpdate,
        ReasonKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReasonKind::ReportVerification => "report_verification",
            ReasonKind::LetterRequest => "letter_request",
            ReasonKind::DataUpdate => "data_update",
            ReasonKind::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<ReasonKind> {
        ReasonKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    pub fn text(self) -> Text {
        match self {
            ReasonKind::ReportVerification => {
                Text::new("Verifikasi laporan", "Report verification")
            }
            ReasonKind::LetterRequest => Text::new("Permohonan surat", "Letter request"),
            ReasonKind::DataUpdate => Text::new("Pemutakhiran data", "Data update"),
            ReasonKind::Other => Text::new("Lainnya", "Other"),
        }
    }
}

/// The shortest and longest reason, in characters.
pub const REASON_MIN: usize = 5;
pub const REASON_MAX: usize = 200;

/// A reason given to see a family unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmaskReason {
    pub kind: ReasonKind,
    pub text: String,
}

impl UnmaskReason {
    /// The form's or the body's `kind` and `text`, checked; the refusal in both languages.
    pub fn parse(kind: &str, text: &str) -> Result<UnmaskReason, Text> {
        let Some(kind) = ReasonKind::parse(kind.trim()) else {
            return Err(Text::new(
                "Pilih jenis keperluan dari daftar.",
                "Choose what it is for from the list.",
            ));
        };
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let length = text.chars().count();
        if !(REASON_MIN..=REASON_MAX).contains(&length) || text.chars().any(char::is_control) {
            return Err(Text::new(
                format!("Tulis alasannya, {REASON_MIN} sampai {REASON_MAX} huruf."),
                format!("Write the reason, {REASON_MIN} to {REASON_MAX} characters."),
            ));
        }
        Ok(UnmaskReason { kind, text })
    }

    /// The audit entry's outcome: the kind and the words (any 16-digit run masked).
    pub fn audit_outcome(&self) -> String {
        format!("{}: {}", self.kind.as_str(), mask_digits_in(&self.text))
    }
}

/// What a dry run found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DryRun {
    /// No resident with that NIK.
    NotFound,
    /// A resident of a desa the account does not cover: told as [`DryRun::NotFound`].
    OtherDesa,
    /// The engine's answer; nothing is written.
    Decided(Decision),
}

/// Whether `nik` would be accepted into `program` (`component`), with the registry's facts
/// and the desa's quota as they stand, for an account that covers the resident's desa.
pub fn dry_run(
    store: &Store,
    catalogue: &Catalogue,
    staff: &StaffRecord,
    nik: &Nik,
    program: &str,
    component: Option<&str>,
) -> Result<DryRun, StoreError> {
    let Some(family) = store.status(nik)? else { return Ok(DryRun::NotFound) };
    if !staff.covers(family.desa_code) {
        return Ok(DryRun::OtherDesa);
    }
    let used = store.quota_used(program, family.desa_code)?;
    let asked = Request { program, component };
    Ok(DryRun::Decided(decide_for(catalogue, asked, nik, &family, Quota { used })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_has_a_listed_kind_and_five_to_two_hundred_characters() {
        assert!(UnmaskReason::parse("other", "cek").is_err());
        assert!(UnmaskReason::parse("nonsense", "verifikasi laporan warga").is_err());
        assert!(UnmaskReason::parse("other", &"x".repeat(201)).is_err());
        let reason =
            UnmaskReason::parse("report_verification", "  cek  3510091203850001 ").expect("valid");
        assert_eq!(reason.audit_outcome(), "report_verification: cek 3510********0001");
    }
}
