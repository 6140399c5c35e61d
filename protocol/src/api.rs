//! Request and response bodies of the central service's HTTP API, version 1.
//!
//! Everything here is serialised as JSON. Personal data leaves the backend already masked:
//! the kiosk never receives a full name or a family member's NIK it would have to protect.

use serde::{Deserialize, Serialize};

use crate::lang::Text;
use crate::nik::NikError;

/// Path prefix of every versioned endpoint.
pub const API_V1: &str = "/api/v1";

/// `GET` route of a resident's status, `{nik}` a path parameter; [`status_path`] fills it in.
pub const STATUS_PATH: &str = "/api/v1/residents/{nik}/status";

/// `GET` path of a resident's status.
/// `POST`, signed, no body: the kiosk's desa seals what the status lookup of this NIK answers
/// now ([`SlipSealResponse`]), for the QR code of the printed slip: shown at the desa office,
/// the slip then proves what the kiosk said and when. Counted and audited like a lookup.
pub const SLIP_SEAL_PATH: &str = "/api/v1/residents/{nik}/slip-seal";

pub fn slip_seal_path(nik: &str) -> String {
    SLIP_SEAL_PATH.replace("{nik}", nik)
}

/// Answer to [`SLIP_SEAL_PATH`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlipSealResponse {
    /// The seal (`AJS1|...`, see [`crate::letter::seal::SlipSeal`]) to print as the QR code.
    pub seal: String,
}

pub fn status_path(nik: &str) -> String {
    STATUS_PATH.replace("{nik}", nik)
}

/// Answer to `GET /api/v1/residents/{nik}/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusResponse {
    /// The subject's NIK, masked.
    pub nik: String,
    /// The subject's name, masked.
    pub name: String,
    /// District (kecamatan) and village (desa/kelurahan) names of the registered address.
    pub district: String,
    pub village: String,
    /// Programs the subject receives personally.
    pub person: Vec<Membership>,
    /// The family (KK) the subject belongs to.
    pub household: HouseholdStatus,
    /// When the backend answered, RFC 3339 UTC.
    pub checked_at: String,
    /// Whether the registry records the subject alive and living here. Otherwise what it
    /// records, so the kiosk can say so; never when or why. Absent (an older service):
    /// alive.
    #[serde(default)]
    pub life_status: LifeStatus,
    /// How much the answer tells: a kiosk of another desa than the resident's gets no
    /// list of the family's members, so that no kiosk can read out the kabupaten's
    /// families. Absent (an older service): full.
    #[serde(default)]
    pub detail: AnswerDetail,
}

/// How much a status answer tells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AnswerDetail {
    /// Everything the status page shows: the person's and the household's programs and
    /// each other member (name masked) with theirs.
    #[default]
    Full,
    /// Asked at a kiosk of another desa: the person's and the household's programs only,
    /// no members. The resident's own desa's kiosk shows the rest.
    OtherDesa,
}

impl StatusResponse {
    /// Whether the person or anyone in the family currently receives something.
    pub fn receives_any(&self) -> bool {
        let active = |m: &Membership| m.state == MembershipState::Active;
        self.person.iter().any(active)
            || self.household.programs.iter().any(active)
            || self.household.members.iter().any(|member| member.programs.iter().any(active))
    }
}

/// What the population register records of a resident, as far as the kiosk may tell it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LifeStatus {
    /// Alive and living here: the only status that takes part in programs, reports and
    /// letters.
    #[default]
    Alive,
    Died,
    /// Moved out of the village, or a temporary resident who left.
    MovedAway,
    Missing,
    /// Any other entry that is not a living resident (e.g. a record found invalid).
    Other,
}

impl LifeStatus {
    pub fn is_alive(self) -> bool {
        self == LifeStatus::Alive
    }
}

/// The family's programs and members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HouseholdStatus {
    /// KK number, masked.
    pub kk: String,
    /// Programs given to the household as a unit (PKH, BPNT, ...).
    pub programs: Vec<Membership>,
    /// The other members of the KK and what they receive personally.
    pub members: Vec<HouseholdMember>,
}

