//! The fleet, audit log and charts of the console over real HTTP, on the suite's database
//! (SQLite, or PostgreSQL when ANJUNGAN_TEST_DATABASE names a server): a desa sees its own
//! kiosks and gets 404 for another desa's, by URL and by form; an auditor and a desa
//! operator cannot change a kiosk, a desa's signer can, and the kiosk's next signed
//! configuration pull carries the change; a PIN under six digits is refused, a good one
//! reaches the kiosk as a hash and is shown nowhere; the audit log filters and exports
//! (masked, formulas defused, the export itself audited) for kabupaten accounts only; the
//! charts are well-formed SVG with escaped labels and the numbers of the data; and the
//! staff API does the same.

use crate::common;

use std::sync::Arc;

use backend::store::{AuditEntry, StaffRole};
use common::console::{Console, World, column, execute, world_with};
use common::*;
use protocol::fleet::{CONFIG_PATH, HEARTBEAT_PATH, KioskConfig};
use protocol::signed::{ContentKind, SIGNATURE_HEADER, TrustedKeys};

pub(crate) struct Setup {
    pub(crate) world: World,
    trusted: TrustedKeys,
    _dir: tempfile::TempDir,
}

/// The console's world with a signing key the test knows, and a heartbeat from each
/// desa's kiosk.
pub(crate) async fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("dir");
    let signer = backend::signing_key::open(&dir.path().join("data"), None).expect("key");
    let trusted = TrustedKeys::new(vec![signer.public_key()]);
    let options = backend::http::RouterOptions {
        signer: Some(Arc::new(signer)),
        ..backend::http::RouterOptions::default()
    };
    let world = world_with(options).await;
    for key in [&world.home_kiosk, &world.other_kiosk] {
        let beat = serde_json::json!({
            "version": "0.3.1", "uptime_seconds": 600,
            "printer": {"state": "paper_near_end", "paper_remaining_mm": 900},
            "queue_depth": 2, "door_open": false, "last_error": null,
            "sent_at": "2026-12-07T01:00:00Z",
        });
        let answer = post_as(&world.server, key, HEARTBEAT_PATH, &beat).await;
        assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap_or_default());
    }
    Setup { world, trusted, _dir: dir }
}

/// The configuration `key`'s kiosk pulls, its signature checked as the kiosk checks it.
pub(crate) async fn pull(setup: &Setup, key: &protocol::auth::KioskKey) -> KioskConfig {
    let answer = signed_get(&setup.world.server, CONFIG_PATH, key, now(), &fresh_nonce()).await;
    assert_eq!(answer.status(), 200);
    let signature =
        answer.headers().get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = answer.bytes().await.expect("body");
    setup
        .trusted
        .verify_header(ContentKind::KioskConfig, key.id(), &body, signature.as_deref())
        .expect("the configuration verifies");
    serde_json::from_slice(&body).expect("configuration")
}

pub(crate) async fn signed_in(
    world: &World,
    username: &str,
    desa: Option<u64>,
    role: StaffRole,
) -> Console {
    world.staff(username, desa, role, "Petugas Uji").await;
    let mut console = Console::new(&world.server.url);
    console.sign_in_first_time(username).await;
    console
}

pub(crate) async fn audited(world: &World, action: &str, outcome: &str) -> Vec<AuditEntry> {
    let store = world.server.store.clone();
    store.flush_audit();
    let entries = tokio::task::spawn_blocking(move || store.recent_audit(100_000).expect("audit"))
        .await
        .expect("join");
    entries.into_iter().filter(|e| e.action == action && e.outcome == outcome).collect()
}

