//! Citizen reports from the desa staff's side, over HTTP as the web console calls it: the
//! queue (masked), one report with its history, verify / reject / schedule / deliver as the
//! kiosk's ticket then shows them, the distribution batches, who may act on what, and two
//! staff verifying at once. Run on SQLite and, with `ANJUNGAN_TEST_DATABASE` set, on
//! PostgreSQL.

use crate::common;

use backend::store::StaffRole;
use common::*;
use protocol::api::{ApiError, ErrorCode, ReportState, TicketStatus};
use protocol::staff::{ReportBatches, ReportDetail, ReportPage};
use serde_json::{Value, json};
use time::{Date, Duration};

const PASSWORD: &str = "kantor-desa-2026";

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.expect("join")
}

/// The rows `sql` selects, each column as text.
async fn rows(server: &Server, sql: String) -> Vec<Vec<String>> {
    let store = server.store.clone();
    blocking(move || store.inspect(&sql).expect("query"))
        .await
        .into_iter()
        .map(|row| row.iter().map(|cell| cell.opt_text().unwrap_or("").to_owned()).collect())
        .collect()
}

/// A signed-in staff account of `desa` (`None`: the kabupaten) with `role`.
async fn staff(server: &Server, username: &str, desa: Option<u64>, role: StaffRole) -> String {
    let (store, name) = (server.store.clone(), username.to_owned());
    blocking(move || {
        store.set_staff(&name, PASSWORD, desa).expect("staff");
        // Its own password chosen: the API serves only such accounts.
        store.change_staff_password(&name, PASSWORD, None).expect("own password");
        store.set_staff_role(&name, role, "", "").expect("role");
    })
    .await;
    staff_login(&server.url, username, PASSWORD).await.token
}

async fn staff_get(server: &Server, token: &str, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}{path}", server.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

async fn staff_post(server: &Server, token: &str, path: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", server.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request")
}

/// `POST /api/v1/staff/reports/{ticket}/{step}`.
async fn step(
    server: &Server,
    token: &str,
    ticket: &str,
    name: &str,
    body: Value,
) -> reqwest::Response {
    staff_post(server, token, &format!("/api/v1/staff/reports/{ticket}/{name}"), body).await
}

async fn code_of(response: reqwest::Response) -> ErrorCode {
    response.json::<ApiError>().await.expect("an ApiError").code
}

/// Heads of families that hold nothing (a report about them passes the cross-check), in the
/// desa that has the most of them: that desa and `count` NIKs.
async fn reportable(server: &Server, count: usize) -> (u64, Vec<String>) {
    let found = rows(
        server,
        "SELECT CAST(f.desa_code AS TEXT), r.nik FROM residents r JOIN families f ON f.kk = r.kk
         WHERE r.relation = 'head' AND r.life_status = 'alive'
           AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.state <> 'ended'
               AND (m.kk = r.kk OR m.nik IN (SELECT x.nik FROM residents x WHERE x.kk = r.kk)))
         ORDER BY f.desa_code, r.nik"
            .into(),
    )
    .await;
    let mut by_desa = std::collections::BTreeMap::<String, Vec<String>>::new();
    for row in found {
        by_desa.entry(row[0].clone()).or_default().push(row[1].clone());
    }
    let (desa, niks) =
        by_desa.into_iter().max_by_key(|(_, niks)| niks.len()).expect("uncovered families");
    assert!(niks.len() >= count, "{} uncovered heads in desa {desa}", niks.len());
    (desa.parse().expect("desa"), niks.into_iter().take(count).collect())
}

/// Files a report about `nik` by themselves at the test kiosk.
async fn file(server: &Server, nik: &str, key: &str) -> TicketStatus {
    let body = json!({
        "reporter_nik": nik, "subject_nik": nik, "reason": "lost_job",
        "phone": "081234567890", "text": format!("Saya {nik} kehilangan pekerjaan"),
        "idempotency_key": key,
    });
    let response = post(server, "/api/v1/reports", &body).await;
    assert_eq!(response.status(), 201);
    response.json().await.expect("ticket")
}

/// The ticket as a kiosk tracking it sees it.
async fn tracked(server: &Server, ticket: &str) -> TicketStatus {
    get(server, &format!("/api/v1/tickets/{ticket}")).await.json().await.expect("ticket")
}

