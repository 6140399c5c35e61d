//! The web console in a real headless Chromium (Debian's chromium and chromium-driver,
//! driven with fantoccini): a desa's day (sign in, the forced password change, the
//! dashboard, preparing, approving and refusing letters, seeing the ticket change at the
//! kiosk API, signing out); an expired session and forged forms refused; another desa's
//! letter out of reach by URL and by a changed hidden field; sign-in throttling; XSS
//! payloads in a resident's name and a citizen's answer shown as text. With
//! ANJUNGAN_SCREENSHOTS=1 it also saves every page at 1366x768 and 390x844 in
//! docs/screenshots/console/.
//!
//! Needs chromedriver (scripts/setup.sh installs it); ANJUNGAN_SKIP_BROWSER=1 skips.

use crate::browser;
use crate::common;

use backend::store::StaffRole;
use browser::{Driver, LAPTOP, PHONE, click, fill, path, run, shot, text};
use common::console::{FIRST_PASSWORD, OWN_PASSWORD, World, column, execute, world};
use fantoccini::{Client, Locator};
use protocol::api::ReportState;
use protocol::mask::mask_digits_in;

async fn sign_in(client: &Client, base: &str, username: &str, password: &str) {
    client.goto(&format!("{base}/console/login")).await.expect("login page");
    fill(client, "#username", username).await;
    fill(client, "#password", password).await;
    click(client, "form.stack button[type=submit]").await;
}

/// The first sign-in: the password page before anything else, then the dashboard.
async fn first_sign_in(client: &Client, base: &str, username: &str) {
    client.goto(&format!("{base}/console/")).await.expect("console");
    assert_eq!(path(client).await, "/console/login", "signed out: to the sign-in form");
    sign_in(client, base, username, FIRST_PASSWORD).await;
    assert_eq!(path(client).await, "/console/password", "forced to choose a password");
    assert!(text(client).await.contains("Buat kata sandi Anda sendiri"));
    client.goto(&format!("{base}/console/letters")).await.expect("letters");
    assert_eq!(path(client).await, "/console/password", "nothing else before it");
    fill(client, "#current", FIRST_PASSWORD).await;
    fill(client, "#new", OWN_PASSWORD).await;
    fill(client, "#confirm", OWN_PASSWORD).await;
    click(client, "form.stack button[type=submit]").await;
    assert_eq!(path(client).await, "/console/");
}

async fn sign_out(client: &Client) {
    click(client, "form.logout button").await;
    assert_eq!(path(client).await, "/console/login?out=1");
    assert!(text(client).await.contains("Anda telah keluar"));
}

/// Sets the hidden field `name` of the form posting to `action` (what someone tampering
/// with the page would do) and returns nothing.
async fn tamper(client: &Client, action: &str, name: &str, value: &str) {
    let script = format!(
        "document.querySelector('form[action=\"{action}\"] input[name=\"{name}\"]').value = {};",
        serde_json::Value::from(value)
    );
    run(client, &script).await;
}

async fn state_at_kiosk(world: &World, ticket: &str) -> ReportState {
    world.ticket(ticket).await.state
}

