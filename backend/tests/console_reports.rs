//! The console's report queue over real HTTP, on the database the suite runs on (SQLite, or
//! PostgreSQL when ANJUNGAN_TEST_DATABASE names a server): the list masked and oldest
//! first, filtered and paged; verify (the engine re-checks), schedule inside the 5-7 day
//! window only (refused outside it in both languages), deliver, reject with a reason in both
//! languages, each seen at the kiosk's ticket and in the batch view; another desa's report
//! 404 by URL and by a tampered hidden ticket; read-only accounts without buttons and 403;
//! every view and step audited. The same flow in a real browser is in
//! console_reports_browser.rs.

use crate::common;
use crate::console_reports_support;

use backend::store::StaffRole;
use common::console::{Answer, Console, World, world};
use console_reports_support::{
    file_report, longest_digit_run, name_of, picker_bound, uncovered_heads,
};
use protocol::api::ReportState;

async fn audit(world: &World) -> Vec<backend::store::AuditEntry> {
    let store = world.server.store.clone();
    tokio::task::spawn_blocking(move || {
        store.flush_audit();
        store.recent_audit(100_000).expect("audit")
    })
    .await
    .expect("join")
}

/// A signed-in console of a new account.
async fn signed_in(world: &World, username: &str, desa: Option<u64>, role: StaffRole) -> Console {
    world.staff(username, desa, role, username).await;
    let mut console = Console::new(&world.server.url);
    console.sign_in_first_time(username).await;
    console
}

/// Posts a step's form with this session's token.
async fn step(console: &mut Console, name: &str, fields: &[(&str, &str)]) -> Answer {
    let csrf = console.token().await;
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    console.post(&format!("/console/reports/{name}"), &form).await
}

async fn state_at_kiosk(world: &World, ticket: &str) -> ReportState {
    world.ticket(ticket).await.state
}

fn both(answer: &Answer, id: &str, en: &str) {
    let text = answer.text();
    assert!(text.contains(id) && text.contains(en), "{id} / {en} in {text}");
}

#[tokio::test]
async fn the_queue_is_masked_oldest_first_and_scoped_to_the_desa() {
    let world = world().await;
    let heads = uncovered_heads(&world, world.home).await;
    let theirs = uncovered_heads(&world, world.other).await;
    let mut tickets = Vec::new();
    for (n, nik) in heads.iter().take(3).enumerate() {
        tickets.push(file_report(&world, &world.home_kiosk, nik, &format!("list-{n:04}")).await);
    }
    let elsewhere = file_report(&world, &world.other_kiosk, &theirs[0], "list-else").await;
    let mut operator = signed_in(&world, "operator.a", Some(world.home), StaffRole::Operator).await;

    let list = operator.get("/console/reports").await;
    assert_eq!(list.status, 200);
    let body = list.text();
    let at: Vec<usize> = tickets.iter().map(|t| body.find(t.as_str()).expect("listed")).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "oldest first: {at:?}");
    assert!(!body.contains(&elsewhere), "another desa's report is not listed");
    assert!(longest_digit_run(&body) < 16, "no NIK in the list");
    for nik in heads.iter().take(3) {
        let name = name_of(&world, nik).await;
        assert!(!body.contains(&name), "{name} unmasked");
        assert!(body.contains(&protocol::mask::mask_name(&name)), "the masked name");
        assert!(body.contains(&format!("{}********{}", &nik[..4], &nik[12..])));
    }
    assert!(body.contains("Kehilangan pekerjaan") && body.contains("Lost their job"));

    // The filter and the page are checked at the boundary, in both languages.
    let verified = operator.get("/console/reports?state=verified").await;
    assert_eq!(verified.status, 200);
    assert!(tickets.iter().all(|t| !verified.body.contains(t.as_str())));
    let bad = operator.get("/console/reports?state=lost").await;
    assert_eq!(bad.status, 400);
    both(&bad, "Status laporan tidak dikenal.", "Unknown report state.");
    assert_eq!(operator.get("/console/reports?page=0").await.status, 400);
    assert_eq!(operator.get("/console/reports?page=x").await.status, 400);
    let second = operator.get("/console/reports?page=2").await;
    assert_eq!(second.status, 200);
    assert!(tickets.iter().all(|t| !second.body.contains(t.as_str())));

    // Another desa's report: 404 by URL, and the page looks like no report at all.
    let away = operator.get(&format!("/console/reports/{elsewhere}")).await;
    assert_eq!(away.status, 404);
    both(&away, "Halaman atau data tidak ditemukan.", "No such page or record.");
    assert_eq!(operator.get("/console/reports/LP-0000-000000-0").await.status, 404);

    // The kabupaten reads every desa's, with the desa named.
    let mut kabupaten = signed_in(&world, "dinas.kab", None, StaffRole::Kabupaten).await;
    let all = kabupaten.get("/console/reports").await;
    assert!(all.body.contains(&elsewhere) && all.body.contains(&tickets[0]));

    // The dashboard's count of reports waiting leads here.
    let dashboard = operator.get("/console/").await;
    assert!(dashboard.body.contains("href=\"/console/reports?state=verification\""));
    assert!(dashboard.text().contains("href=\"/console/reports\""), "the menu entry");

    let log = audit(&world).await;
    let listed: Vec<&str> = log
        .iter()
        .filter(|e| e.actor == "console:operator.a" && e.action == "report_queue")
        .map(|e| e.outcome.as_str())
        .collect();
    assert!(listed.contains(&"3 listed"), "{listed:?}");
    assert!(log.iter().any(|e| e.actor == "console:operator.a"
        && e.action == "report_view"
        && e.outcome == "not_found"));
}

