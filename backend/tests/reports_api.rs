//! Citizen reports over HTTP: decided at once by the eligibility engine, idempotent, with a
//! ticket that can be tracked, and every bad input refused with nothing written.

mod common;

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
