//! Imports and public lists in a real headless Chromium: a desa operator uploads a CSV with
//! a bad row through the file input, the job page refreshes itself until it has finished,
//! and the per-row outcome names the bad line, also filtered; then the public list of a
//! program is opened, its names and masked NIKs read, its print style sheet (`@page` A4)
//! present and its print button shown by the one script. With ANJUNGAN_SCREENSHOTS=1 it
//! also saves the imports form, a running and a finished job and the public list at
//! 1366x768 and 390x844 in docs/screenshots/console/.
//!
//! Needs chromedriver (scripts/setup.sh installs it); ANJUNGAN_SKIP_BROWSER=1 skips.

use crate::browser;
use crate::common;

use std::time::Duration;

use backend::store::StaffRole;
use browser::{Driver, LAPTOP, PHONE, click, first_sign_in, path, run, shot, text};
use common::console::{World, column, world};
use fantoccini::{Client, Locator};

/// Chooses `value` in the `select` `css`.
async fn choose(client: &Client, css: &str, value: &str) {
    let script = format!(
        "document.querySelector({}).value = {};",
        serde_json::Value::from(css),
        serde_json::Value::from(value)
    );
    run(client, &script).await;
}

/// Uploads `csv` (written to a file first) from the imports form; on the job's page after.
async fn upload(client: &Client, base: &str, dir: &std::path::Path, name: &str, csv: &str) {
    let file = dir.join(name);
    std::fs::write(&file, csv).expect("CSV file");
    client.goto(&format!("{base}/console/imports")).await.expect("imports");
    choose(client, "#program", "BLT_DD").await;
    let input = client.find(Locator::Css("#file")).await.expect("the file input");
    input.send_keys(&file.display().to_string()).await.expect("file chosen");
    let ticked = run(client, "return document.querySelector('input[name=dry_run]').checked;").await;
    assert_eq!(ticked, serde_json::Value::Bool(true), "a dry run unless unticked");
    click(client, "form.upload button[type=submit]").await;
    assert!(path(client).await.starts_with("/console/imports/"), "{}", path(client).await);
}