#[tokio::test]
async fn a_desa_sees_its_own_kiosks_and_another_desas_is_not_found() {
    let setup = setup().await;
    let world = &setup.world;
    let mut desa = signed_in(world, "sari.signer", Some(world.home), StaffRole::Signer).await;
    let list = desa.get("/console/fleet").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("BWI-BALAI-01") && list.body.contains("0.3.1"), "{}", list.body);
    assert!(!list.body.contains("BWI-LAIN-01") && !list.body.contains("BWI-TEST-07"));
    let own = desa.get("/console/fleet/BWI-BALAI-01").await;
    assert_eq!(own.status, 200);
    assert!(own.text().contains("printer=paper_near_end queue=2"), "a recent heartbeat");
    assert_eq!(desa.get("/console/fleet/BWI-LAIN-01").await.status, 404);
    assert_eq!(desa.get("/console/fleet/no-such-kiosk").await.status, 404);
    let csrf = own.csrf().expect("token");
    let tampered = desa
        .post(
            "/console/fleet/BWI-LAIN-01/config",
            &[("csrf", &csrf), ("services", "status"), ("idle_timeout", "90")],
        )
        .await;
    assert_eq!(tampered.status, 404);
    let pin = desa
        .post(
            "/console/fleet/BWI-LAIN-01/pin",
            &[("csrf", &csrf), ("label", "x"), ("pin", "123456")],
        )
        .await;
    assert_eq!(pin.status, 404);
    assert_eq!(audited(world, "console_kiosk_config", "not_found").await.len(), 1);

    let mut kabupaten = signed_in(world, "budi.kab", None, StaffRole::Kabupaten).await;
    let all = kabupaten.get("/console/fleet").await;
    for kiosk in ["BWI-BALAI-01", "BWI-LAIN-01", "BWI-TEST-07"] {
        assert!(all.body.contains(kiosk), "{kiosk}");
    }
    assert_eq!(kabupaten.get("/console/fleet/BWI-LAIN-01").await.status, 200);
    assert!(!audited(world, "console_fleet", "listed").await.is_empty());
}

#[tokio::test]
async fn only_kabupaten_operators_and_the_desas_signers_change_a_kiosk_and_it_pulls_the_change() {
    let setup = setup().await;
    let world = &setup.world;
    let before = pull(&setup, &world.home_kiosk).await;
    let form = |csrf: &str, notice_id: &str, notice_en: &str, idle: &str| {
        vec![
            ("csrf".to_owned(), csrf.to_owned()),
            ("services".to_owned(), "status".to_owned()),
            ("services".to_owned(), "letter".to_owned()),
            ("notice_id".to_owned(), notice_id.to_owned()),
            ("notice_en".to_owned(), notice_en.to_owned()),
            ("idle_timeout".to_owned(), idle.to_owned()),
        ]
    };
    async fn send(console: &mut Console, path: &str, fields: &[(String, String)]) -> u16 {
        let fields: Vec<(&str, &str)> =
            fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        console.post(path, &fields).await.status
    }
    const PATH: &str = "/console/fleet/BWI-BALAI-01/config";

    let mut auditor = signed_in(world, "audi.tor", None, StaffRole::Auditor).await;
    let page = auditor.get("/console/fleet/BWI-BALAI-01").await;
    assert!(!page.body.contains(PATH), "no form for an auditor");
    let csrf = page.csrf().expect("token");
    assert_eq!(send(&mut auditor, PATH, &form(&csrf, "Tutup", "Closed", "90")).await, 403);
    let mut operator =
        signed_in(world, "ani.operator", Some(world.home), StaffRole::Operator).await;
    let csrf = operator.token().await;
    assert_eq!(send(&mut operator, PATH, &form(&csrf, "Tutup", "Closed", "90")).await, 403);
    assert_eq!(pull(&setup, &world.home_kiosk).await.config_version, before.config_version);

    let mut signer = signed_in(world, "sari.signer", Some(world.home), StaffRole::Signer).await;
    let csrf = signer.token().await;
    let long = "x".repeat(301);
    for (id, en, idle) in [
        ("Tutup\u{1b}[2J", "Closed", "90"),
        (long.as_str(), "Closed", "90"),
        ("Tutup", "", "90"),
        ("Tutup", "Closed", "5"),
        ("Tutup", "Closed", "sembilan"),
    ] {
        assert_eq!(send(&mut signer, PATH, &form(&csrf, id, en, idle)).await, 400, "{id:?} {idle}");
    }
    let done = signer
        .post(
            PATH,
            &[
                ("csrf", &csrf),
                ("services", "status"),
                ("services", "letter"),
                ("notice_id", "Balai tutup Jumat <b>siang</b>"),
                ("notice_en", "Hall closed Friday noon"),
                ("idle_timeout", "120"),
            ],
        )
        .await;
    assert_eq!(
        (done.status, done.location()),
        (303, Some("/console/fleet/BWI-BALAI-01?done=config"))
    );
    let after = pull(&setup, &world.home_kiosk).await;
    assert_ne!(after.config_version, before.config_version, "a new version to pull");
    assert_eq!(after.services, ["status", "letter"]);
    assert_eq!(after.idle_timeout_seconds, 120);
    let notice = after.notice().expect("a notice");
    assert_eq!(
        (notice.id.as_str(), notice.en.as_str()),
        ("Balai tutup Jumat <b>siang</b>", "Hall closed Friday noon")
    );
    let page = signer.get("/console/fleet/BWI-BALAI-01?done=config").await;
    assert!(page.body.contains("&lt;b&gt;siang") && !page.body.contains("<b>siang"), "escaped");
    let entries = audited(world, "console_kiosk_config", "done").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].actor, "console:sari.signer");
    assert!(entries[0].subject.contains(&after.config_version), "{:?}", entries[0]);
    assert_eq!(audited(world, "console_kiosk_config", "forbidden").await.len(), 2);

    // The heartbeat's answer names the new version too: the kiosk knows to pull.
    let beat = serde_json::json!({"version": "0.3.1", "uptime_seconds": 660, "sent_at": "2026-12-07T01:01:00Z"});
    let ack: serde_json::Value = post_as(&world.server, &world.home_kiosk, HEARTBEAT_PATH, &beat)
        .await
        .json()
        .await
        .expect("ack");
    assert_eq!(ack["config_version"], after.config_version.as_str());
}