/// A member of the subject's family other than the subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HouseholdMember {
    /// Name, masked.
    pub name: String,
    pub relation: Relation,
    pub programs: Vec<Membership>,
}

/// One program membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Membership {
    /// Program code, e.g. `PKH`, `BST`, `BLT_DD`.
    pub program: String,
    pub program_name: Text,
    /// Program component, e.g. `ibu_hamil` for PKH's pregnant-mother component.
    pub component: Option<String>,
    /// The component's name, from the program catalogue.
    pub component_name: Option<Text>,
    pub state: MembershipState,
    /// Date the membership took its current state, `YYYY-MM-DD`; empty when it ended
    /// because its holder died or left (the date would tell when).
    pub since: String,
}

/// Where a membership stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MembershipState {
    Proposed,
    Verified,
    Active,
    Ended,
}

impl MembershipState {
    pub fn text(self) -> Text {
        match self {
            MembershipState::Proposed => Text::new("diusulkan", "proposed"),
            MembershipState::Verified => Text::new("terverifikasi", "verified"),
            MembershipState::Active => Text::new("aktif", "active"),
            MembershipState::Ended => Text::new("berakhir", "ended"),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MembershipState::Proposed => "proposed",
            MembershipState::Verified => "verified",
            MembershipState::Active => "active",
            MembershipState::Ended => "ended",
        }
    }

    pub fn parse(text: &str) -> Option<MembershipState> {
        [Self::Proposed, Self::Verified, Self::Active, Self::Ended]
            .into_iter()
            .find(|state| state.as_str() == text)
    }
}

/// Relation to the head of the family, as on the KK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Relation {
    Head,
    Spouse,
    Child,
    Parent,
    Other,
}

impl Relation {
    pub fn text(self) -> Text {
        match self {
            Relation::Head => Text::new("Kepala Keluarga", "Head of family"),
            Relation::Spouse => Text::new("Istri/Suami", "Spouse"),
            Relation::Child => Text::new("Anak", "Child"),
            Relation::Parent => Text::new("Orang Tua", "Parent"),
            Relation::Other => Text::new("Famili Lain", "Other relative"),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Head => "head",
            Relation::Spouse => "spouse",
            Relation::Child => "child",
            Relation::Parent => "parent",
            Relation::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Relation> {
        [Self::Head, Self::Spouse, Self::Child, Self::Parent, Self::Other]
            .into_iter()
            .find(|relation| relation.as_str() == text)
    }
}

/// Body of every non-2xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: Text,
}

/// Machine-readable error codes. Stable: clients switch on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ErrorCode {
    NikWrongLength,
    NikNotDigits,
    NikUnknownProvince,
    NikUnknownRegency,
    NikUnknownDistrict,
    NikInvalidDate,
    NikSerialZero,
    ResidentNotFound,
    /// The registry records the person as died, moved away, missing or otherwise no longer
    /// a resident: no report about them, no letter for them.
    ResidentInactive,
    NotFound,
    InvalidPhone,
    InvalidText,
    InvalidTicket,
    /// A kiosk-issued ticket another submission already holds (a re-imaged kiosk whose
    /// counter started again): the kiosk files the submission again under a new ticket.
    TicketTaken,
    /// A program code the catalogue does not have.
    UnknownProgram,
    /// A letter type the catalogue does not have, or this kiosk's desa does not offer.
    UnknownLetter,
    /// A letter field's answer that is missing or not of its kind.
    InvalidField,
    /// The letter of this ticket is not issued (yet): it waits for the desa staff, or was
    /// refused or cancelled.
    LetterNotReady,
    /// A recipient list that cannot be read as CSV with the expected columns.
    InvalidCsv,
    /// A file posted to the registry loads that is neither a population file nor a desil
    /// file (its columns say which are missing).
    InvalidPopulationFile,
    /// Another population or desil import is running.
    ImportRunning,
    /// A staff step a report's state does not allow: done already, out of order, or another
    /// staff member changed the report a moment ago (look at it again).
    StepNotAllowed,
    /// A distribution batch date outside the days allowed after the report's verification.
    InvalidBatchDate,
    /// Signed in, but not allowed this (another desa's data).
    Forbidden,
    /// The account's password was set by someone else (`staff-add`, a reset): every staff
    /// endpoint but the password change refuses until the account has chosen its own.
    PasswordChangeRequired,
    BadRequest,
    PayloadTooLarge,
    Unauthorized,
    RateLimited,
    Unavailable,
    Internal,
}