/// Waits while the job's page refreshes itself, until it shows the outcome per row.
async fn until_finished(client: &Client) -> String {
    for _ in 0..300 {
        // The page may be reloading itself right now: a failed read is tried again.
        let said = client
            .execute("return document.body ? document.body.innerText : '';", Vec::new())
            .await
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_default();
        if said.contains("Outcome per row") || said.contains("Berkas CSV tidak dapat dibaca") {
            return said;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the job page never showed its outcome: {}", text(client).await);
}

async fn most_listed_program(world: &World) -> String {
    column(
        &world.server.store,
        format!(
            "SELECT program FROM memberships WHERE desa_code = {}
             AND state IN ('verified', 'active') GROUP BY program ORDER BY count(*) DESC, program LIMIT 1",
            world.home
        ),
    )
    .await
    .remove(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_csv_with_a_bad_row_is_read_per_row_and_the_public_list_prints() {
    let Some(driver) = Driver::start().await else { return };
    let world = world().await;
    let base = world.server.url.clone();
    world.staff("ani.operator", Some(world.home), StaffRole::Operator, "Ani").await;
    let heads = world.heads(world.home).await;
    let dir = tempfile::tempdir().expect("dir");
    let client = driver.browser(LAPTOP.0, LAPTOP.1).await;
    first_sign_in(&client, &base, "ani.operator").await;

    let csv = format!("nik,name\n{},WARGA SATU\n12345,RUSAK\n{},WARGA DUA\n", heads[0], heads[1]);
    upload(&client, &base, dir.path(), "daftar-blt.csv", &csv).await;
    let said = until_finished(&client).await;
    assert!(said.contains("daftar-blt.csv"), "{said}");
    assert!(said.contains("Uji coba selesai"), "{said}");
    let bad = run(
        &client,
        "return Array.from(document.querySelectorAll('table.outcomes tr[data-outcome=malformed]'))
            .map(r => r.innerText);",
    )
    .await;
    let bad = bad.as_array().expect("rows").clone();
    assert_eq!(bad.len(), 1, "{bad:?}");
    let row = bad[0].as_str().unwrap_or("");
    assert!(row.contains("Baris 3") && row.contains("rusak"), "{row}");
    for nik in &heads[..2] {
        assert!(!said.contains(nik.as_str()), "a full NIK on the page");
    }
    choose(&client, "#outcome", "malformed").await;
    click(&client, "form.pick button[type=submit]").await;
    assert!(path(&client).await.ends_with("?outcome=malformed"));
    let rows =
        run(&client, "return document.querySelectorAll('table.outcomes tbody tr').length;").await;
    assert_eq!(rows, serde_json::json!(1));

    let program = most_listed_program(&world).await;
    client.goto(&format!("{base}/console/public-lists")).await.expect("lists");
    choose(&client, "#program", &program).await;
    click(&client, "form.stack button[type=submit]").await;
    assert_eq!(path(&client).await, format!("/console/public-lists/{}/{program}", world.home));
    let said = text(&client).await;
    assert!(said.contains("DAFTAR PENERIMA") && said.contains("H. SUGENG RIYADI"), "{said}");
    let first =
        run(&client, "return document.querySelector('.a4-table tbody tr td.mono').innerText;")
            .await;
    assert!(first.as_str().unwrap_or("").contains("********"), "{first}");
    let page_rule = run(
        &client,
        "return Array.from(document.styleSheets).flatMap(s => Array.from(s.cssRules))
            .some(r => r.type === CSSRule.PAGE_RULE && r.cssText.toLowerCase().includes('size: a4'));",
    )
    .await;
    assert_eq!(page_rule, serde_json::Value::Bool(true), "the @page A4 rule is loaded");
    let button = run(&client, "return !document.querySelector('[data-print]').hidden;").await;
    assert_eq!(button, serde_json::Value::Bool(true), "print.js shows the print button");
    client.close().await.expect("close");
}

/// The imports and public list pages at a laptop's and a phone's size (ANJUNGAN_SCREENSHOTS=1).
#[tokio::test(flavor = "multi_thread")]
async fn screenshots_of_the_imports_and_public_list_pages() {
    if std::env::var("ANJUNGAN_SCREENSHOTS").as_deref() != Ok("1") {
        eprintln!("ANJUNGAN_SCREENSHOTS is not 1: no screenshots taken");
        return;
    }
    let Some(driver) = Driver::start().await else { return };
    let world = world().await;
    let base = world.server.url.clone();
    let heads = world.heads(world.home).await;
    let program = most_listed_program(&world).await;
    let dir = tempfile::tempdir().expect("dir");
    // Enough rows that the job is still running when the page first shows.
    let mut big = String::from("nik\n");
    for n in 0..60_000u32 {
        big.push_str(&format!("3510{:012}\n", 100_000_000 + n));
    }
    for size in [LAPTOP, PHONE] {
        let operator = format!("operator.{}", size.0);
        world.staff(&operator, Some(world.home), StaffRole::Operator, "Ani Rahayu").await;
        let client = driver.browser(size.0, size.1).await;
        first_sign_in(&client, &base, &operator).await;
        client.goto(&format!("{base}/console/imports")).await.expect("imports");
        shot(&client, "imports", size).await;
        upload(&client, &base, dir.path(), "daftar-besar.csv", &big).await;
        if text(&client).await.contains("Sedang berjalan") {
            shot(&client, "import-running", size).await;
        }
        until_finished(&client).await;
        let csv = format!(
            "nik,name\n{},A\n12345,RUSAK\n{},B\n{},C\n{},A\n",
            heads[0], heads[1], heads[2], heads[0]
        );
        upload(&client, &base, dir.path(), "daftar-blt-dd.csv", &csv).await;
        until_finished(&client).await;
        shot(&client, "import-job", size).await;
        client.goto(&format!("{base}/console/public-lists")).await.expect("lists");
        shot(&client, "public-lists", size).await;
        client
            .goto(&format!("{base}/console/public-lists/{}/{program}", world.home))
            .await
            .expect("list");
        shot(&client, "public-list", size).await;
        client.close().await.expect("close");
    }
}