/// The longest run of digits in `text`: a NIK or a KK is 16.
fn longest_digit_run(text: &str) -> usize {
    text.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0)
}

async fn audit(server: &Server) -> Vec<backend::store::AuditEntry> {
    let store = server.store.clone();
    blocking(move || {
        store.flush_audit();
        store.recent_audit(500).expect("audit")
    })
    .await
}

fn date(text: &str) -> Date {
    Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).expect("date")
}

#[tokio::test]
async fn the_queue_lists_a_desas_reports_oldest_first_masked_with_the_family() {
    let server = server().await;
    let (desa, niks) = reportable(&server, 3).await;
    let mut tickets = Vec::new();
    for (i, nik) in niks.iter().enumerate() {
        tickets.push(file(&server, nik, &format!("queue-key-{i:04}")).await.ticket.to_string());
    }
    // Refused at filing: the son of a family that receives BST, in whatever desa he lives.
    let son = example(&server.summary, "ayahnya menerima BST").nik;
    let refused = file(&server, son.as_str(), "queue-key-son").await;
    assert_eq!(refused.state, ReportState::Rejected);

    let operator = staff(&server, "operator.desa", Some(desa), StaffRole::Operator).await;
    let response = staff_get(&server, &operator, "/api/v1/staff/reports").await;
    assert_eq!(response.status(), 200);
    let body = response.text().await.expect("body");
    let page: ReportPage = serde_json::from_str(&body).expect("a page");
    let listed: Vec<&str> = page.reports.iter().map(|r| r.ticket.as_str()).collect();
    assert_eq!(listed, tickets, "the desa's waiting reports, oldest first, nothing else");
    assert_eq!((page.page, page.total), (1, 3));

    // Masked: neither a NIK nor a name of the registry is in the answer.
    assert!(longest_digit_run(&body) < 16, "no NIK or KK in {body}");
    for (nik, ticket) in niks.iter().zip(&tickets) {
        let facts = rows(
            &server,
            format!(
                "SELECT r.name, CAST(f.desil AS TEXT),
                        CAST((SELECT count(*) FROM residents m
                              WHERE m.kk = r.kk AND m.life_status = 'alive') AS TEXT)
                 FROM residents r JOIN families f ON f.kk = r.kk WHERE r.nik = '{nik}'"
            ),
        )
        .await;
        let (name, desil, members) = (&facts[0][0], &facts[0][1], &facts[0][2]);
        assert!(!body.contains(name.as_str()), "{name} in {body}");
        let masked = format!("{}********{}", &nik[..4], &nik[12..]);
        let report = page.reports.iter().find(|r| &r.ticket == ticket).expect("listed");
        assert_eq!(report.subject, masked);
        let family = report.family.as_ref().expect("in the registry");
        assert_eq!(family.name, protocol::mask::mask_name(name));
        assert_eq!(family.desil.map(|d| d.to_string()).unwrap_or_default(), *desil);
        assert_eq!(family.members.to_string(), *members);
        assert!(family.programs.is_empty(), "an uncovered family: {family:?}");
        assert_eq!(report.desa_code, Some(desa));
        assert_eq!(
            (report.state, report.filed_state),
            (ReportState::Verification, ReportState::Verification)
        );
        assert_eq!(report.program, "GOTONG_ROYONG");
        assert_eq!(report.program_name.id, "Banyuwangi Gotong Royong");
        assert!(report.about_self && report.reporter == masked);
    }

    // Paging and filters are checked at the boundary.
    let second: ReportPage = staff_get(&server, &operator, "/api/v1/staff/reports?page=2")
        .await
        .json()
        .await
        .expect("page");
    assert!(second.reports.is_empty() && second.total == 3, "{second:?}");
    for bad in ["?page=0", "?page=x", "?state=lost", "?page=99999999"] {
        let response = staff_get(&server, &operator, &format!("/api/v1/staff/reports{bad}")).await;
        assert_eq!(response.status(), 400, "{bad}");
        assert!(response.json::<ApiError>().await.expect("ApiError").message.id.len() > 5);
    }

    // The kabupaten reads every desa: the refusal at filing, with the engine's reason and
    // the program the family holds, by code and name only.
    let kabupaten = staff(&server, "kabupaten.dinsos", None, StaffRole::Kabupaten).await;
    let rejected: ReportPage =
        staff_get(&server, &kabupaten, "/api/v1/staff/reports?state=rejected")
            .await
            .json()
            .await
            .expect("page");
    let son_report = rejected
        .reports
        .iter()
        .find(|r| r.ticket == refused.ticket.to_string())
        .expect("the refused report");
    assert_eq!(son_report.filed_state, ReportState::Rejected);
    assert!(
        son_report.decision.as_ref().is_some_and(|d| d.id.contains("Gotong Royong")),
        "{son_report:?}"
    );
    let programs = &son_report.family.as_ref().expect("family").programs;
    assert!(programs.iter().any(|p| p.code == "BST" && p.state == "active"), "{programs:?}");
    let all: ReportPage =
        staff_get(&server, &kabupaten, "/api/v1/staff/reports").await.json().await.expect("page");
    assert!(all.reports.iter().all(|r| r.state != ReportState::Rejected));
    assert!(tickets.iter().all(|t| all.reports.iter().any(|r| &r.ticket == t)));

    // Another desa's operator sees none of them; an auditor of the desa reads them.
    let elsewhere = staff(&server, "operator.lain", Some(desa + 1), StaffRole::Operator).await;
    let theirs: ReportPage =
        staff_get(&server, &elsewhere, "/api/v1/staff/reports").await.json().await.expect("page");
    assert!(theirs.reports.iter().all(|r| !tickets.contains(&r.ticket)), "{theirs:?}");
    let auditor = staff(&server, "auditor.desa", Some(desa), StaffRole::Auditor).await;
    assert_eq!(staff_get(&server, &auditor, "/api/v1/staff/reports").await.status(), 200);
    assert_eq!(
        reqwest::get(format!("{}/api/v1/staff/reports", server.url)).await.expect("get").status(),
        401
    );

    let log = audit(&server).await;
    let listed: Vec<(&str, &str)> = log
        .iter()
        .rev()
        .filter(|e| e.actor == "staff:operator.desa" && e.action == "report_queue")
        .map(|e| (e.subject.as_str(), e.outcome.as_str()))
        .collect();
    let (first, second) =
        (format!("desa:{desa} state:waiting page:1"), format!("desa:{desa} state:waiting page:2"));
    assert_eq!(listed, [(first.as_str(), "3 listed"), (second.as_str(), "0 listed")]);
}

