//! Loading the kabupaten's population and DTSEN files end to end: the sample files of both
//! layouts (CSV and XLSX) through `registry_import` into the registry, the report a
//! kabupaten operator reads, a second import changing 1% of the rows, the CLI as a real
//! process (killed halfway: nothing written), and the staff API. Run on SQLite and, with
//! `ANJUNGAN_TEST_DATABASE` set (scripts/test.sh does), on PostgreSQL.

use crate::common;

use common::report_rows;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use backend::Store;
use backend::population::generate::{GenerateOptions, write_opensid_csv};
use backend::registry_import::{
    ImportReport, ImportRequest, Written, import_desil, import_population,
};
use protocol::registry::{DESIL_PATH, POPULATION_PATH, RegistryImportResponse};
use protocol::staff::LoginResponse;
use serde_json::json;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/population").join(name)
}

fn request(file: &Path, report: &Path, desa: Option<u64>) -> ImportRequest {
    ImportRequest {
        file: file.to_path_buf(),
        file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        report: report.to_path_buf(),
        actor: "test".into(),
        desa,
        regency: Some(3510),
        dry_run: false,
    }
}

fn population(
    store: &Store,
    file: &Path,
    dir: &Path,
) -> (ImportReport, Vec<BTreeMap<String, String>>) {
    let report = dir.join(format!(
        "{}.report.csv",
        file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    ));
    let imported = import_population(store, &request(file, &report, None), &|_| {})
        .unwrap_or_else(|error| panic!("{}: {error}", file.display()));
    (imported, report_rows(&report))
}

fn count(store: &Store, sql: &str) -> i64 {
    store.inspect(sql).expect("query")[0][0].int()
}

#[test]
fn both_layouts_as_csv_and_xlsx_load_the_good_rows_and_report_every_bad_one_with_its_reason() {
    let dir = tempfile::tempdir().expect("dir");
    let mut registries = BTreeMap::new();
    for name in ["opensid.csv", "opensid.xlsx", "siak.csv", "siak.xlsx"] {
        let store = Store::open_temporary().expect("store");
        let (imported, rows) = population(&store, &sample(name), dir.path());
        let rejected: BTreeSet<&str> = rows
            .iter()
            .filter(|row| row["outcome"] == "rejected")
            .map(|row| row["code"].as_str())
            .collect();
        // Every kind of bad row in the samples, each refused under its own code.
        for code in [
            "nik_invalid",
            "kk_invalid",
            "nik_repeated",
            "name_missing",
            "sex_mismatch",
            "birth_date_mismatch",
            "code_unknown",
            "kk_without_head",
            "kk_many_heads",
        ] {
            assert!(rejected.contains(code), "{name}: no {code} in {rejected:?}");
        }
        for row in rows.iter().filter(|row| row["outcome"] == "rejected") {
            assert!(!row["reason_id"].is_empty() && !row["reason_en"].is_empty(), "{row:?}");
            assert!(row["line"].parse::<u64>().is_ok(), "{name}: a rejection without a line");
        }
        assert_eq!(imported.summary.rejected, rows.len() as u64, "{name}: one report row each");
        let residents = count(&store, "SELECT count(*) FROM residents");
        assert_eq!(residents as u64, imported.summary.accepted, "{name}");
        let Written::Population { inserted, .. } = imported.written else { panic!("population") };
        assert_eq!(inserted, imported.summary.accepted, "{name}: a fresh registry");
        // Nothing half-written: the NIK of a rejected row is not in the registry (unless
        // it was the first, accepted row of a repeated NIK).
        let stored: BTreeSet<String> = store
            .inspect("SELECT nik FROM residents")
            .expect("niks")
            .into_iter()
            .map(|row| row[0].text().to_owned())
            .collect();
        let niks = niks_by_line(name);
        for row in rows.iter().filter(|row| row["code"] != "nik_repeated") {
            let line: usize = row["line"].parse().expect("line");
            if let Some(nik) = niks.get(&line) {
                assert!(!stored.contains(nik), "{name}: line {line} ({}) was written", row["code"]);
            }
        }
        let families = store
            .inspect("SELECT kk, desa_code, dusun, rw, rt FROM families ORDER BY kk")
            .expect("families");
        let people = store
            .inspect(
                "SELECT nik, kk, name, birth_place, birth_date, religion, occupation, shdk, \
                 father_name, mother_name, life_status FROM residents ORDER BY nik",
            )
            .expect("residents");
        registries.insert(name, (families, people));
    }
    // The same people, whichever file format carried them.
    assert_eq!(registries["opensid.csv"], registries["opensid.xlsx"]);
    assert_eq!(registries["siak.csv"], registries["siak.xlsx"]);
}

