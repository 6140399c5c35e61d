//! Import jobs started from the console, read over the API: a job's progress and counts,
//! and its per-row report (NIKs masked). A job of another desa answers 404 as one that does
//! not exist. Lists are imported over the API with `POST /api/v1/staff/imports`, which
//! answers with its report at once; these routes follow the console's background jobs.

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use protocol::Text;
use protocol::api::{ApiError, ErrorCode};
use protocol::staff::ImportSummary;
use serde::Serialize;

use super::staff::Staff;
use super::{AppError, AppState, now};
use crate::console::imports::{Job, JobState};
use crate::store::AuditEntry;

/// `GET`: a job's state ([`ImportJob`]).
pub const IMPORT_JOB_PATH: &str = "/api/v1/staff/import-jobs/{id}";
/// `GET`: a finished job's per-row report, CSV `line,nik,outcome,reason_id,reason_en`.
pub const IMPORT_JOB_REPORT_PATH: &str = "/api/v1/staff/import-jobs/{id}/report";

/// A console import job.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportJob {
    pub id: String,
    pub desa_code: u64,
    pub program: String,
    pub dry_run: bool,
    /// `running`, `finished` or `failed`.
    pub state: String,
    /// Rows checked so far.
    pub rows_done: u64,
    pub started_at: String,
    /// Who started it: `console:<username>`.
    pub started_by: String,
    /// Once finished.
    pub summary: Option<ImportSummary>,
    /// Why the whole file was refused, when it failed.
    pub error: Option<Text>,
}

fn not_found() -> AppError {
    AppError::not_found(ErrorCode::NotFound, Text::new("Impor tidak ditemukan.", "No such import."))
}

fn job_of(
    state: &AppState,
    staff: &crate::store::StaffRecord,
    id: &str,
) -> Option<std::sync::Arc<Job>> {
    crate::console::imports::find(state, id).filter(|job| staff.covers(job.desa))
}

fn audit(state: &AppState, username: &str, action: &str, subject: String, outcome: &str) {
    state.store.audit(AuditEntry {
        at: now(),
        actor: format!("staff:{username}"),
        action: action.into(),
        subject,
        outcome: outcome.into(),
    });
}

/// A console import job's progress and, once finished, its counts.
#[utoipa::path(get, path = IMPORT_JOB_PATH, security(("staff_session" = [])),
    params(("id" = String, Path, description = "the job's id")),
    responses((status = 200, body = ImportJob), (status = 401, body = ApiError),
              (status = 404, body = ApiError, description = "unknown, or of another desa")))]
pub async fn job(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(id): Path<String>,
) -> Result<Json<ImportJob>, AppError> {
    let Some(job) = job_of(&state, &staff, &id) else {
        audit(&state, &staff.username, "import_job", "job".into(), "not_found");
        return Err(not_found());
    };
    audit(&state, &staff.username, "import_job", format!("job:{}", job.id), "viewed");
    let (label, summary, error) = match job.state() {
        JobState::Running => ("running", None, None),
        JobState::Finished(summary) => ("finished", Some(summary), None),
        JobState::Failed(why) => ("failed", None, Some(why)),
    };
    Ok(Json(ImportJob {
        id: job.id.clone(),
        desa_code: job.desa,
        program: job.program.clone(),
        dry_run: job.dry_run,
        state: label.into(),
        rows_done: job.done.load(std::sync::atomic::Ordering::Relaxed),
        started_at: job.started_at.clone(),
        started_by: job.actor.clone(),
        summary,
        error,
    }))
}

/// A finished console import job's per-row report as CSV, NIKs masked.
#[utoipa::path(get, path = IMPORT_JOB_REPORT_PATH, security(("staff_session" = [])),
    params(("id" = String, Path, description = "the job's id")),
    responses((status = 200, content_type = "text/csv", body = String),
              (status = 401, body = ApiError),
              (status = 404, body = ApiError, description = "unknown, of another desa, or not finished")))]
pub async fn report(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let Some(job) = job_of(&state, &staff, &id) else {
        audit(&state, &staff.username, "import_job_report", "job".into(), "not_found");
        return Err(not_found());
    };
    if !matches!(job.state(), JobState::Finished(_)) {
        return Err(not_found());
    }
    let bytes =
        tokio::fs::read(state.console.imports.report_path(&job.id)).await.map_err(|error| {
            tracing::error!(%error, job = %job.id, "import report unreadable");
            AppError::internal()
        })?;
    audit(&state, &staff.username, "import_job_report", format!("job:{}", job.id), "downloaded");
    let mut response = bytes.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    Ok(response)
}
