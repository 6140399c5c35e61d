//! Population and desil files loaded from the console's imports page, over real HTTP, on the
//! database the suite runs on (SQLite, or PostgreSQL when ANJUNGAN_TEST_DATABASE names a
//! server): a kabupaten operator's multipart upload runs as a job and lands in the registry;
//! a dry run changes nothing until applied; an upload without the form's token (or with a
//! wrong one, or an origin elsewhere) is refused before a byte of the file is stored; a desa
//! account neither sees the form nor loads; a job page's reloads are audited once; the API
//! applies a dry run. With the real `backend serve`: console_uploads_process.

use std::path::Path;

use crate::common;

use backend::store::StaffRole;
use common::console::{Answer, Console, OWN_PASSWORD, World, column, multipart, world_with};
use common::*;

pub(crate) const REGISTRY: &str = "/console/imports/registry";
/// A resident of the OpenSID sample, on its second line: absent from the demo registry.
pub(crate) const SAMPLE_NIK: &str = "3510091203850001";

pub(crate) fn sample(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/population").join(name);
    std::fs::read(path).expect("sample")
}

async fn kabupaten(world: &World) -> Console {
    world.staff("kab.operator", None, StaffRole::Operator, "Operator Kabupaten").await;
    let mut browser = Console::new(&world.server.url);
    browser.sign_in_first_time("kab.operator").await;
    browser
}

async fn residents_with(store: &backend::Store, nik: &str) -> usize {
    column(store, format!("SELECT nik FROM residents WHERE nik = '{nik}'")).await.len()
}

/// Posts the registry form: the token first, as the page's form puts it.
pub(crate) async fn load(
    browser: &mut Console,
    fields: &[(&str, &str)],
    name: &str,
    file: &[u8],
) -> Answer {
    let form = browser.get("/console/imports").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.csrf().expect("the form's token");
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    browser.post_multipart(REGISTRY, multipart(&all, name, file)).await
}

/// Follows a job's page until it no longer refreshes itself.
pub(crate) async fn finished(browser: &mut Console, job: &str) -> Answer {
    for _ in 0..400 {
        let page = browser.get(job).await;
        assert_eq!(page.status, 200, "{}", page.body);
        if !page.body.contains("http-equiv=\"refresh\"") {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the job {job} did not finish");
}

pub(crate) fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into()).collect()
        })
        .unwrap_or_default()
}

