//! The console's imports and public recipient lists over real HTTP, on the database the suite
//! runs on (SQLite, or PostgreSQL when ANJUNGAN_TEST_DATABASE names a server): a recipient
//! list uploaded as a browser uploads it, run as a background job, its per-row outcome
//! filtered and paged, its report downloaded with the NIKs masked; a dry run writes
//! nothing and is then applied for real; a desa account reaches neither another desa's
//! import nor its list; markup and paths in the file's name and cells are shown as text;
//! the upload form goes through the CSRF gate; the public list page and its JSON.

use crate::common;

use backend::store::StaffRole;
use common::console::{Answer, Console, OWN_PASSWORD, World, column, multipart, world};
use common::*;

async fn audited(world: &World, action: &str) -> Vec<String> {
    let store = world.server.store.clone();
    store.flush_audit();
    let entries = tokio::task::spawn_blocking(move || store.recent_audit(100_000).expect("audit"))
        .await
        .expect("join");
    entries
        .iter()
        .filter(|e| e.action == action)
        .map(|e| format!("{} {} {}", e.actor, e.subject, e.outcome))
        .collect()
}

async fn memberships(world: &World) -> usize {
    column(&world.server.store, "SELECT CAST(count(*) AS TEXT) FROM memberships".into()).await[0]
        .parse()
        .expect("count")
}

async fn signed_in(world: &World, username: &str, desa: Option<u64>, role: StaffRole) -> Console {
    world.staff(username, desa, role, "Petugas Uji").await;
    let mut browser = Console::new(&world.server.url);
    browser.sign_in_first_time(username).await;
    browser
}

/// Uploads `csv` from the imports form; the answer (a 303 to the job when it started).
async fn upload(
    browser: &mut Console,
    fields: &[(&str, &str)],
    file_name: &str,
    csv: &str,
) -> Answer {
    let form = browser.get("/console/imports").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.csrf().expect("the upload form's token");
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    browser.post_multipart("/console/imports", multipart(&all, file_name, csv.as_bytes())).await
}

