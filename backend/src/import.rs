//! Bulk import of a recipient list: `backend import --program BLT_DD --desa 3510252005 list.csv`.
//!
//! Each row goes through the same eligibility engine as a report, with the desa's quota
//! counted as rows are accepted. The outcome of every row is reported. Accepted rows are
//! written together in one transaction at the end, and only if the file itself is sound: a
//! malformed or duplicated row refuses the whole file, so a broken list never half-lands.

use std::collections::HashMap;
use std::io::Read;

use protocol::api::MembershipState;
use protocol::{Nik, Text};

use crate::checks::decide_for;
use crate::eligibility::{Catalogue, Decision, Quota, ReasonCode, Request, Unit};
use crate::store::{NewMembership, Store, StoreError};

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub program: String,
    pub desa: u64,
    pub state: MembershipState,
    pub since: String,
    /// Check every row and try the write, then roll it back: what would happen, with
    /// nothing changed.
    pub dry_run: bool,
}

/// What happened to one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowReport {
    /// Line in the file (the header is line 1).
    pub line: u64,
    /// The NIK, masked; empty when the row had none.
    pub nik: String,
    /// `accepted`, `rejected`, `over_quota`, `not_found`, `other_desa`, `duplicate`, `malformed`.
    pub outcome: &'static str,
    pub reason: Option<Text>,
}

/// Counts of an import: the wire type, so the API answers with exactly what the CLI prints.
pub use protocol::staff::ImportSummary;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("unknown program {0}")]
    UnknownProgram(String),
    #[error("the file has no `nik` column; columns are nik, component (optional), name (optional)")]
    NoNikColumn,
    #[error("unknown column {0:?}; columns are nik, component (optional), name (optional)")]
    UnknownColumn(String),
    #[error("cannot read the file: {0}")]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Rows read before their residents are fetched together.
const STATUS_BATCH: usize = 512;

fn text(id: impl Into<String>, en: impl Into<String>) -> Option<Text> {
    Some(Text::new(id, en))
}

