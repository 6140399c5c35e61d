//! Running a job on the blocking pool: a recipient list through `Admitted::run`, a
//! population or desil file through `registry_import`, as the API and the CLI run them (the
//! same checks and audit entries). The row count is kept live in memory and written to the
//! store at most every [`PROGRESS_EVERY`], so a large file is not a write per row.

use std::fs;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use protocol::Text;

use super::jobs::{Job, JobKind, JobState, Jobs, NewJob, new_id, private_file};
use crate::eligibility::Catalogue;
use crate::import::{
    Admitted, ImportError, ImportOptions, ImportSummary, report_writer, write_row,
};
use crate::registry_import::{self, ImportReport, ImportRequest};

/// How often a running job's row count is written to the store.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// Where a registry file's import is held: the lock the API shares (one at a time), kept
/// until the job ends.
pub(crate) type RegistryGuard = tokio::sync::OwnedMutexGuard<()>;

/// A registry file's options, as the API takes them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RegistryOptions {
    pub desa: Option<u64>,
    pub regency: Option<u32>,
}

/// Writes the row count to the store when [`PROGRESS_EVERY`] has passed since last time.
struct Progress<'a> {
    jobs: &'a Jobs,
    job: &'a Job,
    last: std::sync::Mutex<Instant>,
}

impl Progress<'_> {
    fn rows(&self, done: u64) {
        self.job.done.store(done, Ordering::Relaxed);
        let Ok(mut last) = self.last.lock() else { return };
        if last.elapsed() >= PROGRESS_EVERY {
            *last = Instant::now();
            if let Err(error) = self.jobs.store.import_job_progress(&self.job.id, done) {
                tracing::warn!(%error, job = %self.job.id, "import progress not recorded");
            }
        }
    }
}

impl Jobs {
    /// Keeps `upload` as a new recipient job's file and starts the import of it.
    pub(crate) fn start(
        self: &Arc<Self>,
        catalogue: Arc<Catalogue>,
        list: Admitted,
        new: NewJob,
        upload: &[u8],
    ) -> Result<Arc<Job>, std::io::Error> {
        self.prune_uploads();
        let id = new_id();
        let mut file = private_file(&self.upload_path(&id))?;
        file.write_all(upload)?;
        file.sync_all()?;
        self.launch_list(catalogue, list, new, id)
    }

    /// A new job reading the file `of` was given: a dry run applied for real.
    pub(crate) fn rerun(
        self: &Arc<Self>,
        catalogue: Arc<Catalogue>,
        list: Admitted,
        new: NewJob,
        of: &str,
    ) -> Result<Arc<Job>, std::io::Error> {
        let id = self.copy_upload(of)?;
        self.launch_list(catalogue, list, new, id)
    }

    /// A new id whose upload is the file of job `of` (a hard link when it can be: a
    /// population file is hundreds of megabytes).
    pub(crate) fn copy_upload(&self, of: &str) -> Result<String, std::io::Error> {
        let id = new_id();
        let (from, to) = (self.upload_path(of), self.upload_path(&id));
        if fs::hard_link(&from, &to).is_err() {
            fs::copy(&from, &to)?;
        }
        Ok(id)
    }

    fn launch_list(
        self: &Arc<Self>,
        catalogue: Arc<Catalogue>,
        list: Admitted,
        new: NewJob,
        id: String,
    ) -> Result<Arc<Job>, std::io::Error> {
        let job = self.begin(Job::new(new, id)).map_err(std::io::Error::other)?;
        let (jobs, running) = (self.clone(), job.clone());
        tokio::task::spawn_blocking(move || {
            let next = match jobs.run_list(&catalogue, &list, &running) {
                Ok(summary) => JobState::Finished(summary),
                Err(message) => JobState::Failed(message),
            };
            jobs.end(&running, next);
        });
        Ok(job)
    }

