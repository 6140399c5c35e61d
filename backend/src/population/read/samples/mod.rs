//! The sample files of `backend/tests/data/population/` and the tests that read them.
//!
//! The CSV files are written by hand: a few families of real Banyuwangi desa, then one bad
//! row of every kind. The workbooks are built from them here, with the cell types a
//! spreadsheet would have (dates as dates, codes and RT/RW as numbers, one NIK as an exact
//! number, the rounded one as a number), plus what OpenSID's template adds: a "Kode Data"
//! sheet and the `###` end marker. Rebuild them after editing a CSV with
//! `UPDATE_SAMPLES=1 cargo test -p anjungan-backend --lib population::read::samples`.

mod workbooks;

use std::path::{Path, PathBuf};

use protocol::{Nik, NoKk, Sex};
use time::Date;
use time::macros::date;

use super::*;
use crate::population::codes::LifeStatus;
use crate::population::record::FamilyAddress;

pub(crate) fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/population").join(name)
}

fn read(path: &Path, desa: Option<u64>, regency: Option<u32>) -> (FileSummary, Vec<Verdict>) {
    let options = ReadOptions { desa, regency, progress: &|_| {} };
    let mut verdicts = Vec::new();
    let summary = read_population::<()>(path, &options, &mut |verdict| {
        verdicts.push(verdict);
        Ok(())
    })
    .unwrap_or_else(|error| panic!("{}: {error:?}", path.display()));
    // The rows of a family without exactly one head are refused once the file is read; the
    // importer takes them back from what it staged. Here they take their place in line.
    let verdicts = verdicts
        .into_iter()
        .map(|verdict| match verdict {
            Verdict::Accepted(record) => match summary.unfit.iter().find(|f| f.kk == record.kk) {
                Some(family) => Verdict::Rejected(family.rejection(record.line, &record.nik)),
                None => Verdict::Accepted(record),
            },
            rejected => rejected,
        })
        .collect();
    (summary, verdicts)
}

/// (line, "accepted" or the reason's code) per row.
fn outcomes(verdicts: &[Verdict]) -> Vec<(u64, &'static str)> {
    verdicts
        .iter()
        .map(|verdict| match verdict {
            Verdict::Accepted(record) => (record.line, "accepted"),
            Verdict::Rejected(rejection) => (rejection.line, rejection.reason.code()),
        })
        .collect()
}

fn accepted(verdicts: &[Verdict]) -> Vec<PersonRecord> {
    verdicts
        .iter()
        .filter_map(|verdict| match verdict {
            Verdict::Accepted(record) => Some(record.clone()),
            Verdict::Rejected(_) => None,
        })
        .collect()
}

const OPENSID_OUTCOMES: &[&str] = &[
    "accepted",
    "accepted",
    "accepted",
    "nik_missing",
    "nik_invalid",
    "accepted",
    "accepted",
    "number_imprecise",
    "nik_repeated",
    "kk_missing",
    "kk_invalid",
    "name_missing",
    "sex_missing",
    "sex_mismatch",
    "birth_date_missing",
    "birth_date_invalid",
    "birth_date_mismatch",
    "accepted",
    "accepted",
    "code_unknown",
    "shdk_missing",
    "too_long",
    "rt_rw_invalid",
    "desa_missing",
    "desa_unknown",
    "desa_outside_regency",
    "kk_without_head",
    "kk_many_heads",
    "kk_many_heads",
];

