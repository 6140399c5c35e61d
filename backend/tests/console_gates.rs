//! Three gates of the console and its staff API, over real HTTP on the database the suite
//! runs on (SQLite, or PostgreSQL when ANJUNGAN_TEST_DATABASE names a server):
//!
//! - a letter's preview masks the NIK until a reason is posted (a kind and five characters
//!   or more), the reason is written to the audit log, the next view is masked again, and
//!   another desa's letter is 404 by URL or a tampered form; the API's preview alike;
//! - an account still on the password someone else set gets `403 password_change_required`
//!   from every staff endpoint but `POST /api/v1/staff/password`, which takes only a strong
//!   new password, ends the account's other sessions and keeps the one it was sent with;
//! - the report queue's desa filter: a kabupaten account picks one desa, a desa account
//!   always reads its own, an unknown desa is a bilingual 400.
//!
//! The letter flow in a real browser is in console_browser.rs.

use crate::common;
use crate::console_reports_support::{file_report, uncovered_heads};

use backend::store::StaffRole;
use common::console::{Console, FIRST_PASSWORD, OWN_PASSWORD, World, world};
use common::staff_login;
use protocol::api::{ApiError, ErrorCode};
use protocol::mask::mask_digits_in;
use protocol::staff::{LetterPreview, ReportPage};
use serde_json::json;

async fn audit_of(world: &World, action: &str) -> Vec<(String, String, String)> {
    let store = world.server.store.clone();
    store.flush_audit();
    tokio::task::spawn_blocking(move || store.recent_audit(100_000).expect("audit"))
        .await
        .expect("join")
        .into_iter()
        .filter(|e| e.action == action)
        .map(|e| (e.actor, e.subject, e.outcome))
        .collect()
}

/// A console signed in as a new account that has chosen its own password.
async fn signed_in(world: &World, username: &str, desa: Option<u64>, role: StaffRole) -> Console {
    world.staff(username, desa, role, username).await;
    let mut console = Console::new(&world.server.url);
    console.sign_in_first_time(username).await;
    console
}

fn api(world: &World, path: &str) -> String {
    format!("{}{path}", world.server.url)
}

