//! The letter steps both the HTTP API and the `backend letter` commands take, so the two
//! never decide differently: the draft a waiting request would print, approval (which
//! issues), and issuing itself.

use std::collections::BTreeMap;

use protocol::Text;
use protocol::api::NikEntry;
use protocol::letter::LetterDocument;
use protocol::staff::REASON_MAX;
use protocol::ticket::Ticket;

use super::facts::{head_signer, letter_facts};
use super::render::render;
use super::{LetterCatalogue, Signer};
use crate::store::{
    FamilyFacts, IssuedRecord, Issuing, LetterDetail, LetterSettings, StaffRecord, StaffRole,
    Store, StoreError,
};

/// A staff step on a letter request or an issued letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The KTP of a typed NIK checked at the office: the request goes to the signer.
    Prepare,
    /// Issued, numbered and sealed with the signer's name.
    Approve,
    /// Refused with a reason the citizen reads when tracking the ticket.
    Reject,
    /// An issued letter withdrawn; it keeps its number.
    Cancel,
}

impl Step {
    /// Whether an account of `role` takes this step (its desa checked apart): a signer
    /// approves and cancels; anyone but an auditor prepares and refuses.
    pub fn allowed(self, role: StaffRole) -> bool {
        match self {
            Step::Approve | Step::Cancel => role == StaffRole::Signer,
            Step::Prepare | Step::Reject => role != StaffRole::Auditor,
        }
    }

    /// Why an account whose role does not take this step is refused, in both languages.
    pub fn refusal(self) -> Text {
        match self {
            Step::Approve => Text::new(
                "Hanya kepala desa atau pejabat yang ditunjuk dapat menyetujui surat.",
                "Only the kepala desa or a delegate can approve letters.",
            ),
            Step::Cancel => Text::new(
                "Hanya kepala desa atau pejabat yang ditunjuk dapat membatalkan surat.",
                "Only the kepala desa or a delegate can cancel letters.",
            ),
            Step::Prepare | Step::Reject => {
                Text::new("Akun auditor hanya dapat membaca.", "An auditor account can only read.")
            }
        }
    }
}

/// A reason for refusing or cancelling: its whitespace folded, 3 to
/// [`protocol::staff::REASON_MAX`] characters, no control character; else why not.
pub fn clean_reason(raw: &str) -> Result<String, Text> {
    let folded = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let length = folded.chars().count();
    if !(3..=REASON_MAX).contains(&length) || folded.chars().any(char::is_control) {
        return Err(Text::new(
            format!("Tuliskan alasan, 3 sampai {REASON_MAX} huruf."),
            format!("Write a reason of 3 to {REASON_MAX} characters."),
        ));
    }
    Ok(folded)
}

/// What a preview prints where the number will be.
pub const DRAFT_NUMBER: &str = "…/…/…/…/… (diberikan saat disetujui)";

/// The signer printed under a letter `staff` approves: the kepala desa of the settings, or
/// the approving delegate by name and position, signing "a.n." the kepala desa.
pub fn signer_of(staff: &StaffRecord, settings: &LetterSettings) -> Signer {
    let head = head_signer(settings);
    if staff.full_name.trim().is_empty() || staff.full_name == settings.head_name {
        return head;
    }
    Signer {
        position: staff.position.clone(),
        name: staff.full_name.clone(),
        nip: None,
        on_behalf: if head.position.is_empty() {
            String::new()
        } else {
            format!("a.n. {}", head.position)
        },
    }
}

fn answers(detail: &LetterDetail) -> BTreeMap<String, String> {
    let mut fields = detail.fields.clone();
    fields.insert("purpose".into(), detail.purpose.clone());
    fields
}

fn family_of(store: &Store, detail: &LetterDetail) -> Result<FamilyFacts, StoreError> {
    store.letter_family(&detail.applicant)?.ok_or_else(|| {
        StoreError::LetterNotReady("the applicant is no longer in the registry".into())
    })
}

/// The document a waiting request would print if `staff` approved it today, the number left
/// open.
pub fn draft(
    store: &Store,
    catalogue: &LetterCatalogue,
    staff: &StaffRecord,
    detail: &LetterDetail,
) -> Result<LetterDocument, StoreError> {
    let def = catalogue.get(&detail.letter).ok_or_else(|| {
        StoreError::Invalid(format!("letter type {} not in the catalogue", detail.letter))
    })?;
    let family = family_of(store, detail)?;
    let settings = store.letter_settings(detail.desa_code)?;
    let facts = letter_facts(
        detail.applicant.as_str(),
        &family,
        &settings,
        answers(detail),
        super::number::desa_today(detail.desa_code, time::OffsetDateTime::now_utc()),
        DRAFT_NUMBER.into(),
        signer_of(staff, &settings),
    )
    .ok_or_else(|| StoreError::LetterNotReady("the applicant left the family".into()))?;
    render(catalogue, def, &facts).map_err(|e| StoreError::Invalid(format!("letter template: {e}")))
}