#[tokio::test]
async fn a_pin_under_six_digits_is_refused_and_a_good_one_reaches_the_kiosk_as_a_hash_only() {
    let setup = setup().await;
    let world = &setup.world;
    let mut kabupaten = signed_in(world, "budi.kab", None, StaffRole::Kabupaten).await;
    let csrf = kabupaten.token().await;
    const PATH: &str = "/console/fleet/BWI-LAIN-01/pin";
    for pin in ["12345", "12345a", "123456789", ""] {
        let answer =
            kabupaten.post(PATH, &[("csrf", &csrf), ("label", "sekdes"), ("pin", pin)]).await;
        assert_eq!(answer.status, 400, "{pin:?}");
        assert!(answer.body.contains("6 sampai 8 angka") || pin.is_empty());
    }
    let set =
        kabupaten.post(PATH, &[("csrf", &csrf), ("label", "sekdes"), ("pin", "482913")]).await;
    assert_eq!(set.status, 303);
    let config = pull(&setup, &world.other_kiosk).await;
    let pin = config.staff_pins.iter().find(|p| p.label == "sekdes").expect("the PIN");
    assert!(pin.pin_hash.starts_with("$argon2id$"), "{}", pin.pin_hash);
    let page = kabupaten.get("/console/fleet/BWI-LAIN-01?done=pin").await;
    assert!(page.body.contains("sekdes") && !page.body.contains("482913"));
    assert!(!page.body.contains(&pin.pin_hash), "never the hash either");
    let entries = audited(world, "console_kiosk_pin", "done").await;
    assert_eq!(entries.len(), 1);
    assert!(!entries[0].subject.contains("482913") && entries[0].subject.contains("pin:sekdes"));
}

