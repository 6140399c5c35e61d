//! The fleet page and the audit log in a real headless Chromium: a kabupaten operator signs
//! in, opens the fleet list and a kiosk, changes its notice with the form, sees it saved,
//! and finds that change in the audit log by filtering it; the kiosk's configuration holds
//! the new notice. And a desa's signer removes a kiosk's staff PIN (ticking the
//! confirmation) and acknowledges an alert with a note, through the real forms; the
//! kiosk's configuration no longer carries the PIN and the alert's history says who. Needs
//! chromedriver (scripts/setup.sh installs it);
//! ANJUNGAN_SKIP_BROWSER=1 skips.

use crate::browser;
use crate::common;

use backend::store::StaffRole;
use backend::store::{AlertKind, PinScope};
use browser::{Driver, click, fill, first_sign_in, path, text};
use common::console::{FIRST_PASSWORD, OWN_PASSWORD, world};

#[tokio::test(flavor = "multi_thread")]
async fn change_a_kiosks_notice_and_find_the_change_in_the_audit_log() {
    let Some(driver) = Driver::start().await else { return };
    let world = world().await;
    let base = world.server.url.clone();
    world.staff("dinas.pmd", None, StaffRole::Kabupaten, "Dinas PMD").await;
    let client = driver.browser(1366, 768).await;
    client.goto(&format!("{base}/console/login")).await.expect("login");
    fill(&client, "#username", "dinas.pmd").await;
    fill(&client, "#password", FIRST_PASSWORD).await;
    click(&client, "form.stack button[type=submit]").await;
    fill(&client, "#current", FIRST_PASSWORD).await;
    fill(&client, "#new", OWN_PASSWORD).await;
    fill(&client, "#confirm", OWN_PASSWORD).await;
    click(&client, "form.stack button[type=submit]").await;
    assert_eq!(path(&client).await, "/console/");

    click(&client, "nav.menu a[href=\"/console/fleet\"]").await;
    assert_eq!(path(&client).await, "/console/fleet");
    let list = text(&client).await;
    assert!(list.contains("BWI-BALAI-01") && list.contains("BWI-LAIN-01"), "{list}");
    click(&client, "a[href=\"/console/fleet/BWI-BALAI-01\"]").await;
    assert_eq!(path(&client).await, "/console/fleet/BWI-BALAI-01");
    fill(&client, "#notice_id", "Balai tutup hari Jumat").await;
    fill(&client, "#notice_en", "The hall is closed on Friday").await;
    click(&client, "form[action$=\"/config\"] button[type=submit]").await;
    assert_eq!(path(&client).await, "/console/fleet/BWI-BALAI-01?done=config");
    assert!(text(&client).await.contains("Konfigurasi disimpan"));

    let store = world.server.store.clone();
    let config = tokio::task::spawn_blocking(move || {
        store.kiosk_config("BWI-BALAI-01", &[]).expect("config").expect("kiosk")
    })
    .await
    .expect("join");
    assert_eq!(config.notice().map(|n| n.id.as_str()), Some("Balai tutup hari Jumat"));
    world.server.store.flush_audit();

    click(&client, "nav.menu a[href=\"/console/audit\"]").await;
    fill(&client, "#action", "console_kiosk_config").await;
    fill(&client, "#outcome", "done").await;
    click(&client, "form.filters button[type=submit]").await;
    assert!(path(&client).await.starts_with("/console/audit?actor=&action=console_kiosk_config"));
    let found = text(&client).await;
    assert!(
        found.contains("console:dinas.pmd") && found.contains("kiosk:BWI-BALAI-01 version="),
        "{found}"
    );
    client.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn remove_a_pin_and_acknowledge_an_alert_with_the_forms() {
    let Some(driver) = Driver::start().await else { return };
    let world = world().await;
    let base = world.server.url.clone();
    world.staff("kades.balai", Some(world.home), StaffRole::Signer, "Kades").await;
    let store = world.server.store.clone();
    tokio::task::spawn_blocking(move || {
        let kiosk = PinScope::Kiosk("BWI-BALAI-01".into());
        store.set_kiosk_pin(&kiosk, "sekdes", "24681357").expect("pin");
        store.raise_alert(AlertKind::PinFailures, "kiosk:BWI-BALAI-01", "5 wrong PINs").unwrap();
    })
    .await
    .expect("join");
    let client = driver.browser(1366, 768).await;
    first_sign_in(&client, &base, "kades.balai").await;

    client.goto(&format!("{base}/console/fleet/BWI-BALAI-01")).await.expect("kiosk");
    assert!(text(&client).await.contains("sekdes"));
    // A box, not a link: ticked in place (the browser refuses the form until it is).
    let confirm = "form.pin-remove input[name=confirm]";
    let tick = client.find(fantoccini::Locator::Css(confirm)).await.expect(confirm);
    tick.click().await.expect("tick");
    click(&client, "form.pin-remove button[type=submit]").await;
    assert_eq!(path(&client).await, "/console/fleet/BWI-BALAI-01?done=pin_removed");
    assert!(text(&client).await.contains("PIN dihapus"));
    let store = world.server.store.clone();
    let config = tokio::task::spawn_blocking(move || {
        store.kiosk_config("BWI-BALAI-01", &[]).expect("config").expect("kiosk")
    })
    .await
    .expect("join");
    assert!(config.staff_pins.is_empty(), "{:?}", config.staff_pins);

    click(&client, "nav.menu a[href=\"/console/fleet\"]").await;
    click(&client, "p.fleet-alerts a").await;
    assert_eq!(path(&client).await, "/console/alerts");
    assert!(text(&client).await.contains("5 wrong PINs"));
    fill(&client, "form.ack input[name=note]", "Petugas lupa PIN; sudah diganti").await;
    click(&client, "form.ack button[type=submit]").await;
    assert_eq!(path(&client).await, "/console/alerts?done=ack");
    let open = text(&client).await;
    assert!(open.contains("Peringatan ditandai") && !open.contains("5 wrong PINs"), "{open}");
    click(&client, "nav.alert-tabs a[href$=\"acknowledged\"]").await;
    let history = text(&client).await;
    assert!(history.contains("5 wrong PINs") && history.contains("console:kades.balai"));
    assert!(history.contains("Petugas lupa PIN; sudah diganti"), "{history}");
    client.close().await.expect("close");
}
