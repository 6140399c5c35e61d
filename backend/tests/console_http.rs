//! The web console over real HTTP, on the database the suite runs on (SQLite, or PostgreSQL
//! when ANJUNGAN_TEST_DATABASE names a server): sessions kept in the database (only the
//! hash of the cookie), a password someone else chose changed before any other page, the
//! CSRF token and origin of every form, idle and absolute expiry, logout, sign-in
//! throttling shared with the API, the security headers, and the letter steps scoped to
//! the account's desa. The same flows in a real browser are in console_browser.rs.

use crate::common;

use backend::store::StaffRole;
use common::console::{Console, FIRST_PASSWORD, OWN_PASSWORD, World, column, execute, world};
use common::*;
use protocol::api::ReportState;
use sha2::{Digest, Sha256};

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async fn audited(world: &World, action: &str, outcome: &str) -> usize {
    let store = world.server.store.clone();
    store.flush_audit();
    let entries = tokio::task::spawn_blocking(move || store.recent_audit(100_000).expect("audit"))
        .await
        .expect("join");
    entries.iter().filter(|e| e.action == action && e.outcome == outcome).count()
}

async fn session_rows(world: &World) -> Vec<String> {
    column(&world.server.store, "SELECT id_hash FROM console_sessions ORDER BY id_hash".into())
        .await
}