#[tokio::test]
async fn the_audit_log_filters_and_exports_for_kabupaten_accounts_only() {
    let setup = setup().await;
    let world = &setup.world;
    world.server.store.audit(AuditEntry {
        at: "2026-12-01T02:00:00Z".into(),
        actor: "cli:planted".into(),
        action: "planted".into(),
        subject: "=HYPERLINK(\"http://x\") nik 3510011203850001".into(),
        outcome: "+done".into(),
    });
    let mut kabupaten = signed_in(world, "budi.kab", None, StaffRole::Kabupaten).await;
    let csrf = kabupaten.token().await;
    let changed = kabupaten
        .post(
            "/console/fleet/BWI-BALAI-01/config",
            &[
                ("csrf", &csrf),
                ("services", "status"),
                ("notice_id", ""),
                ("notice_en", ""),
                ("idle_timeout", "90"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303);
    world.server.store.flush_audit();
    let page = kabupaten.get("/console/audit?action=console_kiosk_config&outcome=done").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("console:budi.kab") && page.body.contains("kiosk:BWI-BALAI-01"));
    assert!(!page.body.contains("planted"), "filtered out");
    let by_subject =
        kabupaten.get("/console/audit?subject=hyperlink&from=2026-12-01&to=2026-12-01").await;
    assert!(by_subject.text().contains("nik 3510********0001"), "{}", by_subject.body);
    assert!(!by_subject.body.contains("3510011203850001"));
    let none = kabupaten.get("/console/audit?subject=hyperlink&from=2026-12-02").await;
    assert!(!none.body.contains("planted"));
    assert_eq!(kabupaten.get("/console/audit?from=07-12-2026").await.status, 400);
    assert_eq!(
        kabupaten.get(&format!("/console/audit?subject={}", "x".repeat(65))).await.status,
        400
    );

    let csv = kabupaten.get("/console/audit.csv?actor=cli%3Aplanted").await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    let mut lines = csv.body.lines();
    assert_eq!(lines.next(), Some("at,actor,action,subject,outcome"));
    let row = lines.next().expect("the planted entry");
    assert_eq!(
        row,
        "\"2026-12-01T02:00:00Z\",\"cli:planted\",\"planted\",\"'=HYPERLINK(\"\"http://x\"\") nik 3510********0001\",\"'+done\""
    );
    assert_eq!(lines.next(), None);
    assert_eq!(audited(world, "console_audit_export", "exported").await.len(), 1);

    let mut desa = signed_in(world, "sari.signer", Some(world.home), StaffRole::Signer).await;
    assert_eq!(desa.get("/console/audit").await.status, 403);
    assert_eq!(desa.get("/console/audit.csv").await.status, 403);
    assert!(!desa.get("/console/").await.body.contains("/console/audit"), "not in the menu");
    let mut auditor = signed_in(world, "audi.tor", None, StaffRole::Auditor).await;
    assert_eq!(auditor.get("/console/audit").await.status, 200);
}

#[tokio::test]
async fn charts_are_well_formed_svg_with_escaped_labels_and_the_datas_numbers() {
    let setup = setup().await;
    let world = &setup.world;
    let kk = column(
        &world.server.store,
        format!("SELECT kk FROM families WHERE desa_code = {} LIMIT 1", world.home),
    )
    .await;
    execute(
        &world.server.store,
        "INSERT INTO programs (code, name_id, name_en, level, unit)
         VALUES ('UJI', 'Bantuan <b>&\"uji\"', 'Test aid', 'village', 'household')"
            .into(),
    )
    .await;
    execute(
        &world.server.store,
        format!(
            "INSERT INTO memberships (program, kk, state, since, desa_code)
             VALUES ('UJI', '{}', 'active', '2026-01-01', {})",
            kk[0], world.home
        ),
    )
    .await;
    let mut kabupaten = signed_in(world, "budi.kab", None, StaffRole::Kabupaten).await;
    let page = kabupaten.get("/console/charts").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("src=\"/console/charts/programs.svg\""));
    let svg = kabupaten.get("/console/charts/programs.svg").await;
    assert_eq!(svg.status, 200);
    assert_eq!(svg.header("content-type"), "image/svg+xml");
    let body = &svg.body;
    assert!(
        body.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"") && body.ends_with("</svg>")
    );
    assert!(!body.contains("style") && !body.contains("<script"));
    assert!(body.contains("Bantuan &lt;b&gt;&amp;&quot;uji&quot;"), "{body}");
    well_formed(body);
    // Each program's bar is labelled with its count of active memberships.
    let counts = column(
        &world.server.store,
        "SELECT p.name_id || '=' || CAST(count(*) AS TEXT) FROM memberships m
         JOIN programs p ON p.code = m.program WHERE m.state = 'active' GROUP BY p.name_id"
            .into(),
    )
    .await;
    assert!(counts.len() > 1, "{counts:?}");
    for line in &counts {
        let (_, count) = line.rsplit_once('=').expect("name=count");
        assert!(body.contains(&format!(">{count}</text>")), "{line} in {body}");
        assert!(
            page.body.contains(&format!("<td data-label=\"Penerima · Recipients\">{count}</td>")),
            "{line}"
        );
    }
    for name in ["desas.svg", "reports.svg", "uptime.svg"] {
        let svg = kabupaten.get(&format!("/console/charts/{name}")).await;
        assert_eq!(svg.status, 200, "{name}");
        well_formed(&svg.body);
        assert!(!svg.body.contains("style"), "{name}");
    }
    assert!(kabupaten.get("/console/charts/uptime.svg").await.body.contains("BWI-BALAI-01"));
    assert_eq!(kabupaten.get("/console/charts/etc.svg").await.status, 404);
    // A desa's charts hold its own kiosks only.
    let mut desa = signed_in(world, "sari.signer", Some(world.home), StaffRole::Signer).await;
    let uptime = desa.get("/console/charts/uptime.svg").await.body;
    assert!(uptime.contains("BWI-BALAI-01") && !uptime.contains("BWI-LAIN-01"));
}

