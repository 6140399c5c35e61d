//! The desa staff's side of citizen reports, as JSON for the web console: the queue, one
//! report with its family and history, the steps of [`crate::workflow`] (verify with the
//! engine's re-check, reject, schedule, deliver), and (in `report_batches`) the
//! distribution batches; the queue and the batches take a desa filter (`report_desa`).
//!
//! Every account reads the reports of its desa (a kabupaten account: every desa). Operators
//! and signers of the desa take the steps; auditors and kabupaten accounts only read, since
//! verification is the desa's job, done by people who know the family. Another desa's report
//! answers 404 like no report at all, so tickets cannot be probed across desas. Every read
//! and every step is audited, with masked subjects.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::response::{IntoResponse, Response};
use protocol::Text;
use protocol::api::{ApiError, ErrorCode, ReportState, TicketStatus};
use protocol::staff::{
    BatchWindow, REASON_MAX, REPORT_DELIVER_PATH, REPORT_DETAIL_PATH, REPORT_PAGE_MAX,
    REPORT_PAGE_SIZE, REPORT_QUEUE_PATH, REPORT_REJECT_PATH, REPORT_SCHEDULE_PATH,
    REPORT_VERIFY_PATH, ReportDetail, ReportPage, ReportRejection, ReportSchedule,
};
use protocol::ticket::Ticket;
use serde::Deserialize;
use time::Date;

use super::error::{ApiJson, JsonBody};
use super::staff::Staff;
use super::submit::path_ticket;
use super::{AppError, AppState, now};
use crate::store::{AuditEntry, ReportFilter, StaffRecord, StaffRole};
use crate::workflow::{Step, WorkflowError, advance_in, batch_window, step_name};

impl JsonBody for ReportRejection {
    const NAME_ID: &'static str = "Alasan penolakan";
    const NAME_EN: &'static str = "The rejection";
}

impl JsonBody for ReportSchedule {
    const NAME_ID: &'static str = "Jadwal penyaluran";
    const NAME_EN: &'static str = "The schedule";
}

fn not_found() -> AppError {
    AppError::not_found(
        ErrorCode::NotFound,
        Text::new("Laporan tidak ditemukan.", "No such report."),
    )
}

pub(super) fn entry(
    staff: &StaffRecord,
    action: &str,
    subject: String,
    outcome: &str,
) -> AuditEntry {
    AuditEntry {
        at: now(),
        actor: format!("staff:{}", staff.username),
        action: action.into(),
        subject,
        outcome: outcome.into(),
    }
}

/// Whether the account reads reports of `desa` (`None`: a report of no recorded desa, which
/// only kabupaten accounts see).
pub(crate) fn covers(staff: &StaffRecord, desa: Option<u64>) -> bool {
    match staff.desa_code {
        None => true,
        Some(own) => desa == Some(own),
    }
}

/// The desa an account takes report steps for, or why it only reads: operators and
/// signers of a desa act; auditors and kabupaten accounts read. The console asks the same.
pub(crate) fn step_desa(staff: &StaffRecord) -> Result<u64, Text> {
    match (staff.role, staff.desa_code) {
        (StaffRole::Operator | StaffRole::Signer, Some(desa)) => Ok(desa),
        (StaffRole::Auditor, _) => {
            Err(Text::new("Akun auditor hanya dapat membaca.", "An auditor account can only read."))
        }
        _ => Err(Text::new(
            "Akun kabupaten hanya dapat membaca laporan: verifikasi adalah tugas petugas desa.",
            "A kabupaten account can only read reports: verification is the desa staff's job.",
        )),
    }
}

/// The desa an account takes report steps for, or 403 (audited, with the ticket `raw` names
/// if it names one) for an account that only reads.
fn acting_desa(
    state: &AppState,
    staff: &StaffRecord,
    action: &str,
    raw: &str,
) -> Result<u64, AppError> {
    let refusal = match step_desa(staff) {
        Ok(desa) => return Ok(desa),
        Err(refusal) => refusal,
    };
    let ticket = Ticket::parse(raw).map_or_else(|_| "-".to_owned(), |ticket| ticket.to_string());
    state.store.audit(entry(staff, action, ticket, "forbidden"));
    Err(AppError::forbidden(refusal))
}

pub(super) fn bad_query(rejection: &QueryRejection) -> AppError {
    AppError::bad_request(
        ErrorCode::BadRequest,
        Text::new(
            format!("Parameter tidak valid: {}", rejection.body_text()),
            format!("Invalid parameters: {}", rejection.body_text()),
        ),
    )
}

/// Query of the queue.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct QueueQuery {
    /// `verification`, `verified`, `scheduled`, `delivered`, `rejected` or
    /// `rejected_after_verification`; absent: the first three (waiting for a staff step).
    #[serde(default)]
    state: Option<String>,
    /// From 1; 50 reports a page.
    #[serde(default)]
    page: Option<u32>,
    /// A desa code (10 digits) or `all` (absent: every desa the account reads); a desa
    /// account always reads its own desa.
    #[serde(default)]
    desa: Option<String>,
}