/// The 16-character NIK cell of each line of a sample, read from its CSV twin (an XLSX
/// sample's rows are its CSV twin's lines).
fn niks_by_line(name: &str) -> BTreeMap<usize, String> {
    let path = sample(&name.replace(".xlsx", ".csv"));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(&path)
        .expect("sample");
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let header = records
        .iter()
        .position(|r| r.iter().any(|cell| cell.eq_ignore_ascii_case("nik")))
        .expect("header row");
    let column = records[header]
        .iter()
        .position(|cell| cell.eq_ignore_ascii_case("nik"))
        .expect("nik column");
    records
        .iter()
        .enumerate()
        .skip(header + 1)
        .filter_map(|(i, record)| {
            let nik = record.get(column)?.trim_start_matches('\'').to_owned();
            (nik.len() == 16).then_some((i + 1, nik))
        })
        .collect()
}

/// A generated OpenSID file of `residents` rows, as rows of cells with its header.
fn generated(residents: u64) -> (Vec<String>, Vec<Vec<String>>) {
    let mut bytes = Vec::new();
    write_opensid_csv(&mut bytes, &GenerateOptions { residents, seed: 16, regency: 3510 })
        .expect("generate");
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header = reader.headers().expect("header").iter().map(str::to_owned).collect();
    let rows =
        reader.records().map(|r| r.expect("row").iter().map(str::to_owned).collect()).collect();
    (header, rows)
}

fn write_csv(path: &Path, header: &[String], rows: &[Vec<String>]) {
    let mut writer = csv::Writer::from_path(path).expect("create");
    writer.write_record(header).expect("header");
    for row in rows {
        writer.write_record(row).expect("row");
    }
    writer.flush().expect("flush");
}

#[test]
fn a_second_import_changing_one_percent_of_the_rows_records_exactly_those_changes() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open_temporary().expect("store");
    let (header, mut rows) = generated(3_000);
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (nama, nik, no_kk, kk_level, status_dasar) =
        (col("nama"), col("nik"), col("no_kk"), col("kk_level"), col("status_dasar"));
    let first = dir.path().join("first.csv");
    write_csv(&first, &header, &rows);
    let (imported, report) = population(&store, &first, dir.path());
    assert_eq!((imported.summary.rows, imported.summary.rejected), (3_000, 0), "{report:?}");
    let died =
        |store: &Store| count(store, "SELECT count(*) FROM residents WHERE life_status = 'died'");
    let died_before = died(&store);

    // 1% of the rows: 10 name corrections, 10 deaths, 10 moves of a member (not a head)
    // into the family of the row before.
    let members: Vec<usize> = (1..rows.len())
        .filter(|&i| rows[i][kk_level] != "1" && rows[i][status_dasar] == "1")
        .collect();
    let mut expected = BTreeSet::new();
    let chosen: Vec<usize> = members.iter().copied().step_by(members.len() / 30).take(30).collect();
    for i in chosen {
        let masked = format!("{}********{}", &rows[i][nik][..4], &rows[i][nik][12..]);
        let line = (i + 2).to_string();
        match expected.len() % 3 {
            0 => {
                rows[i][nama] = format!("{} KOREKSI", rows[i][nama]);
                expected.insert((line, masked, "name".to_owned()));
            }
            1 => {
                rows[i][status_dasar] = "2".into();
                expected.insert((line, masked, "life_status".to_owned()));
            }
            _ => {
                let other = (0..rows.len())
                    .find(|&j| rows[j][no_kk] != rows[i][no_kk])
                    .expect("another family");
                rows[i][no_kk] = rows[other][no_kk].clone();
                expected.insert((line, masked, "kk".to_owned()));
            }
        }
    }
    assert_eq!(expected.len(), 30);
    let second = dir.path().join("second.csv");
    write_csv(&second, &header, &rows);
    let (imported, report) = population(&store, &second, dir.path());
    let changed: BTreeSet<(String, String, String)> = report
        .iter()
        .filter(|row| row["outcome"] == "changed")
        .map(|row| (row["line"].clone(), row["nik"].clone(), row["field"].clone()))
        .collect();
    assert_eq!(changed, expected, "exactly the changed rows, each with its line and field");
    let Written::Population { inserted, updated, unchanged, .. } = imported.written else {
        panic!("population")
    };
    assert_eq!((inserted, updated, unchanged), (0, 30, 2_970));
    assert_eq!(count(&store, "SELECT count(*) FROM resident_history"), 30);
    assert_eq!(died(&store), died_before + 10);

    // The same file once more: nothing changes, nothing is recorded.
    let (imported, report) = population(&store, &second, dir.path());
    assert!(report.iter().all(|row| row["outcome"] != "changed"), "{report:?}");
    let Written::Population { updated, unchanged, .. } = imported.written else { panic!() };
    assert_eq!((updated, unchanged), (0, 3_000));
    assert_eq!(count(&store, "SELECT count(*) FROM resident_history"), 30);
    assert_eq!(count(&store, "SELECT count(*) FROM registry_imports"), 3);
}