/// Tags open and close in order, attributes quoted, no stray `<` or `&` in text: enough of
/// XML's rules to catch what a hand-written SVG gets wrong.
fn well_formed(svg: &str) {
    let mut open: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(at) = rest.find('<') {
        let text = &rest[..at];
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].iter().any(|e| entity.starts_with(e)),
                "stray & in {text:?}"
            );
        }
        let end = rest[at..].find('>').expect("a closed tag") + at;
        let tag = &rest[at + 1..end];
        assert!(!tag.contains('<'), "nested < in {tag:?}");
        assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes in {tag:?}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(name), "closing {name}");
        } else if !tag.ends_with('/') {
            open.push(tag.split_whitespace().next().unwrap_or_default().to_owned());
        }
        rest = &rest[end + 1..];
    }
    assert!(open.is_empty(), "left open: {open:?}");
    assert!(rest.is_empty());
}

#[tokio::test]
async fn the_staff_api_does_what_the_console_does() {
    let setup = setup().await;
    let world = &setup.world;
    world.staff("sari.signer", Some(world.home), StaffRole::Signer, "Sari").await;
    world.staff("audi.tor", None, StaffRole::Auditor, "Audi").await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", world.server.url);
    world.own_password("sari.signer").await;
    world.own_password("audi.tor").await;
    let signer =
        staff_login(&world.server.url, "sari.signer", common::console::OWN_PASSWORD).await.token;
    let auditor =
        staff_login(&world.server.url, "audi.tor", common::console::OWN_PASSWORD).await.token;

    let list: serde_json::Value = client
        .get(url("/api/v1/staff/fleet"))
        .bearer_auth(&signer)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("JSON");
    let ids: Vec<&str> = list["kiosks"]
        .as_array()
        .expect("kiosks")
        .iter()
        .filter_map(|k| k["id"].as_str())
        .collect();
    assert_eq!(ids, ["BWI-BALAI-01"]);
    let other = client
        .get(url("/api/v1/staff/fleet/BWI-LAIN-01"))
        .bearer_auth(&signer)
        .send()
        .await
        .expect("get");
    assert_eq!(other.status(), 404);
    let body = serde_json::json!({"services": ["status"], "notice_id": "Libur", "notice_en": "Holiday", "idle_timeout_seconds": 60});
    let refused = client
        .post(url("/api/v1/staff/fleet/BWI-BALAI-01/config"))
        .bearer_auth(&auditor)
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 403);
    let done: serde_json::Value = client
        .post(url("/api/v1/staff/fleet/BWI-BALAI-01/config"))
        .bearer_auth(&signer)
        .json(&body)
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("JSON");
    let pulled = pull(&setup, &world.home_kiosk).await;
    assert_eq!(done["config_version"], pulled.config_version.as_str());
    assert_eq!(pulled.notice().map(|n| n.id.as_str()), Some("Libur"));
    let short = client
        .post(url("/api/v1/staff/fleet/BWI-BALAI-01/pin"))
        .bearer_auth(&signer)
        .json(&serde_json::json!({"label": "kades", "pin": "12345"}))
        .send()
        .await
        .expect("post");
    assert_eq!(short.status(), 400);
    assert_eq!(
        client
            .get(url("/api/v1/staff/audit"))
            .bearer_auth(&signer)
            .send()
            .await
            .expect("get")
            .status(),
        403
    );
    world.server.store.flush_audit();
    let page: serde_json::Value = client
        .get(url("/api/v1/staff/audit?action=fleet_config&outcome=done"))
        .bearer_auth(&auditor)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("JSON");
    let entries = page["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1, "{page}");
    assert_eq!(entries[0]["actor"], "staff:sari.signer");
    let charts: serde_json::Value = client
        .get(url("/api/v1/staff/charts"))
        .bearer_auth(&signer)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("JSON");
    assert_eq!(charts["reports"].as_array().map(Vec::len), Some(30));
    assert_eq!(charts["uptime_days"].as_array().map(Vec::len), Some(14));
}
