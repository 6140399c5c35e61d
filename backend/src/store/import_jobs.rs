//! The console's import jobs (migration 0023): one row per job, written when it starts, as
//! it progresses and when it ends, so the job list and job pages survive a restart. What a
//! job counted is kept as its kind's own JSON; this module does not read it.

use super::sql::{Db, Row, params};
use super::{Store, StoreError};

/// A job as the table holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportJobRecord {
    pub id: String,
    /// `recipients`, `population` or `desil`.
    pub kind: String,
    pub desa: Option<u64>,
    pub regency: Option<u32>,
    pub program: Option<String>,
    pub dry_run: bool,
    /// `running`, `finished`, `failed` or `interrupted`.
    pub state: String,
    pub rows_done: u64,
    pub summary: Option<String>,
    /// Why it failed, Indonesian and English.
    pub error: Option<(String, String)>,
    pub started_by: String,
    pub file_name: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub report: Option<String>,
}

/// How a job ended.
#[derive(Debug, Clone)]
pub struct ImportJobEnd<'a> {
    pub state: &'a str,
    pub rows_done: u64,
    pub summary: Option<&'a str>,
    pub error: Option<(&'a str, &'a str)>,
    pub finished_at: &'a str,
    pub report: Option<&'a str>,
}

const COLUMNS: &str = "id, kind, desa_code, program, dry_run, state, rows_done, summary, \
                       error_id, error_en, started_by, file_name, started_at, finished_at, report, \
                       regency";

fn record(row: &mut Row) -> Result<ImportJobRecord, StoreError> {
    let error_id: Option<String> = row.get(8)?;
    let error_en: Option<String> = row.get(9)?;
    Ok(ImportJobRecord {
        id: row.get(0)?,
        kind: row.get(1)?,
        desa: row.get(2)?,
        program: row.get(3)?,
        dry_run: row.get(4)?,
        state: row.get(5)?,
        rows_done: row.get(6)?,
        summary: row.get(7)?,
        error: error_id.zip(error_en),
        started_by: row.get(10)?,
        file_name: row.get(11)?,
        started_at: row.get(12)?,
        finished_at: row.get(13)?,
        report: row.get(14)?,
        regency: row.get(15)?,
    })
}

impl Store {
    /// Records a job that has just started (state `running`).
    pub fn insert_import_job(&self, job: &ImportJobRecord) -> Result<(), StoreError> {
        self.write(|db| {
            db.execute(
                "INSERT INTO import_jobs (id, kind, desa_code, program, dry_run, state, rows_done,
                     started_by, file_name, started_at, regency)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'running', 0, ?6, ?7, ?8, ?9)",
                params![
                    job.id,
                    job.kind,
                    job.desa,
                    job.program,
                    job.dry_run,
                    job.started_by,
                    job.file_name,
                    job.started_at,
                    job.regency
                ],
            )?;
            Ok(())
        })
    }

    /// A running job's rows so far (written every few seconds, not per row).
    pub fn import_job_progress(&self, id: &str, rows_done: u64) -> Result<(), StoreError> {
        self.write(|db| {
            db.execute(
                "UPDATE import_jobs SET rows_done = ?1 WHERE id = ?2 AND state = 'running'",
                params![rows_done, id],
            )?;
            Ok(())
        })
    }

    /// A job's end: finished, failed or interrupted, with its counts or its reason.
    pub fn finish_import_job(&self, id: &str, end: &ImportJobEnd<'_>) -> Result<(), StoreError> {
        let (error_id, error_en) = end.error.unzip();
        self.write(|db| {
            db.execute(
                "UPDATE import_jobs SET state = ?1, rows_done = ?2, summary = ?3, error_id = ?4,
                     error_en = ?5, finished_at = ?6, report = ?7
                 WHERE id = ?8",
                params![
                    end.state,
                    end.rows_done,
                    end.summary,
                    error_id,
                    error_en,
                    end.finished_at,
                    end.report,
                    id
                ],
            )?;
            Ok(())
        })
    }

    /// The job `id`, if any.
    pub fn import_job(&self, id: &str) -> Result<Option<ImportJobRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM import_jobs WHERE id = ?1");
        let row = self.pool.get()?.query_opt(&sql, params![id])?;
        row.map(|mut row| record(&mut row)).transpose()
    }

    /// The latest jobs, newest first: a desa's recipient lists (`desa` given) or every job
    /// (a kabupaten account).
    pub fn recent_import_jobs(
        &self,
        desa: Option<u64>,
        count: u32,
    ) -> Result<Vec<ImportJobRecord>, StoreError> {
        let rows = match desa {
            Some(desa) => self.pool.get()?.query(
                &format!(
                    "SELECT {COLUMNS} FROM import_jobs WHERE kind = 'recipients' AND desa_code = ?1
                     ORDER BY started_at DESC, id LIMIT ?2"
                ),
                params![desa, count],
            )?,
            None => self.pool.get()?.query(
                &format!("SELECT {COLUMNS} FROM import_jobs ORDER BY started_at DESC, id LIMIT ?1"),
                params![count],
            )?,
        };
        rows.into_iter().map(|mut row| record(&mut row)).collect()
    }

    /// At start-up: every job still `running` was cut off by the end of the process that
    /// ran it; it becomes `interrupted` with `why`. Returns how many.
    pub fn interrupt_import_jobs(
        &self,
        why: (&str, &str),
        finished_at: &str,
    ) -> Result<u64, StoreError> {
        self.write(|db| {
            db.execute(
                "UPDATE import_jobs SET state = 'interrupted', error_id = ?1, error_en = ?2,
                     finished_at = ?3
                 WHERE state = 'running'",
                params![why.0, why.1, finished_at],
            )
        })
    }
}