impl From<&NikError> for ErrorCode {
    fn from(error: &NikError) -> ErrorCode {
        match error {
            NikError::WrongLength { .. } => ErrorCode::NikWrongLength,
            NikError::NotDigits { .. } => ErrorCode::NikNotDigits,
            NikError::UnknownProvince { .. } => ErrorCode::NikUnknownProvince,
            NikError::UnknownRegency { .. } => ErrorCode::NikUnknownRegency,
            NikError::UnknownDistrict { .. } => ErrorCode::NikUnknownDistrict,
            NikError::InvalidDate { .. } => ErrorCode::NikInvalidDate,
            NikError::SerialZero => ErrorCode::NikSerialZero,
        }
    }
}

impl From<&NikError> for ApiError {
    fn from(error: &NikError) -> ApiError {
        ApiError { code: error.into(), message: error.text() }
    }
}

/// Path of citizen reports.
pub const REPORTS_PATH: &str = "/api/v1/reports";

/// `GET` route of a ticket's status, `{ticket}` a path parameter; [`ticket_path`] fills it in.
pub const TICKET_PATH: &str = "/api/v1/tickets/{ticket}";

/// `GET` path of a ticket's status.
pub fn ticket_path(ticket: &crate::ticket::Ticket) -> String {
    TICKET_PATH.replace("{ticket}", &ticket.to_string())
}

/// Why a citizen says they (or someone else) need assistance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReportReason {
    /// Lost their job.
    LostJob,
    /// Informal worker whose income stopped.
    IncomeStopped,
    /// Sick or disabled and unable to work.
    Illness,
    /// Elderly with no one to support them.
    ElderlyAlone,
    Other,
}

/// How the NIK of the person at the kiosk was entered: read from their e-KTP (they hold
/// the card) or typed on the keypad (anyone who knows the number can). Recorded with every
/// submission, so staff can weigh it; letters build on it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum NikEntry {
    /// Typed, or from a kiosk that does not say (the safe assumption).
    #[default]
    Keypad,
    /// Read from the e-KTP by the card reader, and not edited after.
    Card,
}

impl NikEntry {
    /// The name the service stores and audits.
    pub fn as_str(self) -> &'static str {
        match self {
            NikEntry::Keypad => "keypad",
            NikEntry::Card => "card",
        }
    }
}

/// Body of `POST /api/v1/reports`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportRequest {
    pub reporter_nik: String,
    /// The person reported: the reporter themselves or someone else.
    pub subject_nik: String,
    pub reason: ReportReason,
    /// Indonesian mobile number the reporter can be reached on.
    pub phone: String,
    /// Free text, at most [`REPORT_TEXT_MAX`] characters.
    #[serde(default)]
    pub text: String,
    /// Chosen by the kiosk once per submission; a retry with the same key returns the first
    /// answer instead of filing twice.
    pub idempotency_key: String,
    /// A ticket the kiosk issued itself (its own issuer number) and may already have
    /// printed, e.g. while the central service was out of reach; the service files the
    /// report under it. Absent: the service issues a central ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "LP-0042-000007-3"))]
    pub ticket: Option<crate::ticket::Ticket>,
    /// How the reporter's NIK was entered. Absent (an older kiosk): keypad.
    #[serde(default)]
    pub nik_entry: NikEntry,
}

pub const REPORT_TEXT_MAX: usize = 500;

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReportState {
    /// Refused at once by the cross-check.
    Rejected,
    /// Passed the cross-check; desa staff verify it.
    Verification,
    Verified,
    /// In a distribution batch.
    Scheduled,
    Delivered,
    RejectedAfterVerification,
}

