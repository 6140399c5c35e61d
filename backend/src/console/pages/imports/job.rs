//! One import job: its progress while it runs (the page reloads itself every 2 seconds with
//! `<meta http-equiv=refresh>`, no script), then the counts and the outcome of every row,
//! filtered by outcome (`?outcome=malformed`) and paged (`?page=2`), the NIKs masked as the
//! report holds them; and the report as CSV (a dry run is applied in [`super::apply`]). A
//! job of another desa (or a registry file's, for a desa account) answers 404 as a job that
//! does not exist.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use protocol::Text;
use serde::{Deserialize, Serialize};

use super::outcomes::{self, RowView};
use super::{Job, JobState, job_href};
use super::{state_text, what_text};
use crate::console::layout::{self, Page, desa_text, local_time};
use crate::console::reply::{self, Said};
use crate::console::session::ConsoleUser;
use crate::http::AppState;
use crate::http::error::AppError;
use crate::store::StaffRecord;

const PAGE: Page =
    Page { template: "import_job.html", title: ("Hasil impor", "Import job"), nav: "imports" };

/// Rows of the outcome table per page.
const PER_PAGE: usize = 50;

/// Views remembered for [`audit_view`] before the memory is cleared.
const SEEN_MAX: usize = 10_000;

/// The job `raw` names, if this account may see it.
pub(crate) fn job_of(state: &AppState, user: &ConsoleUser, raw: &str) -> Option<Arc<Job>> {
    super::find(state, raw).filter(|job| job.visible_to(&user.staff))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Filter {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    page: Option<usize>,
}

#[derive(Serialize)]
struct Count {
    key: &'static str,
    label: Said,
    count: u64,
    href: String,
    current: bool,
}

#[derive(Serialize)]
struct JobView {
    id: String,
    file: String,
    program: String,
    desa: String,
    started_at: String,
    started_by: String,
    dry_run: bool,
    running: bool,
    done: u64,
    state: Said,
    tone: &'static str,
    failure: Option<Said>,
    note: Option<Said>,
    note_tone: &'static str,
    rows: u64,
    counts: Vec<Count>,
    all_href: String,
    filtered: bool,
    table: Vec<RowView>,
    shown: usize,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
    report: String,
    /// A finished dry run the account may apply for real.
    may_apply: bool,
    apply: String,
}

/// A finished run that applied for real would write: a recipient list without malformed or
/// duplicated rows (the import refuses such a file whole), any finished registry dry run
/// whose file is still kept.
pub(super) fn applicable(state: &AppState, job: &Job, job_state: &JobState) -> bool {
    job.dry_run
        && match job_state {
            JobState::Finished(s) => s.malformed == 0 && s.duplicate == 0,
            JobState::Registry(_) => state.console.imports.upload_path(&job.id).exists(),
            _ => false,
        }
}

/// Whether `staff` may apply `job`: anyone but an auditor a recipient list, a kabupaten
/// operator a registry file.
pub(super) fn may_apply(staff: &StaffRecord, job: &Job) -> bool {
    let imports = staff.role != crate::store::StaffRole::Auditor;
    imports && (!job.kind.is_registry() || staff.desa_code.is_none())
}

/// The report's rows, as the import wrote them.
fn read_report(path: &std::path::Path) -> Result<Vec<csv::StringRecord>, csv::Error> {
    csv::Reader::from_path(path)?.records().collect()
}

fn href(id: &str, outcome: &str, page: usize) -> String {
    let mut href = job_href(id);
    let mut sep = '?';
    if !outcome.is_empty() {
        href.push_str(&format!("{sep}outcome={outcome}"));
        sep = '&';
    }
    if page > 1 {
        href.push_str(&format!("{sep}page={page}"));
    }
    href
}

/// Audits a view of a job page once per session and state of the job: the page of a
/// running job reloads itself every 2 seconds, and a row per reload would bury the log.
/// So a view is audited the first time a session sees the job, and again only when the
/// job's state has changed since (running, then finished). The memory of what was seen is
/// this process's, keyed by the session id's hash, and cleared past [`SEEN_MAX`] entries
/// (a view after that is audited again, which errs on the side of the log).
fn audit_view(state: &AppState, user: &ConsoleUser, job: &Job, label: &'static str) {
    use sha2::Digest;
    let session = hex::encode(&sha2::Sha256::digest(user.session_id.as_bytes())[..8]);
    let fresh = match state.console.imports.seen.lock() {
        Ok(mut seen) => {
            if seen.len() >= SEEN_MAX {
                seen.clear();
            }
            seen.insert((session, job.id.clone()), label) != Some(label)
        }
        Err(_) => true,
    };
    if fresh {
        let subject = format!("job:{}", job.id);
        reply::audit(state, &user.actor(), "console_import_job", &subject, "viewed");
    }
}

/// The job page.
pub(crate) async fn job(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(id): Path<String>,
    filter: Result<Query<Filter>, QueryRejection>,
) -> Response {
    let Some(job) = job_of(&state, &user, &id) else {
        reply::audit(&state, &user.actor(), "console_import_job", "job", "not_found");
        return reply::not_found(&state, Some(&user));
    };
    let kinds = outcomes::outcomes(job.kind);
    let filter = filter.map(|Query(filter)| filter).unwrap_or_default();
    let outcome = if kinds.iter().any(|(key, _, _)| *key == filter.outcome) {
        filter.outcome.clone()
    } else {
        String::new()
    };
    let job_state = job.state();
    let rows = if job_state.finished() {
        let path = state.console.imports.report_path(&job.id);
        match tokio::task::spawn_blocking(move || read_report(&path)).await {
            Ok(Ok(rows)) => rows,
            _ => {
                tracing::error!(job = %job.id, "import report unreadable");
                return reply::failure(&state, Some(&user), AppError::internal());
            }
        }
    } else {
        Vec::new()
    };
    let matching: Vec<&csv::StringRecord> = rows
        .iter()
        .filter(|row| outcome.is_empty() || outcomes::outcome_of(job.kind, row) == outcome)
        .collect();
    let pages = matching.len().div_ceil(PER_PAGE).max(1);
    let page = filter.page.unwrap_or(1).clamp(1, pages);
    let table: Vec<RowView> = matching
        .iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .map(|row| outcomes::row_view(job.kind, row))
        .collect();
    let (total, counts) = match outcomes::counts(&job_state) {
        Some((total, counts)) => (
            total,
            counts
                .iter()
                .zip(kinds)
                .map(|(count, (key, id, en))| Count {
                    key,
                    label: Said { id: (*id).into(), en: (*en).into() },
                    count: *count,
                    href: href(&job.id, key, 1),
                    current: *key == outcome,
                })
                .collect(),
        ),
        None => (0, Vec::new()),
    };
    let (said, tone) = state_text(&job);
    audit_view(&state, &user, &job, job_state.label());
    let note = outcomes::note(&job, &job_state);
    let view = JobView {
        id: job.id.clone(),
        file: job.file_name.clone(),
        program: what_text(&job),
        desa: job.desa.map_or_else(|| "—".to_owned(), |desa| desa_text(Some(desa)).id),
        started_at: local_time(&job.started_at, job.desa),
        started_by: job.actor.trim_start_matches("console:").to_owned(),
        dry_run: job.dry_run,
        running: matches!(job_state, JobState::Running),
        done: job.done.load(std::sync::atomic::Ordering::Relaxed),
        state: said,
        tone,
        failure: match &job_state {
            JobState::Failed(text) | JobState::Interrupted(text) => Some(text.clone().into()),
            _ => None,
        },
        note_tone: note.as_ref().map_or("ok", |(_, tone)| tone),
        note: note.map(|(said, _)| said),
        rows: total,
        counts,
        all_href: href(&job.id, "", 1),
        filtered: !outcome.is_empty(),
        shown: matching.len(),
        table,
        page,
        pages,
        prev: (page > 1).then(|| href(&job.id, &outcome, page - 1)),
        next: (page < pages).then(|| href(&job.id, &outcome, page + 1)),
        report: format!("{}/report.csv", job_href(&job.id)),
        may_apply: applicable(&state, &job, &job_state) && may_apply(&user.staff, &job),
        apply: format!("{}/apply", job_href(&job.id)),
    };
    layout::render(&state, Some(&user), &PAGE, &view)
}

/// The per-row report as CSV (NIKs masked), as the import wrote it.
pub(crate) async fn report(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(id): Path<String>,
) -> Response {
    let Some(job) = job_of(&state, &user, &id) else {
        reply::audit(&state, &user.actor(), "console_import_report", "job", "not_found");
        return reply::not_found(&state, Some(&user));
    };
    if !job.state().finished() {
        return reply::error_page(
            &state,
            Some(&user),
            StatusCode::CONFLICT,
            Text::new("Impor belum selesai.", "The import has not finished."),
        );
    }
    let bytes = match tokio::fs::read(state.console.imports.report_path(&job.id)).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, job = %job.id, "import report unreadable");
            return reply::failure(&state, Some(&user), AppError::internal());
        }
    };
    reply::audit(
        &state,
        &user.actor(),
        "console_import_report",
        &format!("job:{}", job.id),
        "downloaded",
    );
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"impor-{}.csv\"", job.id))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