#[tokio::test]
async fn a_first_sign_in_sets_a_strict_cookie_and_asks_for_a_new_password_before_anything() {
    let world = world().await;
    world.staff("ani.operator", Some(world.home), StaffRole::Operator, "Ani").await;
    let mut browser = Console::new(&world.server.url);

    let away = browser.get("/console/").await;
    assert_eq!((away.status, away.location()), (303, Some("/console/login")));
    assert_eq!(browser.get("/").await.location(), Some("/console/"));

    let form = browser.get("/console/login").await;
    assert_eq!(form.status, 200);
    assert_eq!(form.header("content-security-policy"), CSP);
    assert_eq!(form.header("x-content-type-options"), "nosniff");
    assert_eq!(form.header("referrer-policy"), "no-referrer");
    assert_eq!(form.header("cache-control"), "no-store");
    assert!(form.body.contains("Masuk") && form.body.contains("Sign in"));
    let pre = form.set_cookies().join("\n");
    assert!(
        pre.contains("anjungan_login=")
            && pre.contains("HttpOnly")
            && pre.contains("SameSite=Strict"),
        "{pre}"
    );

    let wrong = browser.sign_in("ani.operator", "bukan-kata-sandinya").await;
    assert_eq!(wrong.status, 401);
    assert!(
        wrong.body.contains("Nama pengguna atau kata sandi salah.")
            && wrong.body.contains("Wrong username or password.")
    );
    assert!(browser.session().is_none());

    let signed = browser.sign_in("ani.operator", FIRST_PASSWORD).await;
    assert_eq!((signed.status, signed.location()), (303, Some("/console/password")));
    let cookie = signed
        .set_cookies()
        .into_iter()
        .find(|line| line.starts_with("anjungan_session="))
        .expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http on loopback: not Secure");
    let id = browser.session().expect("session").to_owned();
    assert_eq!(id.len(), 64);
    // The database holds the SHA-256 of the id, never the id.
    let rows = session_rows(&world).await;
    assert_eq!(rows, vec![hex::encode(Sha256::digest(id.as_bytes()))]);

    // Nothing but the password page until the password is the account's own.
    for path in ["/console/", "/console/letters", "/console/letters/00001-00001-0"] {
        let held = browser.get(path).await;
        assert_eq!((held.status, held.location()), (303, Some("/console/password")), "{path}");
    }
    let page = browser.get("/console/password").await;
    assert!(page.body.contains("Buat kata sandi Anda sendiri"), "{}", page.body);
    let csrf = page.csrf().expect("token");
    for (new, confirm, said) in [
        ("pendek", "pendek", "paling sedikit 10 huruf"),
        ("ani.operator", "ani.operator", "tidak boleh sama dengan nama pengguna"),
        ("Ani.Operator", "Ani.Operator", "tidak boleh sama dengan nama pengguna"),
        ("kata-sandi-baru-1", "kata-sandi-baru-2", "tidak sama"),
        (FIRST_PASSWORD, FIRST_PASSWORD, "berbeda dari kata sandi sekarang"),
    ] {
        let refused = browser
            .post(
                "/console/password",
                &[("current", FIRST_PASSWORD), ("new", new), ("confirm", confirm), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(refused.status, 400, "{new}");
        assert!(refused.body.contains(said), "{new}: {}", refused.body);
    }
    let wrong_current = browser
        .post(
            "/console/password",
            &[
                ("current", "salah-sekali-123"),
                ("new", OWN_PASSWORD),
                ("confirm", OWN_PASSWORD),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert!(wrong_current.body.contains("Kata sandi sekarang salah"), "{}", wrong_current.body);

    // An API token taken with the first password ends when the password changes.
    let token = staff_login(&world.server.url, "ani.operator", FIRST_PASSWORD).await.token;
    let changed = browser
        .post(
            "/console/password",
            &[
                ("current", FIRST_PASSWORD),
                ("new", OWN_PASSWORD),
                ("confirm", OWN_PASSWORD),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!((changed.status, changed.location()), (303, Some("/console/")));
    let dashboard = browser.get("/console/").await;
    assert_eq!(dashboard.status, 200);
    assert!(dashboard.body.contains("Dasbor") && dashboard.body.contains("Kiosk visits today"));
    let queue = reqwest::Client::new()
        .get(format!("{}/api/v1/staff/letters", world.server.url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(queue.status(), 401, "the old password's API session ended");
    assert_eq!(browser.session(), Some(id.as_str()), "this session goes on");

    assert!(audited(&world, "console_password", "changed").await >= 1);
}

#[tokio::test]
async fn a_form_without_the_sessions_token_or_from_another_site_is_refused_and_audited() {
    let world = world().await;
    world.staff("kades", Some(world.home), StaffRole::Signer, "H. SUGENG RIYADI").await;
    let applicant = &world.heads(world.home).await[0];
    let filed = world
        .file(&world.home_kiosk, applicant, "domisili", "csrf-letter-01", serde_json::json!({}))
        .await;
    let ticket = filed.ticket.to_string();
    // Typed at the kiosk: an operator prepares it first; here only the refusal matters.
    let mut browser = Console::new(&world.server.url);
    browser.sign_in_first_time("kades").await;
    let token = browser.token().await;

    let reject = |csrf: &str| {
        vec![
            ("ticket", ticket.clone()),
            ("reason", "data tidak cocok".to_owned()),
            ("csrf", csrf.to_owned()),
        ]
    };
    let fields = |pairs: &Vec<(&'static str, String)>| {
        pairs.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>()
    };
    for (what, csrf, origin) in [
        ("no token", String::new(), world.server.url.clone()),
        ("a wrong token", "ab".repeat(32), world.server.url.clone()),
        ("another site", token.clone(), "https://desa-palsu.example".to_owned()),
    ] {
        let pairs = fields(&reject(&csrf));
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused =
            browser.post_with("/console/letters/reject", &pairs, &[("origin", &origin)]).await;
        assert_eq!(refused.status, 403, "{what}");
        assert!(refused.body.contains("Formulir ini tidak sah"), "{what}: {}", refused.body);
        assert_eq!(
            world.ticket(&ticket).await.state,
            ReportState::Verification,
            "{what}: nothing done"
        );
    }
    // A token of another session of the same account does not do either.
    let mut second = Console::new(&world.server.url);
    second.sign_in("kades", OWN_PASSWORD).await;
    let theirs = second.token().await;
    assert_ne!(theirs, token);
    let pairs = fields(&reject(&theirs));
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(browser.post("/console/letters/reject", &pairs).await.status, 403);
    // Logout is a form like any other.
    assert_eq!(browser.post("/console/logout", &[("csrf", "00")]).await.status, 403);
    assert!(browser.get("/console/").await.status == 200, "still signed in");
    assert_eq!(audited(&world, "console_csrf", "bad_token").await, 4);
    assert_eq!(audited(&world, "console_csrf", "other_origin").await, 1);

    // With its own token it goes through.
    let pairs = fields(&reject(&token));
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = browser.post("/console/letters/reject", &pairs).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let tracked = world.ticket(&ticket).await;
    assert_eq!(tracked.state, ReportState::RejectedAfterVerification);
    assert_eq!(tracked.reason.expect("the reason").id, "data tidak cocok");
}

#[tokio::test]
async fn sessions_end_when_idle_too_long_after_twelve_hours_and_at_logout() {
    let world = world().await;
    world.staff("budi", Some(world.home), StaffRole::Operator, "Budi").await;
    let mut browser = Console::new(&world.server.url);
    browser.sign_in_first_time("budi").await;
    assert_eq!(browser.get("/console/letters").await.status, 200);

    // 31 minutes without a request.
    execute(&world.server.store, "UPDATE console_sessions SET last_seen = last_seen - 1860".into())
        .await;
    let idle = browser.get("/console/letters").await;
    assert_eq!((idle.status, idle.location()), (303, Some("/console/login?expired=1")));
    assert!(session_rows(&world).await.is_empty(), "the row is gone");
    assert!(browser.session().is_none(), "and the cookie");
    assert!(
        browser.get("/console/login?expired=1").await.body.contains("Sesi Anda telah berakhir")
    );

    // Busy all along, but signed in 12 hours ago.
    browser.sign_in("budi", OWN_PASSWORD).await;
    assert_eq!(browser.get("/console/").await.status, 200);
    execute(&world.server.store, "UPDATE console_sessions SET expires_at = created_at".into())
        .await;
    assert_eq!(browser.get("/console/").await.location(), Some("/console/login?expired=1"));
    assert!(audited(&world, "console_session", "expired").await >= 2);

    // A reset by `backend staff-add` ends the session and asks for a new password again.
    browser.sign_in("budi", OWN_PASSWORD).await;
    assert_eq!(browser.get("/console/").await.status, 200);
    world.staff("budi", Some(world.home), StaffRole::Operator, "Budi").await;
    assert_eq!(browser.get("/console/").await.location(), Some("/console/login"));
    let again = browser.sign_in("budi", FIRST_PASSWORD).await;
    assert_eq!(again.location(), Some("/console/password"));

    // Logout (open even before the new password) deletes the row: the old cookie opens
    // nothing, even sent again by hand.
    let kept = browser.session().expect("session").to_owned();
    let csrf = browser.get("/console/password").await.csrf().expect("token");
    let out = browser.post("/console/logout", &[("csrf", &csrf)]).await;
    assert_eq!((out.status, out.location()), (303, Some("/console/login?out=1")));
    assert!(session_rows(&world).await.is_empty());
    browser.cookies.insert("anjungan_session".into(), kept);
    assert_eq!(browser.get("/console/").await.location(), Some("/console/login"));
}

#[tokio::test]
async fn console_sign_ins_are_throttled_with_the_apis() {
    let world = world().await;
    world.staff("citra", Some(world.home), StaffRole::Operator, "Citra").await;
    let mut browser = Console::new(&world.server.url);
    common::console::early_in_a_minute().await;
    for attempt in 1..=5 {
        let wrong = browser.sign_in("citra", "tebakan-keliru-1").await;
        assert_eq!(wrong.status, 401, "attempt {attempt}");
    }
    // The sixth attempt of the minute, right password or not, waits.
    let limited = browser.sign_in("citra", FIRST_PASSWORD).await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert!(limited.header("retry-after").parse::<u64>().is_ok_and(|s| (1..=60).contains(&s)));
    assert!(
        limited.body.contains("Terlalu banyak percobaan masuk")
            && limited.body.contains("Too many sign-in attempts")
    );
    assert!(browser.session().is_none());
    // The API counts the same attempts.
    let api = reqwest::Client::new()
        .post(format!("{}/api/v1/staff/login", world.server.url))
        .json(&serde_json::json!({"username": "citra", "password": FIRST_PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(api.status(), 429);
    assert!(audited(&world, "staff_login", "refused").await >= 5);
}

#[tokio::test]
async fn letters_are_approved_in_the_console_and_change_at_the_kiosk_but_only_for_the_own_desa() {
    let world = world().await;
    world.staff("operator.a", Some(world.home), StaffRole::Operator, "Operator A").await;
    world.staff("kades.a", Some(world.home), StaffRole::Signer, "H. SUGENG RIYADI").await;
    world.staff("kabupaten", None, StaffRole::Kabupaten, "Dinas").await;
    let home_heads = world.heads(world.home).await;
    let other_heads = world.heads(world.other).await;
    let ours = world
        .file(&world.home_kiosk, &home_heads[0], "domisili", "http-ours-01", serde_json::json!({}))
        .await;
    let theirs = world
        .file(
            &world.other_kiosk,
            &other_heads[0],
            "domisili",
            "http-theirs-01",
            serde_json::json!({}),
        )
        .await;
    let (ours, theirs) = (ours.ticket.to_string(), theirs.ticket.to_string());

    let mut operator = Console::new(&world.server.url);
    operator.sign_in_first_time("operator.a").await;
    let list = operator.get("/console/letters").await;
    assert!(list.body.contains(&ours) && !list.body.contains(&theirs), "own desa's queue only");
    assert!(!list.body.contains(&home_heads[0]), "the list masks the NIK");
    // Another desa's letter by URL: as if it did not exist.
    assert_eq!(operator.get(&format!("/console/letters/{theirs}")).await.status, 404);
    let page = operator.get(&format!("/console/letters/{ours}")).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains(&home_heads[0]), "the preview masks the NIK without a reason");
    assert!(page.body.contains("diberikan saat disetujui"), "unnumbered until approved");
    let csrf = page.csrf().expect("token");
    // An operator does not sign; a tampered ticket of another desa is not found.
    let refused =
        operator.post("/console/letters/approve", &[("ticket", &ours), ("csrf", &csrf)]).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("Hanya kepala desa"), "{}", refused.body);
    let tampered =
        operator.post("/console/letters/prepare", &[("ticket", &theirs), ("csrf", &csrf)]).await;
    assert_eq!(tampered.status, 404);
    assert_eq!(
        operator
            .post("/console/letters/prepare", &[("ticket", &ours), ("csrf", &csrf)])
            .await
            .status,
        303
    );

    let mut signer = Console::new(&world.server.url);
    signer.sign_in_first_time("kades.a").await;
    let csrf = signer.token().await;
    let tampered =
        signer.post("/console/letters/approve", &[("ticket", &theirs), ("csrf", &csrf)]).await;
    assert_eq!(tampered.status, 404, "another desa's ticket in the hidden field");
    assert_eq!(world.ticket(&theirs).await.state, ReportState::Verification);
    let no_reason = signer
        .post("/console/letters/reject", &[("ticket", &ours), ("reason", " "), ("csrf", &csrf)])
        .await;
    assert_eq!(no_reason.status, 400);
    assert!(no_reason.body.contains("Tuliskan alasan"), "{}", no_reason.body);
    let approved =
        signer.post("/console/letters/approve", &[("ticket", &ours), ("csrf", &csrf)]).await;
    assert_eq!(
        approved.location(),
        Some(format!("/console/letters/{ours}?done=approved").as_str())
    );
    let tracked = world.ticket(&ours).await;
    assert_eq!(tracked.state, ReportState::Verified, "the kiosk sees it issued");
    let issued = signer.get(&format!("/console/letters/{ours}?done=approved")).await;
    let text = issued.text();
    assert!(text.contains("Disetujui") && text.contains("Nomor: 470/001/"), "{text}");
    // Its A4 PDF with the console session, and cancelled with a reason.
    let id = column(&world.server.store, format!("SELECT id FROM letters WHERE ticket = '{ours}'"))
        .await
        .remove(0);
    let pdf = signer.get(&format!("/console/letters/issued/{id}/pdf")).await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), "application/pdf");
    assert!(pdf.body.starts_with("%PDF"));
    assert_eq!(
        operator.get(&format!("/console/letters/issued/{id}/pdf")).await.status,
        200,
        "any staff of the desa"
    );
    let cancelled = signer
        .post(
            "/console/letters/cancel",
            &[("ticket", &ours), ("reason", "salah data alamat"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(cancelled.status, 303);
    assert!(
        signer.get(&format!("/console/letters/{ours}")).await.body.contains("salah data alamat")
    );

    // The kabupaten sees every desa's queue and totals, and picks one.
    let mut kabupaten = Console::new(&world.server.url);
    kabupaten.sign_in_first_time("kabupaten").await;
    let all = kabupaten.get("/console/letters").await;
    assert!(all.body.contains(&theirs));
    let totals = kabupaten.get("/console/").await;
    assert!(
        totals.body.contains("Per desa") && totals.body.contains(&format!("?desa={}", world.other)),
        "{}",
        totals.body
    );
    assert_eq!(kabupaten.get(&format!("/console/?desa={}", world.other)).await.status, 200);
    // An operator account without a desa (`staff-add` without `--desa`) acts for the
    // whole kabupaten, and the header says so rather than "Operator desa".
    world.staff("dinas.op", None, StaffRole::Operator, "Dinas Operator").await;
    let mut wide = Console::new(&world.server.url);
    wide.sign_in_first_time("dinas.op").await;
    let header = wide.get("/console/").await.body;
    assert!(header.contains("Operator kabupaten") && !header.contains("Operator desa"), "{header}");
    // A desa account cannot look at another desa's dashboard.
    assert_eq!(operator.get(&format!("/console/?desa={}", world.other)).await.status, 404);
    assert_eq!(operator.get("/console/?desa=abc").await.status, 404);
    assert!(audited(&world, "console_letter_approve", "done").await == 1);
    assert!(audited(&world, "console_letter_approve", "not_found").await == 1);
    assert!(audited(&world, "letter_preview", "viewed_masked").await >= 3);
}
