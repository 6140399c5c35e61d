//! The sample workbooks, built from the CSV samples with the cell types a spreadsheet
//! would have, and what only a workbook has: sheets, the `###` end marker, numbers.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
use time::Date;
use time::macros::date;

use super::*;

/// How a CSV cell becomes a spreadsheet cell.
enum Typed {
    Text(String),
    Number(f64),
    Date(f64),
}

fn serial(date: Date) -> f64 {
    (date - date!(1899 - 12 - 30)).whole_days() as f64
}

/// Types one cell the way a village's spreadsheet would hold it.
fn typed(header: &str, cell: &str, number_nik: bool) -> Typed {
    let header = layout::normalise(header);
    let integer =
        !cell.is_empty() && cell.bytes().all(|b| b.is_ascii_digit()) && !cell.starts_with('0');
    let date_of =
        |cell: &str| super::cell::date(&super::cell::Cell::Text(cell.into())).ok().flatten();
    match header.as_str() {
        "nik" | "nokk" | "nomorkk" if cell.contains('E') => {
            Typed::Number(cell.parse().unwrap_or(0.0))
        }
        "nik" if number_nik => Typed::Number(cell.parse().unwrap_or(0.0)),
        "nik" | "nokk" | "nomorkk" => Typed::Text(cell.trim_start_matches('\'').to_string()),
        "tanggallahir" => {
            date_of(cell).map_or(Typed::Text(cell.to_string()), |d| Typed::Date(serial(d)))
        }
        "sex" | "agamaid" | "pendidikankkid" | "pekerjaanid" | "statuskawin" | "kklevel"
        | "warganegaraid" | "golongandarahid" | "statusdasar" | "ktpel" | "statusrekam"
        | "kodedesa" | "rt" | "rw" | "desil"
            if integer =>
        {
            Typed::Number(cell.parse().unwrap_or(0.0))
        }
        _ => Typed::Text(cell.to_string()),
    }
}

/// Builds `xlsx` from the CSV sample: same rows on the same lines, then (OpenSID) a blank
/// row, the `###` end marker and a row after it that must never be read, and a "Kode Data"
/// sheet. `number_nik_line`: the one line whose NIK is stored as an exact number.
fn build_workbook(
    csv_path: &Path,
    xlsx: &Path,
    opensid_extras: bool,
    number_nik_line: Option<u64>,
) {
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_ymd(2026, 1, 5).expect("date");
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let date_format = Format::new().set_num_format("dd-mm-yyyy");
    let sheet = workbook.add_worksheet();
    sheet.set_name(if opensid_extras { "Data Penduduk" } else { "Sheet1" }).expect("name");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(csv_path)
        .expect("csv");
    let mut headers: Vec<String> = Vec::new();
    let mut last_row = 0u32;
    for (index, record) in reader.records().enumerate() {
        let record = record.expect("record");
        let row = index as u32;
        last_row = row;
        if headers.is_empty() && record.iter().filter(|c| !c.is_empty()).count() > 1 {
            headers = record.iter().map(str::to_string).collect();
            for (column, cell) in record.iter().enumerate() {
                sheet.write_string(row, column as u16, cell).expect("write");
            }
            continue;
        }
        for (column, cell) in record.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            let header = headers.get(column).map_or("", String::as_str);
            let number_nik = number_nik_line == Some(u64::from(row) + 1);
            let column = column as u16;
            match typed(header, cell, number_nik) {
                Typed::Text(text) => sheet.write_string(row, column, text),
                Typed::Number(number) => sheet.write_number(row, column, number),
                Typed::Date(serial) => {
                    sheet.write_number_with_format(row, column, serial, &date_format)
                }
            }
            .expect("write");
        }
    }
    if opensid_extras {
        sheet.write_string(last_row + 2, 1, "###").expect("marker");
        sheet.write_string(last_row + 3, 6, "3510091203850001").expect("after the marker");
        let codes = workbook.add_worksheet();
        codes.set_name("Kode Data").expect("name");
        for (row, (label, code)) in
            [("sex", "id"), ("LAKI-LAKI", "1"), ("PEREMPUAN", "2")].iter().enumerate()
        {
            codes.write_string(row as u32, 0, *label).expect("write");
            codes.write_string(row as u32, 1, *code).expect("write");
        }
    }
    workbook.save(xlsx).expect("save");
}

