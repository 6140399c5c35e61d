//! The staff side of the API: desa staff sign in, add people to programs, import recipient
//! lists, and work the queues of letter requests and citizen reports. Every call that adds
//! to a program goes through the same eligibility engine as a citizen's report; these are
//! the bodies of those calls.

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
    /// NIKs and KK numbers masked and the seal left out (`document.qr` empty): the preview
    /// without a reason. `false`: exactly what prints, answered for an audited reason.
    #[serde(default)]
    pub masked: bool,
    pub document: crate::letter::LetterDocument,
}

/// `GET` (`?state=&page=`): citizen reports of the account's desa (a kabupaten account:
/// every desa), oldest first, [`REPORT_PAGE_SIZE`] a page ([`ReportPage`]). Without `state`,
/// those waiting for a staff step: `verification`, `verified` and `scheduled`.
pub const REPORT_QUEUE_PATH: &str = "/api/v1/staff/reports";
/// `GET`: one report, its family and the history of its steps ([`ReportDetail`]).
pub const REPORT_DETAIL_PATH: &str = "/api/v1/staff/reports/{ticket}";
/// `POST`: verified. The eligibility engine checks the family again first: covered by a
/// program meanwhile, the report is rejected with the engine's reason instead. Answers the
/// ticket's [`TicketStatus`](crate::api::TicketStatus), as every step does.
pub const REPORT_VERIFY_PATH: &str = "/api/v1/staff/reports/{ticket}/verify";
/// `POST` [`ReportRejection`]: rejected with the reason the citizen sees at the kiosk.
pub const REPORT_REJECT_PATH: &str = "/api/v1/staff/reports/{ticket}/reject";
/// `POST` [`ReportSchedule`]: the family's package goes out with the distribution batch of
/// that date, 5 to 7 days after verification.
pub const REPORT_SCHEDULE_PATH: &str = "/api/v1/staff/reports/{ticket}/schedule";
/// `POST`: the package was handed over.
pub const REPORT_DELIVER_PATH: &str = "/api/v1/staff/reports/{ticket}/deliver";
/// `GET` (`?from=&to=`, `YYYY-MM-DD`; without them the next [`BATCH_DEFAULT_DAYS`] days from
/// today): the distribution batches of those days ([`ReportBatches`]).
pub const REPORT_BATCHES_PATH: &str = "/api/v1/staff/reports/batches";

/// Reports on one page of the queue.
pub const REPORT_PAGE_SIZE: u32 = 50;
/// Highest page number asked for (a million reports at [`REPORT_PAGE_SIZE`]).
pub const REPORT_PAGE_MAX: u32 = 20_000;
/// Days the batch view covers when not told (today and the week after).
pub const BATCH_DEFAULT_DAYS: u32 = 8;
/// Most days one batch view covers.
pub const BATCH_RANGE_MAX_DAYS: u32 = 31;
/// Most reports one batch view lists; `truncated` says when the days held more.
pub const BATCH_LIST_MAX: u32 = 2_000;

/// A program the reported person's family holds (any state but ended), by code and name
/// only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeldProgram {
    pub code: String,
    pub name: Text,
    /// `proposed`, `verified` or `active`.
    pub state: String,
}

/// The reported person's family as staff weigh a report; masked as every list is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportFamily {
    /// The reported person's name, initials only (`B*** S******`).
    pub name: String,
    /// DTSEN welfare decile (1 poorest .. 10); `None` when the family is not ranked.
    pub desil: Option<u8>,
    /// Members of the KK alive in the registry.
    pub members: u32,
    pub programs: Vec<HeldProgram>,
}