/// A signer approves a waiting request: the letter is issued, numbered, sealed. A request
/// whose NIK was typed needs an operator's check of the KTP first (`prepare`).
pub fn approve(
    store: &Store,
    catalogue: &LetterCatalogue,
    staff: &StaffRecord,
    detail: &LetterDetail,
    verify_base: Option<String>,
) -> Result<IssuedRecord, StoreError> {
    if !Step::Approve.allowed(staff.role) {
        return Err(StoreError::Forbidden("only a signer approves letters".into()));
    }
    if !staff.covers(detail.desa_code) {
        return Err(StoreError::Forbidden("another desa's letter".into()));
    }
    if detail.state != "verification" {
        return Err(StoreError::LetterNotReady(format!(
            "ticket {} is {}",
            detail.ticket, detail.state
        )));
    }
    if detail.nik_entry == NikEntry::Keypad && detail.prepared_by.is_none() {
        return Err(StoreError::LetterNotReady(format!(
            "ticket {}: the NIK was typed; an operator checks the KTP (prepare) first",
            detail.ticket
        )));
    }
    // Two people for a typed NIK: the one who checked the KTP does not also sign.
    if detail.nik_entry == NikEntry::Keypad
        && detail.prepared_by.as_deref() == Some(format!("staff:{}", staff.username).as_str())
    {
        return Err(StoreError::Forbidden(format!(
            "ticket {}: prepared by the same account that would sign it",
            detail.ticket
        )));
    }
    let def = catalogue.get(&detail.letter).ok_or_else(|| {
        StoreError::Invalid(format!("letter type {} not in the catalogue", detail.letter))
    })?;
    let family = family_of(store, detail)?;
    let settings = store.letter_settings(detail.desa_code)?;
    let subject_name = family
        .members
        .iter()
        .find(|member| member.nik == detail.applicant.as_str())
        .map(|member| member.name.clone())
        .unwrap_or_default();
    let issuing = Issuing {
        ticket: Ticket::parse(&detail.ticket)
            .map_err(|e| StoreError::Corrupt(format!("ticket: {e}")))?,
        letter: detail.letter.clone(),
        classification: def.classification.clone(),
        desa_code: detail.desa_code,
        subject_nik: detail.applicant.as_str().to_owned(),
        subject_name,
        actor: format!("staff:{}", staff.username),
        date: super::number::desa_today(detail.desa_code, time::OffsetDateTime::now_utc()),
        verify_base,
        catalogue: catalogue.label(),
    };
    let signer = signer_of(staff, &settings);
    issue(store, catalogue, &issuing, &family, &settings, answers(detail), signer)
}

/// Issues a letter: renders the type for the number the store gives, seals and records it.
pub fn issue(
    store: &Store,
    catalogue: &LetterCatalogue,
    issuing: &Issuing,
    family: &FamilyFacts,
    settings: &LetterSettings,
    fields: BTreeMap<String, String>,
    signer: Signer,
) -> Result<IssuedRecord, StoreError> {
    let def = catalogue.get(&issuing.letter).ok_or_else(|| {
        StoreError::Invalid(format!("letter type {} not in the catalogue", issuing.letter))
    })?;
    store.issue_letter(issuing, |number| {
        let facts = letter_facts(
            &issuing.subject_nik,
            family,
            settings,
            fields,
            issuing.date,
            number.to_owned(),
            signer,
        )
        .ok_or_else(|| StoreError::Invalid("the applicant is not in the family".into()))?;
        render(catalogue, def, &facts)
            .map_err(|e| StoreError::Invalid(format!("letter template: {e}")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signers_approve_and_cancel_and_auditors_only_read() {
        use StaffRole::*;
        for (step, allowed) in [
            (Step::Approve, [Signer].as_slice()),
            (Step::Cancel, &[Signer]),
            (Step::Prepare, &[Operator, Signer, Kabupaten]),
            (Step::Reject, &[Operator, Signer, Kabupaten]),
        ] {
            for role in [Operator, Signer, Kabupaten, Auditor] {
                assert_eq!(step.allowed(role), allowed.contains(&role), "{step:?} by {role:?}");
            }
        }
    }

    #[test]
    fn a_reason_is_folded_and_bounded() {
        assert_eq!(clean_reason("  data   KK\tberbeda ").as_deref(), Ok("data KK berbeda"));
        assert!(clean_reason("ok").is_err());
        assert!(clean_reason(&"x".repeat(REASON_MAX + 1)).is_err());
        assert!(clean_reason("alasan \u{7} bunyi").is_err());
    }
}
