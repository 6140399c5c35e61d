//! The console's Registry and Programs pages and their staff API, over real HTTP on the
//! database the suite runs on (SQLite, or PostgreSQL when ANJUNGAN_TEST_DATABASE names a
//! server): a search by NIK, KK and name listed masked and within the account's desa,
//! another desa's family 404 by URL, full names only with a reason (refused without one,
//! audited with it, masked again on the next view), markup in a name shown as text,
//! injection strings in the search box answered without a failure, and the program dry run
//! giving the engine's own reasons. The same flow in a real browser is in console_browser.rs.

use crate::common;

use backend::checks::decide_for;
use backend::eligibility::{Catalogue, Decision, Quota, Request};
use backend::store::StaffRole;
use common::console::{Console, World, column, execute, world};
use common::*;
use protocol::Nik;
use protocol::mask::{mask_digits_in, mask_name};

/// A living head of a family of `desa`: NIK, KK, name.
async fn head_of(world: &World, desa: u64, skip: usize) -> (String, String, String) {
    let rows = column(
        &world.server.store,
        format!(
            "SELECT r.nik || '|' || r.kk || '|' || r.name FROM residents r
             JOIN families f ON f.kk = r.kk
             WHERE f.desa_code = {desa} AND r.relation = 'head' AND r.life_status = 'alive'
             ORDER BY r.nik LIMIT 10"
        ),
    )
    .await;
    let mut parts = rows[skip].split('|').map(str::to_owned);
    let mut next = || parts.next().expect("a column");
    (next(), next(), next())
}

async fn audit_outcomes(world: &World, action: &str) -> Vec<(String, String)> {
    let store = world.server.store.clone();
    store.flush_audit();
    tokio::task::spawn_blocking(move || store.recent_audit(100_000).expect("audit"))
        .await
        .expect("join")
        .into_iter()
        .filter(|e| e.action == action)
        .map(|e| (e.actor, e.outcome))
        .collect()
}

/// The first program the engine refuses `nik` for, with its reasons (the demo registry
/// holds memberships and desils that refuse most residents something).
async fn refused_program(world: &World, nik: &str) -> (String, Vec<String>) {
    let (store, nik) = (world.server.store.clone(), Nik::parse(nik).expect("NIK"));
    tokio::task::spawn_blocking(move || {
        let catalogue = Catalogue::default_catalogue();
        let family = store.status(&nik).expect("status").expect("registered");
        for program in catalogue.programs() {
            if !program.components.is_empty() {
                continue;
            }
            let used = store.quota_used(&program.code, family.desa_code).expect("quota");
            let asked = Request { program: &program.code, component: None };
            if let Decision::Rejected(reasons) =
                decide_for(&catalogue, asked, &nik, &family, Quota { used })
            {
                return (program.code.clone(), reasons.into_iter().map(|r| r.text.id).collect());
            }
        }
        panic!("the engine accepts this resident everywhere");
    })
    .await
    .expect("join")
}