/// The `?desa=` filter for `staff`, or 400 in both languages.
pub(super) fn desa_param(staff: &StaffRecord, raw: Option<&str>) -> Result<Option<u64>, AppError> {
    super::report_desa::desa_filter(staff, raw)
        .map_err(|why| AppError::bad_request(ErrorCode::BadRequest, why))
}

/// The account's reports, oldest first, masked, with the family of each reported person.
#[utoipa::path(get, path = REPORT_QUEUE_PATH, security(("staff_session" = [])), params(QueueQuery),
    responses((status = 200, body = ReportPage), (status = 400, body = ApiError), (status = 401, body = ApiError)))]
pub async fn queue(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    query: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(query) = query.map_err(|rejection| bad_query(&rejection))?;
    let wanted = match query.state.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(ReportState::parse(text).ok_or_else(|| {
            AppError::bad_request(
                ErrorCode::BadRequest,
                Text::new("Status laporan tidak dikenal.", "Unknown report state."),
            )
        })?),
    };
    let page = query.page.unwrap_or(1);
    if !(1..=REPORT_PAGE_MAX).contains(&page) {
        return Err(AppError::bad_request(
            ErrorCode::BadRequest,
            Text::new(
                format!("Halaman 1 sampai {REPORT_PAGE_MAX}."),
                format!("Pages are 1 to {REPORT_PAGE_MAX}."),
            ),
        ));
    }
    let desa = desa_param(&staff, query.desa.as_deref())?;
    let filter = ReportFilter { desa, state: wanted, page };
    let (store, program) = (state.store.clone(), state.catalogue.report_program().code.clone());
    let (reports, total) =
        tokio::task::spawn_blocking(move || store.reports_waiting(&filter, &program)).await??;
    let scope = desa.map_or_else(|| "all".to_owned(), |desa| desa.to_string());
    let shown = wanted.map_or("waiting", ReportState::as_str);
    state.store.audit_read(entry(
        &staff,
        "report_queue",
        format!("desa:{scope} state:{shown} page:{page}"),
        &format!("{} listed", reports.len()),
    ))?;
    Ok(Json(ReportPage { reports, page, page_size: REPORT_PAGE_SIZE, total }).into_response())
}

/// One report of the account's desa: the queue's view, the reporter's words, the history of
/// its steps and, once verified, the batch dates it may be scheduled for.
#[utoipa::path(get, path = REPORT_DETAIL_PATH, security(("staff_session" = [])),
    params(("ticket" = String, Path, description = "LP-IIII-SSSSSS-C")),
    responses((status = 200, body = ReportDetail), (status = 400, body = ApiError, description = "invalid_ticket"), (status = 404, body = ApiError, description = "no such report in the account's desa")))]
pub async fn detail(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let ticket = path_ticket(&raw)?;
    let (store, program) = (state.store.clone(), state.catalogue.report_program().code.clone());
    let found =
        tokio::task::spawn_blocking(move || store.report_detail(&ticket, &program)).await??;
    let Some(mut detail) = found.filter(|detail| covers(&staff, detail.report.desa_code)) else {
        state.store.audit_read(entry(&staff, "report_view", ticket.to_string(), "not_found"))?;
        return Err(not_found());
    };
    let report = &detail.report;
    let window = match (report.state, report.verified_at.as_deref()) {
        (ReportState::Verified, Some(at)) => batch_window(at, report.desa_code),
        _ => None,
    };
    let subject = format!("{ticket} {}", report.subject);
    detail.schedule_window =
        window.map(|(from, to)| BatchWindow { from: from.to_string(), to: to.to_string() });
    state.store.audit_read(entry(&staff, "report_view", subject, "viewed"))?;
    Ok(Json(detail).into_response())
}

/// Why a step was refused: its audit outcome and its answer.
pub(crate) fn refusal(error: WorkflowError, desa: u64) -> (&'static str, AppError) {
    match error {
        WorkflowError::UnknownTicket(_) => ("not_found", not_found()),
        WorkflowError::NotAllowed { from, .. } => {
            let now = ReportState::parse(from).map(ReportState::text);
            let (id, en) = now.map(|t| (t.id, t.en)).unwrap_or_default();
            (
                "not_allowed",
                AppError::conflict(
                    ErrorCode::StepNotAllowed,
                    Text::new(
                        format!("Laporan ini {id}: langkah ini tidak dapat dilakukan."),
                        format!("This report is {en}: this step cannot be taken."),
                    ),
                ),
            )
        }
        WorkflowError::Conflict => (
            "conflict",
            AppError::conflict(
                ErrorCode::StepNotAllowed,
                Text::new(
                    "Laporan ini baru saja diubah petugas lain. Muat ulang, lalu periksa lagi.",
                    "Another staff member changed this report a moment ago. Load it again and check.",
                ),
            ),
        ),
        WorkflowError::BatchDate { verified } => {
            let window = batch_window(&verified, Some(desa))
                .map(|(from, to)| (format!(" ({from} s.d. {to})"), format!(" ({from} to {to})")))
                .unwrap_or_default();
            (
                "batch_date",
                AppError::bad_request(
                    ErrorCode::InvalidBatchDate,
                    Text::new(
                        format!(
                            "Tanggal penyaluran harus 5 sampai 7 hari setelah verifikasi{}.",
                            window.0
                        ),
                        format!(
                            "The batch date must be 5 to 7 days after verification{}.",
                            window.1
                        ),
                    ),
                ),
            )
        }
        WorkflowError::Store(error) => ("failed", error.into()),
    }
}

