//! Citizen reports over HTTP: decided at once by the eligibility engine, idempotent, with a
//! ticket that can be tracked, and every bad input refused with nothing written.

use crate::common;

use common::*;
use protocol::api::{ApiError, ErrorCode, ReportState, TicketStatus};
use serde_json::json;

fn report(reporter: &str, subject: &str, key: &str) -> serde_json::Value {
    json!({
        "reporter_nik": reporter,
        "subject_nik": subject,
        "reason": "lost_job",
        "phone": "0812-3456-7890",
        "text": "Terkena PHK sejak bulan lalu.",
        "idempotency_key": key,
    })
}

async fn report_count(server: &Server) -> u64 {
    let store = server.store.clone();
    tokio::task::spawn_blocking(move || store.report_count()).await.expect("join").expect("count")
}

#[tokio::test]
async fn a_son_reporting_himself_is_rejected_because_his_father_receives_bst() {
    let server = server().await;
    let son = example(&server.summary, "ayahnya menerima BST").nik.to_string();
    let response = post(&server, "/api/v1/reports", &report(&son, &son, "key-son-0001")).await;
    assert_eq!(response.status(), 201);
    let status: TicketStatus = response.json().await.expect("JSON");
    assert_eq!(status.state, ReportState::Rejected);
    let reason = status.reason.expect("a reason");
    assert!(reason.id.contains("Bansos Tunai Kemensos"), "{}", reason.id);
    assert!(reason.id.contains("KK"), "names the family: {}", reason.id);
}

#[tokio::test]
async fn a_report_about_someone_else_does_not_reveal_their_programs() {
    let server = server().await;
    let son = example(&server.summary, "ayahnya menerima BST").nik.to_string();
    let neighbour = example(&server.summary, "tidak menerima").nik.to_string();
    let response =
        post(&server, "/api/v1/reports", &report(&neighbour, &son, "key-other-001")).await;
    let status: TicketStatus = response.json().await.expect("JSON");
    assert_eq!(status.state, ReportState::Rejected);
    let reason = status.reason.expect("a reason");
    for word in ["BST", "Bansos", "Kemensos", "PKH"] {
        assert!(!reason.id.contains(word) && !reason.en.contains(word), "{reason:?}");
    }
}

#[tokio::test]
async fn an_uncovered_family_goes_to_verification_with_a_trackable_ticket() {
    let server = server().await;
    let person = example(&server.summary, "tidak menerima").nik.to_string();
    let response =
        post(&server, "/api/v1/reports", &report(&person, &person, "key-self-0001")).await;
    assert_eq!(response.status(), 201);
    let filed: TicketStatus = response.json().await.expect("JSON");
    assert_eq!(filed.state, ReportState::Verification);
    assert_eq!(filed.reason, None);
    assert!(filed.subject.contains('*'));

    let tracked: TicketStatus = get(&server, &format!("/api/v1/tickets/{}", filed.ticket))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(tracked, filed);

    // The kiosk retries after a timeout: same key, same ticket, nothing filed twice.
    let again = post(&server, "/api/v1/reports", &report(&person, &person, "key-self-0001")).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<TicketStatus>().await.expect("JSON").ticket, filed.ticket);
    assert_eq!(report_count(&server).await, 1);
}

#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_written() {
    let server = server().await;
    let person = example(&server.summary, "tidak menerima").nik.to_string();
    let mut cases: Vec<(serde_json::Value, u16, ErrorCode)> = vec![
        (report("3510013102850001", &person, "key-bad-0001"), 400, ErrorCode::NikInvalidDate),
        (report(&person, "351001120385000", "key-bad-0002"), 400, ErrorCode::NikWrongLength),
        (report(&person, "3510011203859999", "key-bad-0003"), 404, ErrorCode::ResidentNotFound),
        (report(&person, &person, "no"), 400, ErrorCode::BadRequest),
    ];
    let mut bad_phone = report(&person, &person, "key-bad-0004");
    bad_phone["phone"] = json!("0331-123");
    cases.push((bad_phone, 400, ErrorCode::InvalidPhone));
    let mut long_text = report(&person, &person, "key-bad-0005");
    long_text["text"] = json!("x".repeat(501));
    cases.push((long_text, 400, ErrorCode::InvalidText));
    let mut unknown_field = report(&person, &person, "key-bad-0006");
    unknown_field["program"] = json!("PKH");
    cases.push((unknown_field, 400, ErrorCode::BadRequest));
    let mut wrong_type = report(&person, &person, "key-bad-0007");
    wrong_type["reason"] = json!(42);
    cases.push((wrong_type, 400, ErrorCode::BadRequest));
    for (body, status, code) in cases {
        let response = post(&server, "/api/v1/reports", &body).await;
        assert_eq!(response.status(), status, "{body}");
        let error: ApiError = response.json().await.expect("error JSON");
        assert_eq!(error.code, code, "{body}");
        assert!(!error.message.id.is_empty() && !error.message.en.is_empty());
    }
    let malformed = post_raw(&server, "/api/v1/reports", b"{\"reporter_nik\": ".to_vec()).await;
    assert_eq!(malformed.status(), 400);
    assert_eq!(malformed.json::<ApiError>().await.expect("JSON").code, ErrorCode::BadRequest);
    let oversized = post_raw(&server, "/api/v1/reports", vec![b' '; 200 * 1024]).await;
    assert_eq!(oversized.status(), 413);
    assert_eq!(report_count(&server).await, 0, "nothing half-written");
}

