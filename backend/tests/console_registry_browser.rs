//! The Registry and Programs pages in a real headless Chromium (as console_browser.rs):
//! search a resident, open the family (masked), show it in full with a reason, and run a
//! program dry run that tells the engine's reason. With ANJUNGAN_SCREENSHOTS=1 it also
//! saves the search results, the family masked and in full, the programs page and a dry
//! run's answer at 1366x768 and 390x844 in docs/screenshots/console/.
//!
//! Needs chromedriver (scripts/setup.sh installs it); ANJUNGAN_SKIP_BROWSER=1 skips.

use crate::browser;
use crate::common;

use backend::store::StaffRole;
use browser::{Driver, LAPTOP, PHONE, click, fill, first_sign_in, path, shot, text};
use common::console::{World, column, world};
use fantoccini::{Client, Locator};
use protocol::mask::mask_digits_in;

/// Picks the option `css` of a select (no page load).
async fn choose(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// A family of `desa` holding a household program, with its head: KK, head's NIK and name.
async fn covered_family(world: &World, desa: u64) -> (String, String, String) {
    let rows = column(
        &world.server.store,
        format!(
            "SELECT f.kk || '|' || r.nik || '|' || r.name FROM families f
             JOIN residents r ON r.kk = f.kk AND r.relation = 'head' AND r.life_status = 'alive'
             WHERE f.desa_code = {desa}
               AND EXISTS (SELECT 1 FROM memberships m WHERE m.kk = f.kk)
             ORDER BY f.kk LIMIT 1"
        ),
    )
    .await;
    let mut parts = rows[0].split('|').map(str::to_owned);
    let mut next = || parts.next().expect("a column");
    (next(), next(), next())
}

/// Searches, opens the family, shows it in full with a reason.
async fn search_and_unmask(client: &Client, base: &str, nik: &str, shoot: Option<(u32, u32)>) {
    client.goto(&format!("{base}/console/registry")).await.expect("registry");
    fill(client, "#q", nik).await;
    click(client, "form.search button").await;
    let found = text(client).await;
    assert!(found.contains(&mask_digits_in(nik)), "{found}");
    if let Some(size) = shoot {
        shot(client, "registry-search", size).await;
    }
    click(client, "table.cards tbody a").await;
    assert!(path(client).await.starts_with("/console/registry/family/"));
    let masked = text(client).await;
    assert!(masked.contains(&mask_digits_in(nik)) && !masked.contains(nik), "{masked}");
    if let Some(size) = shoot {
        shot(client, "registry-family", size).await;
    }
    choose(client, "#kind option[value='report_verification']").await;
    fill(client, "#reason", "Verifikasi laporan warga di balai desa").await;
    click(client, "form.step button").await;
    let full = text(client).await;
    assert!(full.contains(nik), "shown in full: {full}");
    assert!(full.contains("Verifikasi laporan warga di balai desa"), "the reason is said");
    if let Some(size) = shoot {
        shot(client, "registry-family-unmasked", size).await;
    }
}

/// Runs a dry run of `program` for `nik`; the page's text after.
async fn dry_run(client: &Client, base: &str, nik: &str, program: &str) -> String {
    client.goto(&format!("{base}/console/programs")).await.expect("programs");
    fill(client, "#nik", nik).await;
    choose(client, &format!("#program option[value='{program}']")).await;
    click(client, "form.dry-run button").await;
    text(client).await
}

#[tokio::test(flavor = "multi_thread")]
async fn search_open_the_family_show_it_with_a_reason_and_dry_run_a_program() {
    let Some(driver) = Driver::start().await else { return };
    let world = world().await;
    let base = world.server.url.clone();
    world.staff("operator.a", Some(world.home), StaffRole::Operator, "Ani Operator").await;
    let (_, nik, _) = covered_family(&world, world.home).await;
    let client = driver.browser(LAPTOP.0, LAPTOP.1).await;
    first_sign_in(&client, &base, "operator.a").await;
    search_and_unmask(&client, &base, &nik, None).await;
    // The family already holds a household program: the engine says so.
    let program = column(
        &world.server.store,
        format!(
            "SELECT m.program FROM memberships m JOIN residents r ON r.kk = m.kk
             WHERE r.nik = '{nik}' AND m.state <> 'ended' ORDER BY m.program LIMIT 1"
        ),
    )
    .await;
    let said = dry_run(&client, &base, &nik, &program[0]).await;
    assert!(said.contains("Tidak akan diterima"), "{said}");
    assert!(said.contains(&mask_digits_in(&nik)) && !said.contains(&nik), "masked");
    client.close().await.expect("close");
}

/// The Registry and Programs pages at a laptop's and a phone's size. Only with
/// ANJUNGAN_SCREENSHOTS=1, so test runs do not rewrite the checked-in pictures.
#[tokio::test(flavor = "multi_thread")]
async fn screenshots_of_the_registry_and_programs_pages() {
    if std::env::var("ANJUNGAN_SCREENSHOTS").as_deref() != Ok("1") {
        eprintln!("ANJUNGAN_SCREENSHOTS is not 1: no screenshots taken");
        return;
    }
    let Some(driver) = Driver::start().await else { return };
    let world = world().await;
    let base = world.server.url.clone();
    let (_, nik, name) = covered_family(&world, world.home).await;
    world
        .file_as(
            &world.home_kiosk,
            &nik,
            "domisili",
            "shots-family-01",
            serde_json::json!({}),
            "card",
        )
        .await;
    let program = column(
        &world.server.store,
        format!(
            "SELECT m.program FROM memberships m JOIN residents r ON r.kk = m.kk
             WHERE r.nik = '{nik}' AND m.state <> 'ended' ORDER BY m.program LIMIT 1"
        ),
    )
    .await;
    for size in [LAPTOP, PHONE] {
        let operator = format!("operator.{}", size.0);
        world.staff(&operator, Some(world.home), StaffRole::Operator, "Ani Operator").await;
        let client = driver.browser(size.0, size.1).await;
        first_sign_in(&client, &base, &operator).await;
        // A name search lists several residents.
        let first = name.split_whitespace().next().unwrap_or("SRI").to_lowercase();
        client.goto(&format!("{base}/console/registry?q={first}")).await.expect("search");
        shot(&client, "registry-search-name", size).await;
        search_and_unmask(&client, &base, &nik, Some(size)).await;
        client.goto(&format!("{base}/console/programs")).await.expect("programs");
        shot(&client, "programs", size).await;
        dry_run(&client, &base, &nik, &program[0]).await;
        shot(&client, "programs-dry-run", size).await;
        client.close().await.expect("close");
    }
}