    /// Starts the import of the registry file already at `upload_path(id)`, holding
    /// `guard` until it ends. Kept after a dry run (to apply it), removed after a real one.
    pub(crate) fn launch_registry(
        self: &Arc<Self>,
        new: NewJob,
        id: String,
        options: RegistryOptions,
        guard: RegistryGuard,
    ) -> Result<Arc<Job>, std::io::Error> {
        let job = self.begin(Job::new(new, id)).map_err(std::io::Error::other)?;
        let (jobs, running) = (self.clone(), job.clone());
        tokio::task::spawn_blocking(move || {
            let next = match jobs.run_registry(&running, options) {
                Ok(report) => JobState::Registry(report.response(Vec::new(), false)),
                Err(error) => {
                    tracing::error!(%error, job = %running.id, "console registry import failed");
                    JobState::Failed(error.message())
                }
            };
            if !running.dry_run {
                let _ = fs::remove_file(jobs.upload_path(&running.id));
            }
            jobs.end(&running, next);
            drop(guard);
        });
        Ok(job)
    }

    fn run_registry(
        &self,
        job: &Job,
        options: RegistryOptions,
    ) -> Result<ImportReport, registry_import::ImportError> {
        let request = ImportRequest {
            file: self.upload_path(&job.id),
            file_name: job.file_name.clone(),
            report: self.report_path(&job.id),
            actor: job.actor.clone(),
            desa: options.desa,
            regency: options.regency,
            dry_run: job.dry_run,
        };
        let progress = Progress { jobs: self, job, last: std::sync::Mutex::new(Instant::now()) };
        let tick = |step: registry_import::Progress| {
            if let registry_import::Progress::Reading(read) = step {
                progress.rows(read.rows);
            }
        };
        let report = match job.kind {
            JobKind::Desil => registry_import::import_desil(&self.store, &request, &tick),
            _ => registry_import::import_population(&self.store, &request, &tick),
        }?;
        job.done.store(report.summary.rows, Ordering::Relaxed);
        Ok(report)
    }

    fn run_list(
        &self,
        catalogue: &Catalogue,
        list: &Admitted,
        job: &Job,
    ) -> Result<ImportSummary, Text> {
        let failed = |what: &str, error: &dyn std::fmt::Display| {
            tracing::error!(%error, job = %job.id, what, "console import failed");
            Text::new(
                "Terjadi gangguan saat mengimpor; tidak ada yang ditulis.",
                "The import failed; nothing was written.",
            )
        };
        let input = fs::File::open(self.upload_path(&job.id))
            .map_err(|error| failed("open upload", &error))?;
        let part = self.dir.join(format!("{}.report.csv.part", job.id));
        let file = private_file(&part).map_err(|error| failed("create report", &error))?;
        let mut writer = report_writer(file).map_err(|error| failed("write report", &error))?;
        let options = ImportOptions {
            state: protocol::api::MembershipState::Proposed,
            since: time::OffsetDateTime::now_utc().date().to_string(),
            dry_run: job.dry_run,
        };
        let progress = Progress { jobs: self, job, last: std::sync::Mutex::new(Instant::now()) };
        let mut write_error = None;
        let result = list.run(
            &self.store,
            catalogue,
            &options,
            std::io::BufReader::new(input),
            |row| {
                if let Err(error) = write_row(&mut writer, row) {
                    write_error.get_or_insert(error);
                }
            },
            |done| progress.rows(done),
        );
        let finished = writer
            .into_inner()
            .map_err(|error| failed("write report", error.error()))
            .and_then(|mut file| file.flush().map_err(|error| failed("write report", &error)));
        if let Some(error) = write_error {
            return Err(failed("write report", &error));
        }
        finished?;
        fs::rename(&part, self.report_path(&job.id))
            .map_err(|error| failed("rename report", &error))?;
        result.map_err(|error| match error {
            ImportError::Store(error) => failed("store", &error),
            error => {
                let detail = error.to_string();
                Text::new(
                    format!("Berkas CSV tidak dapat dibaca: {detail}"),
                    format!("The CSV file cannot be read: {detail}"),
                )
            }
        })
    }
}