async fn world_in(dir: &Path) -> World {
    world_with(backend::http::RouterOptions {
        imports_dir: Some(dir.to_path_buf()),
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn a_population_dry_run_changes_nothing_and_applied_it_lands_in_the_registry() {
    let dir = tempfile::tempdir().expect("dir");
    let world = world_in(dir.path()).await;
    let mut browser = kabupaten(&world).await;
    let store = world.server.store.clone();
    assert_eq!(residents_with(&store, SAMPLE_NIK).await, 0);

    let form = browser.get("/console/imports").await;
    assert!(form.text().contains("Muat data penduduk atau desil"), "the form is offered");
    let started = load(
        &mut browser,
        &[("kind", "population"), ("dry_run", "1")],
        "opensid.csv",
        &sample("opensid.csv"),
    )
    .await;
    assert_eq!(started.status, 303, "{}", started.body);
    let job = started.location().expect("the job's page").to_owned();
    let page = finished(&mut browser, &job).await;
    let text = page.text();
    assert!(text.contains("Uji coba selesai"), "{text}");
    assert!(text.contains("ditolak") && text.contains("Baris"), "bad rows per row: {text}");
    assert!(!page.body.contains(SAMPLE_NIK), "NIKs masked on the page");
    assert_eq!(residents_with(&store, SAMPLE_NIK).await, 0, "a dry run changes nothing");

    let rejected = browser.get(&format!("{job}?outcome=rejected")).await;
    let rows = rejected.body.matches("<tr data-outcome=\"rejected\"").count();
    assert!(rows > 0 && rows == rejected.body.matches("<tr data-outcome=").count(), "filtered");
    let report = browser.get(&format!("{job}/report.csv")).await;
    assert_eq!(report.status, 200);
    assert!(report.body.starts_with("import,line,nik,kk,outcome"), "{}", report.body);
    assert!(!report.body.contains(SAMPLE_NIK), "NIKs masked in the report");

    assert!(page.body.contains("Terapkan sungguhan"), "a dry run is offered for applying");
    let token = page.csrf().expect("token");
    let applied = browser.post(&format!("{job}/apply"), &[("csrf", &token)]).await;
    assert_eq!(applied.status, 303, "{}", applied.body);
    let real = applied.location().expect("the new job").to_owned();
    let done = finished(&mut browser, &real).await;
    assert!(done.text().contains("Ditulis ke registri"), "{}", done.text());
    assert_eq!(residents_with(&store, SAMPLE_NIK).await, 1, "applied: the registry has it");

    // The API reads the same job, and the registry import's own audit entry is there.
    let login = staff_login(&world.server.url, "kab.operator", OWN_PASSWORD).await;
    let id = real.trim_start_matches("/console/imports/");
    let body: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/staff/import-jobs/{id}", world.server.url))
        .bearer_auth(&login.token)
        .send()
        .await
        .expect("job")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        (body["kind"].as_str(), body["state"].as_str()),
        (Some("population"), Some("finished"))
    );
    assert!(body["registry"]["inserted"].as_u64().unwrap_or(0) > 0, "{body}");
    store.flush_audit();
    let audit = store.recent_audit(100_000).expect("audit");
    assert!(
        audit.iter().any(|e| e.action == "registry_import" && e.actor == "console:kab.operator")
    );
    assert!(
        audit
            .iter()
            .any(|e| e.action == "console_registry_import" && e.outcome == "started_dry_run")
    );
    assert!(
        !files_in(dir.path()).iter().any(|f| f.starts_with(id) && f.contains("upload")),
        "a real run's upload is removed"
    );
}

#[tokio::test]
async fn an_upload_without_the_forms_token_is_refused_before_any_file_is_stored() {
    let dir = tempfile::tempdir().expect("dir");
    let world = world_in(dir.path()).await;
    let mut browser = kabupaten(&world).await;
    let file = sample("opensid.csv");
    let before = files_in(dir.path());
    for fields in [
        vec![("kind", "population")],
        vec![("csrf", "00"), ("kind", "population")],
        vec![("kind", "population"), ("csrf", "ab")],
    ] {
        let answer = browser.post_multipart(REGISTRY, multipart(&fields, "x.csv", &file)).await;
        assert_eq!(answer.status, 403, "{fields:?}: {}", answer.body);
    }
    // The right token, but after the file: the file would be read before the token.
    let token = browser.token().await;
    let (content_type, mut body) = multipart(&[("kind", "population")], "x.csv", &file);
    let boundary = content_type.split("boundary=").nth(1).expect("boundary").to_owned();
    body.truncate(body.len() - format!("--{boundary}--\r\n").len());
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n--{boundary}--\r\n"
        )
        .as_bytes(),
    );
    let late = browser.post_multipart(REGISTRY, (content_type, body)).await;
    assert_eq!(late.status, 403, "{}", late.body);
    assert_eq!(files_in(dir.path()), before, "no file written for a refused upload");
    assert_eq!(residents_with(&world.server.store, SAMPLE_NIK).await, 0);
    world.server.store.flush_audit();
    let refusals = world
        .server
        .store
        .recent_audit(100_000)
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == "console_csrf" && e.subject == REGISTRY)
        .count();
    assert_eq!(refusals, 4, "each refusal audited");
}

