//! A finished dry run applied for real, as a new job with the same file: the job page's
//! button and `POST /api/v1/staff/import-jobs/{id}/apply` both go through [`reapply`], so
//! they check, refuse and audit alike.

use std::sync::Arc;

use axum::extract::{Extension, Path, State};
use axum::response::Response;
use protocol::Text;
use protocol::api::ErrorCode;

use super::job::{applicable, job_of, may_apply};
use super::run::RegistryOptions;
use super::{Job, JobKind, NewJob, job_href};
use crate::console::reply;
use crate::console::session::ConsoleUser;
use crate::http::AppState;
use crate::http::error::AppError;
use crate::import::{Requester, admit};
use crate::store::StaffRecord;

/// Why a dry run was not applied.
pub(crate) enum NotApplied {
    /// An auditor, or a desa account for a registry file.
    Forbidden,
    /// Not a finished dry run that would write (or its file is gone).
    NotApplicable,
    /// Another registry import holds the lock.
    Busy,
    Failed(AppError),
}

impl NotApplied {
    /// The outcome the audit log gives it.
    fn outcome(&self) -> &'static str {
        match self {
            NotApplied::Forbidden => "forbidden",
            NotApplied::NotApplicable => "not_applicable",
            NotApplied::Busy => "busy",
            NotApplied::Failed(_) => "failed",
        }
    }

    pub(crate) fn into_error(self) -> AppError {
        match self {
            NotApplied::Forbidden => AppError::forbidden(Text::new(
                "Akun ini tidak dapat menerapkan impor ini.",
                "This account cannot apply this import.",
            )),
            NotApplied::NotApplicable => AppError::conflict(
                ErrorCode::StepNotAllowed,
                Text::new(
                    "Hanya uji coba yang selesai tanpa baris rusak atau ganda yang dapat diterapkan.",
                    "Only a finished dry run without malformed or duplicated rows can be applied.",
                ),
            ),
            NotApplied::Busy => AppError::conflict(
                ErrorCode::ImportRunning,
                Text::new(
                    "Impor lain sedang berjalan. Coba lagi setelah selesai.",
                    "Another import is running. Try again when it has finished.",
                ),
            ),
            NotApplied::Failed(error) => error,
        }
    }
}

/// A finished dry run run again for real by `actor` (`console:`/`staff:<username>`), as a
/// new job with the same file; the console's button and the API's route. Audited
/// (`import_apply`, the dry run's job, the new job or why not).
pub(crate) fn reapply(
    state: &AppState,
    staff: &StaffRecord,
    actor: &str,
    job: &Job,
) -> Result<Arc<Job>, NotApplied> {
    let subject = format!("job:{}", job.id);
    let result = reapply_unaudited(state, staff, actor, job);
    let outcome = match &result {
        Ok(next) => format!("started job:{}", next.id),
        Err(why) => why.outcome().to_owned(),
    };
    reply::audit(state, actor, "import_apply", &subject, &outcome);
    result
}

fn reapply_unaudited(
    state: &AppState,
    staff: &StaffRecord,
    actor: &str,
    job: &Job,
) -> Result<Arc<Job>, NotApplied> {
    if !may_apply(staff, job) {
        return Err(NotApplied::Forbidden);
    }
    if !applicable(state, job, &job.state()) {
        return Err(NotApplied::NotApplicable);
    }
    let new = NewJob {
        kind: job.kind,
        desa: job.desa,
        regency: job.regency,
        program: job.program.clone(),
        dry_run: false,
        actor: actor.to_owned(),
        file_name: job.file_name.clone(),
    };
    let jobs = state.console.imports.clone();
    let started = if job.kind == JobKind::Recipients {
        let requester = Requester { actor: actor.to_owned(), desa: staff.desa_code };
        let desa = job.desa.unwrap_or_default();
        let list = admit(&state.store, &state.catalogue, &requester, &job.program, desa)
            .map_err(|error| NotApplied::Failed(crate::http::import_failure(error)))?;
        jobs.rerun(state.catalogue.clone(), list, new, &job.id)
    } else {
        let guard = state.registry_lock.clone().try_lock_owned().map_err(|_| NotApplied::Busy)?;
        let options = RegistryOptions { desa: job.desa, regency: job.regency };
        jobs.copy_upload(&job.id).and_then(|id| jobs.launch_registry(new, id, options, guard))
    };
    started.map_err(|error| {
        tracing::error!(%error, "import not applied");
        NotApplied::Failed(AppError::internal())
    })
}

/// The console's "apply for real" button.
pub(crate) async fn apply(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(id): Path<String>,
) -> Response {
    let Some(job) = job_of(&state, &user, &id) else {
        reply::audit(&state, &user.actor(), "import_apply", "job", "not_found");
        return reply::not_found(&state, Some(&user));
    };
    match reapply(&state, &user.staff, &user.actor(), &job) {
        Ok(next) => reply::redirect(&job_href(&next.id)),
        Err(why) => reply::failure(&state, Some(&user), why.into_error()),
    }
}