/// The outcomes expected of a sample whose first data row is on `first_line`.
fn expected(first_line: u64, codes: &[&'static str]) -> Vec<(u64, &'static str)> {
    codes.iter().enumerate().map(|(i, code)| (first_line + i as u64, *code)).collect()
}

#[allow(clippy::too_many_arguments)]
fn person(
    line: u64,
    nik: &str,
    kk: &str,
    name: &str,
    birth: (&str, Date),
    codes: [Option<u8>; 7],
    parents: (&str, &str),
    life_status: LifeStatus,
    address: (u64, &str, &str, &str, &str),
) -> PersonRecord {
    let nik = Nik::parse(nik).expect("sample NIK");
    let [religion, education, occupation, marital_status, shdk, nationality, blood_type] = codes;
    PersonRecord {
        line,
        nik,
        kk: NoKk::parse(kk).expect("sample KK"),
        name: name.to_string(),
        sex: nik.sex(),
        birth_place: birth.0.to_string(),
        birth_date: birth.1,
        religion,
        education,
        occupation,
        marital_status,
        shdk: shdk.expect("every sample has an SHDK"),
        nationality,
        blood_type,
        father_name: parents.0.to_string(),
        mother_name: parents.1.to_string(),
        life_status,
        address: FamilyAddress {
            desa_code: address.0,
            dusun: address.1.to_string(),
            rw: address.2.to_string(),
            rt: address.3.to_string(),
            street: address.4.to_string(),
        },
    }
}

/// The good rows of both layouts, as records. SIAK has no citizenship column and writes
/// place names in title case; its lines are one further down (a title row above the header).
fn good_people(layout: Layout) -> Vec<PersonRecord> {
    let siak = layout == Layout::Siak;
    let offset = u64::from(siak);
    let wni = if siak { None } else { Some(1) };
    let place = |upper: &'static str, title: &'static str| if siak { title } else { upper };
    let kembiritan = (3510092001, "KRAJAN", "001", "002", "JL. RAYA KEMBIRITAN NO. 12");
    let sarongan = (3510012001, "SUMBERSARI", "003", "001", "");
    let rogojampi = (3510132013, "", "002", "004", "JL. PB SUDIRMAN 7");
    let banyuwangi = place("BANYUWANGI", "Banyuwangi");
    let a = "3510092504150001";
    let b = "3510011002180003";
    let c = "3510130306200004";
    use LifeStatus::Alive;
    vec![
        person(
            2 + offset,
            "3510091203850001",
            a,
            "BUDI SANTOSO",
            (banyuwangi, date!(1985 - 03 - 12)),
            [Some(1), Some(5), Some(9), Some(2), Some(1), wni, Some(13)],
            ("SLAMET", "SUMINAH"),
            Alive,
            kembiritan,
        ),
        person(
            3 + offset,
            "3510094507880001",
            a,
            "SITI AMINAH",
            (banyuwangi, date!(1988 - 07 - 05)),
            [Some(1), Some(4), Some(2), Some(2), Some(3), wni, Some(1)],
            ("HASAN", "FATIMAH"),
            Alive,
            kembiritan,
        ),
        person(
            4 + offset,
            "3510092001100001",
            a,
            "AHMAD FAUZI",
            (banyuwangi, date!(2010 - 01 - 20)),
            [Some(1), Some(2), Some(3), Some(1), Some(4), wni, Some(13)],
            ("BUDI SANTOSO", "SITI AMINAH"),
            Alive,
            kembiritan,
        ),
        person(
            7 + offset,
            "3510010101600002",
            b,
            "SLAMET RIYADI",
            (banyuwangi, date!(1960 - 01 - 01)),
            [Some(1), Some(3), Some(11), Some(2), Some(1), wni, Some(13)],
            ("KASBINO", "KASTAN"),
            Alive,
            sarongan,
        ),
        person(
            8 + offset,
            "3510015402630001",
            b,
            "SUMINAH",
            (banyuwangi, date!(1963 - 02 - 14)),
            [Some(1), Some(3), Some(2), Some(2), Some(3), wni, Some(13)],
            ("KARTO", "SUMIRAH"),
            LifeStatus::Died,
            sarongan,
        ),
        person(
            19 + offset,
            "3510137011700003",
            c,
            "KHOTIJAH",
            (banyuwangi, date!(1970 - 11 - 30)),
            [Some(1), Some(5), Some(88), Some(4), Some(1), wni, Some(13)],
            ("MUHAMMAD", "ZULAIKHA"),
            Alive,
            rogojampi,
        ),
        person(
            20 + offset,
            "3510135208950001",
            c,
            "DEWI LESTARI",
            (place("JEMBER", "Jember"), date!(1995 - 08 - 12)),
            [Some(1), Some(8), Some(15), Some(1), Some(4), wni, Some(13)],
            ("SUTRISNO", "KHOTIJAH"),
            Alive,
            rogojampi,
        ),
    ]
}

fn check_opensid(path: &Path) {
    let (summary, verdicts) = read(path, None, Some(3510));
    assert_eq!(outcomes(&verdicts), expected(2, OPENSID_OUTCOMES), "{}", path.display());
    assert_eq!(accepted(&verdicts), good_people(Layout::OpenSid));
    assert_eq!(
        (summary.layout, summary.rows, summary.accepted, summary.rejected),
        (Layout::OpenSid, 29, 7, 22)
    );
    assert_eq!(summary.sha256.len(), 64);
}

fn siak_outcomes() -> Vec<&'static str> {
    let mut codes = OPENSID_OUTCOMES.to_vec();
    // SIAK names the desa; without a kecamatan, "TAMANSARI" is in two of Banyuwangi's.
    codes[25] = "desa_ambiguous";
    codes
}

fn check_siak(path: &Path) {
    let (summary, verdicts) = read(path, None, Some(3510));
    assert_eq!(outcomes(&verdicts), expected(3, &siak_outcomes()), "{}", path.display());
    assert_eq!(accepted(&verdicts), good_people(Layout::Siak));
    assert_eq!(summary.layout, Layout::Siak);
}

