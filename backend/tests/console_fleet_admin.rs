//! PIN withdrawal, desa-wide PINs, alert acknowledgement and the streamed audit export,
//! over real HTTP on the suite's database (SQLite, or PostgreSQL when
//! ANJUNGAN_TEST_DATABASE names a server), through the console's forms and the staff API:
//! a removed PIN is gone from the kiosk's next signed configuration; a desa PIN reaches
//! every kiosk of its desa and no other's; another desa's kiosk, PIN or alert answers 404,
//! by URL and by tampered form; an acknowledged alert leaves the open list and its history
//! says who; an export of more than 10,000 entries arrives whole, chunked, filtered, and
//! audited; and the audit filters' plans name migration 0024's indexes.

use crate::common;
use crate::console_fleet::{audited, pull, setup, signed_in};

use backend::store::{AlertKind, AuditEntry, AuditFilter, StaffRole};
use common::console::{OWN_PASSWORD, execute};
use common::*;

fn labels(config: &protocol::fleet::KioskConfig) -> Vec<&str> {
    config.staff_pins.iter().map(|pin| pin.label.as_str()).collect()
}

async fn api_post(
    url: &str,
    token: &str,
    path: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let answer = reqwest::Client::new()
        .post(format!("{url}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("post");
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(serde_json::Value::Null))
}

async fn api_get(url: &str, token: &str, path: &str) -> reqwest::Response {
    reqwest::Client::new().get(format!("{url}{path}")).bearer_auth(token).send().await.expect("get")
}

#[tokio::test]
async fn a_removed_pin_is_gone_from_the_kiosks_next_configuration() {
    let setup = setup().await;
    let world = &setup.world;
    let mut signer = signed_in(world, "sari.signer", Some(world.home), StaffRole::Signer).await;
    let page = signer.get("/console/fleet/BWI-BALAI-01").await;
    let csrf = page.csrf().expect("token");
    let set = signer
        .post(
            "/console/fleet/BWI-BALAI-01/pin",
            &[("csrf", &csrf), ("label", "sekdes"), ("pin", "246810")],
        )
        .await;
    assert_eq!(set.status, 303);
    let with = pull(&setup, &world.home_kiosk).await;
    assert_eq!(labels(&with), ["sekdes"]);

    let remove = "/console/fleet/BWI-BALAI-01/pin/remove";
    let unconfirmed = signer.post(remove, &[("csrf", &csrf), ("label", "sekdes")]).await;
    assert_eq!(unconfirmed.status, 400, "the confirmation box is required");
    assert!(unconfirmed.text().contains("Ya, hapus"));
    assert_eq!(labels(&pull(&setup, &world.home_kiosk).await), ["sekdes"]);
    let forged = signer.post(remove, &[("label", "sekdes"), ("confirm", "yes")]).await;
    assert_eq!(forged.status, 403, "no CSRF token");
    let tampered = signer
        .post(
            "/console/fleet/BWI-LAIN-01/pin/remove",
            &[("csrf", &csrf), ("label", "sekdes"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(tampered.status, 404, "another desa's kiosk");
    let mut operator = signed_in(world, "ani.op", Some(world.home), StaffRole::Operator).await;
    let own = operator.get("/console/fleet/BWI-BALAI-01").await;
    assert!(!own.body.contains("/pin/remove"), "no form for an operator");
    let op_csrf = own.csrf().expect("token");
    let refused =
        operator.post(remove, &[("csrf", &op_csrf), ("label", "sekdes"), ("confirm", "yes")]).await;
    assert_eq!(refused.status, 403);

    let done =
        signer.post(remove, &[("csrf", &csrf), ("label", "sekdes"), ("confirm", "yes")]).await;
    assert_eq!(done.status, 303);
    assert_eq!(done.location(), Some("/console/fleet/BWI-BALAI-01?done=pin_removed"));
    let without = pull(&setup, &world.home_kiosk).await;
    assert!(without.staff_pins.is_empty(), "{:?}", without.staff_pins);
    assert_ne!(without.config_version, with.config_version);
    let removed = audited(world, "console_kiosk_pin_remove", "done").await;
    assert_eq!(removed.len(), 1);
    assert!(removed[0].subject.starts_with("kiosk:BWI-BALAI-01 pin:sekdes version="));
    assert_eq!(removed[0].actor, "console:sari.signer");
    assert_eq!(audited(world, "console_kiosk_pin_remove", "not_found").await.len(), 1);

    // The same through the staff API.
    let token = staff_login(&world.server.url, "sari.signer", OWN_PASSWORD).await.token;
    let url = &world.server.url;
    let body = serde_json::json!({"label": "kaur", "pin": "97531246"});
    let (status, _) = api_post(url, &token, "/api/v1/staff/fleet/BWI-BALAI-01/pin", body).await;
    assert_eq!(status, 200);
    assert_eq!(labels(&pull(&setup, &world.home_kiosk).await), ["kaur"]);
    let label = serde_json::json!({"label": "kaur"});
    let path = "/api/v1/staff/fleet/BWI-LAIN-01/pin/remove";
    assert_eq!(api_post(url, &token, path, label.clone()).await.0, 404);
    let path = "/api/v1/staff/fleet/BWI-BALAI-01/pin/remove";
    let (status, changed) = api_post(url, &token, path, label.clone()).await;
    assert_eq!(status, 200, "{changed}");
    let pulled = pull(&setup, &world.home_kiosk).await;
    assert!(pulled.staff_pins.is_empty());
    assert_eq!(changed["config_version"], pulled.config_version.as_str());
    assert_eq!(api_post(url, &token, path, label).await.0, 400, "already removed");
    assert_eq!(audited(world, "fleet_pin_remove", "done").await.len(), 1);
}

#[tokio::test]
async fn a_desa_pin_reaches_every_kiosk_of_its_desa_and_no_other() {
    let setup = setup().await;
    let world = &setup.world;
    let store = world.server.store.clone();
    let home = world.home;
    let second = tokio::task::spawn_blocking(move || {
        store.register_kiosk("BWI-BALAI-02", Some(home), 120).expect("kiosk")
    })
    .await
    .expect("join");
    let mut signer = signed_in(world, "sari.signer", Some(world.home), StaffRole::Signer).await;
    let fleet = signer.get("/console/fleet").await;
    assert_eq!(fleet.status, 200);
    assert!(fleet.text().contains("PIN petugas desa"));
    let csrf = fleet.csrf().expect("token");
    let other = world.other.to_string();
    let tampered = signer
        .post(
            "/console/fleet-pins",
            &[("csrf", &csrf), ("desa", &other), ("label", "kades"), ("pin", "135799")],
        )
        .await;
    assert_eq!(tampered.status, 404, "another desa by a tampered form");
    // A code of the kabupaten itself (or of nothing) is no desa of this account either.
    for code in ["3510", "0"] {
        let wide = signer
            .post(
                "/console/fleet-pins",
                &[("csrf", &csrf), ("desa", code), ("label", "kades"), ("pin", "135799")],
            )
            .await;
        assert_eq!(wide.status, 404, "{code}");
    }
    let short = signer
        .post("/console/fleet-pins", &[("csrf", &csrf), ("label", "kades"), ("pin", "13579")])
        .await;
    assert_eq!(short.status, 400, "five digits");
    let set = signer
        .post("/console/fleet-pins", &[("csrf", &csrf), ("label", "kades"), ("pin", "135799")])
        .await;
    assert_eq!(set.status, 303, "{}", set.body);
    assert_eq!(set.location(), Some("/console/fleet?done=desa_pin"));
    assert_eq!(labels(&pull(&setup, &world.home_kiosk).await), ["kades"]);
    assert_eq!(labels(&pull(&setup, &second).await), ["kades"]);
    assert!(pull(&setup, &world.other_kiosk).await.staff_pins.is_empty());
    assert!(pull(&setup, &world.server.key).await.staff_pins.is_empty(), "the kabupaten's own");
    let page = signer.get("/console/fleet/BWI-BALAI-02").await;
    assert!(page.text().contains("PIN desa"), "shown as the desa's on a kiosk's page");
    assert!(!page.body.contains("135799"), "never the PIN");

    let mut operator = signed_in(world, "ani.op", Some(world.home), StaffRole::Operator).await;
    let list = operator.get("/console/fleet").await;
    assert!(!list.body.contains("/console/fleet-pins"), "no forms for an operator");
    let op_csrf = list.csrf().expect("token");
    let refused = operator
        .post("/console/fleet-pins", &[("csrf", &op_csrf), ("label", "x"), ("pin", "135799")])
        .await;
    assert_eq!(refused.status, 403);
    let removal = [("csrf", op_csrf.as_str()), ("label", "kades"), ("confirm", "yes")];
    assert_eq!(operator.post("/console/fleet-pins/remove", &removal).await.status, 403);

    // The kabupaten sets one for the other desa through the API; a desa account cannot.
    world.staff("budi.kab", None, StaffRole::Kabupaten, "Budi").await;
    world.own_password("budi.kab").await;
    let url = &world.server.url;
    let kabupaten = staff_login(url, "budi.kab", OWN_PASSWORD).await.token;
    let desa_token = staff_login(url, "sari.signer", OWN_PASSWORD).await.token;
    let body = serde_json::json!({"desa_code": world.other, "label": "camat", "pin": "86420135"});
    assert_eq!(api_post(url, &desa_token, "/api/v1/staff/desa-pins", body.clone()).await.0, 404);
    let (status, pins) = api_post(url, &kabupaten, "/api/v1/staff/desa-pins", body).await;
    assert_eq!(status, 200, "{pins}");
    assert_eq!(labels(&pull(&setup, &world.other_kiosk).await), ["camat"]);
    assert_eq!(labels(&pull(&setup, &world.home_kiosk).await), ["kades"]);
    let listed: serde_json::Value =
        api_get(url, &desa_token, "/api/v1/staff/desa-pins").await.json().await.expect("JSON");
    assert_eq!(listed["pins"], serde_json::json!([{"desa_code": world.home, "label": "kades"}]));

    let unconfirmed =
        signer.post("/console/fleet-pins/remove", &[("csrf", &csrf), ("label", "kades")]).await;
    assert_eq!(unconfirmed.status, 400);
    let removed = signer
        .post(
            "/console/fleet-pins/remove",
            &[("csrf", &csrf), ("label", "kades"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(removed.status, 303);
    assert!(pull(&setup, &world.home_kiosk).await.staff_pins.is_empty());
    assert!(pull(&setup, &second).await.staff_pins.is_empty());
    assert_eq!(labels(&pull(&setup, &world.other_kiosk).await), ["camat"]);
    let body = serde_json::json!({"desa_code": world.other, "label": "camat"});
    let path = "/api/v1/staff/desa-pins/remove";
    assert_eq!(api_post(url, &desa_token, path, body.clone()).await.0, 404);
    assert_eq!(api_post(url, &kabupaten, path, body).await.0, 200);
    assert!(pull(&setup, &world.other_kiosk).await.staff_pins.is_empty());
    assert_eq!(audited(world, "console_desa_pin", "done").await.len(), 1);
    assert_eq!(audited(world, "console_desa_pin", "not_found").await.len(), 3);
    assert_eq!(audited(world, "console_desa_pin_remove", "done").await.len(), 1);
    assert_eq!(audited(world, "desa_pin", "done").await.len(), 1);
}

#[tokio::test]
async fn an_alert_is_acknowledged_by_its_desa_and_kept_in_the_history() {
    let setup = setup().await;
    let world = &setup.world;
    let store = world.server.store.clone();
    tokio::task::spawn_blocking(move || {
        store.raise_alert(AlertKind::PinFailures, "kiosk:BWI-BALAI-01", "5 wrong PINs").unwrap();
        store.raise_alert(AlertKind::PinFailures, "kiosk:BWI-LAIN-01", "6 wrong PINs").unwrap();
        store.raise_alert(AlertKind::LoginLockout, "staff:x", "locked out").unwrap();
    })
    .await
    .expect("join");
    let ids = |subject: &str| {
        let store = world.server.store.clone();
        let subject = subject.to_owned();
        async move {
            tokio::task::spawn_blocking(move || {
                store.alerts(true, 10).expect("alerts").into_iter().find(|a| a.subject == subject)
            })
            .await
            .expect("join")
            .expect("the alert")
        }
    };
    let home_alert = ids("kiosk:BWI-BALAI-01").await.id;
    let other_alert = ids("kiosk:BWI-LAIN-01").await.id;

    let mut operator = signed_in(world, "ani.op", Some(world.home), StaffRole::Operator).await;
    let fleet = operator.get("/console/fleet").await;
    assert!(fleet.text().contains("Peringatan terbuka"), "linked from the fleet page");
    let open = operator.get("/console/alerts").await;
    assert_eq!(open.status, 200);
    let text = open.text();
    assert!(text.contains("BWI-BALAI-01") && text.contains("5 wrong PINs"), "{text}");
    assert!(!text.contains("BWI-LAIN-01") && !text.contains("staff:x"), "another desa's");
    let csrf = open.csrf().expect("token");
    let other_path = format!("/console/alerts/{other_alert}/acknowledge");
    let tampered = operator.post(&other_path, &[("csrf", &csrf), ("note", "x")]).await;
    assert_eq!(tampered.status, 404, "another desa's alert");
    let home_path = format!("/console/alerts/{home_alert}/acknowledge");
    let forged = operator.post(&home_path, &[("note", "x")]).await;
    assert_eq!(forged.status, 403, "no CSRF token");
    let long = "x".repeat(201);
    assert_eq!(operator.post(&home_path, &[("csrf", &csrf), ("note", &long)]).await.status, 400);
    assert!(ids("kiosk:BWI-BALAI-01").await.acknowledged_by.is_none());
    let done =
        operator.post(&home_path, &[("csrf", &csrf), ("note", "Printer dicek, PIN diganti")]).await;
    assert_eq!(done.status, 303);
    assert_eq!(done.location(), Some("/console/alerts?done=ack"));
    let after = operator.get("/console/alerts").await.text();
    assert!(!after.contains("5 wrong PINs"), "left the open list");
    let history = operator.get("/console/alerts?state=acknowledged").await.text();
    assert!(history.contains("5 wrong PINs") && history.contains("console:ani.op"), "{history}");
    assert!(history.contains("Printer dicek, PIN diganti"));
    let kept = ids("kiosk:BWI-BALAI-01").await;
    assert_eq!(kept.acknowledged_by.as_deref(), Some("console:ani.op"));
    assert!(kept.acknowledged_at.is_some());
    assert_eq!(operator.post(&home_path, &[("csrf", &csrf)]).await.status, 400, "twice");
    assert_eq!(operator.get("/console/alerts?state=gone").await.status, 400);
    assert_eq!(audited(world, "console_alert_acknowledge", "done").await.len(), 1);
    assert_eq!(audited(world, "console_alert_acknowledge", "not_found").await.len(), 1);

    // The staff API: the state filter, another desa's 404, the kabupaten's acknowledgement.
    world.staff("budi.kab", None, StaffRole::Kabupaten, "Budi").await;
    world.staff("audi.tor", None, StaffRole::Auditor, "Audi").await;
    world.own_password("budi.kab").await;
    world.own_password("audi.tor").await;
    let url = &world.server.url;
    let desa = staff_login(url, "ani.op", OWN_PASSWORD).await.token;
    let kabupaten = staff_login(url, "budi.kab", OWN_PASSWORD).await.token;
    let auditor = staff_login(url, "audi.tor", OWN_PASSWORD).await.token;
    let path = format!("/api/v1/staff/alerts/{other_alert}/acknowledge");
    let note = serde_json::json!({"note": "dicek"});
    assert_eq!(api_post(url, &desa, &path, note.clone()).await.0, 404);
    assert_eq!(api_post(url, &auditor, &path, note.clone()).await.0, 403);
    let (status, alert) = api_post(url, &kabupaten, &path, note).await;
    assert_eq!(status, 200, "{alert}");
    assert_eq!(alert["acknowledged_by"], "staff:budi.kab");
    assert_eq!(alert["note"], "dicek");
    assert_eq!(alert["open"], false);
    let listed = |token: String, state: &'static str| async move {
        let body: serde_json::Value =
            api_get(url, &token, &format!("/api/v1/staff/alerts?state={state}"))
                .await
                .json()
                .await
                .expect("JSON");
        let subjects: Vec<String> = body["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .map(|a| a["subject"].as_str().unwrap_or_default().to_owned())
            .collect();
        subjects
    };
    assert_eq!(listed(kabupaten.clone(), "open").await, ["staff:x"]);
    let mut history = listed(kabupaten.clone(), "acknowledged").await;
    history.sort();
    assert_eq!(history, ["kiosk:BWI-BALAI-01", "kiosk:BWI-LAIN-01"]);
    assert_eq!(listed(desa.clone(), "acknowledged").await, ["kiosk:BWI-BALAI-01"]);
    assert!(listed(desa.clone(), "open").await.is_empty());
    assert_eq!(api_get(url, &desa, "/api/v1/staff/alerts?state=x").await.status(), 400);
    assert_eq!(audited(world, "alert_acknowledge", "done").await.len(), 1);
}

#[tokio::test]
async fn the_audit_export_streams_every_row_of_its_filter_and_is_audited() {
    const ROWS: usize = 10_250;
    let setup = setup().await;
    let world = &setup.world;
    let store = world.server.store.clone();
    tokio::task::spawn_blocking(move || {
        for n in 0..ROWS {
            store.audit(AuditEntry {
                at: format!("2026-01-15T{:02}:{:02}:{:02}Z", n / 3600 % 24, n / 60 % 60, n % 60),
                actor: "cli:bulk".into(),
                action: "bulk".into(),
                subject: format!("row {n}"),
                outcome: "done".into(),
            });
        }
        store.audit(AuditEntry {
            at: "2026-01-15T00:00:00Z".into(),
            actor: "cli:other".into(),
            action: "bulk".into(),
            subject: "not this one".into(),
            outcome: "done".into(),
        });
        store.flush_audit();
    })
    .await
    .expect("join");

    let mut kabupaten = signed_in(world, "budi.kab", None, StaffRole::Kabupaten).await;
    let csv = kabupaten.get("/console/audit.csv?actor=cli%3Abulk").await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("transfer-encoding"), "chunked", "streamed");
    assert_eq!(csv.header("content-length"), "", "not buffered");
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), ROWS + 1, "every row and the header");
    assert_eq!(lines[0], "at,actor,action,subject,outcome");
    assert!(lines[1..].iter().all(|line| line.contains("\"cli:bulk\"")));
    assert!(lines[1].contains(&format!("row {}", ROWS - 1)), "newest first: {}", lines[1]);
    assert!(lines[ROWS].contains("\"row 0\""));
    let exported = audited(world, "console_audit_export", "exported").await;
    assert_eq!(exported.len(), 1);
    assert_eq!(exported[0].subject, format!("actor=cli:bulk rows={ROWS}"));
    assert_eq!(exported[0].actor, "console:budi.kab");
    assert_eq!(audited(world, "console_audit_export", "started").await.len(), 1);

    world.staff("audi.tor", None, StaffRole::Auditor, "Audi").await;
    world.own_password("audi.tor").await;
    let url = &world.server.url;
    let auditor = staff_login(url, "audi.tor", OWN_PASSWORD).await.token;
    let answer = api_get(url, &auditor, "/api/v1/staff/audit.csv?action=bulk&to=2026-01-15").await;
    assert_eq!(answer.status(), 200);
    assert!(answer.content_length().is_none(), "streamed");
    let body = answer.text().await.expect("body");
    assert_eq!(body.lines().count(), ROWS + 2, "both actors, by action and day");
    let exported = audited(world, "audit_export", "exported").await;
    assert_eq!(exported[0].subject, format!("action=bulk to=2026-01-15 rows={}", ROWS + 1));

    // The filters' plans name migration 0024's indexes, on either database.
    execute(&world.server.store, "ANALYZE audit".into()).await;
    let plans = [
        (
            AuditFilter { actor: Some("cli:nobody".into()), ..AuditFilter::default() },
            "audit_by_actor",
        ),
        (
            AuditFilter { action: Some("nothing".into()), ..AuditFilter::default() },
            "audit_by_action",
        ),
        (
            AuditFilter {
                from: Some("2025-06-01".into()),
                to: Some("2025-06-01".into()),
                ..AuditFilter::default()
            },
            "audit_by_at",
        ),
    ];
    for (filter, index) in plans {
        let store = world.server.store.clone();
        let plan = tokio::task::spawn_blocking(move || store.explain_audit_filter(&filter))
            .await
            .expect("join")
            .expect("plan");
        assert!(plan.contains(index), "{index} in {plan}");
    }
}
