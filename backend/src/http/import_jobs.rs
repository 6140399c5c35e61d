//! Import jobs started from the console, read over the API: a job's progress and counts,
//! and its per-row report (NIKs masked). A job of another desa (or a population or desil
//! file's, for a desa account) answers 404 as one that does not exist. Lists are imported
//! over the API with `POST /api/v1/staff/imports`, registry files with the population and
//! desil routes, which answer with their report at once; these routes follow the console's
//! background jobs, kept in the store, so they answer after a restart too.

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use protocol::Text;
use protocol::api::{ApiError, ErrorCode};
use protocol::registry::RegistryImportResponse;
use protocol::staff::ImportSummary;
use serde::Serialize;

use super::staff::Staff;
use super::{AppError, AppState, now};
use crate::console::imports::{Job, JobState};
use crate::store::AuditEntry;

/// `GET`: a job's state ([`ImportJob`]).
pub const IMPORT_JOB_PATH: &str = "/api/v1/staff/import-jobs/{id}";
/// `POST`: a finished dry run applied for real, as a new job ([`ImportJob`]).
pub const IMPORT_JOB_APPLY_PATH: &str = "/api/v1/staff/import-jobs/{id}/apply";
/// `GET`: a finished job's per-row report, CSV `line,nik,outcome,reason_id,reason_en`.
pub const IMPORT_JOB_REPORT_PATH: &str = "/api/v1/staff/import-jobs/{id}/report";

/// A console import job.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportJob {
    pub id: String,
    /// `recipients`, `population` or `desil`.
    pub kind: String,
    /// A recipient list's desa; a registry file's `desa` option.
    pub desa_code: Option<u64>,
    /// A recipient list's program; empty for registry files.
    pub program: String,
    pub dry_run: bool,
    /// `running`, `finished`, `failed` or `interrupted` (cut off by a restart: nothing was
    /// written, run it again).
    pub state: String,
    /// Rows checked so far.
    pub rows_done: u64,
    pub started_at: String,
    /// Who started it: `console:<username>`.
    pub started_by: String,
    /// A recipient list's counts, once finished.
    pub summary: Option<ImportSummary>,
    /// A population or desil file's counts, once finished (no report rows: see `report`).
    pub registry: Option<RegistryImportResponse>,
    /// Why the whole file was refused, when it failed, or why it was interrupted.
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
    crate::console::imports::find(state, id).filter(|job| job.visible_to(staff))
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

/// A finished dry run applied for real: a new job with the same file, as the console's
/// "apply" button starts it (a registry file only for kabupaten operators, one registry
/// import at a time).
#[utoipa::path(post, path = IMPORT_JOB_APPLY_PATH, security(("staff_session" = [])),
    params(("id" = String, Path, description = "the dry run's job id")),
    responses((status = 200, body = ImportJob, description = "the new job, running"),
              (status = 401, body = ApiError),
              (status = 403, body = ApiError, description = "an auditor, or a desa account for a registry file"),
              (status = 404, body = ApiError, description = "unknown, or of another desa"),
              (status = 409, body = ApiError, description = "not a finished clean dry run, or another registry import is running")))]
pub async fn apply(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(id): Path<String>,
) -> Result<Json<ImportJob>, AppError> {
    let Some(job) = job_of(&state, &staff, &id) else {
        audit(&state, &staff.username, "import_apply", "job".into(), "not_found");
        return Err(not_found());
    };
    let actor = format!("staff:{}", staff.username);
    let next = crate::console::imports::reapply(&state, &staff, &actor, &job)
        .map_err(|why| why.into_error())?;
    Ok(Json(job_json(&next)))
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
    Ok(Json(job_json(&job)))
}

fn job_json(job: &Job) -> ImportJob {
    let job_state = job.state();
    let label = job_state.label();
    let (summary, registry, error) = match job_state {
        JobState::Running => (None, None, None),
        JobState::Finished(summary) => (Some(summary), None, None),
        JobState::Registry(counts) => (None, Some(counts), None),
        JobState::Failed(why) | JobState::Interrupted(why) => (None, None, Some(why)),
    };
    ImportJob {
        id: job.id.clone(),
        kind: job.kind.as_str().into(),
        desa_code: job.desa,
        program: job.program.clone(),
        dry_run: job.dry_run,
        state: label.into(),
        rows_done: job.done.load(std::sync::atomic::Ordering::Relaxed),
        started_at: job.started_at.clone(),
        started_by: job.actor.clone(),
        summary,
        registry,
        error,
    }
}

/// A finished console import job's per-row report as CSV, NIKs masked: a recipient list's
/// `line,nik,outcome,reason_id,reason_en`, a registry file's as the registry import writes it.
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
    if !job.state().finished() {
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