#[tokio::test]
async fn a_letter_is_masked_until_a_reason_is_given_and_another_desa_cannot_unmask_it() {
    let world = world().await;
    let mut operator =
        signed_in(&world, "ani.operator", Some(world.home), StaffRole::Operator).await;
    let mut other =
        signed_in(&world, "lain.operator", Some(world.other), StaffRole::Operator).await;
    let heads = world.heads(world.home).await;
    let nik = heads[0].clone();
    let ticket = world
        .file(&world.home_kiosk, &nik, "domisili", "gates-letter-01", json!({}))
        .await
        .ticket
        .to_string();
    let page = format!("/console/letters/{ticket}");

    // Masked by default, with the form that asks why.
    let masked = operator.get(&page).await;
    assert_eq!(masked.status, 200);
    assert!(!masked.body.contains(&nik), "the preview masks the NIK");
    assert!(masked.text().contains(&mask_digits_in(&nik)), "the masked NIK is shown");
    assert!(masked.body.contains("Tampilkan lengkap") && masked.body.contains("unmask-reason"));
    assert!(!masked.body.contains("data:image/svg+xml"), "no seal QR (it carries the NIK)");
    let csrf = masked.csrf().expect("token");

    // No kind, a short reason: refused, still masked, the words kept in the form.
    let no_kind =
        operator.post(&page, &[("kind", ""), ("reason", "cek KTP warga"), ("csrf", &csrf)]).await;
    assert_eq!(no_kind.status, 400);
    assert!(no_kind.body.contains("Pilih jenis keperluan") && !no_kind.body.contains(&nik));
    assert!(no_kind.body.contains("cek KTP warga"), "the words are kept");
    let short = operator
        .post(&page, &[("kind", "letter_request"), ("reason", "cek"), ("csrf", &csrf)])
        .await;
    assert_eq!(short.status, 400);
    assert!(short.text().contains("Write the reason, 5 to 200") && !short.body.contains(&nik));
    // Without the CSRF token the gate refuses before anything is shown.
    let forged = operator
        .post(&page, &[("kind", "letter_request"), ("reason", "periksa KTP pemohon")])
        .await;
    assert_eq!(forged.status, 403);
    assert!(!forged.body.contains(&nik));

    // With a reason: exactly as it prints, the reason said on the page.
    let reason = "Periksa KTP pemohon di loket";
    let full = operator
        .post(&page, &[("kind", "letter_request"), ("reason", reason), ("csrf", &csrf)])
        .await;
    assert_eq!(full.status, 200, "{}", full.body);
    assert!(full.body.contains(&nik), "in full");
    assert!(full.text().contains(reason) && full.body.contains("Permohonan surat"));
    // Nothing is remembered.
    assert!(!operator.get(&page).await.body.contains(&nik), "masked again");

    // Another desa: 404 by URL and by a tampered form, with a valid reason.
    assert_eq!(other.get(&page).await.status, 404);
    let other_csrf = other.token().await;
    let tampered = other
        .post(&page, &[("kind", "letter_request"), ("reason", reason), ("csrf", &other_csrf)])
        .await;
    assert_eq!(tampered.status, 404);
    assert!(!tampered.body.contains(&nik));

    // The API: masked, a reason to unmask, the same scope.
    let token = staff_login(&world.server.url, "ani.operator", OWN_PASSWORD).await.token;
    let other_token = staff_login(&world.server.url, "lain.operator", OWN_PASSWORD).await.token;
    let client = reqwest::Client::new();
    let preview: LetterPreview = client
        .get(api(&world, &format!("/api/v1/staff/letters/{ticket}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("preview")
        .json()
        .await
        .expect("JSON");
    assert!(preview.masked && preview.document.qr.is_empty());
    assert!(preview.document.texts().iter().all(|text| !text.contains(&nik)), "masked");
    let unmask = api(&world, &format!("/api/v1/staff/letters/{ticket}/unmask"));
    let refused = client
        .post(&unmask)
        .bearer_auth(&token)
        .json(&json!({"kind": "letter_request", "reason": "cek"}))
        .send()
        .await
        .expect("unmask");
    assert_eq!(refused.status(), 400);
    let error: ApiError = refused.json().await.expect("error");
    assert_eq!(error.code, ErrorCode::InvalidText);
    assert!(!error.message.id.is_empty() && !error.message.en.is_empty());
    let unknown_kind = client
        .post(&unmask)
        .bearer_auth(&token)
        .json(&json!({"kind": "curiosity", "reason": "ingin tahu saja"}))
        .send()
        .await
        .expect("unmask");
    assert_eq!(unknown_kind.status(), 400);
    let api_reason = json!({"kind": "data_update", "reason": "Cocokkan data KTP"});
    let full: LetterPreview = client
        .post(&unmask)
        .bearer_auth(&token)
        .json(&api_reason)
        .send()
        .await
        .expect("unmask")
        .json()
        .await
        .expect("JSON");
    assert!(!full.masked && full.document.texts().contains(&nik.as_str()), "in full");
    let elsewhere =
        client.post(&unmask).bearer_auth(&other_token).json(&api_reason).send().await.expect("x");
    assert_eq!(elsewhere.status(), 404);

    // The audit log: each reason, who gave it, which ticket; refusals and probes too.
    let audit = audit_of(&world, "letter_unmask").await;
    let subject = format!("ticket:{ticket}");
    let has = |actor: &str, outcome: &str| {
        audit.iter().any(|(a, s, o)| a == actor && s == &subject && o == outcome)
    };
    assert!(has("console:ani.operator", &format!("letter_request: {reason}")), "{audit:?}");
    assert!(has("staff:ani.operator", "data_update: Cocokkan data KTP"), "{audit:?}");
    let refusals = audit.iter().filter(|(_, _, o)| o == "no_reason").count();
    assert_eq!(refusals, 3, "two console refusals, one API refusal: {audit:?}");
    assert!(audit.iter().any(|(a, _, o)| a == "console:lain.operator" && o == "not_found"));
    assert!(audit.iter().all(|(_, s, o)| !s.contains(&nik) && !o.contains(&nik)), "no NIK");
    let previews = audit_of(&world, "letter_preview").await;
    assert!(previews.iter().any(|(a, _, o)| a == "staff:ani.operator" && o == "viewed_masked"));
}

/// The staff endpoints an account on its first password tries.
const GUARDED: &[(&str, &str)] = &[
    ("GET", "/api/v1/staff/letters"),
    ("GET", "/api/v1/staff/reports"),
    ("GET", "/api/v1/staff/reports/batches"),
    ("GET", "/api/v1/staff/registry/search?q=BUDI"),
    ("GET", "/api/v1/staff/programs"),
    ("GET", "/api/v1/staff/fleet"),
    ("GET", "/api/v1/staff/audit"),
    ("POST", "/api/v1/staff/memberships"),
    ("POST", "/api/v1/staff/letters/00001-00001-0/unmask"),
];

#[tokio::test]
async fn an_account_on_its_first_password_may_only_change_it_in_the_api() {
    let world = world().await;
    world.staff("dewi.operator", Some(world.home), StaffRole::Operator, "Dewi").await;
    world.staff("eka.operator", Some(world.home), StaffRole::Operator, "Eka").await;
    let client = reqwest::Client::new();
    let url = world.server.url.clone();
    let change = api(&world, "/api/v1/staff/password");
    // The sign-in itself works; it opens a session that reaches only the password change.
    let token = staff_login(&url, "dewi.operator", FIRST_PASSWORD).await.token;
    let second = staff_login(&url, "dewi.operator", FIRST_PASSWORD).await.token;
    for (method, path) in GUARDED {
        let request = match *method {
            "GET" => client.get(api(&world, path)),
            _ => client.post(api(&world, path)).json(&json!({})),
        };
        let answer = request.bearer_auth(&token).send().await.expect("request");
        assert_eq!(answer.status(), 403, "{method} {path}");
        let error: ApiError = answer.json().await.expect("error");
        assert_eq!(error.code, ErrorCode::PasswordChangeRequired, "{method} {path}");
        assert!(error.message.id.contains("Ganti kata sandi"), "{}", error.message.id);
        assert!(error.message.en.contains("Change the password"), "{}", error.message.en);
    }
    // Without a session: 401, as every staff endpoint.
    let anonymous =
        client.post(&change).json(&json!({"current": "x", "new": "y"})).send().await.expect("x");
    assert_eq!(anonymous.status(), 401);

    // Weak passwords are refused before any check.
    for weak in ["pendek", "dewi.operator", FIRST_PASSWORD] {
        let answer = client
            .post(&change)
            .bearer_auth(&token)
            .json(&json!({"current": FIRST_PASSWORD, "new": weak}))
            .send()
            .await
            .expect("change");
        assert_eq!(answer.status(), 400, "{weak}");
        let error: ApiError = answer.json().await.expect("error");
        assert!(!error.message.id.is_empty() && !error.message.en.is_empty());
    }
    let changed = client
        .post(&change)
        .bearer_auth(&token)
        .json(&json!({"current": FIRST_PASSWORD, "new": OWN_PASSWORD}))
        .send()
        .await
        .expect("change");
    assert_eq!(changed.status(), 204, "{}", changed.text().await.unwrap_or_default());

    // This session now reaches everything; the other one ended; the old password fails.
    let letters = client.get(api(&world, "/api/v1/staff/letters")).bearer_auth(&token).send().await;
    assert_eq!(letters.expect("letters").status(), 200);
    let ended = client.get(api(&world, "/api/v1/staff/letters")).bearer_auth(&second).send().await;
    assert_eq!(ended.expect("letters").status(), 401, "other sessions revoked");
    let old = client
        .post(api(&world, "/api/v1/staff/login"))
        .json(&json!({"username": "dewi.operator", "password": FIRST_PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(old.status(), 401);
    let fresh = staff_login(&url, "dewi.operator", OWN_PASSWORD).await.token;
    let reports = client.get(api(&world, "/api/v1/staff/reports")).bearer_auth(&fresh).send().await;
    assert_eq!(reports.expect("reports").status(), 200);

    // A wrong current password changes nothing.
    let eka = staff_login(&url, "eka.operator", FIRST_PASSWORD).await.token;
    let wrong = client
        .post(&change)
        .bearer_auth(&eka)
        .json(&json!({"current": "bukan-sandinya-1", "new": OWN_PASSWORD}))
        .send()
        .await
        .expect("change");
    assert_eq!(wrong.status(), 400);
    let still = client.get(api(&world, "/api/v1/staff/letters")).bearer_auth(&eka).send().await;
    assert_eq!(still.expect("letters").status(), 403);

    let audit = audit_of(&world, "staff_password").await;
    assert!(audit.iter().any(|(a, _, o)| a == "staff:dewi.operator" && o == "changed"));
    assert!(audit.iter().any(|(a, _, o)| a == "staff:eka.operator" && o == "refused_current"));
    assert_eq!(audit.iter().filter(|(_, _, o)| o == "refused_policy").count(), 3);

    // In the OpenAPI document.
    let document: serde_json::Value = client
        .get(api(&world, "/api/openapi.json"))
        .send()
        .await
        .expect("doc")
        .json()
        .await
        .expect("JSON");
    for path in ["/api/v1/staff/password", "/api/v1/staff/letters/{ticket}/unmask"] {
        assert!(document["paths"][path]["post"].is_object(), "{path}");
    }
    let queue = &document["paths"]["/api/v1/staff/reports"]["get"]["parameters"];
    assert!(queue.as_array().is_some_and(|p| p.iter().any(|p| p["name"] == "desa")), "{queue}");
}

#[tokio::test]
async fn the_report_queue_filters_by_desa_for_the_kabupaten_and_never_widens_a_desa_account() {
    let world = world().await;
    let home_head = uncovered_heads(&world, world.home).await.remove(0);
    let other_head = uncovered_heads(&world, world.other).await.remove(0);
    let ours = file_report(&world, &world.home_kiosk, &home_head, "gates-report-01").await;
    let theirs = file_report(&world, &world.other_kiosk, &other_head, "gates-report-02").await;
    let mut kabupaten = signed_in(&world, "dinas.kab", None, StaffRole::Kabupaten).await;
    let mut operator =
        signed_in(&world, "ani.operator", Some(world.home), StaffRole::Operator).await;

    // Every desa, with a picker of the desas that have reports.
    let all = kabupaten.get("/console/reports").await;
    assert_eq!(all.status, 200);
    assert!(all.body.contains(&ours) && all.body.contains(&theirs));
    assert!(all.body.contains("id=\"desa\""), "the picker");
    for desa in [world.home, world.other] {
        assert!(all.body.contains(&format!("<option value=\"{desa}\"")), "{desa} offered");
    }
    // One desa.
    let one = kabupaten.get(&format!("/console/reports?desa={}", world.home)).await;
    assert_eq!(one.status, 200);
    assert!(one.body.contains(&ours) && !one.body.contains(&theirs));
    assert!(one.body.contains(&format!("<option value=\"{}\" selected", world.home)));
    let back = kabupaten.get("/console/reports?desa=all").await;
    assert!(back.body.contains(&ours) && back.body.contains(&theirs));
    // Unknown desa: said in both languages, nothing listed.
    for bad in ["9999999999", "abc", "35100920"] {
        let refused = kabupaten.get(&format!("/console/reports?desa={bad}")).await;
        assert_eq!(refused.status, 400, "{bad}");
        assert!(
            refused.body.contains("Desa tidak dikenal") && refused.body.contains("Unknown desa")
        );
        assert!(!refused.body.contains(&ours));
    }
    let batches = kabupaten.get(&format!("/console/reports/batches?desa={}", world.other)).await;
    assert_eq!(batches.status, 200);
    assert!(batches.body.contains(&format!("<option value=\"{}\" selected", world.other)));
    assert_eq!(kabupaten.get("/console/reports/batches?desa=abc").await.status, 400);

    // A desa account: no picker, and a hand-made filter still shows only its own desa.
    let own = operator.get(&format!("/console/reports?desa={}", world.other)).await;
    assert_eq!(own.status, 200);
    assert!(own.body.contains(&ours) && !own.body.contains(&theirs));
    assert!(!own.body.contains("id=\"desa\""));
    let own_batches = operator.get(&format!("/console/reports/batches?desa={}", world.other)).await;
    assert_eq!(own_batches.status, 200);
    assert!(!own_batches.body.contains("id=\"desa\""));

    // The API alike.
    let client = reqwest::Client::new();
    let list = |token: String, query: String| {
        let request = client.get(api(&world, &format!("/api/v1/staff/reports{query}")));
        async move { request.bearer_auth(token).send().await.expect("reports") }
    };
    let kab = staff_login(&world.server.url, "dinas.kab", OWN_PASSWORD).await.token;
    let desa_token = staff_login(&world.server.url, "ani.operator", OWN_PASSWORD).await.token;
    let tickets =
        |page: &ReportPage| page.reports.iter().map(|r| r.ticket.clone()).collect::<Vec<_>>();
    let page: ReportPage =
        list(kab.clone(), format!("?desa={}", world.home)).await.json().await.expect("page");
    assert!(page.reports.iter().all(|r| r.desa_code == Some(world.home)));
    assert!(tickets(&page).contains(&ours) && !tickets(&page).contains(&theirs));
    let every: ReportPage = list(kab.clone(), "?desa=all".into()).await.json().await.expect("page");
    assert!(tickets(&every).contains(&ours) && tickets(&every).contains(&theirs));
    let refused = list(kab.clone(), "?desa=9999999999".into()).await;
    assert_eq!(refused.status(), 400);
    let error: ApiError = refused.json().await.expect("error");
    assert!(
        error.message.id.contains("Desa tidak dikenal")
            && error.message.en.contains("Unknown desa")
    );
    let narrowed: ReportPage = list(desa_token.clone(), format!("?desa={}", world.other))
        .await
        .json()
        .await
        .expect("page");
    assert!(tickets(&narrowed).contains(&ours) && !tickets(&narrowed).contains(&theirs));
    let batches = client
        .get(api(&world, "/api/v1/staff/reports/batches?desa=abc"))
        .bearer_auth(&kab)
        .send()
        .await
        .expect("batches");
    assert_eq!(batches.status(), 400);

    // Each list audited with the desa it showed.
    let audit = audit_of(&world, "report_queue").await;
    let scoped = format!("desa:{} ", world.home);
    assert!(audit.iter().any(|(a, s, _)| a == "console:dinas.kab" && s.starts_with(&scoped)));
    assert!(audit.iter().any(|(a, s, _)| a == "staff:dinas.kab" && s.starts_with(&scoped)));
    assert!(audit.iter().all(|(a, s, _)| !a.contains("ani.operator") || s.starts_with(&scoped)));
}
