//! The family check of a population import, which is known only once the whole file is
//! read: a family whose head is its last row loads, and the rows of families with no head
//! or several are taken back out of what was staged and reported, in line order, however
//! many there are. Run on SQLite and, with `ANJUNGAN_TEST_DATABASE` set, on PostgreSQL.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;

use backend::Store;
use backend::population::generate::{GenerateOptions, write_opensid_csv};
use backend::registry_import::{ImportRequest, Written, import_population};
use common::report_rows;

fn masked(nik: &str) -> String {
    format!("{}********{}", &nik[..4], &nik[12..])
}

#[test]
fn families_without_one_head_are_refused_in_line_order_and_a_head_may_come_last() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open_temporary().expect("store");
    let mut bytes = Vec::new();
    write_opensid_csv(&mut bytes, &GenerateOptions { residents: 9_000, seed: 21, regency: 3510 })
        .expect("generate");
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_owned).collect();
    let mut rows: Vec<Vec<String>> =
        reader.records().map(|r| r.expect("row").iter().map(str::to_owned).collect()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (nik, no_kk, kk_level) = (col("nik"), col("no_kk"), col("kk_level"));

    // Families in order of first appearance; three in four lose their head (their head
    // becomes a "lainnya" member), one gets a second head, one has its head moved to the
    // very end of the file.
    let mut families: Vec<String> = Vec::new();
    for row in &rows {
        if !families.contains(&row[no_kk]) {
            families.push(row[no_kk].clone());
        }
    }
    let headless: BTreeSet<&String> =
        families.iter().enumerate().filter(|(i, _)| i % 4 != 0).map(|(_, kk)| kk).collect();
    let size = |kk: &String| rows.iter().filter(|row| &row[no_kk] == kk).count();
    let kept: Vec<String> =
        families.iter().step_by(4).filter(|kk| size(kk) >= 2).cloned().collect();
    let (two_heads, head_last) = (kept[0].clone(), kept[1].clone());
    for row in rows.iter_mut() {
        if row[kk_level] == "1" && headless.contains(&row[no_kk]) {
            row[kk_level] = "11".into();
        }
    }
    let member = rows
        .iter()
        .position(|row| row[no_kk] == two_heads && row[kk_level] != "1")
        .expect("a family of two or more");
    rows[member][kk_level] = "1".into();
    let head = rows
        .iter()
        .position(|row| row[no_kk] == head_last && row[kk_level] == "1")
        .expect("its head");
    // Its address differs from its members': the family's must be the head's.
    let mut moved = rows.remove(head);
    moved[col("dusun")] = "PALING AKHIR".into();
    moved[col("rt")] = "099".into();
    rows.push(moved);

    let file = dir.path().join("kabupaten.csv");
    let mut writer = csv::Writer::from_path(&file).expect("create");
    writer.write_record(&header).expect("header");
    for row in &rows {
        writer.write_record(row).expect("row");
    }
    writer.flush().expect("flush");

    let report = dir.path().join("report.csv");
    let imported = import_population(&store, &request(&file, &report), &|_| {})
        .unwrap_or_else(|error| panic!("{error}"));

    // What should be refused, by line (the header is line 1).
    let mut expected = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let code = if headless.contains(&row[no_kk]) {
            "kk_without_head"
        } else if row[no_kk] == two_heads {
            "kk_many_heads"
        } else {
            continue;
        };
        expected.push(((i + 2) as u64, masked(&row[nik]), code.to_owned()));
    }
    assert!(expected.len() > 5_000, "more than a page of rows taken back: {}", expected.len());
    let refused: Vec<(u64, String, String)> = report_rows(&report)
        .into_iter()
        .filter(|row| row["outcome"] == "rejected")
        .map(|row| (row["line"].parse().expect("line"), row["nik"].clone(), row["code"].clone()))
        .collect();
    assert_eq!(refused.len(), expected.len());
    assert!(refused == expected, "every row of those families, once, in line order");

    let summary = &imported.summary;
    assert_eq!(summary.rows, 9_000);
    assert_eq!(summary.rejected, expected.len() as u64);
    assert_eq!(summary.accepted, 9_000 - expected.len() as u64);
    let Written::Population { inserted, families_new, .. } = imported.written else {
        panic!("population")
    };
    assert_eq!(inserted, summary.accepted);
    assert_eq!(families_new as usize, families.len() - headless.len() - 1);

    // The registry holds exactly the rows of the families with one head, the one whose
    // head came last among them.
    let stored: BTreeSet<String> = store
        .inspect("SELECT nik FROM residents")
        .expect("residents")
        .into_iter()
        .map(|row| row[0].text().to_owned())
        .collect();
    let wanted: BTreeSet<String> = rows
        .iter()
        .filter(|row| !headless.contains(&row[no_kk]) && row[no_kk] != two_heads)
        .map(|row| row[nik].clone())
        .collect();
    assert!(stored == wanted, "{} stored, {} wanted", stored.len(), wanted.len());
    let last = rows.last().expect("rows");
    assert!(stored.contains(&last[nik]), "the head that came last is registered");
    let address = store
        .inspect(&format!("SELECT dusun, rw, rt FROM families WHERE kk = '{head_last}'"))
        .expect("family");
    let row = &address[0];
    assert_eq!(
        (row[0].text(), row[1].text(), row[2].text()),
        (last[col("dusun")].as_str(), last[col("rw")].as_str(), last[col("rt")].as_str()),
        "the family's address is its head's row's"
    );
}

fn request(file: &Path, report: &Path) -> ImportRequest {
    ImportRequest {
        file: file.to_path_buf(),
        file_name: "kabupaten.csv".into(),
        report: report.to_path_buf(),
        actor: "test".into(),
        desa: None,
        regency: Some(3510),
        dry_run: false,
    }
}