#[test]
fn a_dry_run_reports_the_same_and_writes_nothing_and_desil_rows_find_their_families() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open_temporary().expect("store");
    let file = sample("opensid.csv");
    let report = dir.path().join("dry.report.csv");
    let mut dry = request(&file, &report, None);
    dry.dry_run = true;
    let checked = import_population(&store, &dry, &|_| {}).expect("dry run");
    assert!(checked.dry_run);
    assert_eq!(count(&store, "SELECT count(*) FROM residents"), 0);
    assert_eq!(count(&store, "SELECT count(*) FROM registry_imports"), 0);
    let dry_rows = report_rows(&report);
    let (real, real_rows) = population(&store, &file, dir.path());
    assert_eq!(checked.summary.accepted, real.summary.accepted);
    let strip = |rows: &[BTreeMap<String, String>]| -> Vec<BTreeMap<String, String>> {
        rows.iter()
            .cloned()
            .map(|mut row| {
                row.remove("import");
                row
            })
            .collect()
    };
    assert_eq!(strip(&dry_rows), strip(&real_rows), "a dry run's report is the real one's");

    for name in ["desil.csv", "desil.xlsx"] {
        let report = dir.path().join(format!("{name}.report.csv"));
        let ranked = import_desil(&store, &request(&sample(name), &report, None), &|_| {})
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let Written::Desil { matched, .. } = ranked.written else { panic!("desil") };
        assert!(matched >= 2, "{name}: matched {matched}");
        let rows = report_rows(&report);
        assert!(
            rows.iter().any(|row| row["outcome"] == "rejected" && row["code"] == "key_missing"),
            "{name}: a row with neither KK nor NIK is refused: {rows:?}"
        );
    }
    assert!(count(&store, "SELECT count(*) FROM families WHERE desil IS NOT NULL") >= 2);
}

/// Runs `backend` on the registry file `database`.
fn backend(database: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_backend"));
    command
        .arg("--database")
        .arg(database)
        .env("USER", "tester")
        .env_remove("ANJUNGAN_DATABASE")
        .env_remove("ANJUNGAN_DATA_DIR");
    command
}

#[test]
fn the_cli_loads_a_file_and_a_killed_import_leaves_the_registry_and_report_untouched() {
    let dir = tempfile::tempdir().expect("dir");
    let database = dir.path().join("registry.sqlite3");
    let file = sample("siak.xlsx");
    let output = backend(&database)
        .args(["registry", "import", "--regency", "3510"])
        .arg(&file)
        .arg("--report")
        .arg(dir.path().join("siak.report.csv"))
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("accepted") && stdout.contains("rejected"), "{stdout}");
    assert!(dir.path().join("siak.report.csv").exists());
    let store = Store::open(&database).expect("open");
    let loaded = count(&store, "SELECT count(*) FROM residents");
    assert!(loaded > 0);
    let audited = store.recent_audit(20).expect("audit");
    assert!(
        audited.iter().any(|entry| entry.action == "registry_import"
            && entry.actor == "cli:tester"
            && entry.outcome.contains("accepted=")),
        "{audited:?}"
    );
    drop(store);

    // A big file, and the process killed while it reads: as after a power cut, the
    // registry holds what it held, and no report claims otherwise.
    let big = dir.path().join("big.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&big).expect("create"));
    write_opensid_csv(&mut out, &GenerateOptions { residents: 400_000, seed: 3, regency: 3510 })
        .expect("generate");
    drop(out);
    let report = dir.path().join("big.report.csv");
    let mut child = backend(&database)
        .args(["registry", "import"])
        .arg(&big)
        .arg("--report")
        .arg(&report)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Wait until the import is under way (its partial report exists), then kill it.
    let partial = dir.path().join("big.report.csv.partial");
    let started = std::time::Instant::now();
    while !partial.exists() && started.elapsed() < std::time::Duration::from_secs(60) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let finished_already = child.try_wait().expect("wait").is_some();
    child.kill().expect("kill");
    child.wait().expect("reap");
    assert!(!finished_already, "the import ended before it could be killed; use a bigger file");
    let store = Store::open(&database).expect("reopen after the kill");
    assert_eq!(count(&store, "SELECT count(*) FROM residents"), loaded);
    assert_eq!(count(&store, "SELECT count(*) FROM registry_imports"), 1);
    assert!(!report.exists(), "no report for an import that did not happen");
}