#[tokio::test]
async fn the_registry_is_searched_masked_and_a_family_shown_in_full_only_with_an_audited_reason() {
    let world = world().await;
    world.staff("operator.a", Some(world.home), StaffRole::Operator, "Operator A").await;
    world.staff("kabupaten", None, StaffRole::Kabupaten, "Dinas").await;
    let (nik, kk, name) = head_of(&world, world.home, 0).await;
    let (their_nik, their_kk, _) = head_of(&world, world.other, 0).await;
    let mut operator = Console::new(&world.server.url);
    operator.sign_in_first_time("operator.a").await;

    let menu = operator.get("/console/registry").await;
    assert_eq!(menu.status, 200);
    assert!(menu.body.contains("Penduduk") && menu.body.contains("Program"), "menu entries");

    // By NIK, by KK and by the start of the name (any case): found, masked.
    let prefix = name.to_lowercase();
    for query in [nik.clone(), kk.clone(), prefix.replace(' ', "+")] {
        let found = operator.get(&format!("/console/registry?q={query}")).await;
        assert_eq!(found.status, 200, "{query}");
        assert!(found.body.contains(&mask_digits_in(&nik)), "{query}: {}", found.body);
        assert!(found.text().contains(&mask_name(&name)), "{query}: the masked name");
        assert!(!found.body.contains(&format!(">{nik}<")), "{query}: never the full NIK");
        assert!(!found.body.contains(&name), "{query}: never the full name");
        assert!(found.text().contains(&format!("/console/registry/family/{kk}")), "{query}");
    }
    // Another desa's resident is not found; its family is 404 like none at all.
    let theirs = operator.get(&format!("/console/registry?q={their_nik}")).await;
    assert!(theirs.body.contains("Tidak ada penduduk yang cocok"), "{}", theirs.body);
    assert_eq!(operator.get(&format!("/console/registry/family/{their_kk}")).await.status, 404);
    assert_eq!(operator.get("/console/registry/family/not-a-kk").await.status, 404);
    // A kabupaten account searches every desa, the desa shown.
    let mut kabupaten = Console::new(&world.server.url);
    kabupaten.sign_in_first_time("kabupaten").await;
    let everywhere = kabupaten.get(&format!("/console/registry?q={their_nik}")).await;
    assert!(everywhere.body.contains(&mask_digits_in(&their_nik)), "{}", everywhere.body);
    assert!(everywhere.body.contains("<th><span class=\"id\">Desa"), "the desa column");

    // The family, masked: members, memberships, history.
    let family = operator.get(&format!("/console/registry/family/{kk}")).await;
    assert_eq!(family.status, 200);
    assert!(family.body.contains(&mask_digits_in(&nik)) && !family.body.contains(&name));
    assert!(family.body.contains("Kepesertaan program") && family.body.contains("Riwayat"));
    let csrf = family.csrf().expect("token");
    let path = format!("/console/registry/family/{kk}");
    // No reason, a reason too short, or a kind not on the list: refused, still masked.
    for (kind, reason) in [("", ""), ("other", "cek"), ("nosy", "ingin tahu saja")] {
        let refused =
            operator.post(&path, &[("kind", kind), ("reason", reason), ("csrf", &csrf)]).await;
        assert_eq!(refused.status, 400, "{kind} {reason}");
        assert!(!refused.body.contains(&name), "still masked");
    }
    // Without the session's token the gate refuses it before the page sees it.
    let forged = operator
        .post(&path, &[("kind", "other"), ("reason", "verifikasi laporan"), ("csrf", "00")])
        .await;
    assert_eq!(forged.status, 403);
    // With a reason: in full, for this answer only, and the reason in the audit log.
    let full = operator
        .post(
            &path,
            &[
                ("kind", "report_verification"),
                ("reason", "Cek laporan LP-0001 di balai desa"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(full.status, 200, "{}", full.body);
    assert!(full.body.contains(&nik) && full.text().contains(&name), "shown in full");
    let unmasks = audit_outcomes(&world, "registry_unmask").await;
    assert!(
        unmasks.contains(&(
            "console:operator.a".into(),
            "report_verification: Cek laporan LP-0001 di balai desa".into()
        )),
        "{unmasks:?}"
    );
    assert_eq!(unmasks.iter().filter(|(_, outcome)| outcome == "no_reason").count(), 3);
    let again = operator.get(&path).await;
    assert!(!again.body.contains(&name), "masked again on the next view");
    // A tampered form for another desa's family: 404, nothing shown.
    let tampered = operator
        .post(
            &format!("/console/registry/family/{their_kk}"),
            &[("kind", "other"), ("reason", "lihat keluarga lain"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(tampered.status, 404);

    // Markup in a resident's name is text, masked or in full.
    execute(
        &world.server.store,
        format!(
            "UPDATE residents SET name = 'SITI <img src=x onerror=alert(1)>' WHERE nik = '{nik}'"
        ),
    )
    .await;
    let found = operator.get("/console/registry?q=siti+%3C").await;
    assert_eq!(found.status, 400, "a name holds no markup characters");
    let listed = operator.get(&format!("/console/registry?q={nik}")).await;
    assert!(!listed.body.contains("<img"), "{}", listed.body);
    let shown = operator
        .post(&path, &[("kind", "data_update"), ("reason", "pemutakhiran nama"), ("csrf", &csrf)])
        .await;
    assert!(!shown.body.contains("<img src=x"), "{}", shown.body);
    assert!(shown.body.contains("&lt;img src=x onerror=alert(1)&gt;"), "escaped");

    // Injection strings: nothing found, nothing broken.
    let before =
        column(&world.server.store, "SELECT CAST(count(*) AS TEXT) FROM residents".into()).await;
    for attack in [
        "' OR '1'='1",
        "1' OR 1=1 --",
        "'; DROP TABLE residents; --",
        "SITI' --",
        "%",
        "_%_",
        "SIT%' UNION SELECT nik FROM residents --",
    ] {
        let encoded: String = url_encode(attack);
        let answer = operator.get(&format!("/console/registry?q={encoded}")).await;
        assert!(answer.status == 200 || answer.status == 400, "{attack}: {}", answer.status);
        assert!(!answer.body.contains("<tbody>"), "{attack}: no rows");
    }
    let after =
        column(&world.server.store, "SELECT CAST(count(*) AS TEXT) FROM residents".into()).await;
    assert_eq!(before, after);
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn the_programs_page_lists_the_catalogue_and_a_dry_run_gives_the_engines_reasons() {
    let world = world().await;
    world.staff("operator.a", Some(world.home), StaffRole::Operator, "Operator A").await;
    let (nik, _, _) = head_of(&world, world.home, 1).await;
    let (their_nik, _, _) = head_of(&world, world.other, 0).await;
    let (program, reasons) = refused_program(&world, &nik).await;
    let mut operator = Console::new(&world.server.url);
    operator.sign_in_first_time("operator.a").await;

    let page = operator.get("/console/programs").await;
    assert_eq!(page.status, 200);
    for code in ["PKH", "BPNT", "BLT_DD"] {
        assert!(page.body.contains(&format!("<strong>{code}</strong>")), "{code} listed");
    }
    let csrf = page.csrf().expect("token");
    let run = operator
        .post("/console/programs/dry-run", &[("nik", &nik), ("program", &program), ("csrf", &csrf)])
        .await;
    assert_eq!(run.status, 200, "{}", run.body);
    assert!(run.body.contains("Tidak akan diterima"), "{}", run.body);
    for reason in &reasons {
        assert!(run.text().contains(reason.as_str()), "{reason}: {}", run.body);
    }
    assert!(run.body.contains(&mask_digits_in(&nik)) && !run.body.contains(&format!(">{nik}<")));
    let runs = audit_outcomes(&world, "program_dry_run").await;
    assert!(runs.contains(&("console:operator.a".into(), "rejected".into())), "{runs:?}");
    // Another desa's resident, an unknown program, a malformed NIK.
    let theirs = operator
        .post(
            "/console/programs/dry-run",
            &[("nik", &their_nik), ("program", &program), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(theirs.status, 404);
    let unknown = operator
        .post("/console/programs/dry-run", &[("nik", &nik), ("program", "NOPE"), ("csrf", &csrf)])
        .await;
    assert_eq!(unknown.status, 400);
    let malformed = operator
        .post(
            "/console/programs/dry-run",
            &[("nik", "12345"), ("program", &program), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(malformed.status, 400);
}

#[tokio::test]
async fn the_staff_api_searches_shows_families_and_dry_runs_with_the_consoles_scope() {
    let world = world().await;
    world.staff("operator.a", Some(world.home), StaffRole::Operator, "Operator A").await;
    let mut console = Console::new(&world.server.url);
    console.sign_in_first_time("operator.a").await;
    let token =
        staff_login(&world.server.url, "operator.a", common::console::OWN_PASSWORD).await.token;
    let (nik, kk, name) = head_of(&world, world.home, 2).await;
    let (their_nik, their_kk, _) = head_of(&world, world.other, 0).await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", world.server.url);

    let found: serde_json::Value = client
        .get(url(&format!("/api/v1/staff/registry/search?q={nik}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("search")
        .json()
        .await
        .expect("JSON");
    assert_eq!(found["results"][0]["nik"], mask_digits_in(&nik));
    assert_eq!(found["results"][0]["name"], mask_name(&name));
    let none: serde_json::Value = client
        .get(url(&format!("/api/v1/staff/registry/search?q={their_nik}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("search")
        .json()
        .await
        .expect("JSON");
    assert_eq!(none["results"].as_array().map(Vec::len), Some(0));
    let bad = client
        .get(url("/api/v1/staff/registry/search?q=%27%20OR%201%3D1"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("search");
    assert_eq!(bad.status(), 400);

    let family = client
        .get(url(&format!("/api/v1/staff/registry/families/{kk}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("family");
    assert_eq!(family.status(), 200);
    let family = family.text().await.expect("body");
    assert!(family.contains(&mask_digits_in(&nik)) && !family.contains(&nik), "{family}");
    let other = client
        .get(url(&format!("/api/v1/staff/registry/families/{their_kk}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("family");
    assert_eq!(other.status(), 404);
    let unmask = |kk: String, body: serde_json::Value| {
        client
            .post(url(&format!("/api/v1/staff/registry/families/{kk}/unmask")))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let short = unmask(kk.clone(), serde_json::json!({"kind": "other", "reason": "x"})).await;
    assert_eq!(short.expect("unmask").status(), 400);
    let full = unmask(
        kk.clone(),
        serde_json::json!({"kind": "letter_request", "reason": "Permohonan SKTM di kantor"}),
    )
    .await
    .expect("unmask");
    assert_eq!(full.status(), 200);
    let full: serde_json::Value = full.json().await.expect("JSON");
    assert_eq!(full["unmasked"], true);
    assert!(full["members"].as_array().expect("members").iter().any(|m| m["nik"] == nik.as_str()));
    let unmasks = audit_outcomes(&world, "registry_unmask").await;
    assert!(unmasks.contains(&(
        "staff:operator.a".into(),
        "letter_request: Permohonan SKTM di kantor".into()
    )));

    let (program, reasons) = refused_program(&world, &nik).await;
    let decided: serde_json::Value = client
        .post(url("/api/v1/staff/programs/dry-run"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"nik": nik, "program": program}))
        .send()
        .await
        .expect("dry run")
        .json()
        .await
        .expect("JSON");
    assert_eq!(decided["accepted"], false);
    let said: Vec<&str> = decided["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter_map(|r| r["message"]["id"].as_str())
        .collect();
    assert_eq!(said, reasons.iter().map(String::as_str).collect::<Vec<_>>());
    let theirs = client
        .post(url("/api/v1/staff/programs/dry-run"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"nik": their_nik, "program": program}))
        .send()
        .await
        .expect("dry run");
    assert_eq!(theirs.status(), 404);
    let catalogue: serde_json::Value = client
        .get(url("/api/v1/staff/programs"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("programs")
        .json()
        .await
        .expect("JSON");
    assert!(catalogue.as_array().expect("list").iter().any(|p| p["code"] == "PKH"));
}