/// A report as the staff's queue lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueuedReport {
    pub ticket: String,
    /// RFC 3339 (UTC).
    pub filed_at: String,
    /// The desa whose staff verify it: the reported person's when it was filed. `None` only
    /// for a report from before desas were recorded whose subject has left the registry.
    pub desa_code: Option<u64>,
    /// The kiosk it was filed at.
    pub kiosk: String,
    /// The reported person's NIK, masked (`3510********0001`).
    pub subject: String,
    /// Why the citizen asked.
    pub reason: crate::api::ReportReason,
    /// The program it asks for: the one its verification wrote the family into, or until
    /// then the catalogue's program for citizen reports.
    pub program: String,
    pub program_name: Text,
    pub state: crate::api::ReportState,
    /// The engine's decision at filing: `verification` (passed the cross-check) or
    /// `rejected`.
    pub filed_state: crate::api::ReportState,
    /// The reason the citizen is shown: the engine's (at filing or at verification) or the
    /// staff's.
    pub decision: Option<Text>,
    /// Whether the reporter reported themselves.
    pub about_self: bool,
    /// The reporter's NIK, masked.
    pub reporter: String,
    /// How the reporter's NIK was entered at the kiosk.
    pub nik_entry: crate::api::NikEntry,
    pub verified_at: Option<String>,
    /// The distribution batch date, once scheduled.
    pub scheduled_for: Option<String>,
    /// `None` when the reported person is no longer in the registry.
    pub family: Option<ReportFamily>,
}

/// One page of the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportPage {
    pub reports: Vec<QueuedReport>,
    /// From 1.
    pub page: u32,
    pub page_size: u32,
    /// Reports on every page together.
    pub total: u64,
}

/// One step of a report's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportStepRecord {
    /// RFC 3339 (UTC).
    pub at: String,
    /// `kiosk:<id>` for the filing, `staff:<username>` or `cli:<user>` for a step.
    pub actor: String,
    /// `filed`, `verify`, `reject`, `schedule` or `deliver`.
    pub step: String,
    /// The state the step left the report in.
    pub state: crate::api::ReportState,
    /// Why, for a rejection.
    pub reason: Option<Text>,
    /// The batch date a schedule chose.
    pub batch_date: Option<String>,
}

/// Dates a verified report may be scheduled for, inclusive (`YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchWindow {
    pub from: String,
    pub to: String,
}

/// One report in full as staff see it: the queue's masked view, the citizen's description and
/// the history of its steps, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportDetail {
    pub report: QueuedReport,
    /// What the reporter wrote, any run of 16 digits in it masked.
    pub text: String,
    /// For a verified report: the batch dates it may be scheduled for.
    pub schedule_window: Option<BatchWindow>,
    pub steps: Vec<ReportStepRecord>,
}

/// Body of a rejection. Both languages are shown to the citizen tracking the ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportRejection {
    /// Why, in Indonesian: 3 to [`REASON_MAX`] characters.
    pub reason_id: String,
    /// Why, in English: 3 to [`REASON_MAX`] characters.
    pub reason_en: String,
}

/// Body of a schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportSchedule {
    /// The batch date, `YYYY-MM-DD`.
    pub date: String,
}

/// A report in a distribution batch; masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchReport {
    pub ticket: String,
    pub desa_code: Option<u64>,
    pub program: String,
    pub program_name: Text,
    /// The reported person's NIK, masked.
    pub nik: String,
    /// The reported person's name, initials only.
    pub name: String,
    /// Where the family lives in the desa, as the registry has it (empty when it does not).
    pub dusun: String,
    pub rw: String,
    pub rt: String,
    /// `scheduled` (still to go out) or `delivered`.
    pub state: crate::api::ReportState,
}

/// The reports of one batch date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportBatch {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Still to be handed over.
    pub scheduled: u32,
    pub delivered: u32,
    pub reports: Vec<BatchReport>,
}

/// The distribution batches of a range of days, earliest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportBatches {
    pub from: String,
    pub to: String,
    pub batches: Vec<ReportBatch>,
    /// More than [`BATCH_LIST_MAX`] reports: the latest days are cut short (their counts
    /// are complete).
    pub truncated: bool,
}