#[tokio::test]
async fn verify_schedule_in_the_window_and_deliver_each_change_the_ticket_and_are_audited() {
    let world = world().await;
    let heads = uncovered_heads(&world, world.home).await;
    let theirs = uncovered_heads(&world, world.other).await;
    let nik = &heads[0];
    let ticket = file_report(&world, &world.home_kiosk, nik, "flow-0001").await;
    let elsewhere = file_report(&world, &world.other_kiosk, &theirs[0], "flow-else").await;
    let mut operator = signed_in(&world, "operator.a", Some(world.home), StaffRole::Operator).await;

    let page = operator.get(&format!("/console/reports/{ticket}")).await;
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(longest_digit_run(&text) < 16, "the detail is masked too: {text}");
    assert!(text.contains("Lolos pemeriksaan silang") && text.contains("kehilangan pekerjaan"));
    assert!(text.contains(&protocol::mask::mask_name(&name_of(&world, nik).await)));
    assert!(page.body.contains("action=\"/console/reports/verify\""));
    assert!(!page.body.contains("action=\"/console/reports/schedule\""), "not verified yet");

    // A tampered hidden ticket naming another desa's report: 404, nothing changes.
    let tampered = step(&mut operator, "verify", &[("ticket", elsewhere.as_str())]).await;
    assert_eq!(tampered.status, 404);
    assert_eq!(state_at_kiosk(&world, &elsewhere).await, ReportState::Verification);

    let verified = step(&mut operator, "verify", &[("ticket", ticket.as_str())]).await;
    assert_eq!(verified.status, 303, "{}", verified.body);
    let landing = verified.location().expect("to the report").to_owned();
    assert_eq!(landing, format!("/console/reports/{ticket}?done=verified"));
    assert_eq!(state_at_kiosk(&world, &ticket).await, ReportState::Verified);
    let page = operator.get(&landing).await;
    assert!(page.text().contains("Terverifikasi: mesin memeriksa ulang"));
    let (from, to) = (
        picker_bound(&page.body, "min").expect("the picker's first day"),
        picker_bound(&page.body, "max").expect("the picker's last day"),
    );
    assert!(page.text().contains(&format!("{from} s.d. {to}")), "the window is shown");
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let first = time::Date::parse(&from, &format).expect("date");
    let last = time::Date::parse(&to, &format).expect("date");
    assert_eq!((last - first).whole_days(), 2, "5 to 7 days");
    assert!(!page.body.contains("action=\"/console/reports/verify\""));

    // Outside the window (a day either side) or not a date: refused in both languages.
    for day in [first - time::Duration::days(1), last + time::Duration::days(1)] {
        let refused = step(
            &mut operator,
            "schedule",
            &[("ticket", ticket.as_str()), ("date", day.to_string().as_str())],
        )
        .await;
        assert_eq!(refused.status, 400, "{day}");
        both(
            &refused,
            &format!(
                "Tanggal penyaluran harus 5 sampai 7 hari setelah verifikasi ({from} s.d. {to})."
            ),
            &format!("The batch date must be 5 to 7 days after verification ({from} to {to})."),
        );
    }
    let garbled =
        step(&mut operator, "schedule", &[("ticket", ticket.as_str()), ("date", "30-11-2026")])
            .await;
    assert_eq!(garbled.status, 400);
    both(&garbled, "Tanggal ditulis TTTT-BB-HH", "Write dates as YYYY-MM-DD");
    assert_eq!(state_at_kiosk(&world, &ticket).await, ReportState::Verified);

    let scheduled =
        step(&mut operator, "schedule", &[("ticket", ticket.as_str()), ("date", to.as_str())])
            .await;
    assert_eq!(scheduled.status, 303, "{}", scheduled.body);
    assert_eq!(state_at_kiosk(&world, &ticket).await, ReportState::Scheduled);

    // The batch view lists it on its day, masked, with where the family lives.
    let batches = operator.get(&format!("/console/reports/batches?from={from}&to={to}")).await;
    assert_eq!(batches.status, 200);
    let shown = batches.text();
    assert!(shown.contains(&ticket), "{shown}");
    assert!(shown.contains("1 dijadwalkan") && shown.contains("0 sudah diterima"), "{shown}");
    assert!(shown.contains("Dusun "), "where: {shown}");
    assert!(longest_digit_run(&shown) < 16, "masked");
    let backwards = operator.get(&format!("/console/reports/batches?from={to}&to={from}")).await;
    assert_eq!(backwards.status, 400);
    both(&backwards, "Rentang tanggal harus maju", "The range of dates must run forward");
    let empty = operator.get("/console/reports/batches?from=2020-01-01&to=2020-01-07").await;
    assert!(empty.text().contains("Tidak ada penyaluran"));

    let delivered = step(&mut operator, "deliver", &[("ticket", ticket.as_str())]).await;
    assert_eq!(delivered.status, 303);
    assert_eq!(state_at_kiosk(&world, &ticket).await, ReportState::Delivered);
    let again = step(&mut operator, "deliver", &[("ticket", ticket.as_str())]).await;
    assert_eq!(again.status, 409);
    both(&again, "langkah ini tidak dapat dilakukan", "this step cannot be taken");
    let batches = operator.get(&format!("/console/reports/batches?from={to}&to={to}")).await;
    assert!(
        batches.text().contains("0 dijadwalkan") && batches.text().contains("1 sudah diterima")
    );

    // The history on the page, and each step in the audit log: the workflow's own entry
    // (staff:) and the console's (console:), with the NIK masked.
    let history = operator.get(&format!("/console/reports/{ticket}")).await.text();
    for said in ["Diajukan di anjungan", "Verifikasi", "Jadwalkan", "Diserahkan"] {
        assert!(history.contains(said), "{said} in the history");
    }
    let log = audit(&world).await;
    let masked = format!("{ticket} {}********{}", &nik[..4], &nik[12..]);
    for (step, outcome) in
        [("verify", "verified"), ("schedule", "scheduled"), ("deliver", "delivered")]
    {
        assert!(
            log.iter().any(|e| e.actor == "staff:operator.a"
                && e.action == format!("report_{step}")
                && e.subject == masked
                && e.outcome == outcome),
            "report_{step} by the workflow"
        );
        assert!(
            log.iter().any(|e| e.actor == "console:operator.a"
                && e.action == format!("console_report_{step}")
                && e.subject == masked
                && e.outcome == outcome),
            "console_report_{step}"
        );
    }
    let refused: Vec<&str> = log
        .iter()
        .filter(|e| e.action == "console_report_schedule")
        .map(|e| e.outcome.as_str())
        .collect();
    assert_eq!(refused.iter().filter(|o| **o == "batch_date").count(), 2, "{refused:?}");
    assert!(refused.contains(&"invalid"), "the unreadable date: {refused:?}");
    assert!(log.iter().any(|e| e.action == "console_report_verify" && e.outcome == "not_found"));
    assert!(log.iter().any(|e| e.action == "console_report_deliver" && e.outcome == "not_allowed"));
    assert!(log.iter().any(|e| e.actor == "console:operator.a"
        && e.action == "report_view"
        && e.subject == masked));
    assert!(log.iter().any(|e| e.actor == "console:operator.a"
        && e.action == "report_batches"
        && e.outcome == "1 listed"));
    assert!(log.iter().all(|e| !e.subject.contains(nik.as_str())), "no full NIK audited");
}