#[tokio::test(flavor = "multi_thread")]
async fn a_desa_day_sign_in_change_the_password_approve_refuse_and_sign_out() {
    let Some(driver) = Driver::start().await else { return };
    let world = world().await;
    let base = world.server.url.clone();
    world.staff("operator.a", Some(world.home), StaffRole::Operator, "Ani Operator").await;
    world.staff("kades.a", Some(world.home), StaffRole::Signer, "H. SUGENG RIYADI").await;
    let heads = world.heads(world.home).await;
    let theirs = world.heads(world.other).await;
    let one = world
        .file(&world.home_kiosk, &heads[0], "domisili", "day-one-01", serde_json::json!({}))
        .await
        .ticket
        .to_string();
    let two = world
        .file(&world.home_kiosk, &heads[1], "domisili", "day-two-01", serde_json::json!({}))
        .await
        .ticket
        .to_string();
    let elsewhere = world
        .file(&world.other_kiosk, &theirs[0], "domisili", "day-else-01", serde_json::json!({}))
        .await
        .ticket
        .to_string();

    let client = driver.browser(LAPTOP.0, LAPTOP.1).await;
    first_sign_in(&client, &base, "operator.a").await;
    let dashboard = text(&client).await;
    assert!(
        dashboard.contains("Dasbor") && dashboard.contains(&one) && dashboard.contains(&two),
        "{dashboard}"
    );
    assert!(!dashboard.contains(&heads[0]), "the dashboard masks NIKs");

    // Another desa's letter: not by URL ...
    client.goto(&format!("{base}/console/letters/{elsewhere}")).await.expect("goto");
    assert!(text(&client).await.contains("Halaman atau data tidak ditemukan"));
    // ... nor by changing the ticket in a form of the own desa's letter.
    client.goto(&format!("{base}/console/letters/{two}")).await.expect("goto");
    tamper(&client, "/console/letters/prepare", "ticket", &elsewhere).await;
    click(&client, "form[action=\"/console/letters/prepare\"] button").await;
    assert!(text(&client).await.contains("Halaman atau data tidak ditemukan"));
    assert_eq!(state_at_kiosk(&world, &elsewhere).await, ReportState::Verification);
    let prepared_elsewhere = column(
        &world.server.store,
        format!(
            "SELECT coalesce(prepared_by, '-') FROM letter_requests WHERE ticket = '{elsewhere}'"
        ),
    )
    .await;
    assert_eq!(prepared_elsewhere, vec!["-".to_owned()]);

    // The operator checks the KTP of the first one and marks it ready.
    client.goto(&format!("{base}/console/letters")).await.expect("letters");
    click(&client, &format!("a[href=\"/console/letters/{one}\"]")).await;
    let page = text(&client).await;
    assert!(!page.contains(&heads[0]), "the preview masks the NIK without a reason");
    assert!(page.contains(&mask_digits_in(&heads[0])), "{page}");
    assert!(page.contains("SURAT KETERANGAN DOMISILI"), "{page}");
    // Shown in full only for a reason, written to the audit log.
    let letter_page = format!("/console/letters/{one}");
    client
        .find(Locator::Css("#unmask-kind option[value='letter_request']"))
        .await
        .expect("kind")
        .click()
        .await
        .expect("choose");
    fill(&client, "#unmask-reason", "Memeriksa KTP pemohon di loket").await;
    click(&client, &format!("form[action=\"{letter_page}\"] button")).await;
    let full = text(&client).await;
    assert!(full.contains(&heads[0]), "in full as it prints, for the reason");
    assert!(full.contains("Memeriksa KTP pemohon di loket"), "the reason is said");
    client.goto(&format!("{base}{letter_page}")).await.expect("goto");
    assert!(!text(&client).await.contains(&heads[0]), "masked again on the next view");
    assert!(
        client.find(Locator::Css("form[action=\"/console/letters/approve\"]")).await.is_err(),
        "an operator has no approve button"
    );
    click(&client, "form[action=\"/console/letters/prepare\"] button").await;
    assert!(text(&client).await.contains("Ditandai siap"));
    sign_out(&client).await;
    client.goto(&format!("{base}/console/")).await.expect("goto");
    assert_eq!(path(&client).await, "/console/login", "signed out for real");
    client.close().await.expect("close");

    // The kepala desa approves it: the kiosk sees it issued.
    let client = driver.browser(LAPTOP.0, LAPTOP.1).await;
    first_sign_in(&client, &base, "kades.a").await;
    client.goto(&format!("{base}/console/letters/{one}")).await.expect("goto");
    assert_eq!(state_at_kiosk(&world, &one).await, ReportState::Verification);
    // A signer changing the hidden ticket to another desa's gets nothing done either.
    tamper(&client, "/console/letters/approve", "ticket", &elsewhere).await;
    click(&client, "form[action=\"/console/letters/approve\"] button").await;
    assert!(text(&client).await.contains("Halaman atau data tidak ditemukan"));
    assert_eq!(state_at_kiosk(&world, &elsewhere).await, ReportState::Verification);
    client.goto(&format!("{base}/console/letters/{one}")).await.expect("goto");
    click(&client, "form[action=\"/console/letters/approve\"] button").await;
    let issued = text(&client).await;
    assert!(issued.contains("Disetujui"), "{issued}");
    assert!(issued.contains("Nomor: 470/001/"), "numbered now: {issued}");
    assert_eq!(
        state_at_kiosk(&world, &one).await,
        ReportState::Verified,
        "the ticket changed at the kiosk API"
    );
    let pdf = client.find(Locator::Css("a[href$=\"/pdf\"]")).await.expect("the PDF link");
    assert!(pdf.attr("href").await.expect("href").is_some());

    // The second one is refused with a reason, which the citizen then reads.
    client.goto(&format!("{base}/console/letters/{two}")).await.expect("goto");
    fill(&client, "#reject-reason", "Alamat di KK belum diperbarui").await;
    click(&client, "form[action=\"/console/letters/reject\"] button").await;
    assert!(text(&client).await.contains("Ditolak"));
    let tracked = world.ticket(&two).await;
    assert_eq!(tracked.state, ReportState::RejectedAfterVerification);
    assert_eq!(tracked.reason.expect("reason").id, "Alamat di KK belum diperbarui");
    sign_out(&client).await;
    client.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_session_and_forged_forms_are_refused_and_logins_are_throttled() {
    let Some(driver) = Driver::start().await else { return };
    let world = world().await;
    let base = world.server.url.clone();
    world.staff("kades.a", Some(world.home), StaffRole::Signer, "H. SUGENG RIYADI").await;
    world.staff("tamu", Some(world.home), StaffRole::Operator, "Tamu").await;
    let heads = world.heads(world.home).await;
    let ticket = world
        .file(&world.home_kiosk, &heads[2], "domisili", "forge-letter-01", serde_json::json!({}))
        .await
        .ticket
        .to_string();
    let client = driver.browser(LAPTOP.0, LAPTOP.1).await;
    first_sign_in(&client, &base, "kades.a").await;

    // Idle for 31 minutes: the next page is the sign-in form, saying why.
    execute(&world.server.store, "UPDATE console_sessions SET last_seen = last_seen - 1860".into())
        .await;
    client.goto(&format!("{base}/console/letters")).await.expect("goto");
    assert_eq!(path(&client).await, "/console/login?expired=1");
    assert!(text(&client).await.contains("Sesi Anda telah berakhir"));
    sign_in(&client, &base, "kades.a", OWN_PASSWORD).await;
    assert_eq!(path(&client).await, "/console/");

    // The refusal form without its token, and with another one.
    for token in ["", "00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff"] {
        client.goto(&format!("{base}/console/letters/{ticket}")).await.expect("goto");
        tamper(&client, "/console/letters/reject", "csrf", token).await;
        fill(&client, "#reject-reason", "tidak lengkap").await;
        click(&client, "form[action=\"/console/letters/reject\"] button").await;
        assert!(text(&client).await.contains("Formulir ini tidak sah"), "token {token:?}");
        assert_eq!(state_at_kiosk(&world, &ticket).await, ReportState::Verification);
    }

    // A page of another origin (another port of the same host: the same site, so the
    // SameSite cookie goes along) posting the form, even with this session's real token:
    // refused by the origin check.
    client.goto(&format!("{base}/console/letters/{ticket}")).await.expect("goto");
    let token = client
        .find(Locator::Css("form[action=\"/console/letters/reject\"] input[name=csrf]"))
        .await
        .expect("token field")
        .attr("value")
        .await
        .expect("value")
        .expect("a token");
    let evil = format!(
        "<!doctype html><form method=post action=\"{base}/console/letters/reject\">\
         <input name=ticket value=\"{ticket}\"><input name=reason value=\"dipalsukan orang lain\">\
         <input name=csrf value=\"{token}\"><button id=go>go</button></form>"
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let evil_url = format!("http://{}/", listener.local_addr().expect("address"));
    let page = axum::Router::new()
        .route("/", axum::routing::get(move || async move { axum::response::Html(evil) }));
    tokio::spawn(async move { axum::serve(listener, page).await });
    client.goto(&evil_url).await.expect("the other site");
    click(&client, "#go").await;
    assert!(text(&client).await.contains("Formulir ini tidak sah"), "{}", text(&client).await);
    assert_eq!(state_at_kiosk(&world, &ticket).await, ReportState::Verification);
    let store = world.server.store.clone();
    store.flush_audit();
    let audit = tokio::task::spawn_blocking(move || store.recent_audit(10_000).expect("audit"))
        .await
        .expect("join");
    let refused: Vec<&str> =
        audit.iter().filter(|e| e.action == "console_csrf").map(|e| e.outcome.as_str()).collect();
    assert_eq!(refused.iter().filter(|o| **o == "bad_token").count(), 2, "{refused:?}");
    assert_eq!(refused.iter().filter(|o| **o == "other_origin").count(), 1, "{refused:?}");
    client.close().await.expect("close");

    // Six tries at one account within a minute: the sixth waits, the right password too.
    let client = driver.browser(LAPTOP.0, LAPTOP.1).await;
    common::console::early_in_a_minute().await;
    for _ in 0..5 {
        sign_in(&client, &base, "tamu", "bukan-sandinya-9").await;
        assert!(text(&client).await.contains("Nama pengguna atau kata sandi salah"));
    }
    sign_in(&client, &base, "tamu", FIRST_PASSWORD).await;
    let said = text(&client).await;
    assert!(
        said.contains("Terlalu banyak percobaan masuk")
            && said.contains("Too many sign-in attempts"),
        "{said}"
    );
    assert_eq!(path(&client).await, "/console/login");
    client.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn markup_in_a_residents_name_and_a_citizens_answer_is_shown_as_text() {
    let Some(driver) = Driver::start().await else { return };
    let world = world().await;
    let base = world.server.url.clone();
    world.staff("kades.a", Some(world.home), StaffRole::Signer, "H. SUGENG RIYADI").await;
    let heads = world.heads(world.home).await;
    let name = "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">";
    execute(
        &world.server.store,
        format!("UPDATE residents SET name = '{name}' WHERE nik = '{}'", heads[3]),
    )
    .await;
    let answer = "Warung <b>Bu</b> <script>window.pwned=3</script>";
    let ticket = world
        .file(&world.home_kiosk, &heads[3], "usaha", "xss-markup-01", serde_json::json!({"business_name": answer, "business_kind": "warung \" onmouseover=\"window.pwned=4"}))
        .await
        .ticket
        .to_string();
    let client = driver.browser(LAPTOP.0, LAPTOP.1).await;
    first_sign_in(&client, &base, "kades.a").await;
    for page in [
        format!("{base}/console/letters/{ticket}"),
        format!("{base}/console/letters"),
        format!("{base}/console/"),
    ] {
        client.goto(&page).await.expect("goto");
        let scripts = run(&client, "return document.querySelectorAll('script').length;").await;
        assert_eq!(scripts, serde_json::json!(0), "{page}: no script element");
        let images = run(
            &client,
            "return document.querySelectorAll('img:not([src^=\"data:image/svg+xml\"])').length;",
        )
        .await;
        assert_eq!(images, serde_json::json!(0), "{page}: no image element");
        let pwned = run(&client, "return typeof window.pwned;").await;
        assert_eq!(pwned, serde_json::json!("undefined"), "{page}: nothing ran");
    }
    client.goto(&format!("{base}/console/letters/{ticket}")).await.expect("goto");
    let shown = text(&client).await;
    // The letter wraps long values at 48 columns, as it prints; the markup is there as text.
    assert!(shown.contains(": <script>window.pwned=1"), "the name, as text: {shown}");
    assert!(shown.contains("onerror=\"window.pwned=2\">"), "the name, as text: {shown}");
    assert!(
        shown.contains("Warung <b>Bu</b>") && shown.contains("<script>window.pwned=3</script>"),
        "the answer, as text: {shown}"
    );
    client.close().await.expect("close");
}

/// A heartbeat as a kiosk sends it, received `ago` seconds ago.
async fn heartbeat(
    world: &World,
    kiosk: &str,
    ago: i64,
    printer: protocol::fleet::PrinterState,
    paper: u32,
    outbox: u64,
    door_open: bool,
) {
    use time::format_description::well_known::Rfc3339;
    let at = (time::OffsetDateTime::now_utc() - time::Duration::seconds(ago))
        .format(&Rfc3339)
        .expect("time");
    let beat = protocol::fleet::Heartbeat {
        version: "0.1.0".into(),
        uptime_seconds: 3600,
        printer: Some(protocol::fleet::PrinterStatus {
            state: printer,
            paper_remaining_mm: Some(paper),
        }),
        queue_depth: Some(outbox),
        door_open: Some(door_open),
        last_error: None,
        sent_at: at.clone(),
        pin_failures: 0,
        pin_locked: false,
    };
    let entry = backend::store::AuditEntry {
        at: at.clone(),
        actor: format!("kiosk:{kiosk}"),
        action: "heartbeat".into(),
        subject: String::new(),
        outcome: "ok".into(),
    };
    let (store, kiosk) = (world.server.store.clone(), kiosk.to_owned());
    tokio::task::spawn_blocking(move || {
        store.record_heartbeat(&kiosk, &beat, &at, &entry).expect("heartbeat")
    })
    .await
    .expect("join");
}

/// Every console page at a laptop's and a phone's size, for people to look at. Only with
/// ANJUNGAN_SCREENSHOTS=1, so test runs do not rewrite the checked-in pictures.
#[tokio::test(flavor = "multi_thread")]
async fn screenshots_of_every_page_at_laptop_and_phone_size() {
    if std::env::var("ANJUNGAN_SCREENSHOTS").as_deref() != Ok("1") {
        eprintln!("ANJUNGAN_SCREENSHOTS is not 1: no screenshots taken");
        return;
    }
    let Some(driver) = Driver::start().await else { return };
    let world = world().await;
    let base = world.server.url.clone();
    let store = world.server.store.clone();
    let home = world.home;
    let (second, third) = tokio::task::spawn_blocking(move || {
        (
            store.register_kiosk("BWI-POSYANDU-02", Some(home), 120).expect("kiosk"),
            store.register_kiosk("BWI-SEKOLAH-03", Some(home), 120).expect("kiosk"),
        )
    })
    .await
    .expect("join");
    use protocol::fleet::PrinterState;
    heartbeat(&world, "BWI-BALAI-01", 20, PrinterState::Online, 41_000, 0, false).await;
    heartbeat(&world, "BWI-POSYANDU-02", 45, PrinterState::PaperNearEnd, 900, 3, true).await;
    heartbeat(&world, "BWI-SEKOLAH-03", 2 * 3600, PrinterState::Offline, 12_000, 7, false).await;
    heartbeat(&world, "BWI-LAIN-01", 30, PrinterState::Online, 30_000, 0, false).await;
    let heads = world.heads(world.home).await;
    for (n, nik) in heads.iter().take(4).enumerate() {
        for kiosk in [&second, &third] {
            let path = protocol::api::status_path(nik);
            let response = common::signed_get(
                &world.server,
                &path,
                kiosk,
                common::now(),
                &common::fresh_nonce(),
            )
            .await;
            assert_eq!(response.status(), 200, "lookup {n}");
        }
    }
    let mut waiting = Vec::new();
    for (n, nik) in heads.iter().skip(6).take(4).enumerate() {
        let letter = if n % 2 == 0 { "domisili" } else { "pengantar_skck" };
        let fields = serde_json::json!({});
        let filed =
            world.file(&world.home_kiosk, nik, letter, &format!("shots-wait-{n:02}"), fields).await;
        waiting.push(filed.ticket.to_string());
    }
    let issued = world
        .file_as(
            &world.home_kiosk,
            &heads[10],
            "domisili",
            "shots-issued-01",
            serde_json::json!({}),
            "card",
        )
        .await
        .ticket
        .to_string();
    world
        .file(
            &world.other_kiosk,
            &world.heads(world.other).await[0],
            "domisili",
            "shots-other-01",
            serde_json::json!({}),
        )
        .await;
    let (store, ticket) = (world.server.store.clone(), waiting[0].clone());
    tokio::task::spawn_blocking(move || {
        store.prepare_letter(&ticket, "staff:operator.a").expect("prepared")
    })
    .await
    .expect("join");
    // PINs and alerts for the fleet, kiosk and alerts pages.
    let store = world.server.store.clone();
    tokio::task::spawn_blocking(move || {
        use backend::store::{AlertKind, PinScope};
        let kiosk = PinScope::Kiosk("BWI-POSYANDU-02".into());
        store.set_kiosk_pin(&kiosk, "Kader Posyandu", "24681357").expect("pin");
        store.set_kiosk_pin(&PinScope::Desa(home), "Sekdes", "97531246").expect("desa pin");
        let burst = "92 lookups in 60 s";
        store.raise_alert(AlertKind::PinFailures, "kiosk:BWI-POSYANDU-02", "5 wrong PINs").unwrap();
        store.raise_alert(AlertKind::LookupBurst, "kiosk:BWI-SEKOLAH-03", burst).unwrap();
        store.raise_alert(AlertKind::DailyCap, "kiosk:BWI-BALAI-01", "2000 lookups today").unwrap();
        let seen = store.alerts(false, 10).unwrap();
        let cap = seen.iter().find(|a| a.kind == AlertKind::DailyCap).expect("the cap");
        let note = Some("Antrean panjang hari pembagian BLT");
        store.acknowledge_alert(&cap.id, "console:kades.balai", note).unwrap();
    })
    .await
    .expect("join");
    world.server.store.flush_audit();

    for size in [LAPTOP, PHONE] {
        let signer = format!("kades.{}", size.0);
        let kabupaten = format!("dinas.{}", size.0);
        world.staff(&signer, Some(world.home), StaffRole::Signer, "H. SUGENG RIYADI").await;
        world.staff(&kabupaten, None, StaffRole::Kabupaten, "Dinas PMD").await;
        let client = driver.browser(size.0, size.1).await;
        client.goto(&format!("{base}/console/login")).await.expect("login");
        shot(&client, "login", size).await;
        sign_in(&client, &base, &signer, FIRST_PASSWORD).await;
        shot(&client, "password", size).await;
        fill(&client, "#current", FIRST_PASSWORD).await;
        fill(&client, "#new", OWN_PASSWORD).await;
        fill(&client, "#confirm", OWN_PASSWORD).await;
        click(&client, "form.stack button[type=submit]").await;
        assert_eq!(path(&client).await, "/console/");
        shot(&client, "dashboard", size).await;
        client.goto(&format!("{base}/console/letters")).await.expect("letters");
        shot(&client, "letters", size).await;
        client.goto(&format!("{base}/console/letters/{}", waiting[0])).await.expect("letter");
        shot(&client, "letter", size).await;
        // The reason form refused (too short), then the letter in full for a reason.
        let letter_page = format!("/console/letters/{}", waiting[0]);
        let unmask_button = format!("form[action=\"{letter_page}\"] button");
        run(&client, "document.querySelector('#unmask-reason').removeAttribute('minlength');")
            .await;
        fill(&client, "#unmask-reason", "cek").await;
        run(&client, "document.querySelector('#unmask-kind').removeAttribute('required');").await;
        click(&client, &unmask_button).await;
        shot(&client, "letter-unmask-refused", size).await;
        client
            .find(Locator::Css("#unmask-kind option[value='letter_request']"))
            .await
            .expect("kind")
            .click()
            .await
            .expect("choose");
        fill(&client, "#unmask-reason", "Memeriksa KTP pemohon di loket").await;
        click(&client, &unmask_button).await;
        shot(&client, "letter-unmasked", size).await;
        client.goto(&format!("{base}/console/letters/{issued}")).await.expect("issued");
        shot(&client, "letter-issued", size).await;
        client.goto(&format!("{base}/console/letters/00009-99999-9")).await.expect("none");
        shot(&client, "not-found", size).await;
        sign_out(&client).await;
        first_sign_in(&client, &base, &kabupaten).await;
        shot(&client, "dashboard-kabupaten", size).await;
        for (page, name) in [
            ("fleet", "fleet"),
            ("fleet/BWI-POSYANDU-02", "kiosk"),
            ("alerts", "alerts"),
            ("alerts?state=acknowledged", "alerts-history"),
            ("audit?action=heartbeat", "audit"),
            ("charts", "charts"),
        ] {
            client.goto(&format!("{base}/console/{page}")).await.expect(name);
            shot(&client, name, size).await;
        }
        client.close().await.expect("close");
    }
}
