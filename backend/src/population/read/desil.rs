//! DTSEN desil lists: which welfare decile (1 poorest .. 10) a family is ranked in.
//!
//! SIKS-NG's "pemeringkatan desil" export and the lists kabupaten pass on have a KK number,
//! a NIK and the desil; spellings vary, so the header may say `No KK`, `NOKK`, `no_kk`,
//! `Nomor KK`; `NIK`; `Desil`, `desil_nasional`, `Peringkat Desil`. Either number may be
//! empty on a row, not both. Every sheet with such a header is read.

use std::path::Path;

use protocol::{Nik, NikError, NoKk};

use super::cell::{self, Cell, DigitsCell, mask};
use super::error::{ReadError, ReadFailure};
use super::layout::{Layout, normalise};
use super::reason::RejectReason;
use super::source::{Row, Source};
use super::walk::{find_headers, walk};
use super::{FileSummary, ReadProgress, Rejection};

/// One ranked row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesilRecord {
    pub line: u64,
    pub kk: Option<NoKk>,
    pub nik: Option<Nik>,
    /// 1..=10.
    pub desil: u8,
}

const KK_SPELLINGS: &[&str] = &["nokk", "nomorkk", "nokartukeluarga", "nomorkartukeluarga"];
const NIK_SPELLINGS: &[&str] = &["nik", "nikkepalakeluarga", "nikkrt"];
const DESIL_SPELLINGS: &[&str] =
    &["desil", "desilnasional", "peringkatdesil", "desilkesejahteraan", "desildtsen"];

#[derive(Debug, Clone, Copy)]
struct DesilColumns {
    kk: Option<usize>,
    nik: Option<usize>,
    desil: usize,
}

fn header(row: &dyn Row) -> Result<DesilColumns, Vec<&'static str>> {
    let cells: Vec<String> = (0..row.width()).map(|c| normalise(&row.cell(c).text())).collect();
    let find =
        |spellings: &[&str]| cells.iter().position(|cell| spellings.contains(&cell.as_str()));
    let (kk, nik, desil) = (find(KK_SPELLINGS), find(NIK_SPELLINGS), find(DESIL_SPELLINGS));
    let mut missing = Vec::new();
    if kk.is_none() && nik.is_none() {
        missing.push("No KK / NIK");
    }
    if desil.is_none() {
        missing.push("Desil");
    }
    match desil {
        Some(desil) if missing.is_empty() => Ok(DesilColumns { kk, nik, desil }),
        _ => Err(missing),
    }
}

/// Reads a desil list, handing every row to `sink` in file order.
pub fn read_desil<E>(
    path: &Path,
    progress: &(dyn Fn(ReadProgress) + Sync),
    sink: &mut dyn FnMut(Result<DesilRecord, Rejection>) -> Result<(), E>,
) -> Result<FileSummary, ReadFailure<E>> {
    let sha256 = super::source::sha256_hex(path).map_err(ReadError::from)?;
    let mut source = Source::open(path)?;
    let mut closest: Option<Vec<&'static str>> = None;
    let plans = find_headers(&mut source, &mut |row| match header(row) {
        Ok(columns) => Some(columns),
        Err(missing) => {
            if closest.as_ref().is_none_or(|best| missing.len() < best.len()) {
                closest = Some(missing);
            }
            None
        }
    })?;
    if plans.is_empty() {
        let missing = closest.unwrap_or_else(|| vec!["No KK / NIK", "Desil"]);
        return Err(ReadError::NotADesilFile { missing }.into());
    }
    let (mut accepted, mut rejected) = (0u64, 0u64);
    let rows = walk(&mut source, &plans, progress, &mut |plan, line, row| {
        let checked = check(&plans[plan].columns, line, row);
        match checked {
            Ok(_) => accepted += 1,
            Err(_) => rejected += 1,
        }
        sink(checked)
    })?;
    if rows == 0 {
        return Err(ReadError::Empty.into());
    }
    Ok(FileSummary { layout: Layout::Desil, rows, accepted, rejected, sha256, unfit: Vec::new() })
}

fn check(columns: &DesilColumns, line: u64, row: &dyn Row) -> Result<DesilRecord, Rejection> {
    let cell = |column: Option<usize>| column.map_or(Cell::Empty, |c| row.cell(c));
    let fail = |nik: Option<String>, reason, detail| Rejection { line, nik, reason, detail };
    let nik = number(&cell(columns.nik), "NIK", Nik::parse, RejectReason::NikInvalid)
        .map_err(|(reason, masked, detail)| fail(Some(masked), reason, detail))?;
    let masked = nik.as_ref().map(Nik::masked);
    let kk = number(&cell(columns.kk), "No KK", NoKk::parse, RejectReason::KkInvalid)
        .map_err(|(reason, _, detail)| fail(masked.clone(), reason, detail))?;
    if kk.is_none() && nik.is_none() {
        return Err(fail(None, RejectReason::KeyMissing, "No KK = \"\", NIK = \"\"".to_string()));
    }
    let desil_cell = cell(Some(columns.desil));
    let text = desil_cell.text();
    let detail = format!("Desil = \"{text}\"");
    let desil = match desil_value(&desil_cell) {
        Ok(Some(desil)) => desil,
        Ok(None) => return Err(fail(masked, RejectReason::DesilMissing, detail)),
        Err(()) => return Err(fail(masked, RejectReason::DesilInvalid, detail)),
    };
    Ok(DesilRecord { line, kk, nik, desil })
}

