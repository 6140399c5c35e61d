//! Imports started from the console run in the background, one job each: recipient lists,
//! and a kabupaten's population and desil files ([`JobKind`]). Every job is a row of the
//! `import_jobs` table (migration 0023), written when it starts, every few seconds as it
//! reads, and when it ends, so the list and the job pages read the store and a restart
//! forgets nothing; the jobs running in this process are also held in memory for their
//! live row count. The uploaded file is kept in the jobs directory (the service's data
//! directory, 0700) as `<id>.upload.csv`, the per-row report beside it, written under a
//! temporary name and renamed only when the import has ended, so a report on disk is always
//! whole. A job found `running` when the service starts was cut off with the process that
//! ran it: it becomes `interrupted` (an import is one transaction: nothing was written).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use protocol::Text;
use protocol::registry::RegistryImportResponse;

use crate::import::ImportSummary;
use crate::store::{ImportJobEnd, ImportJobRecord, StaffRecord, Store};

/// What a job imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobKind {
    /// A desa's recipient list for a program.
    Recipients,
    /// A kabupaten's population file (OpenSID or SIAK).
    Population,
    /// A DTSEN desil file.
    Desil,
}

impl JobKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            JobKind::Recipients => "recipients",
            JobKind::Population => "population",
            JobKind::Desil => "desil",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<JobKind> {
        match text {
            "recipients" => Some(JobKind::Recipients),
            "population" => Some(JobKind::Population),
            "desil" => Some(JobKind::Desil),
            _ => None,
        }
    }

    /// The registry's files, which only kabupaten operators load.
    pub(crate) fn is_registry(self) -> bool {
        self != JobKind::Recipients
    }
}

/// How far a job is.
#[derive(Debug, Clone)]
pub(crate) enum JobState {
    Running,
    /// A recipient list's counts.
    Finished(ImportSummary),
    /// A population or desil file's counts (its report rows left out).
    Registry(RegistryImportResponse),
    /// The file as a whole was refused (no `nik` column, not CSV) or the store failed.
    Failed(Text),
    /// Cut off by the end of the process that ran it; nothing was written.
    Interrupted(Text),
}

impl JobState {
    /// The state's name as the table and the API give it.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Finished(_) | JobState::Registry(_) => "finished",
            JobState::Failed(_) => "failed",
            JobState::Interrupted(_) => "interrupted",
        }
    }

    pub(crate) fn finished(&self) -> bool {
        matches!(self, JobState::Finished(_) | JobState::Registry(_))
    }
}

/// What a job is cut off with when the service starts again.
pub(crate) fn interrupted_text() -> Text {
    Text::new(
        "Impor terputus karena layanan berhenti. Tidak ada yang diubah (impor ditulis dalam \
         satu transaksi); jalankan lagi.",
        "The import was cut off when the service stopped. Nothing was changed (an import is \
         written in one transaction); run it again.",
    )
}

/// One import run from the console.
#[derive(Debug)]
pub(crate) struct Job {
    /// 16 random hex digits: the job's address, not guessable.
    pub id: String,
    pub kind: JobKind,
    /// A recipient list's desa; a registry file's desa option.
    pub desa: Option<u64>,
    /// A population file's regency option.
    pub regency: Option<u32>,
    /// A recipient list's program; empty for registry files.
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

    pub(crate) fn set(&self, next: JobState) {
        if let Ok(mut state) = self.state.lock() {
            *state = next;
        }
    }

    /// Whether `staff` may see this job: registry files only kabupaten accounts, a
    /// recipient list the accounts whose desa covers its desa.
    pub(crate) fn visible_to(&self, staff: &StaffRecord) -> bool {
        match self.kind {
            JobKind::Recipients => self.desa.is_some_and(|desa| staff.covers(desa)),
            _ => staff.desa_code.is_none(),
        }
    }

    pub(crate) fn new(new: NewJob, id: String) -> Job {
        Job {
            id,
            kind: new.kind,
            desa: new.desa,
            regency: new.regency,
            program: new.program,
            dry_run: new.dry_run,
            actor: new.actor,
            file_name: new.file_name,
            started_at: crate::http::now(),
            done: AtomicU64::new(0),
            state: Mutex::new(JobState::Running),
        }
    }

    fn from_record(record: ImportJobRecord) -> Option<Job> {
        let kind = JobKind::parse(&record.kind)?;
        let error = || {
            let (id, en) = record.error.clone().unwrap_or_default();
            Text::new(id, en)
        };
        let summary = record.summary.as_deref().unwrap_or("");
        let state = match (record.state.as_str(), kind) {
            ("running", _) => JobState::Running,
            ("finished", JobKind::Recipients) => {
                JobState::Finished(serde_json::from_str(summary).ok()?)
            }
            ("finished", _) => JobState::Registry(serde_json::from_str(summary).ok()?),
            ("interrupted", _) => JobState::Interrupted(error()),
            _ => JobState::Failed(error()),
        };
        Some(Job {
            id: record.id,
            kind,
            desa: record.desa,
            regency: record.regency,
            program: record.program.unwrap_or_default(),
            dry_run: record.dry_run,
            actor: record.started_by,
            file_name: record.file_name,
            started_at: record.started_at,
            done: AtomicU64::new(record.rows_done),
            state: Mutex::new(state),
        })
    }
}

/// What a new job needs besides its file.
pub(crate) struct NewJob {
    pub kind: JobKind,
    pub desa: Option<u64>,
    pub regency: Option<u32>,
    pub program: String,
    pub dry_run: bool,
    pub actor: String,
    pub file_name: String,
}