#[tokio::test]
async fn verify_schedule_deliver_show_at_the_kiosk_and_in_the_batch() {
    let server = server().await;
    let (desa, niks) = reportable(&server, 1).await;
    let nik = &niks[0];
    let ticket = file(&server, nik, "flow-key-0001").await.ticket.to_string();
    let operator = staff(&server, "operator.desa", Some(desa), StaffRole::Operator).await;

    let verified = step(&server, &operator, &ticket, "verify", json!({})).await;
    assert_eq!(verified.status(), 200);
    assert_eq!(verified.json::<TicketStatus>().await.expect("status").state, ReportState::Verified);
    assert_eq!(tracked(&server, &ticket).await.state, ReportState::Verified);

    let detail_path = format!("/api/v1/staff/reports/{ticket}");
    let detail: ReportDetail =
        staff_get(&server, &operator, &detail_path).await.json().await.expect("detail");
    let window = detail.schedule_window.clone().expect("a verified report's batch dates");
    let (first, last) = (date(&window.from), date(&window.to));
    assert_eq!(last - first, Duration::days(2), "5 to 7 days: {window:?}");
    assert!(!detail.text.contains(nik.as_str()) && detail.text.contains("kehilangan pekerjaan"));

    // Outside the window, or not a date: refused, and the report stays verified.
    for day in [first - Duration::days(1), last + Duration::days(1)] {
        let response =
            step(&server, &operator, &ticket, "schedule", json!({"date": day.to_string()})).await;
        assert_eq!(response.status(), 400, "{day}");
        let error: ApiError = response.json().await.expect("ApiError");
        assert_eq!(error.code, ErrorCode::InvalidBatchDate);
        assert!(error.message.id.contains(&window.from) && error.message.en.contains(&window.to));
    }
    let garbled =
        step(&server, &operator, &ticket, "schedule", json!({"date": "30-11-2026"})).await;
    assert_eq!(code_of(garbled).await, ErrorCode::InvalidBatchDate);
    assert_eq!(tracked(&server, &ticket).await.state, ReportState::Verified);

    let scheduled = step(&server, &operator, &ticket, "schedule", json!({"date": window.to})).await;
    assert_eq!(scheduled.status(), 200);
    assert_eq!(tracked(&server, &ticket).await.state, ReportState::Scheduled);

    // The batch of that day lists it, masked, where the family lives.
    let batches_path =
        format!("/api/v1/staff/reports/batches?from={}&to={}", window.from, window.to);
    let response = staff_get(&server, &operator, &batches_path).await;
    assert_eq!(response.status(), 200);
    let body = response.text().await.expect("body");
    assert!(longest_digit_run(&body) < 16, "{body}");
    let batches: ReportBatches = serde_json::from_str(&body).expect("batches");
    assert_eq!(batches.batches.len(), 1, "{batches:?}");
    let batch = &batches.batches[0];
    assert_eq!((batch.date.as_str(), batch.scheduled, batch.delivered), (window.to.as_str(), 1, 0));
    let place = rows(
        &server,
        format!(
            "SELECT f.dusun, f.rt, f.rw, r.name FROM residents r JOIN families f ON f.kk = r.kk
             WHERE r.nik = '{nik}'"
        ),
    )
    .await
    .remove(0);
    let listed = &batch.reports[0];
    assert_eq!(listed.ticket, ticket);
    assert_eq!((&listed.dusun, &listed.rt, &listed.rw), (&place[0], &place[1], &place[2]));
    assert!(!place[0].is_empty(), "the demo registry has dusun");
    assert_eq!(listed.name, protocol::mask::mask_name(&place[3]));
    assert_eq!((listed.program.as_str(), listed.state), ("GOTONG_ROYONG", ReportState::Scheduled));
    // A day before the window holds no batch of it.
    let before = format!(
        "/api/v1/staff/reports/batches?from={}&to={}",
        first - Duration::days(3),
        first - Duration::days(1)
    );
    let empty: ReportBatches =
        staff_get(&server, &operator, &before).await.json().await.expect("batches");
    assert!(empty.batches.is_empty(), "{empty:?}");

    let delivered = step(&server, &operator, &ticket, "deliver", json!({})).await;
    assert_eq!(delivered.status(), 200);
    assert_eq!(tracked(&server, &ticket).await.state, ReportState::Delivered);
    let batches: ReportBatches =
        staff_get(&server, &operator, &batches_path).await.json().await.expect("batches");
    let batch = &batches.batches[0];
    assert_eq!((batch.scheduled, batch.delivered), (0, 1));
    assert_eq!(batch.reports[0].state, ReportState::Delivered);
    let again = step(&server, &operator, &ticket, "deliver", json!({})).await;
    assert_eq!(again.status(), 409);
    assert_eq!(code_of(again).await, ErrorCode::StepNotAllowed);

    // The history: who did what, when, with the batch date.
    let detail: ReportDetail =
        staff_get(&server, &operator, &detail_path).await.json().await.expect("detail");
    let steps: Vec<(&str, &str, ReportState)> =
        detail.steps.iter().map(|s| (s.step.as_str(), s.actor.as_str(), s.state)).collect();
    assert_eq!(
        steps,
        [
            ("filed", "kiosk:BWI-TEST-07", ReportState::Verification),
            ("verify", "staff:operator.desa", ReportState::Verified),
            ("schedule", "staff:operator.desa", ReportState::Scheduled),
            ("deliver", "staff:operator.desa", ReportState::Delivered),
        ]
    );
    assert_eq!(detail.steps[2].batch_date.as_deref(), Some(window.to.as_str()));
    assert!(detail.schedule_window.is_none(), "only while verified");

    // Each step and each read left its audit row, masked.
    let log = audit(&server).await;
    let masked = format!("{}********{}", &nik[..4], &nik[12..]);
    for action in ["report_verify", "report_schedule", "report_deliver"] {
        let done = log
            .iter()
            .find(|e| e.action == action && e.outcome != "batch_date" && e.outcome != "not_allowed")
            .unwrap_or_else(|| panic!("{action} audited"));
        assert_eq!(done.actor, "staff:operator.desa");
        assert_eq!(done.subject, format!("{ticket} {masked}"));
    }
    let refused: Vec<&str> = log
        .iter()
        .filter(|e| e.action == "report_schedule" || e.action == "report_deliver")
        .map(|e| e.outcome.as_str())
        .collect();
    // The two dates outside the window; the unreadable one never reached the report.
    assert_eq!(refused.iter().filter(|o| **o == "batch_date").count(), 2, "{refused:?}");
    assert!(refused.contains(&"not_allowed"), "the second delivery: {refused:?}");
    assert!(
        log.iter().any(|e| e.action == "report_view" && e.subject == format!("{ticket} {masked}"))
    );
    assert!(log.iter().any(|e| e.action == "report_batches" && e.outcome == "1 listed"));
    assert!(log.iter().all(|e| !e.subject.contains(nik.as_str())), "no full NIK in the audit log");
}

