//! Bulk import of a recipient list: `backend import --program BLT_DD --desa 3510252005 list.csv`
//! or `POST /api/v1/staff/imports`, both through [`admit`] and [`Admitted::run`].
//!
//! A list is admitted first: its program is in the catalogue, its desa code is real, and the
//! requester may act for that desa. Then each row goes through the same eligibility engine as
//! a report, with the desa's quota counted as rows are accepted. The outcome of every row is
//! reported. Accepted rows are written together in one transaction at the end, and only if
//! the file itself is sound: a malformed or duplicated row refuses the whole file, so a broken
//! list never half-lands. Every import is audited in one shape, whoever runs it: action
//! `import`, subject `<program> <desa>`, and as outcome `forbidden`, `invalid_csv` or the
//! counts.

use std::collections::HashMap;
use std::io::Read;

use protocol::api::MembershipState;
use protocol::{Nik, Text};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::checks::{UnknownDesa, decide_for, known_desa};
use crate::eligibility::catalogue::Program;
use crate::eligibility::{Catalogue, Decision, Quota, ReasonCode, Request, Unit};
use crate::store::{AuditEntry, NewMembership, Store, StoreError};

/// Who runs an import: named in the audit log, and limited to the desa they act for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    /// As the audit log names them: `staff:<username>`, `cli:<user>`.
    pub actor: String,
    /// The one desa the requester acts for; `None`: every desa (kabupaten operators, the CLI).
    pub desa: Option<u64>,
}

impl Requester {
    fn covers(&self, desa: u64) -> bool {
        self.desa.is_none_or(|own| own == desa)
    }
}

/// How an admitted list is written.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The state accepted memberships start in.
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
    #[error(transparent)]
    UnknownDesa(#[from] UnknownDesa),
    #[error("{actor} may not import lists for desa {desa}")]
    Forbidden { actor: String, desa: u64 },
    #[error("the file has no `nik` column; columns are nik, component (optional), name (optional)")]
    NoNikColumn,
    #[error("unknown column {0:?}; columns are nik, component (optional), name (optional)")]
    UnknownColumn(String),
    #[error("cannot read the file: {0}")]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A list admitted for import by [`admit`]: the only way to [`run`](Admitted::run) one.
#[derive(Debug, Clone)]
pub struct Admitted {
    program: Program,
    desa: u64,
    actor: String,
}

/// Admits a list of `program` for `desa`, in this order: the program is in the catalogue,
/// the desa code is real, the requester may act for the desa (refused and audited as
/// `forbidden` otherwise).
pub fn admit(
    store: &Store,
    catalogue: &Catalogue,
    requester: &Requester,
    program: &str,
    desa: u64,
) -> Result<Admitted, ImportError> {
    let program = catalogue
        .program(program)
        .ok_or_else(|| ImportError::UnknownProgram(program.to_string()))?
        .clone();
    known_desa(desa)?;
    let admitted = Admitted { program, desa, actor: requester.actor.clone() };
    if !requester.covers(desa) {
        admitted.audit(store, "forbidden".into());
        return Err(ImportError::Forbidden { actor: requester.actor.clone(), desa });
    }
    Ok(admitted)
}

/// Rows read before their residents are fetched together.
const STATUS_BATCH: usize = 512;

fn text(id: impl Into<String>, en: impl Into<String>) -> Option<Text> {
    Some(Text::new(id, en))
}

impl Admitted {
    pub fn program(&self) -> &str {
        &self.program.code
    }

    pub fn desa(&self) -> u64 {
        self.desa
    }

    /// Imports `input` with the catalogue the list was admitted by, calling `on_row` for each
    /// row's outcome and `progress` with the rows done so far, and audits the outcome.
    pub fn run(
        &self,
        store: &Store,
        catalogue: &Catalogue,
        options: &ImportOptions,
        input: impl Read,
        on_row: impl FnMut(&RowReport),
        progress: impl FnMut(u64),
    ) -> Result<ImportSummary, ImportError> {
        let result = self.check_and_write(store, catalogue, options, input, on_row, progress);
        match &result {
            Ok(summary) => self.audit(
                store,
                format!(
                    "rows={} accepted={} rejected={} over_quota={} written={}",
                    summary.rows,
                    summary.accepted,
                    summary.rejected,
                    summary.over_quota,
                    summary.written
                ),
            ),
            Err(ImportError::Store(_)) => {}
            Err(_) => self.audit(store, "invalid_csv".into()),
        }
        result
    }

    fn audit(&self, store: &Store, outcome: String) {
        store.audit(AuditEntry {
            at: OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default(),
            actor: self.actor.clone(),
            action: "import".into(),
            subject: format!("{} {}", self.program.code, self.desa),
            outcome,
        });
    }
    fn check_and_write(
        &self,
        store: &Store,
        catalogue: &Catalogue,
        options: &ImportOptions,
        input: impl Read,
        mut on_row: impl FnMut(&RowReport),
        mut progress: impl FnMut(u64),
    ) -> Result<ImportSummary, ImportError> {
        let (program, desa) = (&self.program, self.desa);
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
            let mut used = tx.quota_used(&program.code, desa)?;
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
                                text(
                                    "NIK tidak ada di data kependudukan",
                                    "NIK not in the registry",
                                ),
                            ));
                        };
                        if facts.desa_code != desa {
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
                                    desa_code: desa,
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
