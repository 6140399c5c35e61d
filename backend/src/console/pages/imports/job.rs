//! One import job: its progress while it runs (the page reloads itself every 2 seconds with
//! `<meta http-equiv=refresh>`, no script), then the counts and the outcome of every row,
//! filtered by outcome (`?outcome=malformed`) and paged (`?page=2`), the NIKs masked as the
//! report holds them; the report as CSV; and a dry run applied for real. A job of another
//! desa answers 404 as a job that does not exist.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use protocol::Text;
use serde::{Deserialize, Serialize};

use super::{Job, JobState, NewJob, job_href, may_import, state_text};
use crate::console::layout::{self, Page, desa_text, local_time};
use crate::console::reply::{self, Said};
use crate::console::session::ConsoleUser;
use crate::http::AppState;
use crate::import::{Requester, admit};

const PAGE: Page =
    Page { template: "import_job.html", title: ("Hasil impor", "Import job"), nav: "imports" };

/// Rows of the outcome table per page.
const PER_PAGE: usize = 50;

/// The outcomes a row can have, in the order the filter offers them.
pub(crate) const OUTCOMES: &[(&str, &str, &str)] = &[
    ("accepted", "diterima", "accepted"),
    ("rejected", "ditolak", "rejected"),
    ("over_quota", "melebihi kuota", "over quota"),
    ("not_found", "tidak ditemukan", "not found"),
    ("other_desa", "desa lain", "other desa"),
    ("duplicate", "ganda", "duplicate"),
    ("malformed", "rusak", "malformed"),
];

/// The job `raw` names, if this account's desa covers it.
pub(crate) fn job_of(state: &AppState, user: &ConsoleUser, raw: &str) -> Option<Arc<Job>> {
    super::find(state, raw).filter(|job| user.staff.covers(job.desa))
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
struct RowView {
    line: String,
    nik: String,
    outcome: Said,
    tone: &'static str,
    reason: Option<Said>,
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
    written: bool,
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

fn outcome_said(key: &str) -> (Said, &'static str) {
    let (id, en) = OUTCOMES
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, id, en)| (*id, *en))
        .unwrap_or((key, key));
    let tone = match key {
        "accepted" => "ok",
        "malformed" | "duplicate" => "bad",
        _ => "warn",
    };
    (Said { id: id.into(), en: en.into() }, tone)
}

/// A finished run whose file is sound: applied for real, it would write (the import refuses
/// a file with a malformed or duplicated row whole).
fn clean(state: &JobState) -> bool {
    matches!(state, JobState::Finished(summary) if summary.malformed == 0 && summary.duplicate == 0)
}

/// The report's rows, as `import::write_row` wrote them.
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
    let filter = filter.map(|Query(filter)| filter).unwrap_or_default();
    let outcome = if OUTCOMES.iter().any(|(key, _, _)| *key == filter.outcome) {
        filter.outcome.clone()
    } else {
        String::new()
    };
    let job_state = job.state();
    let summary = match &job_state {
        JobState::Finished(summary) => Some(summary.clone()),
        _ => None,
    };
    let rows = match summary {
        Some(_) => {
            let path = state.console.imports.report_path(&job.id);
            match tokio::task::spawn_blocking(move || read_report(&path)).await {
                Ok(Ok(rows)) => rows,
                _ => {
                    tracing::error!(job = %job.id, "import report unreadable");
                    return reply::failure(
                        &state,
                        Some(&user),
                        crate::http::error::AppError::internal(),
                    );
                }
            }
        }
        None => Vec::new(),
    };
    let matching: Vec<&csv::StringRecord> = rows
        .iter()
        .filter(|row| outcome.is_empty() || row.get(2) == Some(outcome.as_str()))
        .collect();
    let pages = matching.len().div_ceil(PER_PAGE).max(1);
    let page = filter.page.unwrap_or(1).clamp(1, pages);
    let table: Vec<RowView> = matching
        .iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .map(|row| {
            let (said, tone) = outcome_said(row.get(2).unwrap_or(""));
            let reason = match (row.get(3).unwrap_or(""), row.get(4).unwrap_or("")) {
                ("", "") => None,
                (id, en) => Some(Said { id: id.into(), en: en.into() }),
            };
            RowView {
                line: row.get(0).unwrap_or("").into(),
                nik: row.get(1).unwrap_or("").into(),
                outcome: said,
                tone,
                reason,
            }
        })
        .collect();
    let counts = match &job_state {
        JobState::Finished(summary) => [
            summary.accepted,
            summary.rejected,
            summary.over_quota,
            summary.not_found,
            summary.other_desa,
            summary.duplicate,
            summary.malformed,
        ]
        .iter()
        .zip(OUTCOMES)
        .map(|(count, (key, id, en))| Count {
            key,
            label: Said { id: (*id).into(), en: (*en).into() },
            count: *count,
            href: href(&job.id, key, 1),
            current: *key == outcome,
        })
        .collect(),
        _ => Vec::new(),
    };
    let (said, tone) = state_text(&job);
    let subject = format!("job:{}", job.id);
    reply::audit(&state, &user.actor(), "console_import_job", &subject, "viewed");
    let view = JobView {
        id: job.id.clone(),
        file: job.file_name.clone(),
        program: job.program.clone(),
        desa: desa_text(Some(job.desa)).id,
        started_at: local_time(&job.started_at, Some(job.desa)),
        started_by: job.actor.trim_start_matches("console:").to_owned(),
        dry_run: job.dry_run,
        running: matches!(job_state, JobState::Running),
        done: job.done.load(std::sync::atomic::Ordering::Relaxed),
        state: said,
        tone,
        failure: match &job_state {
            JobState::Failed(text) => Some(text.clone().into()),
            _ => None,
        },
        written: matches!(&job_state, JobState::Finished(summary) if summary.written),
        rows: match &job_state {
            JobState::Finished(summary) => summary.rows,
            _ => 0,
        },
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
        may_apply: clean(&job_state) && job.dry_run && may_import(&user),
        apply: format!("{}/apply", job_href(&job.id)),
    };
    layout::render(&state, Some(&user), &PAGE, &view)
}