const PASSWORD: &str = "kabupaten-2026";

async fn login(url: &str, username: &str) -> String {
    let login: LoginResponse = reqwest::Client::new()
        .post(format!("{url}/api/v1/staff/login"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login JSON");
    login.token
}

#[tokio::test]
async fn kabupaten_operators_load_files_over_the_staff_api_and_desa_staff_may_not() {
    let store = Store::open_temporary().expect("store");
    store.set_staff("operator", PASSWORD, None).expect("operator");
    // Its own password chosen: the API serves only such accounts.
    store.change_staff_password("operator", PASSWORD, None).expect("own password");
    store.set_staff("sekdes", PASSWORD, Some(3510092001)).expect("desa staff");
    // Its own password chosen: the API serves only such accounts.
    store.change_staff_password("sekdes", PASSWORD, None).expect("own password");
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(backend::serve(listener, store.clone()));
    let client = reqwest::Client::new();
    let operator = login(&url, "operator").await;
    let sekdes = login(&url, "sekdes").await;
    let file = std::fs::read(sample("opensid.xlsx")).expect("sample");

    let refused = client
        .post(format!("{url}{POPULATION_PATH}?regency=3510"))
        .bearer_auth(&sekdes)
        .body(file.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 403);
    assert_eq!(store.resident_count().expect("count"), 0);

    let answer = client
        .post(format!("{url}{POPULATION_PATH}?regency=3510&dry_run=true"))
        .bearer_auth(&operator)
        .body(file.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(answer.status(), 200);
    let checked: RegistryImportResponse = answer.json().await.expect("JSON");
    assert!(checked.dry_run && checked.accepted > 0 && checked.rejected > 0);
    assert_eq!(store.resident_count().expect("count"), 0, "a dry run writes nothing");

    let answer = client
        .post(format!("{url}{POPULATION_PATH}?regency=3510"))
        .bearer_auth(&operator)
        .body(file.clone())
        .send()
        .await
        .expect("post");
    let loaded: RegistryImportResponse = answer.json().await.expect("JSON");
    assert_eq!(loaded.layout, "opensid");
    assert_eq!(loaded.inserted, loaded.accepted);
    assert_eq!(store.resident_count().expect("count"), loaded.accepted);
    assert_eq!(loaded.report.len() as u64, loaded.rejected);
    let repeated = loaded.report.iter().find(|row| row.code == "nik_repeated").expect("row");
    assert!(repeated.nik.contains("****"), "masked: {}", repeated.nik);
    assert!(!repeated.reason.id.is_empty() && !repeated.reason.en.is_empty());

    // The whole report as CSV, on request.
    let csv = client
        .post(format!("{url}{POPULATION_PATH}?regency=3510"))
        .bearer_auth(&operator)
        .header("accept", "text/csv")
        .body(file)
        .send()
        .await
        .expect("post");
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.expect("text");
    assert!(text.starts_with("import,line,nik,kk,outcome"), "{text}");

    let not_a_file = client
        .post(format!("{url}{DESIL_PATH}"))
        .bearer_auth(&operator)
        .body("nama,alamat\nBUDI,JL. RAYA\n")
        .send()
        .await
        .expect("post");
    assert_eq!(not_a_file.status(), 400);
    let error: protocol::api::ApiError = not_a_file.json().await.expect("error JSON");
    assert_eq!(error.code, protocol::api::ErrorCode::InvalidPopulationFile);
    assert!(!error.message.id.is_empty() && error.message.id != error.message.en);

    store.flush_audit();
    let audit = store.recent_audit(50).expect("audit");
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .filter(|entry| entry.action.ends_with("_import"))
        .map(|entry| (entry.actor.as_str(), entry.outcome.as_str()))
        .collect();
    assert!(actions.contains(&("staff:sekdes", "forbidden")), "{actions:?}");
    assert!(
        actions
            .iter()
            .any(|(actor, outcome)| *actor == "staff:operator" && outcome.starts_with("dry_run ")),
        "{actions:?}"
    );
    assert!(actions.iter().any(|(_, outcome)| *outcome == "failed"), "{actions:?}");
}

#[tokio::test]
async fn a_death_in_a_second_file_ends_her_memberships_and_the_status_page_says_so() {
    let server = common::server().await;
    let dir = tempfile::tempdir().expect("dir");
    let store = server.store.clone();
    let file = sample("opensid.csv");
    let (first, _) = {
        let (store, file, dir) = (store.clone(), file.clone(), dir.path().to_path_buf());
        tokio::task::spawn_blocking(move || population(&store, &file, &dir)).await.expect("join")
    };
    assert!(first.summary.accepted > 0);
    // SITI AMINAH, wife in the first family, holds an incentive of her own; her household
    // receives BPNT.
    let siti = protocol::Nik::parse("3510094507880001").expect("NIK");
    let kk = protocol::NoKk::parse("3510092504150001").expect("KK");
    let held = |program: &str, nik: Option<protocol::Nik>, kk: Option<protocol::NoKk>| {
        backend::store::NewMembership {
            program: program.into(),
            nik,
            kk,
            component: None,
            member_nik: None,
            state: protocol::api::MembershipState::Active,
            since: "2025-01-06".into(),
            desa_code: 3510092001,
        }
    };
    store
        .add_memberships(&[held("GURU_NGAJI", Some(siti), None), held("BPNT", None, Some(kk))])
        .expect("memberships");
    let path = format!("/api/v1/residents/{siti}/status");
    let before: protocol::api::StatusResponse =
        common::get(&server, &path).await.json().await.expect("status");
    assert_eq!(before.life_status, protocol::api::LifeStatus::Alive);

    // The desa's next export records her death (status dasar 2, MATI).
    let text = std::fs::read_to_string(&file).expect("sample");
    let died: String = text
        .lines()
        .map(|line| {
            if line.contains(",'3510094507880001,") || line.contains(",3510094507880001,") {
                let mut cells: Vec<String> = line.split(',').map(str::to_owned).collect();
                let header: Vec<&str> = text.lines().next().expect("header").split(',').collect();
                let column = header.iter().position(|h| *h == "status_dasar").expect("column");
                cells[column] = "MATI".into();
                cells.join(",")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let second = dir.path().join("second.csv");
    std::fs::write(&second, died + "\n").expect("write");
    let (imported, report) = {
        let (store, dir) = (store.clone(), dir.path().to_path_buf());
        tokio::task::spawn_blocking(move || population(&store, &second, &dir)).await.expect("join")
    };
    let Written::Population { memberships_ended, updated, .. } = imported.written else {
        panic!("population")
    };
    assert_eq!((memberships_ended, updated), (1, 1), "her incentive; the household keeps BPNT");
    let changes: Vec<(&str, &str, &str)> = report
        .iter()
        .filter(|row| row["outcome"] == "changed")
        .map(|row| (row["field"].as_str(), row["before"].as_str(), row["after"].as_str()))
        .collect();
    assert_eq!(changes, [("life_status", "alive", "died")]);
    let ended = store
        .inspect("SELECT program, state, ended_reason FROM memberships ORDER BY program")
        .expect("memberships");
    let ended: Vec<(String, String, Option<String>)> = ended
        .iter()
        .map(|row| (row[0].text().into(), row[1].text().into(), row[2].opt_text().map(Into::into)))
        .collect();
    assert!(
        ended.contains(&("GURU_NGAJI".into(), "ended".into(), Some("died".into()))),
        "{ended:?}"
    );
    assert!(ended.contains(&("BPNT".into(), "active".into(), None)), "{ended:?}");

    // The status page tells a death and what it ended, no more: no date, no cause.
    let response = common::get(&server, &path).await;
    let body = response.text().await.expect("body");
    let after: protocol::api::StatusResponse = serde_json::from_str(&body).expect("status");
    assert_eq!(after.life_status, protocol::api::LifeStatus::Died);
    let incentive = after.person.iter().find(|m| m.program == "GURU_NGAJI").expect("hers");
    assert_eq!(incentive.state, protocol::api::MembershipState::Ended);
    assert_eq!(incentive.since, "");
    assert!(after.name.contains('*'), "still masked: {}", after.name);
    for word in ["MATI", "ended_reason", "died_on", imported.id.as_str()] {
        assert!(!body.contains(word), "{word} in {body}");
    }
}