#[tokio::test]
async fn mistyped_and_unknown_tickets() {
    let server = server().await;
    let typo = get(&server, "/api/v1/tickets/LP-0000-000001-0").await;
    // LP-0000-000001's check digit is 8; 0 is a typo.
    assert_eq!(typo.status(), 400);
    assert_eq!(typo.json::<ApiError>().await.expect("JSON").code, ErrorCode::InvalidTicket);
    let unknown = get(&server, "/api/v1/tickets/LP-0000-000001-8").await;
    assert_eq!(unknown.status(), 404);
}

fn kiosk_ticket(issuer: u16, serial: u32) -> protocol::ticket::Ticket {
    protocol::ticket::Ticket::new(issuer, serial).expect("in range")
}

#[tokio::test]
async fn each_kiosk_gets_its_own_issuer_and_keeps_it_on_renewal() {
    let server = server().await;
    let first = server.key.issuer().expect("the test kiosk has an issuer");
    let store = server.store.clone();
    let (second, renewed, third) = tokio::task::spawn_blocking(move || {
        let second = store.register_kiosk("BWI-TEST-08", None, 60).expect("register");
        let renewed = store.register_kiosk("BWI-TEST-08", None, 60).expect("renew");
        let third = store.register_kiosk("BWI-TEST-09", None, 60).expect("register");
        (second, renewed, third)
    })
    .await
    .expect("join");
    let issuers = [first, second.issuer().expect("issuer"), third.issuer().expect("issuer")];
    assert!(issuers.iter().all(|issuer| (1..=9999).contains(issuer)), "{issuers:?}");
    assert!(issuers[0] != issuers[1] && issuers[1] != issuers[2] && issuers[0] != issuers[2]);
    assert_eq!(renewed.issuer(), second.issuer(), "a renewal keeps the issuer");
    assert_ne!(renewed.secret_hex(), second.secret_hex(), "but changes the secret");
    // The key file an installer copies to the kiosk carries the issuer.
    let parsed = protocol::auth::KioskKey::parse(&renewed.to_file_text()).expect("key file");
    assert_eq!(parsed.issuer(), second.issuer());
}

#[tokio::test]
async fn a_kiosk_issued_ticket_is_filed_under_that_ticket_once() {
    let server = server().await;
    let issuer = server.key.issuer().expect("issuer");
    let person = example(&server.summary, "tidak menerima").nik.to_string();
    let ticket = kiosk_ticket(issuer, 7);
    let mut body = report(&person, &person, "key-kiosk-0001");
    body["ticket"] = json!(ticket.to_string());

    let response = post(&server, "/api/v1/reports", &body).await;
    assert_eq!(response.status(), 201);
    let filed: TicketStatus = response.json().await.expect("JSON");
    assert_eq!(filed.ticket, ticket, "the ticket the kiosk printed, not a central one");
    assert_eq!(filed.state, ReportState::Verification);
    let tracked: TicketStatus =
        get(&server, &format!("/api/v1/tickets/{ticket}")).await.json().await.expect("JSON");
    assert_eq!(tracked, filed);

    // The kiosk resends after losing the answer: the same ticket, nothing written.
    let again = post(&server, "/api/v1/reports", &body).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<TicketStatus>().await.expect("JSON"), filed);
    assert_eq!(report_count(&server).await, 1);

    // Central tickets go on from their own counter.
    let other = example(&server.summary, "ayahnya menerima BST").nik.to_string();
    let central: TicketStatus =
        post(&server, "/api/v1/reports", &report(&other, &other, "key-c-01"))
            .await
            .json()
            .await
            .expect("JSON");
    assert_eq!((central.ticket.issuer(), central.ticket.serial()), (0, 1));
    assert_eq!(report_count(&server).await, 2);
}