/// Builds the workbook afresh, checks it reads like its CSV, and checks the committed copy
/// is the same (or replaces it, with `UPDATE_SAMPLES=1`).
fn check_workbook(
    csv_name: &str,
    xlsx_name: &str,
    opensid_extras: bool,
    number_nik_line: Option<u64>,
) -> PathBuf {
    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = dir.path().join(xlsx_name);
    build_workbook(&sample(csv_name), &fresh, opensid_extras, number_nik_line);
    let committed = sample(xlsx_name);
    if std::env::var_os("UPDATE_SAMPLES").is_some() {
        std::fs::copy(&fresh, &committed).expect("update the committed sample");
    }
    let fresh_bytes = std::fs::read(&fresh).expect("fresh");
    let committed_bytes = std::fs::read(&committed).unwrap_or_default();
    assert!(
        fresh_bytes == committed_bytes,
        "{xlsx_name} is not what its CSV builds: rerun with UPDATE_SAMPLES=1"
    );
    committed
}

#[test]
fn opensid_workbook_reads_like_its_csv_skipping_kode_data_and_stopping_at_the_marker() {
    let xlsx = check_workbook("opensid.csv", "opensid.xlsx", true, Some(4));
    check_opensid(&xlsx);
}

#[test]
fn siak_workbook_reads_like_its_csv() {
    let xlsx = check_workbook("siak.csv", "siak.xlsx", false, None);
    check_siak(&xlsx);
}

#[test]
fn desil_workbook_reads_like_its_csv() {
    let xlsx = check_workbook("desil.csv", "desil.xlsx", false, None);
    assert_eq!(desil::tests::outcomes(&xlsx), desil::tests::outcomes(&sample("desil.csv")));
}

#[test]
fn every_data_sheet_of_an_opensid_workbook_is_read_and_families_span_sheets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("dua-dusun.xlsx");
    let mut workbook = Workbook::new();
    let header = ["nik", "no_kk", "nama", "sex", "tanggallahir", "kk_level", "dusun"];
    let sheets: [(&str, &[[&str; 7]]); 3] = [
        ("Petunjuk", &[["Isi data mulai baris 2", "", "", "", "", "", ""]]),
        (
            "Krajan",
            &[[
                "3510091203850001",
                "3510092504150001",
                "BUDI SANTOSO",
                "1",
                "12-03-1985",
                "1",
                "Krajan",
            ]],
        ),
        (
            "Kopen",
            &[
                [
                    "3510094507880001",
                    "3510092504150001",
                    "SITI AMINAH",
                    "2",
                    "05-07-1988",
                    "3",
                    "Krajan",
                ],
                [
                    "3510091203850001",
                    "3510092504150001",
                    "BUDI SANTOSO",
                    "1",
                    "12-03-1985",
                    "1",
                    "Kopen",
                ],
            ],
        ),
    ];
    for (name, rows) in sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name).expect("name");
        let has_header = name != "Petunjuk";
        for (row, cells) in has_header.then_some(&header).into_iter().chain(rows.iter()).enumerate()
        {
            for (column, cell) in cells.iter().enumerate() {
                sheet.write_string(row as u32, column as u16, *cell).expect("write");
            }
        }
    }
    workbook.save(&path).expect("save");
    let (summary, verdicts) = read(&path, Some(3510092001), Some(3510));
    assert_eq!(outcomes(&verdicts), [(2, "accepted"), (2, "accepted"), (3, "nik_repeated")]);
    assert_eq!(summary.layout, Layout::OpenSid);
    let Verdict::Rejected(repeated) = &verdicts[2] else { panic!("{verdicts:?}") };
    assert_eq!(repeated.detail, "[Kopen] nik = \"3510********0001\"");
}
