//! A kabupaten operator loads a population file in a real headless Chromium: the file chosen
//! in the registry form's file input (the dry run unticked), the job page refreshing itself
//! until it has finished, and the one bad row named in the per-row outcome. With
//! ANJUNGAN_SCREENSHOTS=1 it also saves the imports page with the population form and a
//! population job's page at 1366x768 and 390x844 in docs/screenshots/console/.
//!
//! Needs chromedriver (scripts/setup.sh installs it); ANJUNGAN_SKIP_BROWSER=1 skips.

use crate::browser;
use crate::common;

use std::path::Path;
use std::time::Duration;

use backend::store::StaffRole;
use browser::{Driver, LAPTOP, PHONE, click, first_sign_in, path, run, shot, text};
use common::console::{column, world};
use fantoccini::{Client, Locator};

/// The OpenSID sample's header and first four rows: a family of three and, on line 5, a
/// member without a NIK.
fn one_bad_row() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/population/opensid.csv");
    let sample = std::fs::read_to_string(path).expect("sample");
    sample.lines().take(5).map(|line| format!("{line}\n")).collect()
}

/// Chooses `file` in the registry form and submits it; on the job's page after.
async fn load(client: &Client, base: &str, file: &Path, dry_run: bool) {
    client.goto(&format!("{base}/console/imports")).await.expect("imports");
    let input = client.find(Locator::Css("#registry-file")).await.expect("the file input");
    input.send_keys(&file.display().to_string()).await.expect("file chosen");
    if !dry_run {
        let tick = client
            .find(Locator::Css("form.registry-upload input[name=dry_run]"))
            .await
            .expect("the dry-run box");
        tick.click().await.expect("unticked");
    }
    click(client, "form.registry-upload button[type=submit]").await;
    assert!(path(client).await.starts_with("/console/imports/"), "{}", path(client).await);
}

/// Waits while the job's page refreshes itself, until it shows the outcome per row.
async fn until_finished(client: &Client) -> String {
    for _ in 0..300 {
        let said = client
            .execute("return document.body ? document.body.innerText : '';", Vec::new())
            .await
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_default();
        if said.contains("Outcome per row") || said.contains("failed") {
            return said;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the job page never showed its outcome: {}", text(client).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_population_csv_with_a_bad_row_is_loaded_and_its_bad_row_shown() {
    let Some(driver) = Driver::start().await else { return };
    let world = world().await;
    let base = world.server.url.clone();
    world.staff("kab.operator", None, StaffRole::Operator, "Operator Kabupaten").await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("penduduk-kembiritan.csv");
    std::fs::write(&file, one_bad_row()).expect("file");
    let client = driver.browser(LAPTOP.0, LAPTOP.1).await;
    first_sign_in(&client, &base, "kab.operator").await;

    load(&client, &base, &file, false).await;
    let said = until_finished(&client).await;
    assert!(said.contains("penduduk-kembiritan.csv"), "{said}");
    assert!(said.contains("Ditulis ke registri"), "{said}");
    let bad = run(
        &client,
        "return Array.from(document.querySelectorAll('table.outcomes tr[data-outcome=rejected]'))
            .map(r => r.innerText);",
    )
    .await;
    let bad = bad.as_array().expect("rows").clone();
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].as_str().unwrap_or("").contains("Baris 5"), "{bad:?}");
    let landed = column(
        &world.server.store,
        "SELECT nik FROM residents WHERE nik = '3510091203850001'".into(),
    )
    .await;
    assert_eq!(landed.len(), 1, "the good rows are in the registry");
    client.close().await.expect("close");
}

/// The imports page with the population form and a population job's page, at a laptop's
/// and a phone's size (ANJUNGAN_SCREENSHOTS=1).
#[tokio::test(flavor = "multi_thread")]
async fn screenshots_of_the_population_form_and_job() {
    if std::env::var("ANJUNGAN_SCREENSHOTS").as_deref() != Ok("1") {
        eprintln!("ANJUNGAN_SCREENSHOTS is not 1: no screenshots taken");
        return;
    }
    let Some(driver) = Driver::start().await else { return };
    let world = world().await;
    let base = world.server.url.clone();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/population/opensid.csv");
    for size in [LAPTOP, PHONE] {
        let operator = format!("kabupaten.{}", size.0);
        world.staff(&operator, None, StaffRole::Operator, "Rina Kabupaten").await;
        let client = driver.browser(size.0, size.1).await;
        first_sign_in(&client, &base, &operator).await;
        client.goto(&format!("{base}/console/imports#registry")).await.expect("imports");
        shot(&client, "imports-population", size).await;
        load(&client, &base, &sample, true).await;
        until_finished(&client).await;
        shot(&client, "import-population-job", size).await;
        client.close().await.expect("close");
    }
}