/// The jobs' directory, the store that records them, and those running in this process.
pub(crate) struct Jobs {
    pub(super) dir: PathBuf,
    pub(super) store: Store,
    pub(super) running: Mutex<Vec<Arc<Job>>>,
    /// Who has seen which job in which state (see `job::audit_view`).
    pub(super) seen: Mutex<std::collections::HashMap<(String, String), &'static str>>,
}

impl Jobs {
    /// Jobs kept in `dir` (created 0700 when missing); `None`: a directory of this process
    /// under the system's temporary directory (tests, a router built without a data dir).
    /// Jobs the store still holds as running were cut off: they are marked interrupted.
    pub(crate) fn new(dir: Option<PathBuf>, store: Store) -> Jobs {
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
        let why = interrupted_text();
        match store.interrupt_import_jobs((why.id.as_str(), why.en.as_str()), &crate::http::now()) {
            Ok(0) => {}
            Ok(count) => tracing::warn!(count, "import jobs cut off by a restart: interrupted"),
            Err(error) => tracing::error!(%error, "running import jobs not marked interrupted"),
        }
        let jobs = Jobs { dir, store, running: Mutex::new(Vec::new()), seen: Mutex::default() };
        jobs.prune_uploads();
        jobs
    }

    pub(crate) fn upload_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.upload.csv"))
    }

    /// The finished report; it exists only once the job has ended.
    pub(crate) fn report_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.report.csv"))
    }

    /// The job `id`: the live one if this process runs it, else as the store holds it.
    pub(crate) fn get(&self, id: &str) -> Option<Arc<Job>> {
        if let Some(job) = self.running.lock().ok()?.iter().find(|job| job.id == id) {
            return Some(job.clone());
        }
        match self.store.import_job(id) {
            Ok(record) => record.and_then(Job::from_record).map(Arc::new),
            Err(error) => {
                tracing::error!(%error, "import job not read");
                None
            }
        }
    }

    /// The latest jobs `staff` may see, newest first.
    pub(crate) fn recent(&self, staff: &StaffRecord, count: u32) -> Vec<Arc<Job>> {
        let records = match self.store.recent_import_jobs(staff.desa_code, count) {
            Ok(records) => records,
            Err(error) => {
                tracing::error!(%error, "import jobs not read");
                return Vec::new();
            }
        };
        records
            .into_iter()
            .filter_map(Job::from_record)
            .map(|job| self.live(job))
            .filter(|job| job.visible_to(staff))
            .collect()
    }

    /// The live job of this process in place of its stored row, for its row count.
    fn live(&self, job: Job) -> Arc<Job> {
        let running = self.running.lock().ok();
        running
            .and_then(|running| running.iter().find(|live| live.id == job.id).cloned())
            .unwrap_or_else(|| Arc::new(job))
    }

    /// Records a new job in the store and holds it as running.
    pub(super) fn begin(&self, job: Job) -> Result<Arc<Job>, crate::store::StoreError> {
        self.store.insert_import_job(&ImportJobRecord {
            id: job.id.clone(),
            kind: job.kind.as_str().into(),
            desa: job.desa,
            regency: job.regency,
            program: (!job.program.is_empty()).then(|| job.program.clone()),
            dry_run: job.dry_run,
            state: "running".into(),
            rows_done: 0,
            summary: None,
            error: None,
            started_by: job.actor.clone(),
            file_name: job.file_name.clone(),
            started_at: job.started_at.clone(),
            finished_at: None,
            report: None,
        })?;
        let job = Arc::new(job);
        if let Ok(mut running) = self.running.lock() {
            running.push(job.clone());
        }
        Ok(job)
    }

    /// A job's end: recorded in the store first, then no longer held as running.
    pub(super) fn end(&self, job: &Job, next: JobState) {
        let summary = match &next {
            JobState::Finished(summary) => serde_json::to_string(summary).ok(),
            JobState::Registry(summary) => serde_json::to_string(summary).ok(),
            _ => None,
        };
        let error = match &next {
            JobState::Failed(why) | JobState::Interrupted(why) => Some(why.clone()),
            _ => None,
        };
        let report = self.report_path(&job.id);
        let report = report.to_str().filter(|_| next.finished());
        let rows_done = job.done.load(std::sync::atomic::Ordering::Relaxed);
        let end = ImportJobEnd {
            state: next.label(),
            rows_done,
            summary: summary.as_deref(),
            error: error.as_ref().map(|why| (why.id.as_str(), why.en.as_str())),
            finished_at: &crate::http::now(),
            report,
        };
        if let Err(error) = self.store.finish_import_job(&job.id, &end) {
            tracing::error!(%error, job = %job.id, "import job's end not recorded");
        }
        job.set(next);
        if let Ok(mut running) = self.running.lock() {
            running.retain(|live| live.id != job.id);
        }
    }
}

/// Whether `text` could be a job id (checked before any lookup).
pub(crate) fn valid_id(text: &str) -> bool {
    text.len() == 16 && text.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

pub(super) fn new_id() -> String {
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

/// A new file only the service's user reads (0600).
pub(super) fn private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)
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

    #[test]
    fn kinds_read_back() {
        for kind in [JobKind::Recipients, JobKind::Population, JobKind::Desil] {
            assert_eq!(JobKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(JobKind::parse("other"), None);
    }
}
