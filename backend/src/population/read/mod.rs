//! Reading the population files villages have: OpenSID's "format impor penduduk" and
//! Dukcapil's SIAK export, as CSV, XLSX/XLSM or XLS; and DTSEN desil lists ([`read_desil`]).
//! `docs/registry-import.md` describes both layouts column by column and every rejection.
//!
//! A file is read once and never held: every row, accepted or rejected, goes to the
//! caller's sink in file order, while the heads of each family are counted. Whether a
//! family has exactly one head is known only at the end: the summary then names the
//! [`UnfitFamily`]s, whose rows the caller takes back. A bad row is a [`Rejection`] with its
//! own [`RejectReason`]; only a file that cannot be read at all is a [`ReadError`].

mod cell;
mod desa;
mod desil;
mod error;
mod families;
mod layout;
mod lines;
mod reason;
mod source;
mod validate;
mod walk;

#[cfg(test)]
mod samples;

use std::path::Path;

pub use desil::{DesilRecord, read_desil};
pub use error::{ReadError, ReadFailure};
pub use families::UnfitFamily;
pub use layout::Layout;
pub use reason::RejectReason;

use super::record::PersonRecord;
use desa::Desa;
use families::{Families, SeenNiks};
use layout::Header;
use source::Source;
use validate::Validator;
use walk::{find_headers, walk};

/// What the caller knows about a file that the file may not say.
pub struct ReadOptions<'a> {
    /// Desa of every row, for a file without a desa column (OpenSID exports one desa).
    pub desa: Option<u64>,
    /// Regency (kabupaten, 4 digits e.g. 3510) the rows must lie in; SIAK's Kecamatan and
    /// Desa/Kel names are looked up inside it. None = any regency (names then need both).
    pub regency: Option<u32>,
    /// Called now and then (at least every 64 KiB or 10k rows) with where the read is.
    pub progress: &'a (dyn Fn(ReadProgress) + Sync),
}

/// Where a read is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadProgress {
    pub done_bytes: u64,
    pub total_bytes: u64,
    /// Data rows so far.
    pub rows: u64,
}

/// One data row's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accepted(PersonRecord),
    Rejected(Rejection),
}

/// A row that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// CSV line (1 = header) or spreadsheet row (1-based).
    pub line: u64,
    /// The row's NIK masked (`3510********0001`), never whole; `None` when the row has none.
    pub nik: Option<String>,
    pub reason: RejectReason,
    /// The column and the offending value (a NIK/KK masked).
    pub detail: String,
}

/// What a read found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    pub layout: Layout,
    pub rows: u64,
    /// Rows used: accepted, less those of the unfit families.
    pub accepted: u64,
    /// Rows refused: rejected, and those of the unfit families.
    pub rejected: u64,
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// Families without exactly one valid head, in KK order: their rows were handed on as
    /// accepted and are refused now.
    pub unfit: Vec<UnfitFamily>,
}

/// One pass over the file: every row validated and handed to `sink` in file order (memory
/// proportional to families and NIKs as u64, never to rows' text). Rows of a KK with no
/// valid head, or with more than one, are refused once the whole file is read
/// ([`FileSummary::unfit`], KkWithoutHead / KkManyHeads): the caller takes back what it was
/// handed of them. A family's address is the head's row's: every record carries its own
/// row's address, and the writer takes the family's from the head's record.
pub fn read_population<E>(
    path: &Path,
    options: &ReadOptions<'_>,
    sink: &mut dyn FnMut(Verdict) -> Result<(), E>,
) -> Result<FileSummary, ReadFailure<E>> {
    let sha256 = source::sha256_hex(path).map_err(ReadError::from)?;
    let mut source = Source::open(path)?;
    let plans = population_sheets(&mut source)?;
    let layout = plans[0].columns.layout;
    // A birth "today" in Indonesia may still be tomorrow in UTC.
    let today = time::OffsetDateTime::now_utc().date().next_day().unwrap_or(time::Date::MAX);
    let validators: Vec<Validator> = plans
        .iter()
        .map(|plan| {
            Validator::new(plan.columns.clone(), Desa::new(options.regency, options.desa), today)
        })
        .collect();

    let mut families = Families::default();
    let mut seen = SeenNiks::new();
    let (mut accepted, mut rejected) = (0u64, 0u64);
    let several_sheets = plans.len() > 1;
    let rows = walk(&mut source, &plans, options.progress, &mut |plan, line, row| {
        let verdict = match validators[plan].check(line, row, &mut seen) {
            Ok(record) => {
                accepted += 1;
                families.note(plan, &record);
                Verdict::Accepted(record)
            }
            Err(mut rejection) => {
                rejected += 1;
                if several_sheets {
                    rejection.detail = format!("[{}] {}", plans[plan].name, rejection.detail);
                }
                Verdict::Rejected(rejection)
            }
        };
        sink(verdict)
    })?;
    if rows == 0 {
        return Err(ReadError::Empty.into());
    }
    let (unfit, taken_back) = families.unfit(|plan, kk| {
        let detail =
            format!("{} = \"{}\"", plans[plan].columns.shown(layout::Field::Kk), kk.masked());
        if several_sheets { format!("[{}] {detail}", plans[plan].name) } else { detail }
    });
    tracing::debug!(rows, families = families.len(), unfit = unfit.len(), "population file read");
    Ok(FileSummary {
        layout,
        rows,
        accepted: accepted - taken_back,
        rejected: rejected + taken_back,
        sha256,
        unfit,
    })
}

/// The sheets to read: every sheet of the first layout found (OpenSID's importer reads
/// every sheet but "Kode Data"), or only the first for SIAK.
fn population_sheets(
    source: &mut Source,
) -> Result<Vec<walk::SheetPlan<layout::Columns>>, ReadError> {
    let mut chosen: Option<Layout> = None;
    let mut closest: Option<(Vec<&'static str>, usize)> = None;
    let mut plans = find_headers(source, &mut |row| match layout::header(row, chosen) {
        Header::Found(columns) => {
            chosen = Some(columns.layout);
            Some(columns)
        }
        Header::Not { missing, present } => {
            if closest.as_ref().is_none_or(|(_, best)| present > *best) {
                closest = Some((missing, present));
            }
            None
        }
    })?;
    match plans.first().map(|plan| plan.columns.layout) {
        None => {
            let missing = closest.map(|(missing, _)| missing).unwrap_or_else(|| {
                layout::OPENSID.iter().filter(|c| c.required).map(|c| c.shown).collect()
            });
            Err(ReadError::NotAPopulationFile { missing })
        }
        Some(Layout::Siak) => {
            plans.truncate(1);
            Ok(plans)
        }
        Some(_) => Ok(plans),
    }
}