#[tokio::test]
async fn tickets_of_another_issuer_or_already_taken_are_refused() {
    let server = server().await;
    let own = server.key.issuer().expect("issuer");
    let store = server.store.clone();
    let neighbour = tokio::task::spawn_blocking(move || {
        store.register_kiosk("BWI-TEST-08", None, 60).expect("register")
    })
    .await
    .expect("join");
    let neighbours_issuer = neighbour.issuer().expect("issuer");
    assert_ne!(own, neighbours_issuer);
    let person = example(&server.summary, "tidak menerima").nik.to_string();

    for (n, foreign) in [kiosk_ticket(neighbours_issuer, 1), kiosk_ticket(0, 1)].iter().enumerate()
    {
        let mut body = report(&person, &person, &format!("key-foreign-{n:04}"));
        body["ticket"] = json!(foreign.to_string());
        let response = post(&server, "/api/v1/reports", &body).await;
        assert_eq!(response.status(), 400, "{foreign}");
        let error: ApiError = response.json().await.expect("JSON");
        assert_eq!(error.code, ErrorCode::InvalidTicket);
    }
    let mut typo = report(&person, &person, "key-typo-0001");
    typo["ticket"] = json!("LP-0001-000001-0");
    assert_eq!(post(&server, "/api/v1/reports", &typo).await.status(), 400);
    assert_eq!(report_count(&server).await, 0, "nothing written");

    // The neighbour may use its own issuer; the same ticket under another key is refused.
    let mut body = report(&person, &person, "key-neigh-0001");
    body["ticket"] = json!(kiosk_ticket(neighbours_issuer, 1).to_string());
    assert_eq!(post_as(&server, &neighbour, "/api/v1/reports", &body).await.status(), 201);
    body["idempotency_key"] = json!("key-neigh-0002");
    let taken = post_as(&server, &neighbour, "/api/v1/reports", &body).await;
    assert_eq!(taken.status(), 409);
    assert_eq!(taken.json::<ApiError>().await.expect("JSON").code, ErrorCode::TicketTaken);
    assert_eq!(report_count(&server).await, 1);
}

#[tokio::test]
async fn a_report_about_someone_recorded_dead_or_gone_is_refused_with_its_own_code() {
    let server = server().await;
    let died = example(&server.summary, "meninggal dunia").nik.to_string();
    let neighbour = example(&server.summary, "tidak menerima").nik.to_string();
    let response =
        post(&server, "/api/v1/reports", &report(&neighbour, &died, "key-dead-0001")).await;
    assert_eq!(response.status(), 422);
    let error: ApiError = response.json().await.expect("JSON");
    assert_eq!(error.code, ErrorCode::ResidentInactive);
    assert_eq!(
        error.message.id,
        "Orang yang dilaporkan tercatat meninggal dunia di data kependudukan, sehingga laporan tidak dapat diajukan. Bila data ini keliru, hubungi petugas desa."
    );
    assert!(error.message.en.contains("recorded as deceased"), "{}", error.message.en);

    // Someone recorded as moved away who reports themselves hears it of their own NIK.
    set_life_status(&server, &neighbour, "moved_away").await;
    let response =
        post(&server, "/api/v1/reports", &report(&neighbour, &neighbour, "key-gone-0001")).await;
    assert_eq!(response.status(), 422);
    let error: ApiError = response.json().await.expect("JSON");
    assert_eq!(error.code, ErrorCode::ResidentInactive);
    assert!(error.message.id.starts_with("NIK Anda tercatat sudah pindah"), "{}", error.message.id);
    assert_eq!(report_count(&server).await, 0, "nothing was filed");

    // Recorded alive again (the record was wrong), the report goes through.
    set_life_status(&server, &neighbour, "alive").await;
    let response =
        post(&server, "/api/v1/reports", &report(&neighbour, &neighbour, "key-gone-0002")).await;
    assert_eq!(response.status(), 201);
}