#[test]
fn opensid_csv_sample_gives_its_people_and_one_rejection_of_every_kind() {
    check_opensid(&sample("opensid.csv"));
}

#[test]
fn siak_csv_sample_gives_the_same_people_with_names_for_codes_and_places() {
    check_siak(&sample("siak.csv"));
}

#[test]
fn rejections_mask_the_nik_and_name_the_column() {
    let (_, verdicts) = read(&sample("opensid.csv"), None, Some(3510));
    let rejected: Vec<&Rejection> = verdicts
        .iter()
        .filter_map(|verdict| match verdict {
            Verdict::Rejected(rejection) => Some(rejection),
            Verdict::Accepted(_) => None,
        })
        .collect();
    let by_code =
        |code: &str| rejected.iter().find(|r| r.reason.code() == code).copied().expect(code);
    let invalid = by_code("nik_invalid");
    assert_eq!(invalid.nik.as_deref(), Some("3510*******5001"));
    assert!(invalid.detail.starts_with("nik = \"3510*******5001\""), "{}", invalid.detail);
    assert_eq!(by_code("code_unknown").detail, "agama_id = \"9\"");
    assert_eq!(by_code("code_unknown").reason, RejectReason::CodeUnknown { list: "agama" });
    assert_eq!(by_code("kk_many_heads").detail, "no_kk = \"3510********0006\"");
    assert_eq!(by_code("too_long").detail, "nama: 136 characters, at most 100");
    assert_eq!(by_code("nik_repeated").nik.as_deref(), Some("3510********0001"));
    for rejection in &rejected {
        assert!(!rejection.detail.contains("3510091"), "a whole NIK leaked: {}", rejection.detail);
    }
}

#[test]
fn an_opensid_file_without_a_desa_column_takes_the_desa_it_is_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("satu-desa.csv");
    let text = "nik,no_kk,nama,sex,tanggallahir,kk_level\n\
                3510091203850001,3510092504150001,BUDI SANTOSO,1,12-03-1985,1\n";
    std::fs::write(&path, text).expect("write");
    let (_, given) = read(&path, Some(3510092001), Some(3510));
    let [Verdict::Accepted(record)] = given.as_slice() else { panic!("{given:?}") };
    assert_eq!(record.address.desa_code, 3510092001);
    assert_eq!(record.sex, Sex::Male);
    let (_, none) = read(&path, None, Some(3510));
    assert_eq!(outcomes(&none), [(2, "desa_missing")]);
}

#[test]
fn a_file_of_neither_layout_names_the_missing_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("daftar.csv");
    std::fs::write(&path, "Nomor KK;NIK;Nama Penduduk;Kelamin\n1;2;3;4\n").expect("write");
    let error = read_population::<()>(
        &path,
        &ReadOptions { desa: None, regency: None, progress: &|_| {} },
        &mut |_| Ok(()),
    )
    .expect_err("not a population file");
    let ReadFailure::Read(ReadError::NotAPopulationFile { missing }) = error else {
        panic!("{error:?}")
    };
    assert_eq!(missing, ["Tanggal Lahir", "SHDK"]);
}

#[test]
fn the_samples_show_every_reason() {
    let mut codes: Vec<&str> = OPENSID_OUTCOMES.to_vec();
    codes.extend(siak_outcomes());
    codes.extend(desil::tests::outcomes(&sample("desil.csv")).into_iter().map(|(_, code)| code));
    for reason in RejectReason::ALL {
        assert!(codes.contains(&reason.code()), "no sample row is {}", reason.code());
    }
}

#[test]
fn progress_goes_from_nothing_to_the_whole_file_in_one_pass() {
    let path = sample("opensid.csv");
    let seen = std::sync::Mutex::new(Vec::new());
    let progress = |report: ReadProgress| seen.lock().expect("lock").push(report);
    let options = ReadOptions { desa: None, regency: Some(3510), progress: &progress };
    read_population::<()>(&path, &options, &mut |_| Ok(())).expect("reads");
    let total = std::fs::metadata(&path).expect("size").len();
    let seen = seen.into_inner().expect("lock");
    let ends: Vec<(u64, u64)> =
        [seen.first(), seen.last()].into_iter().flatten().map(|p| (p.done_bytes, p.rows)).collect();
    assert_eq!(ends, [(0, 0), (total, 29)]);
    assert!(seen.iter().all(|p| p.total_bytes == total));
    assert!(seen.windows(2).all(|w| w[0].done_bytes <= w[1].done_bytes), "progress goes back");
}