impl ReportState {
    pub fn text(self) -> Text {
        match self {
            ReportState::Rejected => Text::new("ditolak", "rejected"),
            ReportState::Verification => Text::new("dalam verifikasi", "being verified"),
            ReportState::Verified => Text::new("terverifikasi", "verified"),
            ReportState::Scheduled => Text::new("dijadwalkan", "scheduled"),
            ReportState::Delivered => Text::new("sudah diterima", "delivered"),
            ReportState::RejectedAfterVerification => {
                Text::new("ditolak setelah verifikasi", "rejected after verification")
            }
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReportState::Rejected => "rejected",
            ReportState::Verification => "verification",
            ReportState::Verified => "verified",
            ReportState::Scheduled => "scheduled",
            ReportState::Delivered => "delivered",
            ReportState::RejectedAfterVerification => "rejected_after_verification",
        }
    }

    pub fn parse(text: &str) -> Option<ReportState> {
        [
            Self::Rejected,
            Self::Verification,
            Self::Verified,
            Self::Scheduled,
            Self::Delivered,
            Self::RejectedAfterVerification,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }
}

/// What a ticket was issued for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TicketKind {
    /// A citizen report (the default, so answers from before letters existed still read).
    #[default]
    Report,
    /// A letter request.
    Letter,
}

/// Answer to a report, a letter request and `GET /api/v1/tickets/{ticket}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketStatus {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "LP-0000-000123-8"))]
    pub ticket: crate::ticket::Ticket,
    #[serde(default)]
    pub kind: TicketKind,
    /// For a letter request: which letter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub letter: Option<crate::letter::LetterCode>,
    /// Where it stands. A letter request goes through the same steps: verification by the
    /// desa staff, verified (approved), scheduled (ready to collect), delivered (handed
    /// over), or rejected.
    pub state: ReportState,
    /// Why it was rejected. For a report about someone else this never names what that
    /// person receives.
    pub reason: Option<Text>,
    /// The reported person or the letter's applicant, masked.
    pub subject: String,
    pub updated_at: String,
}

impl TicketStatus {
    /// The state in words that fit what the ticket is for.
    pub fn state_text(&self) -> Text {
        match (self.kind, self.state) {
            (TicketKind::Report, state) => state.text(),
            (TicketKind::Letter, ReportState::Verification) => {
                Text::new("menunggu pemeriksaan petugas desa", "waiting for the village staff")
            }
            (TicketKind::Letter, ReportState::Verified) => Text::new(
                "surat sudah terbit: cetak di anjungan desa dengan tiket ini",
                "the letter is issued: print it at a kiosk of the desa with this ticket",
            ),
            (TicketKind::Letter, ReportState::Scheduled) => {
                Text::new("surat siap diambil", "the letter is ready to collect")
            }
            (TicketKind::Letter, ReportState::Delivered) => {
                Text::new("surat sudah diserahkan", "the letter has been handed over")
            }
            (TicketKind::Letter, ReportState::Rejected)
            | (TicketKind::Letter, ReportState::RejectedAfterVerification) => {
                Text::new("permohonan ditolak", "request refused")
            }
        }
    }
}

/// `GET`, unsigned: liveness and registry size ([`Health`]).
pub const HEALTH_PATH: &str = "/healthz";

/// Answer to `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
    pub version: String,
    pub residents: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Nik;

    #[test]
    fn error_codes_are_snake_case_on_the_wire() {
        let error = ApiError::from(&Nik::parse("3510013102850001").expect_err("31 Feb"));
        let json = serde_json::to_value(&error).expect("serialize");
        assert_eq!(json["code"], "nik_invalid_date");
        assert!(json["message"]["id"].as_str().is_some_and(|m| m.contains("tanggal 31")));
    }

    #[test]
    fn paths_fill_in_the_route_parameters() {
        assert_eq!(status_path("3510011203850001"), "/api/v1/residents/3510011203850001/status");
        let ticket = crate::ticket::Ticket::new(1, 1).expect("ticket");
        assert_eq!(ticket_path(&ticket), format!("/api/v1/tickets/{ticket}"));
        for path in [STATUS_PATH, TICKET_PATH, REPORTS_PATH] {
            assert!(path.starts_with(API_V1), "{path}");
        }
    }
}