#[tokio::test]
async fn a_rejection_needs_a_reason_in_both_languages_and_the_citizen_sees_it() {
    let server = server().await;
    let (desa, niks) = reportable(&server, 1).await;
    let ticket = file(&server, &niks[0], "reject-key-0001").await.ticket.to_string();
    let signer = staff(&server, "kepala.desa", Some(desa), StaffRole::Signer).await;

    let missing =
        step(&server, &signer, &ticket, "reject", json!({"reason_id": "Sudah pindah"})).await;
    assert_eq!(missing.status(), 400, "no English reason");
    let long = "x".repeat(protocol::staff::REASON_MAX + 1);
    for (id, en) in [
        ("", "Has moved away"),
        ("ok", "Has moved away"),
        ("Sudah pindah", "Has \u{1b}[2J moved away"),
        ("Sudah\u{0}pindah", "Has moved away"),
        (long.as_str(), "Has moved away"),
    ] {
        let response =
            step(&server, &signer, &ticket, "reject", json!({"reason_id": id, "reason_en": en}))
                .await;
        assert_eq!(response.status(), 400, "{id:?} / {en:?}");
        assert_eq!(code_of(response).await, ErrorCode::InvalidText);
    }
    assert_eq!(tracked(&server, &ticket).await.state, ReportState::Verification);

    let rejected = step(
        &server,
        &signer,
        &ticket,
        "reject",
        json!({"reason_id": "Sudah pindah\ndomisili.", "reason_en": "Has moved away."}),
    )
    .await;
    assert_eq!(rejected.status(), 200);
    let seen = tracked(&server, &ticket).await;
    assert_eq!(seen.state, ReportState::RejectedAfterVerification);
    let reason = seen.reason.expect("the staff's reason");
    assert_eq!(
        (reason.id.as_str(), reason.en.as_str()),
        ("Sudah pindah domisili.", "Has moved away.")
    );
    let detail: ReportDetail =
        staff_get(&server, &signer, &format!("/api/v1/staff/reports/{ticket}"))
            .await
            .json()
            .await
            .expect("detail");
    let last = detail.steps.last().expect("a step");
    assert_eq!((last.step.as_str(), last.actor.as_str()), ("reject", "staff:kepala.desa"));
    assert_eq!(last.reason.as_ref().map(|r| r.id.as_str()), Some("Sudah pindah domisili."));
    let log = audit(&server).await;
    assert!(
        log.iter()
            .any(|e| e.action == "report_reject" && e.outcome == "rejected_after_verification")
    );
}