/// Imports `input`, calling `on_row` for each row's outcome and `progress` with the rows
/// done so far.
pub fn import(
    store: &Store,
    catalogue: &Catalogue,
    options: &ImportOptions,
    input: impl Read,
    mut on_row: impl FnMut(&RowReport),
    mut progress: impl FnMut(u64),
) -> Result<ImportSummary, ImportError> {
    let program = catalogue
        .program(&options.program)
        .ok_or_else(|| ImportError::UnknownProgram(options.program.clone()))?;
    let mut reader =
        csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(input);
    let headers = reader.headers()?.clone();
    let mut nik_column = None;
    let mut component_column = None;
    for (index, name) in headers.iter().enumerate() {
        match name.to_ascii_lowercase().as_str() {
            "nik" => nik_column = Some(index),
            "component" | "komponen" => component_column = Some(index),
            "name" | "nama" => {}
            other => return Err(ImportError::UnknownColumn(other.to_string())),
        }
    }
    let nik_column = nik_column.ok_or(ImportError::NoNikColumn)?;
    let expected_fields = headers.len();

    // Checks and the write share one transaction, so the quota counted and the families
    // checked are still true when the accepted rows land.
    let result = store.transaction(|tx| -> Result<ImportSummary, Abort> {
        let mut summary = ImportSummary::default();
        let mut used = tx.quota_used(&program.code, options.desa)?;
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut accepted = Vec::new();
        let mut records = reader.records();
        loop {
            // Rows are read a batch at a time, so their residents are fetched together.
            let chunk = records.by_ref().take(STATUS_BATCH).collect::<Result<Vec<_>, _>>()?;
            if chunk.is_empty() {
                break;
            }
            let niks: Vec<Nik> = chunk
                .iter()
                .filter_map(|record| record.get(nik_column).and_then(|n| Nik::parse(n).ok()))
                .collect();
            let facts_of = tx.statuses(&niks)?;
            for record in chunk {
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                summary.rows += 1;
                let mut report =
                    RowReport { line, nik: String::new(), outcome: "malformed", reason: None };
                let raw_nik = record.get(nik_column).unwrap_or("");
                let component =
                    component_column.and_then(|c| record.get(c)).filter(|c| !c.is_empty());
                let outcome = (|| -> Result<(&'static str, Option<Text>), StoreError> {
                    if record.len() != expected_fields {
                        return Ok((
                            "malformed",
                            text(
                                format!(
                                    "baris berisi {} kolom, seharusnya {expected_fields}",
                                    record.len()
                                ),
                                format!(
                                    "row has {} fields, expected {expected_fields}",
                                    record.len()
                                ),
                            ),
                        ));
                    }
                    let nik = match Nik::parse(raw_nik) {
                        Ok(nik) => nik,
                        Err(error) => return Ok(("malformed", Some(error.text()))),
                    };
                    report.nik = nik.masked();
                    let Some(facts) = facts_of.get(nik.as_str()) else {
                        return Ok((
                            "not_found",
                            text("NIK tidak ada di data kependudukan", "NIK not in the registry"),
                        ));
                    };
                    if facts.desa_code != options.desa {
                        return Ok((
                            "other_desa",
                            text(
                                format!("terdaftar di desa {}", facts.desa_code),
                                format!("registered in desa {}", facts.desa_code),
                            ),
                        ));
                    }
                    let key = match program.unit {
                        Unit::Household => facts.kk.clone(),
                        Unit::Person => nik.as_str().to_string(),
                    };
                    if let Some(first) = seen.get(&key) {
                        return Ok((
                            "duplicate",
                            text(
                                format!("keluarga/orang yang sama sudah ada di baris {first}"),
                                format!("the same family/person is already on line {first}"),
                            ),
                        ));
                    }
                    seen.insert(key, line);
                    let asked = Request { program: &program.code, component };
                    Ok(match decide_for(catalogue, asked, &nik, facts, Quota { used }) {
                        Decision::Accepted => {
                            used += 1;
                            let (person, kk, member) = match program.unit {
                                Unit::Person => (Some(nik), None, None),
                                Unit::Household => (
                                    None,
                                    protocol::NoKk::parse(&facts.kk).ok(),
                                    component.map(|_| nik),
                                ),
                            };
                            accepted.push(NewMembership {
                                program: program.code.clone(),
                                nik: person,
                                kk,
                                component: component.map(str::to_string),
                                member_nik: member,
                                state: options.state,
                                since: options.since.clone(),
                                desa_code: options.desa,
                            });
                            ("accepted", None)
                        }
                        Decision::Rejected(reasons) => {
                            let only_quota =
                                reasons.iter().all(|r| r.code == ReasonCode::OverQuota);
                            let outcome = if only_quota { "over_quota" } else { "rejected" };
                            let first = reasons
                                .iter()
                                .find(|r| r.code != ReasonCode::OverQuota)
                                .unwrap_or(&reasons[0]);
                            (outcome, Some(first.text.clone()))
                        }
                    })
                })()?;
                report.outcome = outcome.0;
                report.reason = outcome.1;
                match report.outcome {
                    "accepted" => summary.accepted += 1,
                    "rejected" => summary.rejected += 1,
                    "over_quota" => summary.over_quota += 1,
                    "not_found" => summary.not_found += 1,
                    "other_desa" => summary.other_desa += 1,
                    "duplicate" => summary.duplicate += 1,
                    _ => summary.malformed += 1,
                }
                on_row(&report);
                if summary.rows % 1000 == 0 {
                    progress(summary.rows);
                }
            }
        }
        progress(summary.rows);
        if summary.malformed == 0 && summary.duplicate == 0 && !accepted.is_empty() {
            tx.add_memberships(&accepted)?;
            summary.written = !options.dry_run;
        }
        if options.dry_run {
            return Err(Abort::DryRun(summary));
        }
        Ok(summary)
    });
    match result {
        Ok(summary) | Err(Abort::DryRun(summary)) => Ok(summary),
        Err(Abort::Failed(error)) => Err(error),
    }
}

/// Why the import transaction is not committed.
enum Abort {
    Failed(ImportError),
    /// A dry run rolls its write back on purpose.
    DryRun(ImportSummary),
}

impl<E: Into<ImportError>> From<E> for Abort {
    fn from(error: E) -> Abort {
        Abort::Failed(error.into())
    }
}

/// The per-row report as CSV: `line,nik,outcome,reason_id,reason_en`.
pub fn report_writer<W: std::io::Write>(out: W) -> Result<csv::Writer<W>, csv::Error> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["line", "nik", "outcome", "reason_id", "reason_en"])?;
    Ok(writer)
}

pub fn write_row(
    writer: &mut csv::Writer<impl std::io::Write>,
    row: &RowReport,
) -> Result<(), csv::Error> {
    let (id, en) = row.reason.as_ref().map(|t| (t.id.as_str(), t.en.as_str())).unwrap_or(("", ""));
    writer.write_record([row.line.to_string().as_str(), &row.nik, row.outcome, id, en])
}