/// Follows a job's page until it no longer refreshes itself: the finished page.
async fn finished(browser: &mut Console, job: &str) -> Answer {
    for _ in 0..200 {
        let page = browser.get(job).await;
        assert_eq!(page.status, 200, "{}", page.body);
        if !page.body.contains("http-equiv=\"refresh\"") {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the job {job} did not finish");
}

fn bad_row_csv(heads: &[String]) -> String {
    format!("nik,name\n{},WARGA SATU\n12345,RUSAK\n{},WARGA DUA\n", heads[0], heads[1])
}

#[tokio::test]
async fn an_uploaded_list_with_a_bad_row_reports_it_per_row_and_writes_nothing() {
    let world = world().await;
    let mut browser =
        signed_in(&world, "ani.operator", Some(world.home), StaffRole::Operator).await;
    let heads = world.heads(world.home).await;
    let before = memberships(&world).await;

    let started = upload(
        &mut browser,
        &[("program", "BLT_DD"), ("dry_run", "1")],
        "blt.csv",
        &bad_row_csv(&heads),
    )
    .await;
    assert_eq!(started.status, 303, "{}", started.body);
    let job = started.location().expect("the job's page").to_owned();
    assert!(job.starts_with("/console/imports/"), "{job}");
    let page = finished(&mut browser, &job).await;
    let text = page.text();
    assert!(text.contains("Hasil per baris") && text.contains("Outcome per row"), "{text}");
    assert!(text.contains("Baris 3") && text.contains("rusak"), "line 3 is malformed: {text}");
    assert!(text.contains("Tidak ditulis") || text.contains("Uji coba selesai"), "{text}");
    for nik in &heads[..2] {
        assert!(!page.body.contains(nik.as_str()), "a full NIK on the page");
        assert!(page.body.contains(&format!("{}********{}", &nik[..4], &nik[12..])), "masked");
    }

    let only = browser.get(&format!("{job}?outcome=malformed")).await;
    assert_eq!(only.status, 200);
    assert_eq!(only.body.matches("<tr data-outcome=").count(), 1, "{}", only.body);
    assert!(only.text().contains("Baris 3"));
    let none = browser.get(&format!("{job}?outcome=over_quota")).await;
    assert_eq!(none.body.matches("<tr data-outcome=").count(), 0);
    assert!(none.text().contains("Tidak ada baris dengan hasil ini."));

    let report = browser.get(&format!("{job}/report.csv")).await;
    assert_eq!(report.status, 200);
    assert!(report.header("content-type").starts_with("text/csv"));
    assert!(report.body.starts_with("line,nik,outcome,reason_id,reason_en"), "{}", report.body);
    assert!(report.body.contains("\n3,,malformed,"), "{}", report.body);
    for nik in &heads[..2] {
        assert!(!report.body.contains(nik.as_str()), "a full NIK in the report");
    }
    assert_eq!(memberships(&world).await, before, "a dry run writes nothing");
    // A malformed file is not offered for applying, and not applied even when asked.
    assert!(!page.body.contains("Terapkan sungguhan"), "no apply button");
    let apply_token = page.csrf().expect("token");
    let applied = browser.post(&format!("{job}/apply"), &[("csrf", &apply_token)]).await;
    assert_eq!(applied.status, 409, "{}", applied.body);
    assert!(applied.text().contains("without malformed or duplicated rows"));
    assert_eq!(memberships(&world).await, before, "a malformed file never lands");

    let imports = audited(&world, "console_import").await;
    assert!(imports.iter().any(|e| e.starts_with("console:ani.operator job:")), "{imports:?}");
    assert!(!audited(&world, "import").await.is_empty(), "the import's own entry");
    assert!(!audited(&world, "console_import_job").await.is_empty());
    assert!(!audited(&world, "console_import_report").await.is_empty());
}

#[tokio::test]
async fn a_clean_dry_run_applied_for_real_writes_its_accepted_rows_and_the_api_reads_the_job() {
    let world = world().await;
    let mut browser =
        signed_in(&world, "budi.operator", Some(world.home), StaffRole::Operator).await;
    let heads = world.heads(world.home).await;
    let csv = format!("nik\n{}\n{}\n{}\n", heads[2], heads[3], heads[4]);
    let before = memberships(&world).await;
    let started =
        upload(&mut browser, &[("program", "BLT_DD"), ("dry_run", "1")], "x.csv", &csv).await;
    let job = started.location().expect("job").to_owned();
    let page = finished(&mut browser, &job).await;
    assert!(page.text().contains("Uji coba selesai"), "{}", page.text());
    assert_eq!(memberships(&world).await, before);

    let token = page.csrf().expect("token");
    let applied = browser.post(&format!("{job}/apply"), &[("csrf", &token)]).await;
    assert_eq!(applied.status, 303, "{}", applied.body);
    let real = applied.location().expect("the new job").to_owned();
    assert_ne!(real, job);
    let done = finished(&mut browser, &real).await;
    assert!(!done.body.contains("Terapkan sungguhan"), "a real run is not applied again");

    let login = staff_login(&world.server.url, "budi.operator", OWN_PASSWORD).await;
    let id = real.trim_start_matches("/console/imports/");
    let api = reqwest::Client::new()
        .get(format!("{}/api/v1/staff/import-jobs/{id}", world.server.url))
        .bearer_auth(&login.token)
        .send()
        .await
        .expect("job");
    assert_eq!(api.status(), 200);
    let body: serde_json::Value = api.json().await.expect("JSON");
    assert_eq!(body["state"], "finished", "{body}");
    assert_eq!(body["dry_run"], false);
    let accepted = body["summary"]["accepted"].as_u64().expect("accepted");
    assert_eq!(memberships(&world).await, before + accepted as usize, "accepted rows written");
    let report = reqwest::Client::new()
        .get(format!("{}/api/v1/staff/import-jobs/{id}/report", world.server.url))
        .bearer_auth(&login.token)
        .send()
        .await
        .expect("report");
    assert_eq!(report.status(), 200);
    let csv = report.text().await.expect("CSV");
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(!csv.contains(heads[2].as_str()));
}

#[tokio::test]
async fn another_desas_operator_reaches_neither_the_import_nor_the_list_and_auditors_only_read() {
    let world = world().await;
    let mut home = signed_in(&world, "ani.operator", Some(world.home), StaffRole::Operator).await;
    let mut away = signed_in(&world, "lain.operator", Some(world.other), StaffRole::Operator).await;
    let heads = world.heads(world.home).await;
    let csv = format!("nik\n{}\n", heads[0]);
    let before = memberships(&world).await;

    let other = world.home.to_string();
    let tampered =
        upload(&mut away, &[("program", "BLT_DD"), ("desa", &other)], "x.csv", &csv).await;
    assert_eq!(tampered.status, 404, "{}", tampered.body);
    assert!(audited(&world, "import").await.iter().any(|e| e.ends_with("forbidden")));
    assert_eq!(memberships(&world).await, before);

    let started =
        upload(&mut home, &[("program", "BLT_DD"), ("dry_run", "1")], "x.csv", &csv).await;
    let job = started.location().expect("job").to_owned();
    finished(&mut home, &job).await;
    assert_eq!(away.get(&job).await.status, 404, "another desa's job");
    assert_eq!(away.get(&format!("{job}/report.csv")).await.status, 404);
    let token = away.token().await;
    assert_eq!(away.post(&format!("{job}/apply"), &[("csrf", &token)]).await.status, 404);
    assert_eq!(away.get("/console/imports/..%2F..%2Fetc%2Fpasswd").await.status, 404);
    assert!(!away.get("/console/imports").await.text().contains(&job), "not listed either");

    let list = format!("/console/public-lists/{}/PKH", world.home);
    assert_eq!(away.get(&list).await.status, 404, "another desa's list");
    assert_eq!(home.get(&list).await.status, 200);
    let login = staff_login(&world.server.url, "lain.operator", OWN_PASSWORD).await;
    let api = reqwest::Client::new()
        .get(format!("{}/api/v1/staff/public-lists/{}/PKH", world.server.url, world.home))
        .bearer_auth(&login.token)
        .send()
        .await
        .expect("list");
    assert_eq!(api.status(), 404);

    let mut auditor = signed_in(&world, "audit.desa", Some(world.home), StaffRole::Auditor).await;
    let form = auditor.get("/console/imports").await;
    assert!(!form.body.contains("enctype=\"multipart/form-data\""), "no upload form");
    assert!(form.text().contains(&job), "but the desa's jobs are listed");
    let refused = upload(&mut auditor, &[("program", "BLT_DD")], "x.csv", &csv).await;
    assert_eq!(refused.status, 403);
    assert_eq!(auditor.get(&job).await.status, 200, "auditors read");
    assert!(!auditor.get(&job).await.body.contains("Terapkan sungguhan"));

    // Without the token the upload is refused by the gate, like every other form.
    let forged = home
        .post_multipart(
            "/console/imports",
            multipart(&[("program", "BLT_DD")], "x.csv", csv.as_bytes()),
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(audited(&world, "console_csrf").await.iter().any(|e| e.ends_with("bad_token")));
}

#[tokio::test]
async fn markup_and_paths_in_the_file_name_and_cells_are_shown_as_text() {
    let world = world().await;
    let mut browser =
        signed_in(&world, "ani.operator", Some(world.home), StaffRole::Operator).await;
    let csv = "nik,name\n<script>alert(1)</script>,<img src=x onerror=alert(2)>\n";
    let name = "../../<img src=x onerror=alert(3)>.csv";
    let started = upload(&mut browser, &[("program", "BLT_DD"), ("dry_run", "1")], name, csv).await;
    assert_eq!(started.status, 303, "{}", started.body);
    let job = started.location().expect("job").to_owned();
    let page = finished(&mut browser, &job).await;
    assert!(
        !page.body.contains("<script>alert") && !page.body.contains("<img src=x"),
        "{}",
        page.body
    );
    assert!(page.body.contains("&lt;img src=x onerror=alert(3)&gt;.csv"), "{}", page.body);
    assert!(!page.text().contains("../"), "only the name's last segment is kept");
    let list = browser.get("/console/imports").await;
    assert!(!list.body.contains("<img src=x"));
    let report = browser.get(&format!("{job}/report.csv")).await;
    assert!(report.body.contains("malformed"), "{}", report.body);

    // A file that is not a list at all: refused whole, said in both languages.
    let started =
        upload(&mut browser, &[("program", "BLT_DD"), ("dry_run", "1")], "x.csv", "nama\nBUDI\n")
            .await;
    let page = finished(&mut browser, started.location().expect("job")).await;
    assert!(page.text().contains("Berkas CSV tidak dapat dibaca"), "{}", page.text());
    assert!(page.text().contains("The CSV file cannot be read"));

    // An unknown program and an empty file: the form again, with why.
    let unknown = upload(&mut browser, &[("program", "NOPE")], "x.csv", "nik\n").await;
    assert_eq!(unknown.status, 400);
    assert!(unknown.text().contains("tidak ada dalam katalog"), "{}", unknown.text());
    let empty = upload(&mut browser, &[("program", "BLT_DD")], "x.csv", "").await;
    assert_eq!(empty.status, 400);
    assert!(empty.text().contains("Choose a CSV file with data."));
}

#[tokio::test]
async fn the_public_list_prints_names_dusun_rt_and_masked_niks_sorted_with_a_signature() {
    let world = world().await;
    let home = world.home;
    let store = &world.server.store;
    let program = column(
        store,
        format!(
            "SELECT program FROM memberships WHERE desa_code = {home}
             AND state IN ('verified', 'active') GROUP BY program ORDER BY count(*) DESC, program LIMIT 1"
        ),
    )
    .await
    .remove(0);
    let mut browser = signed_in(&world, "ani.operator", Some(home), StaffRole::Operator).await;
    let choose = browser.get("/console/public-lists").await;
    assert_eq!(choose.status, 200);
    assert!(!choose.body.contains("name=\"desa\""), "a desa account's own desa");
    let picked = browser.get(&format!("/console/public-lists?program={program}")).await;
    let path = format!("/console/public-lists/{home}/{program}");
    assert_eq!((picked.status, picked.location()), (303, Some(path.as_str())));
    let page = browser.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let text = page.text();
    assert!(text.contains("DAFTAR PENERIMA"), "{text}");
    assert!(text.contains("H. SUGENG RIYADI") && text.contains("Kepala Desa"), "signature");
    assert!(text.contains("Ctrl+P"));
    assert!(page.text().contains("<script src=\"/console/static/print.js\" defer>"));

    let login = staff_login(&world.server.url, "ani.operator", OWN_PASSWORD).await;
    let json: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/staff/public-lists/{home}/{program}", world.server.url))
        .bearer_auth(&login.token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("JSON");
    let members = json["members"].as_array().expect("members");
    assert!(!members.is_empty(), "{json}");
    assert_eq!(json["total"].as_u64(), Some(members.len() as u64));
    let keys: Vec<(String, String, String, String)> = members
        .iter()
        .map(|m| {
            let field = |k: &str| m[k].as_str().unwrap_or("").to_owned();
            (field("dusun"), field("rw"), field("rt"), field("name"))
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "by dusun, RW, RT and name");
    for member in members {
        let nik = member["nik"].as_str().expect("nik");
        assert!(nik.contains("********"), "masked: {nik}");
        assert!(text.contains(nik), "the page lists {nik}");
        assert!(text.contains(member["name"].as_str().expect("name")));
    }
    assert_eq!(page.body.matches("<tr><td class=\"num\">").count(), members.len());

    let css = browser.get("/console/static/console.css").await;
    assert!(css.body.contains("@page { size: A4; margin: 15mm; }"));
    assert!(css.body.contains("@media print"));
    let script = browser.get("/console/static/print.js").await;
    assert_eq!(script.status, 200);
    assert!(script.header("content-type").starts_with("text/javascript"));
    assert!(browser.get(&format!("/console/public-lists/{home}/NOPE")).await.status == 404);
    let views = audited(&world, "console_public_list").await;
    assert!(views.iter().any(|e| e.contains(&format!("{program} {home} listed"))), "{views:?}");
    assert!(audited(&world, "public_list").await.iter().any(|e| e.contains("listed")));
}