#[tokio::test]
async fn a_desa_account_neither_sees_the_form_nor_loads_the_registry() {
    let dir = tempfile::tempdir().expect("dir");
    let world = world_in(dir.path()).await;
    world.staff("desa.operator", Some(world.home), StaffRole::Operator, "Operator Desa").await;
    let mut desa = Console::new(&world.server.url);
    desa.sign_in_first_time("desa.operator").await;
    let form = desa.get("/console/imports").await;
    assert!(!form.text().contains("Muat data penduduk"), "no registry form for a desa");
    let refused = load(&mut desa, &[("kind", "population")], "x.csv", &sample("opensid.csv")).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(residents_with(&world.server.store, SAMPLE_NIK).await, 0);
    assert!(!files_in(dir.path()).iter().any(|f| f.contains("upload")), "nothing stored");

    // A kabupaten's job is not a desa account's to see, by page or API.
    let mut kab = kabupaten(&world).await;
    let started = load(
        &mut kab,
        &[("kind", "population"), ("dry_run", "1")],
        "o.csv",
        &sample("opensid.csv"),
    )
    .await;
    let job = started.location().expect("job").to_owned();
    finished(&mut kab, &job).await;
    assert_eq!(desa.get(&job).await.status, 404);
    assert_eq!(desa.get(&format!("{job}/report.csv")).await.status, 404);
    let id = job.trim_start_matches("/console/imports/");
    assert!(kab.get("/console/imports").await.body.contains(id), "listed for the kabupaten");
    assert!(!desa.get("/console/imports").await.body.contains(id), "not for a desa");
    let login = staff_login(&world.server.url, "desa.operator", OWN_PASSWORD).await;
    let api = reqwest::Client::new()
        .get(format!("{}/api/v1/staff/import-jobs/{id}", world.server.url))
        .bearer_auth(&login.token)
        .send()
        .await
        .expect("job");
    assert_eq!(api.status(), 404);
}

#[tokio::test]
async fn bad_options_are_refused_with_a_reason_and_a_job_page_is_audited_once_per_state() {
    let dir = tempfile::tempdir().expect("dir");
    let world = world_in(dir.path()).await;
    let mut browser = kabupaten(&world).await;
    let file = sample("opensid.csv");
    for (fields, why) in [
        (vec![("kind", "other")], "Choose the kind of file"),
        (vec![("kind", "population"), ("desa", "12")], "known 10-digit desa code"),
        (vec![("kind", "population"), ("regency", "35x0")], "regency code must be 4 digits"),
        (vec![("kind", "desil"), ("regency", "3510")], "desil file takes no desa"),
    ] {
        let answer = load(&mut browser, &fields, "x.csv", &file).await;
        assert_eq!(answer.status, 400, "{fields:?}");
        assert!(answer.text().contains(why), "{fields:?}: {}", answer.text());
    }
    let empty = load(&mut browser, &[("kind", "population")], "x.csv", b"").await;
    assert_eq!(empty.status, 400);
    assert!(!files_in(dir.path()).iter().any(|f| f.contains("upload")), "refused files removed");

    let started =
        load(&mut browser, &[("kind", "desil"), ("dry_run", "1")], "d.csv", &sample("desil.csv"))
            .await;
    let job = started.location().expect("job").to_owned();
    finished(&mut browser, &job).await;
    for _ in 0..3 {
        assert_eq!(browser.get(&job).await.status, 200);
    }
    let id = job.trim_start_matches("/console/imports/");
    world.server.store.flush_audit();
    let views = world
        .server
        .store
        .recent_audit(100_000)
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == "console_import_job" && e.subject == format!("job:{id}"))
        .count();
    // Seen running (perhaps) and finished: at most one entry per state, not one per reload.
    assert!((1..=2).contains(&views), "{views} entries for many views");

    // The API applies the dry run as the console's button does.
    let login = staff_login(&world.server.url, "kab.operator", OWN_PASSWORD).await;
    let client = reqwest::Client::new();
    let applied = client
        .post(format!("{}/api/v1/staff/import-jobs/{id}/apply", world.server.url))
        .bearer_auth(&login.token)
        .send()
        .await
        .expect("apply");
    assert_eq!(applied.status(), 200);
    let next: serde_json::Value = applied.json().await.expect("JSON");
    assert_eq!((next["kind"].as_str(), next["dry_run"].as_bool()), (Some("desil"), Some(false)));
    let next_id = next["id"].as_str().expect("id").to_owned();
    let mut state = String::new();
    for _ in 0..200 {
        let body: serde_json::Value = client
            .get(format!("{}/api/v1/staff/import-jobs/{next_id}", world.server.url))
            .bearer_auth(&login.token)
            .send()
            .await
            .expect("job")
            .json()
            .await
            .expect("JSON");
        state = body["state"].as_str().unwrap_or("").to_owned();
        if state != "running" {
            assert!(body["registry"]["rows"].as_u64().is_some(), "{body}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(state, "finished");
    let again = client
        .post(format!("{}/api/v1/staff/import-jobs/{next_id}/apply", world.server.url))
        .bearer_auth(&login.token)
        .send()
        .await
        .expect("apply");
    assert_eq!(again.status(), 409, "a real run is not applied again");
}
