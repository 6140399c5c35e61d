//! The console's report queue in a real headless Chromium (see console_browser.rs for the
//! driver): an operator signs in, opens the queue from the menu, verifies a report and
//! schedules it with the date picker limited to the 5-7 day window, sees the batch view list
//! it, and the kiosk's ticket changes at each step. With ANJUNGAN_SCREENSHOTS=1 it also saves
//! the queue, a verified report with its schedule form, and the batch view at 1366x768 and
//! 390x844 in docs/screenshots/console/.
//!
//! Needs chromedriver (scripts/setup.sh installs it); ANJUNGAN_SKIP_BROWSER=1 skips.

use crate::browser;
use crate::common;
use crate::console_reports_support;

use backend::store::StaffRole;
use browser::{Driver, LAPTOP, PHONE, click, first_sign_in, path, run, shot, text};
use common::console::{World, world};
use console_reports_support::{file_report, uncovered_heads};
use fantoccini::{Client, Locator};
use protocol::api::ReportState;

async fn state_at_kiosk(world: &World, ticket: &str) -> ReportState {
    world.ticket(ticket).await.state
}

async fn attribute(client: &Client, css: &str, name: &str) -> String {
    let found = client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    found.attr(name).await.expect("attribute").unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_verifies_and_schedules_a_report_and_the_batch_lists_it() {
    let Some(driver) = Driver::start().await else { return };
    let world = world().await;
    let base = world.server.url.clone();
    world.staff("operator.a", Some(world.home), StaffRole::Operator, "Ani Operator").await;
    let heads = uncovered_heads(&world, world.home).await;
    let ticket = file_report(&world, &world.home_kiosk, &heads[0], "browser-0001").await;
    let later = file_report(&world, &world.home_kiosk, &heads[1], "browser-0002").await;

    let client = driver.browser(LAPTOP.0, LAPTOP.1).await;
    first_sign_in(&client, &base, "operator.a").await;
    // The dashboard's waiting count and the menu both lead to the queue.
    click(&client, "a.stat[href=\"/console/reports?state=verification\"]").await;
    assert_eq!(path(&client).await, "/console/reports?state=verification");
    click(&client, "nav.menu a[href=\"/console/reports\"]").await;
    let queue = text(&client).await;
    assert!(queue.contains(&ticket) && queue.contains(&later), "{queue}");
    assert!(queue.find(&ticket) < queue.find(&later), "oldest first");
    assert!(!queue.contains(&heads[0]), "the queue masks NIKs");

    click(&client, &format!("a[href=\"/console/reports/{ticket}\"]")).await;
    let page = text(&client).await;
    assert!(page.contains("Lolos pemeriksaan silang saat diajukan"), "{page}");
    assert!(!page.contains(&heads[0]), "the report masks NIKs");
    click(&client, "form[action=\"/console/reports/verify\"] button").await;
    assert!(text(&client).await.contains("Terverifikasi: mesin memeriksa ulang"));
    assert_eq!(state_at_kiosk(&world, &ticket).await, ReportState::Verified);

    // The picker offers the window only, and says which days those are.
    let picker = "#batch-date";
    let (first, last) =
        (attribute(&client, picker, "min").await, attribute(&client, picker, "max").await);
    assert!(!first.is_empty() && !last.is_empty());
    assert!(text(&client).await.contains(&format!("{first} s.d. {last}")));
    let valid = run(&client, "return document.querySelector('#batch-date').validity.valid;").await;
    assert_eq!(valid, serde_json::json!(true), "the first day of the window is picked");
    click(&client, "form[action=\"/console/reports/schedule\"] button").await;
    assert!(text(&client).await.contains("Dijadwalkan: laporan masuk daftar penyaluran"));
    assert_eq!(state_at_kiosk(&world, &ticket).await, ReportState::Scheduled);

    // The batch view of the coming week lists it on its day.
    click(&client, "p.crumbs a").await;
    click(&client, "a[href=\"/console/reports/batches\"]").await;
    let batches = text(&client).await;
    assert!(batches.contains(&ticket), "{batches}");
    assert!(batches.contains("1 dijadwalkan"), "{batches}");
    assert!(!batches.contains(&later), "the other report is not scheduled");
    assert!(!batches.contains(&heads[0]), "masked");
    client.close().await.expect("close");
}

/// The report pages at a laptop's and a phone's size. Only with ANJUNGAN_SCREENSHOTS=1.
#[tokio::test(flavor = "multi_thread")]
async fn screenshots_of_the_report_pages_at_laptop_and_phone_size() {
    if std::env::var("ANJUNGAN_SCREENSHOTS").as_deref() != Ok("1") {
        eprintln!("ANJUNGAN_SCREENSHOTS is not 1: no screenshots taken");
        return;
    }
    let Some(driver) = Driver::start().await else { return };
    let world = world().await;
    let base = world.server.url.clone();
    let heads = uncovered_heads(&world, world.home).await;
    let mut tickets = Vec::new();
    for (n, nik) in heads.iter().take(6).enumerate() {
        tickets.push(file_report(&world, &world.home_kiosk, nik, &format!("shots-r-{n:02}")).await);
    }
    // Some along the way: two verified and scheduled (one delivered), one verified.
    let (store, catalogue) =
        (world.server.store.clone(), backend::eligibility::Catalogue::default_catalogue());
    let (steps, home) = (tickets.clone(), world.home);
    tokio::task::spawn_blocking(move || {
        use backend::workflow::{Step, advance, batch_window};
        let parse = |t: &str| protocol::ticket::Ticket::parse(t).expect("ticket");
        for ticket in &steps[3..6] {
            advance(&store, &catalogue, &parse(ticket), &Step::Verify, "staff:operator.a")
                .expect("verified");
        }
        let day = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .expect("now");
        let (first, _) = batch_window(&day, Some(home)).expect("window");
        for ticket in &steps[4..6] {
            advance(&store, &catalogue, &parse(ticket), &Step::Schedule(first), "staff:operator.a")
                .expect("scheduled");
        }
        advance(&store, &catalogue, &parse(&steps[5]), &Step::Deliver, "staff:operator.a")
            .expect("delivered");
    })
    .await
    .expect("join");
    // Another desa's, so the kabupaten's picker has two desas.
    let theirs = uncovered_heads(&world, world.other).await;
    for (n, nik) in theirs.iter().take(2).enumerate() {
        file_report(&world, &world.other_kiosk, nik, &format!("shots-o-{n:02}")).await;
    }
    world.server.store.flush_audit();

    for size in [LAPTOP, PHONE] {
        let operator = format!("operator.{}", size.0);
        world.staff(&operator, Some(world.home), StaffRole::Operator, "Ani Operator").await;
        let client = driver.browser(size.0, size.1).await;
        first_sign_in(&client, &base, &operator).await;
        client.goto(&format!("{base}/console/reports")).await.expect("reports");
        shot(&client, "reports", size).await;
        client.goto(&format!("{base}/console/reports/{}", tickets[3])).await.expect("report");
        shot(&client, "report-verified", size).await;
        client.goto(&format!("{base}/console/reports/{}", tickets[0])).await.expect("report");
        shot(&client, "report", size).await;
        client.goto(&format!("{base}/console/reports/batches")).await.expect("batches");
        shot(&client, "report-batches", size).await;
        client.close().await.expect("close");
        // The kabupaten's queue, with the desa picker on one desa.
        let kabupaten = format!("dinas.{}", size.0);
        world.staff(&kabupaten, None, StaffRole::Kabupaten, "Dinas PMD").await;
        let client = driver.browser(size.0, size.1).await;
        first_sign_in(&client, &base, &kabupaten).await;
        client.goto(&format!("{base}/console/reports")).await.expect("reports");
        shot(&client, "reports-kabupaten", size).await;
        client.goto(&format!("{base}/console/reports?desa={}", world.home)).await.expect("one");
        shot(&client, "reports-kabupaten-desa", size).await;
        client
            .goto(&format!("{base}/console/reports/batches?desa={}", world.home))
            .await
            .expect("batches");
        shot(&client, "report-batches-kabupaten", size).await;
        client.close().await.expect("close");
    }
}