/// The per-row report as CSV (`line,nik,outcome,reason_id,reason_en`, NIKs masked).
pub(crate) async fn report(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(id): Path<String>,
) -> Response {
    let Some(job) = job_of(&state, &user, &id) else {
        reply::audit(&state, &user.actor(), "console_import_report", "job", "not_found");
        return reply::not_found(&state, Some(&user));
    };
    if !matches!(job.state(), JobState::Finished(_)) {
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
            return reply::failure(&state, Some(&user), crate::http::error::AppError::internal());
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

/// A finished dry run run again for real, as a new job with the same file.
pub(crate) async fn apply(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(id): Path<String>,
) -> Response {
    let Some(job) = job_of(&state, &user, &id) else {
        reply::audit(&state, &user.actor(), "console_import_apply", "job", "not_found");
        return reply::not_found(&state, Some(&user));
    };
    let subject = format!("job:{}", job.id);
    if !may_import(&user) {
        reply::audit(&state, &user.actor(), "console_import_apply", &subject, "forbidden");
        let why = Text::new("Auditor hanya membaca.", "Auditors only read.");
        return reply::error_page(&state, Some(&user), StatusCode::FORBIDDEN, why);
    }
    if !job.dry_run || !clean(&job.state()) {
        reply::audit(&state, &user.actor(), "console_import_apply", &subject, "not_applicable");
        let why = Text::new(
            "Hanya uji coba yang selesai tanpa baris rusak atau ganda yang dapat diterapkan.",
            "Only a finished dry run without malformed or duplicated rows can be applied.",
        );
        return reply::error_page(&state, Some(&user), StatusCode::CONFLICT, why);
    }
    let requester = Requester { actor: user.actor(), desa: user.staff.desa_code };
    let list = match admit(&state.store, &state.catalogue, &requester, &job.program, job.desa) {
        Ok(list) => list,
        Err(error) => {
            return reply::failure(&state, Some(&user), crate::http::import_failure(error));
        }
    };
    let new = NewJob {
        desa: job.desa,
        program: job.program.clone(),
        dry_run: false,
        actor: user.actor(),
        file_name: job.file_name.clone(),
    };
    let rerun = state.console.imports.rerun(
        state.store.clone(),
        state.catalogue.clone(),
        list,
        new,
        &job.id,
    );
    match rerun {
        Ok(next) => {
            let outcome = format!("started job:{}", next.id);
            reply::audit(&state, &user.actor(), "console_import_apply", &subject, &outcome);
            reply::redirect(&job_href(&next.id))
        }
        Err(error) => {
            tracing::error!(%error, "console import not applied");
            reply::failure(&state, Some(&user), crate::http::error::AppError::internal())
        }
    }
}