type NumberError = (RejectReason, String, String);

fn number<T>(
    cell: &Cell<'_>,
    column: &'static str,
    parse: fn(&str) -> Result<T, NikError>,
    invalid: RejectReason,
) -> Result<Option<T>, NumberError> {
    match cell::digits(cell) {
        DigitsCell::Empty => Ok(None),
        DigitsCell::Imprecise(text) => {
            let masked = mask(&text);
            let detail = format!("{column} = \"{masked}\"");
            Err((RejectReason::NumberImprecise { column }, masked, detail))
        }
        DigitsCell::Text(text) => parse(&text).map(Some).map_err(|error| {
            let masked = mask(&text);
            let detail = format!("{column} = \"{masked}\": {error}");
            (invalid, masked, detail)
        }),
    }
}

/// `3`, `3.0` (a spreadsheet number) or `Desil 3`.
fn desil_value(cell: &Cell<'_>) -> Result<Option<u8>, ()> {
    let value = match cell {
        Cell::Number(number) if number.fract() == 0.0 => *number,
        _ => {
            let text = cell.text();
            let lower = text.to_lowercase();
            let bare = lower.trim_start_matches("desil").trim();
            if bare.is_empty() || bare == "-" {
                return Ok(None);
            }
            match bare.parse::<f64>() {
                Ok(number) if number.fract() == 0.0 => number,
                _ => return Err(()),
            }
        }
    };
    if (1.0..=10.0).contains(&value) { Ok(Some(value as u8)) } else { Err(()) }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::population::read::samples::sample;

    fn read(path: &Path) -> (FileSummary, Vec<Result<DesilRecord, Rejection>>) {
        let mut rows = Vec::new();
        let summary = read_desil::<()>(path, &|_| {}, &mut |row| {
            rows.push(row);
            Ok(())
        })
        .unwrap_or_else(|error| panic!("{}: {error:?}", path.display()));
        (summary, rows)
    }

    /// (line, "accepted" or the reason's code) per row.
    pub(crate) fn outcomes(path: &Path) -> Vec<(u64, &'static str)> {
        read(path)
            .1
            .iter()
            .map(|row| match row {
                Ok(record) => (record.line, "accepted"),
                Err(rejection) => (rejection.line, rejection.reason.code()),
            })
            .collect()
    }

    #[test]
    fn desil_sample_gives_its_ranks_and_one_rejection_of_every_kind() {
        let path = sample("desil.csv");
        assert_eq!(
            outcomes(&path),
            [
                (2, "accepted"),
                (3, "accepted"),
                (4, "accepted"),
                (5, "key_missing"),
                (6, "desil_invalid"),
                (7, "desil_missing"),
                (8, "kk_invalid"),
                (9, "nik_invalid"),
                (10, "number_imprecise"),
            ]
        );
        let (summary, rows) = read(&path);
        assert_eq!(
            (summary.layout, summary.rows, summary.accepted, summary.rejected),
            (Layout::Desil, 9, 3, 6)
        );
        let kk = |text: &str| NoKk::parse(text).ok();
        let nik = |text: &str| Nik::parse(text).ok();
        let good: Vec<DesilRecord> = rows.into_iter().filter_map(Result::ok).collect();
        assert_eq!(
            good,
            [
                DesilRecord {
                    line: 2,
                    kk: kk("3510092504150001"),
                    nik: nik("3510091203850001"),
                    desil: 1
                },
                DesilRecord { line: 3, kk: kk("3510011002180003"), nik: None, desil: 3 },
                DesilRecord { line: 4, kk: None, nik: nik("3510137011700003"), desil: 2 },
            ]
        );
    }

    #[test]
    fn desil_headers_come_in_several_spellings() {
        let dir = tempfile::tempdir().expect("tempdir");
        for header in ["NOKK;DESIL_NASIONAL", "no_kk;Peringkat Desil", "Nomor KK;desil"] {
            let path = dir.path().join("d.csv");
            std::fs::write(&path, format!("{header}\n3510092504150001;4\n")).expect("write");
            assert_eq!(outcomes(&path), [(2, "accepted")], "{header}");
        }
        let path = dir.path().join("bukan.csv");
        std::fs::write(&path, "Nama,Alamat\nBUDI,JL\n").expect("write");
        let error = read_desil::<()>(&path, &|_| {}, &mut |_| Ok(())).expect_err("not desil");
        let ReadFailure::Read(ReadError::NotADesilFile { missing }) = error else {
            panic!("{error:?}")
        };
        assert_eq!(missing, ["No KK / NIK", "Desil"]);
    }
}