#[tokio::test]
async fn a_rejection_needs_both_languages_and_read_only_accounts_are_refused() {
    let world = world().await;
    let heads = uncovered_heads(&world, world.home).await;
    let ticket = file_report(&world, &world.home_kiosk, &heads[1], "reject-0001").await;

    // Read-only accounts: no forms, and a post anyway is 403 with nothing changed.
    for (username, desa, role, said) in [
        ("auditor.a", Some(world.home), StaffRole::Auditor, "Akun auditor hanya dapat membaca."),
        ("dinas.kab", None, StaffRole::Kabupaten, "Akun kabupaten hanya dapat membaca laporan"),
    ] {
        let mut reader = signed_in(&world, username, desa, role).await;
        let page = reader.get(&format!("/console/reports/{ticket}")).await;
        assert_eq!(page.status, 200, "{username} reads it");
        assert!(!page.body.contains("action=\"/console/reports/"), "{username}: no forms");
        assert!(page.text().contains(said), "{username}: says why");
        for name in ["verify", "deliver"] {
            let refused = step(&mut reader, name, &[("ticket", ticket.as_str())]).await;
            assert_eq!(refused.status, 403, "{username} {name}");
            assert!(refused.text().contains(said));
        }
        let refused = step(
            &mut reader,
            "reject",
            &[
                ("ticket", ticket.as_str()),
                ("reason_id", "Sudah pindah"),
                ("reason_en", "Moved away"),
            ],
        )
        .await;
        assert_eq!(refused.status, 403, "{username} reject");
        assert_eq!(state_at_kiosk(&world, &ticket).await, ReportState::Verification);
    }

    let mut signer = signed_in(&world, "kades.a", Some(world.home), StaffRole::Signer).await;
    let page = signer.get(&format!("/console/reports/{ticket}")).await;
    assert!(page.body.contains("id=\"reason-id\"") && page.body.contains("id=\"reason-en\""));
    for (id, en, said) in [
        ("Sudah pindah", "", "Write the reason in English"),
        ("", "Moved away", "Tuliskan alasan dalam bahasa Indonesia"),
        ("ok", "Moved away", "Tuliskan alasan dalam bahasa Indonesia"),
    ] {
        let refused = step(
            &mut signer,
            "reject",
            &[("ticket", ticket.as_str()), ("reason_id", id), ("reason_en", en)],
        )
        .await;
        assert_eq!(refused.status, 400, "{id:?} / {en:?}");
        assert!(refused.text().contains(said), "{said}: {}", refused.text());
        assert!(refused.body.contains(&format!(">{id}</textarea>")), "what was typed stays");
    }
    assert_eq!(state_at_kiosk(&world, &ticket).await, ReportState::Verification);

    let rejected = step(
        &mut signer,
        "reject",
        &[
            ("ticket", ticket.as_str()),
            ("reason_id", "Sudah pindah domisili"),
            ("reason_en", "Has moved away"),
        ],
    )
    .await;
    assert_eq!(rejected.status, 303, "{}", rejected.body);
    let seen = world.ticket(&ticket).await;
    assert_eq!(seen.state, ReportState::RejectedAfterVerification);
    let reason = seen.reason.expect("the staff's reason");
    assert_eq!(
        (reason.id.as_str(), reason.en.as_str()),
        ("Sudah pindah domisili", "Has moved away")
    );
    let page = signer.get(&format!("/console/reports/{ticket}?done=rejected")).await;
    let text = page.text();
    assert!(text.contains("Ditolak: warga melihat alasannya") && text.contains("Has moved away"));
    assert!(!page.body.contains("action=\"/console/reports/"), "nothing left to do");

    let log = audit(&world).await;
    let forbidden = log
        .iter()
        .filter(|e| e.action.starts_with("console_report_") && e.outcome == "forbidden")
        .count();
    assert_eq!(forbidden, 6, "three refused posts by each reader");
    assert!(log.iter().any(|e| e.actor == "console:kades.a"
        && e.action == "console_report_reject"
        && e.outcome == "rejected_after_verification"));
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "console_report_reject" && e.outcome == "invalid")
            .count(),
        3
    );
}
