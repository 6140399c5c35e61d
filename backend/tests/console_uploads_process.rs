//! Console uploads with the real `backend serve`, on SQLite or (ANJUNGAN_TEST_DATABASE)
//! PostgreSQL: jobs survive a restart (a job the process was running when it died shows
//! interrupted, a finished one is still listed with its report), and a 50 MB upload is
//! streamed to disk: the server's high-water resident memory rises by less than 30 MB.

use std::path::Path;

use crate::common;
use crate::console_uploads::{REGISTRY, files_in, finished, load, sample};

use backend::store::{ImportJobRecord, StaffRole};
use common::console::{Console, FIRST_PASSWORD, OWN_PASSWORD, multipart};
use common::process::{Database, Serving};
use common::*;

/// A data directory the service makes itself (0700), inside a temporary directory.
struct DataDir<'a>(&'a Path);

impl DataDir<'_> {
    fn path(&self) -> &Path {
        self.0
    }
}

/// A kabupaten operator on a registry at `dir`, before the service starts.
fn prepare(database: &Database, dir: &Path) {
    common::process::registry(database, dir, 11, &[]);
    let store = database.open(dir);
    store.set_staff("kab.operator", FIRST_PASSWORD, None).expect("staff");
    store
        .set_staff_role("kab.operator", StaffRole::Operator, "Operator", "Operator")
        .expect("role");
}

#[tokio::test]
async fn jobs_survive_a_restart_a_cut_off_one_shows_interrupted_and_a_finished_report_stays() {
    let database = Database::for_test();
    let temp = tempfile::tempdir().expect("dir");
    let data_dir = temp.path().join("data");
    let dir = DataDir(&data_dir);
    prepare(&database, dir.path());
    let first = Serving::start(dir.path(), &database).await;
    let mut browser = Console::new(&first.base);
    browser.sign_in_first_time("kab.operator").await;
    let started =
        load(&mut browser, &[("kind", "population")], "opensid.csv", &sample("opensid.csv")).await;
    let done = started.location().expect("job").to_owned();
    finished(&mut browser, &done).await;
    first.kill_hard();

    // A job the killed process was running: its row says `running`.
    let cut = "00c0ffee00c0ffee";
    database
        .open(dir.path())
        .insert_import_job(&ImportJobRecord {
            id: cut.into(),
            kind: "population".into(),
            desa: None,
            regency: None,
            program: None,
            dry_run: false,
            state: "running".into(),
            rows_done: 1200,
            summary: None,
            error: None,
            started_by: "console:kab.operator".into(),
            file_name: "besar.csv".into(),
            started_at: "2026-01-01T00:00:00Z".into(),
            finished_at: None,
            report: None,
        })
        .expect("running job");

    let second = Serving::start(dir.path(), &database).await;
    let mut browser = Console::new(&second.base);
    browser.sign_in("kab.operator", OWN_PASSWORD).await;
    let list = browser.get("/console/imports").await;
    let done_id = done.trim_start_matches("/console/imports/");
    assert!(list.body.contains(done_id), "the finished job listed after restart");
    assert!(list.body.contains(cut), "the cut off job listed after restart: {}", list.text());
    let page = browser.get(&format!("/console/imports/{cut}")).await;
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("terputus") && text.contains("Nothing was changed"), "{text}");
    assert!(!page.body.contains("http-equiv=\"refresh\""), "an interrupted job does not reload");
    let report = browser.get(&format!("{done}/report.csv")).await;
    assert_eq!(report.status, 200, "the finished job's report after the restart");
    assert!(report.body.starts_with("import,line,nik"), "{}", report.body);

    let login = staff_login(&second.base, "kab.operator", OWN_PASSWORD).await;
    let body: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/staff/import-jobs/{cut}", second.base))
        .bearer_auth(&login.token)
        .send()
        .await
        .expect("job")
        .json()
        .await
        .expect("JSON");
    assert_eq!(body["state"], "interrupted", "{body}");
    assert!(body["error"]["en"].as_str().unwrap_or("").contains("run it again"), "{body}");
    second.stop();
}

/// The largest resident set the process has had, in kB.
fn high_water_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[tokio::test]
async fn a_fifty_megabyte_upload_is_streamed_to_disk_not_held_in_memory() {
    let database = Database::for_test();
    let temp = tempfile::tempdir().expect("dir");
    let data_dir = temp.path().join("data");
    let dir = DataDir(&data_dir);
    prepare(&database, dir.path());
    let serving = Serving::start(dir.path(), &database).await;
    let mut browser = Console::new(&serving.base);
    browser.sign_in_first_time("kab.operator").await;
    let form = browser.get("/console/imports").await;
    let csrf = form.csrf().expect("token");
    let before = high_water_kb(serving.pid());

    // 50 MB of rows; a desil file with a regency code is refused once the file is read,
    // so what is measured is the upload alone.
    let mut file = Vec::with_capacity(50 * 1024 * 1024 + 200);
    file.extend_from_slice(b"no_kk,nik,desil\n");
    while file.len() < 50 * 1024 * 1024 {
        file.extend_from_slice(b"3510092504150001,3510091203850001,3\n");
    }
    let fields = [("csrf", csrf.as_str()), ("kind", "desil"), ("regency", "3510")];
    let answer = browser.post_multipart(REGISTRY, multipart(&fields, "besar.csv", &file)).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    drop(file);
    let after = high_water_kb(serving.pid());
    assert!(
        after.saturating_sub(before) < 30 * 1024,
        "the server's high water rose {} kB for a 50 MB upload",
        after.saturating_sub(before)
    );
    let imports = dir.path().join("imports");
    assert!(!files_in(&imports).iter().any(|f| f.contains("upload")), "the refused file removed");
    serving.stop();
}