/// Takes `step` on the report `raw` names, for `desa`, through the workflow (which audits it
/// in the step's own transaction); a refusal is audited here.
async fn take(
    state: &AppState,
    staff: &StaffRecord,
    desa: u64,
    raw: &str,
    step: Step,
) -> Result<Response, AppError> {
    let action = format!("report_{}", step_name(&step));
    let ticket = path_ticket(raw)?;
    let (store, catalogue, actor) =
        (state.store.clone(), state.catalogue.clone(), format!("staff:{}", staff.username));
    let taken = tokio::task::spawn_blocking(move || {
        advance_in(&store, &catalogue, &ticket, &step, &actor, Some(desa))
    })
    .await?;
    match taken {
        Ok(status) => {
            tracing::info!(%ticket, subject = %status.subject, state = status.state.as_str(), "{action}");
            Ok(Json(status).into_response())
        }
        Err(error) => {
            let (outcome, answer) = refusal(error, desa);
            state.store.audit(entry(staff, &action, ticket.to_string(), outcome));
            Err(answer)
        }
    }
}

/// Verifies a report: the engine checks the family again and may reject it instead.
#[utoipa::path(post, path = REPORT_VERIFY_PATH, security(("staff_session" = [])),
    params(("ticket" = String, Path)),
    responses((status = 200, body = TicketStatus, description = "verified, or rejected by the engine's re-check (state and reason say)"), (status = 403, body = ApiError, description = "an account that only reads"), (status = 404, body = ApiError), (status = 409, body = ApiError, description = "step_not_allowed: not waiting for verification (any more)")))]
pub async fn verify(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let desa = acting_desa(&state, &staff, "report_verify", &raw)?;
    take(&state, &staff, desa, &raw, Step::Verify).await
}

/// A reason in one language, or 400 naming which.
pub(crate) fn reason_in(
    raw: &str,
    language_id: &str,
    language_en: &str,
) -> Result<String, AppError> {
    crate::letters::workflow::clean_reason(raw).map_err(|_| {
        AppError::bad_request(
            ErrorCode::InvalidText,
            Text::new(
                format!(
                    "Tuliskan alasan dalam bahasa {language_id}, 3 sampai {REASON_MAX} huruf, tanpa karakter kendali."
                ),
                format!(
                    "Write the reason in {language_en}, 3 to {REASON_MAX} characters, no control characters."
                ),
            ),
        )
    })
}

/// Rejects a report (waiting for verification, or verified) with the reason the citizen sees.
#[utoipa::path(post, path = REPORT_REJECT_PATH, security(("staff_session" = [])),
    params(("ticket" = String, Path)), request_body = ReportRejection,
    responses((status = 200, body = TicketStatus), (status = 400, body = ApiError, description = "invalid_text: a reason missing, too long or with control characters"), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn reject(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<ReportRejection>,
) -> Result<Response, AppError> {
    let desa = acting_desa(&state, &staff, "report_reject", &raw)?;
    let id = reason_in(&body.reason_id, "Indonesia", "Indonesian")?;
    let en = reason_in(&body.reason_en, "Inggris", "English")?;
    take(&state, &staff, desa, &raw, Step::Reject(Text::new(id, en))).await
}

/// Schedules a verified report's package into the batch of a date 5 to 7 days after its
/// verification.
#[utoipa::path(post, path = REPORT_SCHEDULE_PATH, security(("staff_session" = [])),
    params(("ticket" = String, Path)), request_body = ReportSchedule,
    responses((status = 200, body = TicketStatus), (status = 400, body = ApiError, description = "invalid_batch_date: not a date, or outside 5 to 7 days after verification"), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn schedule(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<ReportSchedule>,
) -> Result<Response, AppError> {
    let desa = acting_desa(&state, &staff, "report_schedule", &raw)?;
    let date = day(&body.date)?;
    take(&state, &staff, desa, &raw, Step::Schedule(date)).await
}

/// Records that a scheduled report's package was handed over.
#[utoipa::path(post, path = REPORT_DELIVER_PATH, security(("staff_session" = [])),
    params(("ticket" = String, Path)),
    responses((status = 200, body = TicketStatus), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn deliver(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let desa = acting_desa(&state, &staff, "report_deliver", &raw)?;
    take(&state, &staff, desa, &raw, Step::Deliver).await
}

/// A `YYYY-MM-DD` date, or 400.
pub(crate) fn day(text: &str) -> Result<Date, AppError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), &format).map_err(|_| {
        AppError::bad_request(
            ErrorCode::InvalidBatchDate,
            Text::new(
                "Tanggal ditulis TTTT-BB-HH, misalnya 2026-11-30.",
                "Write dates as YYYY-MM-DD, e.g. 2026-11-30.",
            ),
        )
    })
}
