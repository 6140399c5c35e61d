//! Imports: `/console/imports` uploads a recipient list (a program, the desa for a
//! kabupaten account, a dry run unless unticked) and starts it as a background job
//! ([`jobs`], run by [`run`]); a kabupaten operator also loads population and desil files
//! there ([`registry`], streamed to disk); `/console/imports/{job}` follows a job ([`job`]).
//! A recipient list is `import::admit` and `Admitted::run`, as the API and the CLI run it:
//! the same checks, the same audit entry (`import`). A desa account imports only for its
//! own desa (another desa in a changed form answers 404); an auditor reads, never imports.

mod apply;
mod job;
mod jobs;
mod outcomes;
mod registry;
mod retention;
mod run;

use std::sync::Arc;

use axum::extract::{Extension, Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use protocol::Text;
use serde::Serialize;

use crate::console::layout::{self, Page, desa_text, local_time};
use crate::console::reply::{self, Said};
use crate::console::session::ConsoleUser;
use crate::http::AppState;
use crate::import::{Requester, admit};
use crate::store::StaffRole;
pub(crate) use apply::{apply, reapply};
pub(crate) use job::{job, report};
pub(crate) use jobs::{Job, JobKind, JobState, Jobs, NewJob};
pub(crate) use registry::{REGISTRY_PATH, start_registry};

pub(super) const PAGE: Page =
    Page { template: "imports.html", title: ("Impor", "Imports"), nav: "imports" };

/// Jobs listed under the form.
const RECENT: u32 = 20;

/// The longest file name kept for the page.
const NAME_MAX: usize = 80;

/// The job `id` (checked to be one before any lookup), whoever's it is.
pub(crate) fn find(state: &AppState, id: &str) -> Option<Arc<Job>> {
    if !jobs::valid_id(id) {
        return None;
    }
    state.console.imports.get(id)
}

pub(crate) fn job_href(id: &str) -> String {
    format!("/console/imports/{id}")
}

/// Whether the account may start imports: every role but the auditor's.
pub(crate) fn may_import(user: &ConsoleUser) -> bool {
    user.staff.role != StaffRole::Auditor
}

/// Whether the account may load population and desil files: a kabupaten account that may
/// import (as the API's registry loads).
pub(crate) fn may_load_registry(user: &ConsoleUser) -> bool {
    may_import(user) && user.staff.desa_code.is_none()
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct JobRow {
    href: String,
    file: String,
    program: String,
    desa: String,
    started_at: String,
    dry_run: bool,
    state: Said,
    tone: &'static str,
}

#[derive(Serialize)]
pub(super) struct FormView {
    may_import: bool,
    /// A kabupaten operator: the population and desil form.
    may_load_registry: bool,
    registry_path: &'static str,
    registry_limit_mb: usize,
    /// Why the last population or desil upload was refused.
    pub(super) registry_error: Option<Said>,
    /// A kabupaten account picks the desa.
    pick_desa: bool,
    desas: Vec<Choice>,
    programs: Vec<Choice>,
    dry_run: bool,
    error: Option<Said>,
    jobs: Vec<JobRow>,
    limit_mb: usize,
}

/// What a job's state is called, and its pill's tone.
pub(crate) fn state_text(job: &Job) -> (Said, &'static str) {
    let said = |id: &str, en: &str| Said { id: id.into(), en: en.into() };
    match job.state() {
        JobState::Running => (said("berjalan", "running"), "warn"),
        JobState::Failed(_) => (said("gagal", "failed"), "bad"),
        JobState::Interrupted(_) => (said("terputus", "interrupted"), "bad"),
        JobState::Registry(_) if job.dry_run => (said("uji coba selesai", "dry run done"), "ok"),
        JobState::Registry(_) => (said("ditulis", "written"), "ok"),
        JobState::Finished(summary) if summary.written => (said("ditulis", "written"), "ok"),
        JobState::Finished(_) if job.dry_run => (said("uji coba selesai", "dry run done"), "ok"),
        JobState::Finished(_) => (said("ditolak, tidak ditulis", "refused, not written"), "bad"),
    }
}

fn job_row(job: &Job) -> JobRow {
    let (state, tone) = state_text(job);
    JobRow {
        href: job_href(&job.id),
        file: job.file_name.clone(),
        program: what_text(job),
        desa: job.desa.map_or_else(|| "—".to_owned(), |desa| desa_text(Some(desa)).id),
        started_at: local_time(&job.started_at, job.desa),
        dry_run: job.dry_run,
        state,
        tone,
    }
}

/// What a job imports, as its list and page name it: the program, or the registry file.
pub(crate) fn what_text(job: &Job) -> String {
    match job.kind {
        JobKind::Recipients => job.program.clone(),
        JobKind::Population => "Data penduduk · Population".into(),
        JobKind::Desil => "Desil DTSEN · DTSEN desil".into(),
    }
}

/// The desas a kabupaten account picks from: those with families in the registry.
async fn registry_desas(state: &AppState) -> Vec<u64> {
    let store = state.store.clone();
    reply::blocking(move || store.registry_desas()).await.unwrap_or_default()
}

pub(super) async fn form_view(
    state: &AppState,
    user: &ConsoleUser,
    picked: (Option<u64>, &str, bool),
    error: Option<Text>,
) -> FormView {
    let pick_desa = user.staff.desa_code.is_none();
    let desas = if pick_desa { registry_desas(state).await } else { Vec::new() };
    FormView {
        may_import: may_import(user),
        may_load_registry: may_load_registry(user),
        registry_path: REGISTRY_PATH,
        registry_limit_mb: crate::http::REGISTRY_BODY_LIMIT / (1024 * 1024),
        registry_error: None,
        pick_desa,
        desas: desas
            .into_iter()
            .map(|code| Choice {
                value: code.to_string(),
                label: format!("{} ({code})", desa_text(Some(code)).id),
                selected: picked.0 == Some(code),
            })
            .collect(),
        programs: state
            .catalogue
            .programs()
            .iter()
            .map(|program| Choice {
                value: program.code.clone(),
                label: format!("{} · {}", program.code, program.name.id),
                selected: program.code == picked.1,
            })
            .collect(),
        dry_run: picked.2,
        error: error.map(Said::from),
        jobs: state
            .console
            .imports
            .recent(&user.staff, RECENT)
            .iter()
            .map(|job| job_row(job))
            .collect(),
        limit_mb: crate::console::session::UPLOAD_LIMIT / (1024 * 1024),
    }
}

/// The upload form and the latest jobs.
pub(crate) async fn form(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
) -> Response {
    reply::audit(&state, &user.actor(), "console_imports", "imports", "viewed");
    let view = form_view(&state, &user, (None, "", true), None).await;
    layout::render(&state, Some(&user), &PAGE, &view)
}

/// What the upload form posted.
#[derive(Default)]
struct Upload {
    program: String,
    desa: String,
    dry_run: bool,
    file_name: String,
    file: Vec<u8>,
}

async fn read_upload(mut form: Multipart) -> Result<Upload, Text> {
    let unreadable = || Text::new("Isian tidak dapat dibaca.", "The form could not be read.");
    let mut upload = Upload::default();
    while let Some(field) = form.next_field().await.map_err(|_| unreadable())? {
        match field.name().unwrap_or("") {
            "program" => upload.program = field.text().await.map_err(|_| unreadable())?,
            "desa" => upload.desa = field.text().await.map_err(|_| unreadable())?,
            "dry_run" => upload.dry_run = true,
            "file" => {
                upload.file_name = clean_name(field.file_name().unwrap_or(""));
                upload.file = field.bytes().await.map_err(|_| unreadable())?.to_vec();
            }
            _ => {}
        }
    }
    Ok(upload)
}

/// The file's own name as shown on the page: its last path segment, without control
/// characters, at most [`NAME_MAX`] characters. It is never used as a path.
pub(super) fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = last.chars().filter(|c| !c.is_control()).take(NAME_MAX).collect::<String>();
    if name.trim().is_empty() { "unggahan.csv".into() } else { name.trim().to_owned() }
}

/// Starts an import job from the upload form and shows it.
pub(crate) async fn start(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let upload = match form {
        Ok(form) => read_upload(form).await,
        Err(_) => Err(Text::new("Isian tidak dapat dibaca.", "The form could not be read.")),
    };
    let again = |upload: &Upload, status: StatusCode, why: Text| {
        let (state, user) = (state.clone(), user.clone());
        let desa = upload.desa.trim().parse().ok();
        let (program, dry_run) = (upload.program.clone(), upload.dry_run);
        async move {
            let view = form_view(&state, &user, (desa, &program, dry_run), Some(why)).await;
            let mut response = layout::render(&state, Some(&user), &PAGE, &view);
            *response.status_mut() = status;
            response
        }
    };
    let upload = match upload {
        Ok(upload) => upload,
        Err(why) => return again(&Upload::default(), StatusCode::BAD_REQUEST, why).await,
    };
    if !may_import(&user) {
        reply::audit(&state, &user.actor(), "console_import", "import", "forbidden");
        let why = Text::new("Auditor hanya membaca.", "Auditors only read.");
        return again(&upload, StatusCode::FORBIDDEN, why).await;
    }
    let desa = match (user.staff.desa_code, upload.desa.trim()) {
        (Some(own), "") => own,
        (_, text) => match text.parse::<u64>() {
            Ok(code) => code,
            Err(_) => {
                let why = Text::new("Pilih desa.", "Choose the desa.");
                return again(&upload, StatusCode::BAD_REQUEST, why).await;
            }
        },
    };
    if !user.staff.covers(desa) {
        // `admit` audits it as `forbidden` in the import's own shape; 404 as for any
        // other desa's data.
        let requester = Requester { actor: user.actor(), desa: user.staff.desa_code };
        let _ = admit(&state.store, &state.catalogue, &requester, &upload.program, desa);
        return reply::not_found(&state, Some(&user));
    }
    if upload.file.is_empty() {
        let why = Text::new("Pilih berkas CSV yang berisi data.", "Choose a CSV file with data.");
        return again(&upload, StatusCode::BAD_REQUEST, why).await;
    }
    let requester = Requester { actor: user.actor(), desa: user.staff.desa_code };
    let list = match admit(&state.store, &state.catalogue, &requester, &upload.program, desa) {
        Ok(list) => list,
        Err(error) => {
            let (status, why) = crate::http::import_failure(error).parts();
            return again(&upload, status, why).await;
        }
    };
    let new = NewJob {
        kind: JobKind::Recipients,
        desa: Some(desa),
        regency: None,
        program: list.program().to_owned(),
        dry_run: upload.dry_run,
        actor: user.actor(),
        file_name: upload.file_name.clone(),
    };
    let jobs: &Arc<Jobs> = &state.console.imports;
    match jobs.start(state.catalogue.clone(), list, new, &upload.file) {
        Ok(job) => {
            let subject = format!("job:{} {} {desa}", job.id, job.program);
            let outcome = if job.dry_run { "started_dry_run" } else { "started" };
            reply::audit(&state, &user.actor(), "console_import", &subject, outcome);
            reply::redirect(&job_href(&job.id))
        }
        Err(error) => {
            tracing::error!(%error, "console import not started");
            reply::failure(&state, Some(&user), crate::http::error::AppError::internal())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_their_last_segment_only() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\data\\blt.csv"), "blt.csv");
        assert_eq!(clean_name("a\u{0}b\nc.csv"), "abc.csv");
        assert_eq!(clean_name(""), "unggahan.csv");
        assert_eq!(clean_name(&"x".repeat(200)).len(), NAME_MAX);
    }
}