#[tokio::test]
async fn another_desa_gets_404_and_read_only_accounts_403() {
    let server = server().await;
    let (desa, niks) = reportable(&server, 1).await;
    let ticket = file(&server, &niks[0], "scope-key-0001").await.ticket.to_string();
    let detail_path = format!("/api/v1/staff/reports/{ticket}");

    // Another desa's operator: the same answer as for a ticket that names nothing.
    let elsewhere = staff(&server, "operator.lain", Some(desa + 1), StaffRole::Operator).await;
    let nothing = protocol::ticket::Ticket::new(0, 999_999).expect("ticket").to_string();
    let theirs = staff_get(&server, &elsewhere, &detail_path).await;
    let none = staff_get(&server, &elsewhere, &format!("/api/v1/staff/reports/{nothing}")).await;
    assert_eq!((theirs.status().as_u16(), none.status().as_u16()), (404, 404));
    assert_eq!(theirs.text().await.expect("body"), none.text().await.expect("body"));
    for (name, body) in [
        ("verify", json!({})),
        ("reject", json!({"reason_id": "Bukan warga kami", "reason_en": "Not our resident"})),
        ("deliver", json!({})),
    ] {
        let response = step(&server, &elsewhere, &ticket, name, body).await;
        assert_eq!(response.status(), 404, "{name}");
        assert_eq!(code_of(response).await, ErrorCode::NotFound);
    }
    let malformed = staff_get(&server, &elsewhere, "/api/v1/staff/reports/LP-0000-000001-0").await;
    assert_eq!(code_of(malformed).await, ErrorCode::InvalidTicket);
    assert_eq!(tracked(&server, &ticket).await.state, ReportState::Verification);

    // Read-only accounts read, and are refused every step.
    let auditor = staff(&server, "auditor.desa", Some(desa), StaffRole::Auditor).await;
    let kabupaten = staff(&server, "kabupaten.dinsos", None, StaffRole::Kabupaten).await;
    let kabupaten_operator = staff(&server, "operator.kab", None, StaffRole::Operator).await;
    for token in [&auditor, &kabupaten, &kabupaten_operator] {
        assert_eq!(staff_get(&server, token, &detail_path).await.status(), 200);
        for (name, body) in [
            ("verify", json!({})),
            ("reject", json!({"reason_id": "Tidak layak", "reason_en": "Not eligible"})),
            ("schedule", json!({"date": "2026-12-01"})),
            ("deliver", json!({})),
        ] {
            let response = step(&server, token, &ticket, name, body).await;
            assert_eq!(response.status(), 403, "{name}");
            assert_eq!(code_of(response).await, ErrorCode::Forbidden);
        }
    }
    assert_eq!(tracked(&server, &ticket).await.state, ReportState::Verification);

    // The desa's signer may act.
    let signer = staff(&server, "kepala.desa", Some(desa), StaffRole::Signer).await;
    assert_eq!(step(&server, &signer, &ticket, "verify", json!({})).await.status(), 200);

    let log = audit(&server).await;
    assert!(log.iter().any(|e| e.actor == "staff:operator.lain"
        && e.action == "report_view"
        && e.subject == ticket
        && e.outcome == "not_found"));
    assert!(log.iter().any(|e| e.actor == "staff:operator.lain"
        && e.action == "report_verify"
        && e.outcome == "not_found"));
    assert!(log.iter().any(|e| e.actor == "staff:auditor.desa"
        && e.action == "report_deliver"
        && e.subject == ticket
        && e.outcome == "forbidden"));
    let verified: Vec<&str> = log
        .iter()
        .filter(|e| e.action == "report_verify" && e.outcome == "verified")
        .map(|e| e.actor.as_str())
        .collect();
    assert_eq!(verified, ["staff:kepala.desa"]);
}

