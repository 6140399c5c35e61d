//! Loading a kabupaten's population file or a DTSEN desil file into the registry: `backend
//! registry import FILE`, `backend registry desil FILE`, and the same on the staff API for
//! kabupaten operators, all through [`import_population`] and [`import_desil`].
//!
//! The file is read on a thread of its own (`population::read`, one pass, memory flat
//! whatever the file's size) while the store stages what it hands over in temporary tables,
//! then writes the registry in one transaction (`Store::import_population`): a power cut or
//! any failure leaves the registry as it was.
//!
//! Every rejected row and every change is written to a per-row report, first under a
//! temporary name, renamed only once the transaction is committed, so a report on disk
//! always describes what the registry holds. Every import is audited in one shape: action
//! `registry_import` or `desil_import`, subject the file name and the start of its SHA-256,
//! outcome the counts, `dry_run` or `failed`.

mod feed;
mod report;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use protocol::{Nik, NoKk, Text};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::population::read::{
    self, FileSummary, ReadError, ReadOptions, ReadProgress, UnfitFamily, Verdict,
};
use crate::store::{
    AuditEntry, DesilOutcome, ImportCounts, ImportKind, ImportMeta, PopulationOutcome,
    PopulationWriter, Store, StoreError,
};
use feed::Feed;
pub use report::{ReportCounts, ReportWriter};

/// What to import and for whom.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub file: PathBuf,
    /// The name the report and the audit log give the file (an upload's temporary file has
    /// none worth showing).
    pub file_name: String,
    /// Where the per-row report goes (CSV).
    pub report: PathBuf,
    /// As the audit log names the requester: `cli:<user>`, `staff:<username>`.
    pub actor: String,
    /// The desa of every row, for a file without a desa column (OpenSID exports one desa).
    pub desa: Option<u64>,
    /// The kabupaten the rows must lie in (SIAK's desa names are looked up in it).
    pub regency: Option<u32>,
    /// Read, check and compute every change, then roll back: the report shows what would
    /// happen, and nothing changes.
    pub dry_run: bool,
}

/// Where a long import is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The file is being read, checked and staged.
    Reading(ReadProgress),
    /// Every row is read; the staged rows are being merged into the registry.
    Merging,
}

impl Progress {
    /// What the bar says, Indonesian first.
    pub fn label(&self) -> &'static str {
        match self {
            Progress::Reading(_) => "membaca dan memeriksa baris / reading and checking rows",
            Progress::Merging => "menyimpan ke registri / writing the registry",
        }
    }
}

/// What an import did, as the CLI prints it and the API answers it.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub id: String,
    pub summary: FileSummary,
    pub counts: ReportCounts,
    pub dry_run: bool,
    pub report: PathBuf,
    /// Population imports: residents new, updated, unchanged; families new; memberships
    /// ended. Desil imports: families matched and changed.
    pub written: Written,
}

