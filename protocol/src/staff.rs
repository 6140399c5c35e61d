//! The staff side of the API: desa staff sign in, add people to programs and import
//! recipient lists. Every call goes through the same eligibility engine as a citizen's
//! report; these are the bodies of those calls.

use serde::{Deserialize, Serialize};

use crate::Text;

/// `POST`: a username and password for a session token.
pub const LOGIN_PATH: &str = "/api/v1/staff/login";
/// `POST`: add one person or household to a program.
pub const MEMBERSHIPS_PATH: &str = "/api/v1/staff/memberships";
/// `POST` a CSV body: import a recipient list (`?program=&desa=&date=`).
pub const IMPORTS_PATH: &str = "/api/v1/staff/imports";

/// Header carrying the session token: `Authorization: Bearer <token>`.
pub const AUTHORIZATION_SCHEME: &str = "Bearer";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    /// Sent back as `Authorization: Bearer <token>`. Only its hash is stored.
    pub token: String,
    /// RFC 3339 (UTC) end of the session.
    pub expires_at: String,
    /// The desa this account may act for; `None` for a kabupaten operator (every desa).
    pub desa_code: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddMembershipRequest {
    /// Program code from the catalogue, e.g. `BST`.
    pub program: String,
    /// The person; for a household program, any member of the KK (the one a component
    /// concerns, when there is a component).
    pub nik: String,
    /// Component of the program, e.g. PKH's `ibu_hamil`.
    #[serde(default)]
    pub component: Option<String>,
}

/// One reason a decision went against the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionReason {
    /// `conflict`, `not_eligible`, `over_quota`, `already_member`, `unknown_program`,
    /// `unknown_component`.
    pub code: String,
    /// The program already held that conflicts, if any.
    pub program: Option<String>,
    /// Who holds it: a masked name and relation, or the family.
    pub holder: Option<String>,
    pub message: Text,
}

/// The engine's answer: `201` accepted (and written), `422` rejected with reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionResponse {
    pub accepted: bool,
    pub reasons: Vec<DecisionReason>,
}

/// What happened to one row of an imported list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportRow {
    /// Line in the file (the header is line 1).
    pub line: u64,
    /// Masked NIK; empty when the row had none.
    pub nik: String,
    /// `accepted`, `rejected`, `over_quota`, `not_found`, `other_desa`, `duplicate`,
    /// `malformed`.
    pub outcome: String,
    pub reason: Option<Text>,
}

/// Counts of an import, and whether the accepted rows were written (only when no row was
/// malformed or duplicated).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportSummary {
    pub rows: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub over_quota: u64,
    pub not_found: u64,
    pub other_desa: u64,
    pub duplicate: u64,
    pub malformed: u64,
    pub written: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportResponse {
    pub summary: ImportSummary,
    pub rows: Vec<ImportRow>,
}

/// `GET`: letter requests waiting for the desa staff ([`WaitingLetters`]).
pub const LETTER_QUEUE_PATH: &str = "/api/v1/staff/letters";
/// `GET`: a waiting request's letter exactly as it will print (unnumbered), or an issued
/// letter as it was issued ([`LetterPreview`]). Shows the full NIK: audited.
pub const LETTER_PREVIEW_PATH: &str = "/api/v1/staff/letters/{ticket}";
/// `POST`: an operator has checked the request (the KTP at the office) and hands it to the
/// signer.
pub const LETTER_PREPARE_PATH: &str = "/api/v1/staff/letters/{ticket}/prepare";
/// `POST`: the kepala desa (or a delegate, role `signer`) approves: the letter is issued,
/// numbered and sealed; the citizen prints it with the ticket at a kiosk of the desa.
pub const LETTER_APPROVE_PATH: &str = "/api/v1/staff/letters/{ticket}/approve";
/// `POST` [`LetterDecision`]: refused, with the reason the citizen sees.
pub const LETTER_REJECT_PATH: &str = "/api/v1/staff/letters/{ticket}/reject";
/// `POST` [`LetterDecision`]: an issued letter cancelled; it keeps its number.
pub const LETTER_CANCEL_PATH: &str = "/api/v1/staff/letters/issued/{id}/cancel";

/// Longest reason for a refusal or a cancellation.
pub const REASON_MAX: usize = 300;

/// A request in the queue; masked as every list is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WaitingLetter {
    pub ticket: String,
    pub letter: String,
    pub letter_name: Text,
    pub desa_code: u64,
    /// Masked NIK.
    pub applicant: String,
    pub filed_at: String,
    /// `card` or `keypad`: a typed NIK needs the KTP checked at the office.
    pub nik_entry: String,
    pub reason: Option<Text>,
    pub prepared_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WaitingLetters {
    pub letters: Vec<WaitingLetter>,
}

/// Body of a refusal or a cancellation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LetterDecision {
    /// Why, in Indonesian; shown to the citizen who tracks the ticket.
    pub reason: String,
}

/// A letter as staff see it before deciding, or as it was issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LetterPreview {
    pub ticket: String,
    /// `verification`, `verified` (issued), `rejected`, ...
    pub state: String,
    /// The issued letter's id, once issued.
    pub letter_id: Option<String>,
    pub cancelled: bool,
    pub document: crate::letter::LetterDocument,
}