#[tokio::test]
async fn two_staff_verifying_at_once_one_succeeds_and_one_gets_409() {
    let server = server().await;
    let (desa, niks) = reportable(&server, 3).await;
    let operator = staff(&server, "operator.desa", Some(desa), StaffRole::Operator).await;
    let signer = staff(&server, "kepala.desa", Some(desa), StaffRole::Signer).await;
    for (i, nik) in niks.iter().enumerate() {
        let ticket = file(&server, nik, &format!("race-key-{i:04}")).await.ticket.to_string();
        let (a, b) = tokio::join!(
            step(&server, &operator, &ticket, "verify", json!({})),
            step(&server, &signer, &ticket, "verify", json!({})),
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{ticket}");
        let loser = if a.status() == 409 { a } else { b };
        assert_eq!(code_of(loser).await, ErrorCode::StepNotAllowed);
        // One verification: one step in the history, one membership for the family.
        let detail: ReportDetail =
            staff_get(&server, &operator, &format!("/api/v1/staff/reports/{ticket}"))
                .await
                .json()
                .await
                .expect("detail");
        assert_eq!(detail.steps.iter().filter(|s| s.step == "verify").count(), 1);
        let memberships = rows(
            &server,
            format!(
                "SELECT m.state FROM memberships m JOIN residents r ON r.kk = m.kk
                 WHERE r.nik = '{nik}' AND m.program = 'GOTONG_ROYONG'"
            ),
        )
        .await;
        assert_eq!(memberships, [["verified"]], "{ticket}");
    }
}