impl ImportReport {
    /// The report as the API answers it, with `rows` of its per-row report (`truncated`:
    /// more were left out); the console's jobs keep it without rows.
    pub fn response(
        &self,
        rows: Vec<protocol::registry::RegistryReportRow>,
        truncated: bool,
    ) -> protocol::registry::RegistryImportResponse {
        let (inserted, updated, families_new, memberships_ended) = match self.written {
            Written::Population { inserted, updated, families_new, memberships_ended, .. } => {
                (inserted, updated, families_new, memberships_ended)
            }
            Written::Desil { matched, changed } => (matched, changed, 0, 0),
        };
        protocol::registry::RegistryImportResponse {
            id: self.id.clone(),
            layout: self.summary.layout.as_str().to_owned(),
            rows: self.summary.rows,
            accepted: self.summary.accepted,
            rejected: self.summary.rejected,
            changed: self.counts.changed,
            inserted,
            updated,
            families_new,
            memberships_ended,
            unmatched: self.counts.unmatched,
            dry_run: self.dry_run,
            report: rows,
            report_truncated: truncated,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    Population {
        inserted: u64,
        updated: u64,
        unchanged: u64,
        families_new: u64,
        memberships_ended: u64,
    },
    Desil {
        matched: u64,
        changed: u64,
    },
}

/// Why an import did not happen. Nothing of it was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}", .0.message().en)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("report {path}: {source}")]
    Report { path: PathBuf, source: std::io::Error },
    #[error("the file reader stopped unexpectedly")]
    ReaderPanicked,
    #[error("the file reader could not start: {0}")]
    Thread(std::io::Error),
}

impl ImportError {
    /// The message for the person who ran the import, in both languages. Store failures
    /// say only that the registry could not be written; the detail goes to the log.
    pub fn message(&self) -> Text {
        match self {
            ImportError::Read(error) => error.message(),
            ImportError::Store(_) | ImportError::ReaderPanicked | ImportError::Thread(_) => {
                Text::new(
                    "Registri tidak dapat ditulis; tidak ada yang berubah. Lihat log layanan.",
                    "The registry could not be written; nothing changed. See the service log.",
                )
            }
            ImportError::Report { path, .. } => Text::new(
                format!("Laporan {} tidak dapat ditulis; tidak ada yang berubah.", path.display()),
                format!("The report {} could not be written; nothing changed.", path.display()),
            ),
        }
    }
}

/// Imports a population file: every accepted row is upserted by NIK, every change recorded
/// as history, every rejected row reported with its reason.
pub fn import_population(
    store: &Store,
    request: &ImportRequest,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ImportReport, ImportError> {
    let meta = meta(ImportKind::Population, request);
    let mut report = ReportWriter::create(&request.report, &meta.id)
        .map_err(|source| report_error(&request.report, source))?;
    let reading = |p: ReadProgress| progress(Progress::Reading(p));
    let options = ReadOptions { desa: request.desa, regency: request.regency, progress: &reading };
    let result = std::thread::scope(|scope| {
        let feed = Feed::start(scope, |sink| read::read_population(&request.file, &options, sink));
        store.import_population(&meta, |writer| {
            let summary = feed.drain(|verdict| match verdict {
                Verdict::Accepted(record) => Ok(writer.push(&record)?),
                Verdict::Rejected(rejection) => report
                    .rejected(&rejection)
                    .map_err(|source| report_error(&request.report, source)),
            })?;
            take_back_unfit(writer, &summary, &mut report, &request.report)?;
            progress(Progress::Merging);
            report.summary = Some(summary.clone());
            Ok::<ImportCounts, ImportError>(counts(&summary))
        })
    });
    let outcome: PopulationOutcome = match result {
        Ok(outcome) => outcome,
        Err(error) => return Err(failed(store, &meta, report, error)),
    };
    let written = Written::Population {
        inserted: outcome.inserted,
        updated: outcome.updated,
        unchanged: outcome.unchanged,
        families_new: outcome.families_new,
        memberships_ended: outcome.memberships_ended,
    };
    finish(store, &meta, request, report, &outcome.changes, written)
}

/// Imports a DTSEN desil file: each row's desil is given to the family it names, by KK or by
/// any member's NIK; rows that match no family, or contradict another row, are reported.
pub fn import_desil(
    store: &Store,
    request: &ImportRequest,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ImportReport, ImportError> {
    let meta = meta(ImportKind::Desil, request);
    let mut report = ReportWriter::create(&request.report, &meta.id)
        .map_err(|source| report_error(&request.report, source))?;
    let reading = |p: ReadProgress| progress(Progress::Reading(p));
    let result = std::thread::scope(|scope| {
        let feed = Feed::start(scope, |sink| read::read_desil(&request.file, &reading, sink));
        store.import_desil(&meta, |writer| {
            let summary = feed.drain(|row| match row {
                Ok(record) => Ok(writer.push(&record)?),
                Err(rejection) => report
                    .rejected(&rejection)
                    .map_err(|source| report_error(&request.report, source)),
            })?;
            progress(Progress::Merging);
            report.summary = Some(summary.clone());
            Ok::<ImportCounts, ImportError>(counts(&summary))
        })
    });
    let outcome: DesilOutcome = match result {
        Ok(outcome) => outcome,
        Err(error) => return Err(failed(store, &meta, report, error)),
    };
    for (line, miss) in &outcome.unmatched {
        report.unmatched(*line, miss).map_err(|source| report_error(&request.report, source))?;
    }
    let written = Written::Desil { matched: outcome.matched, changed: outcome.changed };
    finish(store, &meta, request, report, &outcome.changes, written)
}

/// Takes the rows of the families the reader refused at the end of the file (no head, or
/// several) back out of the import, and reports each after the others, in line order.
fn take_back_unfit(
    writer: &mut PopulationWriter<'_>,
    summary: &FileSummary,
    report: &mut ReportWriter,
    path: &Path,
) -> Result<(), ImportError> {
    if summary.unfit.is_empty() {
        return Ok(());
    }
    let families: HashMap<&str, &UnfitFamily> =
        summary.unfit.iter().map(|family| (family.kk.as_str(), family)).collect();
    let kks: Vec<NoKk> = summary.unfit.iter().map(|family| family.kk).collect();
    writer.withdraw(&kks, &mut |line, nik, kk| {
        let (Some(family), Ok(nik)) = (families.get(kk), Nik::parse(nik)) else {
            return Err(ImportError::Store(StoreError::Corrupt(format!(
                "line {line} was taken back for a family not refused"
            ))));
        };
        report.rejected(&family.rejection(line, &nik)).map_err(|source| report_error(path, source))
    })?;
    Ok(())
}

fn meta(kind: ImportKind, request: &ImportRequest) -> ImportMeta {
    let now = OffsetDateTime::now_utc();
    let at = now.format(&Rfc3339).unwrap_or_default();
    let stamp: String = at.chars().filter(char::is_ascii_digit).take(14).collect();
    let tag = match kind {
        ImportKind::Population => "pop",
        ImportKind::Desil => "desil",
    };
    ImportMeta {
        id: format!("{tag}-{stamp}-{:06x}", rand::random::<u32>() & 0xff_ffff),
        kind,
        at,
        actor: request.actor.clone(),
        file_name: request.file_name.clone(),
        // Filled in from the reader's summary by the store before the import is recorded.
        sha256: String::new(),
        layout: String::new(),
        dry_run: request.dry_run,
    }
}

fn counts(summary: &FileSummary) -> ImportCounts {
    ImportCounts {
        rows_read: summary.rows,
        accepted: summary.accepted,
        rejected: summary.rejected,
        sha256: summary.sha256.clone(),
        layout: summary.layout.as_str().to_owned(),
    }
}

fn report_error(path: &Path, source: std::io::Error) -> ImportError {
    ImportError::Report { path: path.to_path_buf(), source }
}

/// The import failed and wrote nothing: the report is removed, the failure audited.
fn failed(
    store: &Store,
    meta: &ImportMeta,
    report: ReportWriter,
    error: ImportError,
) -> ImportError {
    report.discard();
    if let ImportError::Store(store_error) = &error {
        tracing::error!(import = %meta.id, error = %store_error, "registry import failed");
    }
    audit(store, meta, "failed".to_owned());
    error
}

fn finish(
    store: &Store,
    meta: &ImportMeta,
    request: &ImportRequest,
    mut report: ReportWriter,
    changes: &[crate::store::Change],
    written: Written,
) -> Result<ImportReport, ImportError> {
    for change in changes {
        report.changed(change).map_err(|source| report_error(&request.report, source))?;
    }
    let summary = report.summary.clone().ok_or(ImportError::ReaderPanicked)?;
    let counts = report.commit().map_err(|source| report_error(&request.report, source))?;
    let outcome = format!(
        "{}rows={} accepted={} rejected={} changed={}",
        if meta.dry_run { "dry_run " } else { "" },
        summary.rows,
        summary.accepted,
        summary.rejected,
        counts.changed
    );
    audit(store, meta, outcome);
    Ok(ImportReport {
        id: meta.id.clone(),
        summary,
        counts,
        dry_run: meta.dry_run,
        report: request.report.clone(),
        written,
    })
}

fn audit(store: &Store, meta: &ImportMeta, outcome: String) {
    let action = match meta.kind {
        ImportKind::Population => "registry_import",
        ImportKind::Desil => "desil_import",
    };
    store.audit(AuditEntry {
        at: meta.at.clone(),
        actor: meta.actor.clone(),
        action: action.into(),
        subject: format!("{} {}", meta.id, report::printable(&meta.file_name, 80)),
        outcome,
    });
}
