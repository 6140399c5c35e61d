//! Recipient-list imports started from the console run in the background, one job each:
//! the uploaded file is kept in the jobs directory (the service's data directory, 0700),
//! the per-row report is written beside it as `<id>.report.csv.part` and renamed to
//! `<id>.report.csv` only when the import has ended, as the CLI writes its report, so a
//! report on disk is always whole. The registry of jobs (who started which, its progress)
//! is held in memory: after a restart the reports stay on disk but the pages forget them.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use protocol::Text;

use crate::eligibility::Catalogue;
use crate::import::{
    Admitted, ImportError, ImportOptions, ImportSummary, report_writer, write_row,
};
use crate::store::Store;

/// Jobs remembered; the oldest finished one is forgotten (its files removed) past this.
const KEPT: usize = 64;

/// How far a job is.
#[derive(Debug, Clone)]
pub(crate) enum JobState {
    Running,
    Finished(ImportSummary),
    /// The file as a whole was refused (no `nik` column, not CSV) or the store failed.
    Failed(Text),
}

/// One import run from the console.
#[derive(Debug)]
pub(crate) struct Job {
    /// 16 random hex digits: the job's address, not guessable.
    pub id: String,
    pub desa: u64,
    pub program: String,
    pub dry_run: bool,
    /// `console:<username>` of who started it.
    pub actor: String,
    /// The uploaded file's name as the browser gave it (shown escaped, never used as a path).
    pub file_name: String,
    /// RFC 3339 UTC.
    pub started_at: String,
    /// Rows done so far.
    pub done: AtomicU64,
    state: Mutex<JobState>,
}

impl Job {
    pub(crate) fn state(&self) -> JobState {
        self.state.lock().map(|state| state.clone()).unwrap_or(JobState::Running)
    }

    fn set(&self, next: JobState) {
        if let Ok(mut state) = self.state.lock() {
            *state = next;
        }
    }
}

/// The jobs of this process and the directory their files are in.
pub(crate) struct Jobs {
    dir: PathBuf,
    jobs: Mutex<Vec<Arc<Job>>>,
}

/// What a new job needs besides its file.
pub(crate) struct NewJob {
    pub desa: u64,
    pub program: String,
    pub dry_run: bool,
    pub actor: String,
    pub file_name: String,
}

impl Jobs {
    /// Jobs kept in `dir` (created 0700 when missing); `None`: a directory of this process
    /// under the system's temporary directory (tests, a router built without a data dir).
    pub(crate) fn new(dir: Option<PathBuf>) -> Jobs {
        let dir = dir.unwrap_or_else(|| {
            std::env::temp_dir().join(format!(
                "anjungan-imports-{}-{}",
                std::process::id(),
                new_id()
            ))
        });
        if let Err(error) = make_private_dir(&dir) {
            tracing::error!(%error, dir = %dir.display(), "import jobs directory not created");
        }
        Jobs { dir, jobs: Mutex::new(Vec::new()) }
    }

    pub(crate) fn upload_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.upload.csv"))
    }

    /// The finished report; it exists only once the job has ended.
    pub(crate) fn report_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.report.csv"))
    }

    /// The job `id`, if this process ran it.
    pub(crate) fn get(&self, id: &str) -> Option<Arc<Job>> {
        let jobs = self.jobs.lock().ok()?;
        jobs.iter().find(|job| job.id == id).cloned()
    }

    /// The latest jobs, newest first, that `covers` lets the account see.
    pub(crate) fn recent(&self, covers: impl Fn(u64) -> bool, count: usize) -> Vec<Arc<Job>> {
        let Ok(jobs) = self.jobs.lock() else { return Vec::new() };
        jobs.iter().rev().filter(|job| covers(job.desa)).take(count).cloned().collect()
    }

    /// Keeps `upload` as a new job's file and starts the import of it on the blocking pool.
    pub(crate) fn start(
        self: &Arc<Self>,
        store: Store,
        catalogue: Arc<Catalogue>,
        list: Admitted,
        new: NewJob,
        upload: &[u8],
    ) -> Result<Arc<Job>, std::io::Error> {
        let id = new_id();
        write_private(&self.upload_path(&id), upload)?;
        self.launch(store, catalogue, list, new, id)
    }

    /// A new job reading the file `of` was given: a dry run applied for real.
    pub(crate) fn rerun(
        self: &Arc<Self>,
        store: Store,
        catalogue: Arc<Catalogue>,
        list: Admitted,
        new: NewJob,
        of: &str,
    ) -> Result<Arc<Job>, std::io::Error> {
        let id = new_id();
        fs::copy(self.upload_path(of), self.upload_path(&id))?;
        self.launch(store, catalogue, list, new, id)
    }

    fn launch(
        self: &Arc<Self>,
        store: Store,
        catalogue: Arc<Catalogue>,
        list: Admitted,
        new: NewJob,
        id: String,
    ) -> Result<Arc<Job>, std::io::Error> {
        let job = Arc::new(Job {
            id,
            desa: new.desa,
            program: new.program,
            dry_run: new.dry_run,
            actor: new.actor,
            file_name: new.file_name,
            started_at: crate::http::now(),
            done: AtomicU64::new(0),
            state: Mutex::new(JobState::Running),
        });
        self.remember(job.clone());
        let (jobs, running) = (self.clone(), job.clone());
        tokio::task::spawn_blocking(move || {
            let next = match jobs.run(&store, &catalogue, &list, &running) {
                Ok(summary) => JobState::Finished(summary),
                Err(message) => JobState::Failed(message),
            };
            running.set(next);
        });
        Ok(job)
    }

    fn remember(&self, job: Arc<Job>) {
        let Ok(mut jobs) = self.jobs.lock() else { return };
        jobs.push(job);
        while jobs.len() > KEPT {
            let Some(at) = jobs.iter().position(|job| !matches!(job.state(), JobState::Running))
            else {
                break;
            };
            let old = jobs.remove(at);
            let _ = fs::remove_file(self.upload_path(&old.id));
            let _ = fs::remove_file(self.report_path(&old.id));
        }
    }

    fn run(
        &self,
        store: &Store,
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
        let mut write_error = None;
        let result = list.run(
            store,
            catalogue,
            &options,
            std::io::BufReader::new(input),
            |row| {
                if let Err(error) = write_row(&mut writer, row) {
                    write_error.get_or_insert(error);
                }
            },
            |done| job.done.store(done, Ordering::Relaxed),
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

/// Whether `text` could be a job id (checked before any lookup).
pub(crate) fn valid_id(text: &str) -> bool {
    text.len() == 16 && text.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn new_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

fn private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = private_file(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sixteen_lowercase_hex_digits() {
        let id = new_id();
        assert!(valid_id(&id), "{id}");
        assert!(!valid_id("../../etc/passwd"));
        assert!(!valid_id(&id.to_uppercase()));
        assert!(!valid_id(&id[..15]));
    }
}
