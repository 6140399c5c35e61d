//! Letter requests over HTTP: filed at once with a ticket tracked like a report's, idempotent,
//! refused for another desa's resident with the desa to go to, and bad input refused with
//! nothing written.

use crate::common;

use common::*;
use protocol::api::{ApiError, ErrorCode, ReportState, TicketKind, TicketStatus};
use protocol::letter::{LETTERS_PATH, LetterKind};
use protocol::ticket::Ticket;
use serde_json::json;

fn letter(applicant: &str, kind: &str, key: &str) -> serde_json::Value {
    json!({
        "applicant_nik": applicant,
        "letter": kind,
        "purpose": "Syarat beasiswa sekolah anak",
        "idempotency_key": key,
    })
}

/// The desa an applicant is registered in.

#[tokio::test]
async fn a_letter_request_waits_for_the_desa_staff_under_a_trackable_ticket() {
    let server = server().await;
    let person = example(&server.summary, "tidak menerima").nik.to_string();
    let response = post(&server, LETTERS_PATH, &letter(&person, "sktm", "letter-key-01")).await;
    assert_eq!(response.status(), 201);
    let filed: TicketStatus = response.json().await.expect("JSON");
    assert_eq!(filed.kind, TicketKind::Letter);
    assert_eq!(filed.letter, Some(LetterKind::Sktm.code()));
    assert_eq!(filed.state, ReportState::Verification);
    assert_eq!(filed.state_text().id, "menunggu pemeriksaan petugas desa");
    assert!(filed.subject.contains('*') && !filed.subject.contains(&person[6..12]));

    let tracked: TicketStatus = get(&server, &format!("/api/v1/tickets/{}", filed.ticket))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(tracked, filed);

    let again = post(&server, LETTERS_PATH, &letter(&person, "sktm", "letter-key-01")).await;
    assert_eq!(again.status(), 200, "the same key is the same request");
    assert_eq!(again.json::<TicketStatus>().await.expect("JSON"), filed);

    // Reports and letters share the central ticket counter: one number, one submission.
    let report = json!({
        "reporter_nik": person, "subject_nik": person, "reason": "lost_job",
        "phone": "081234567890", "idempotency_key": "report-key-01",
    });
    let reported: TicketStatus =
        post(&server, "/api/v1/reports", &report).await.json().await.expect("JSON");
    assert_eq!(reported.kind, TicketKind::Report);
    assert_eq!(reported.ticket.serial(), filed.ticket.serial() + 1);
}

#[tokio::test]
async fn a_kiosk_of_another_desa_refuses_and_names_the_applicants_desa() {
    let server = server().await;
    let person = example(&server.summary, "tidak menerima").nik;
    let (home, own, other) =
        home_and_away_kiosks(&server, &person, ("BWI-HOME-01", "BWI-AWAY-01")).await;

    let body = letter(person.as_str(), "domisili", "letter-away-01");
    let refused = post_as(&server, &other, LETTERS_PATH, &body).await;
    assert_eq!(refused.status(), 201, "filed, and refused at once with its reason");
    let refused: TicketStatus = refused.json().await.expect("JSON");
    assert_eq!(refused.state, ReportState::Rejected);
    let reason = refused.reason.expect("a reason");
    let village = protocol::region::regions().village(home).expect("a village").name.clone();
    assert!(reason.id.contains(&village) && reason.en.contains(&village), "{reason:?}");

    let body = letter(person.as_str(), "domisili", "letter-home-01");
    let accepted: TicketStatus =
        post_as(&server, &own, LETTERS_PATH, &body).await.json().await.expect("JSON");
    assert_eq!(accepted.state, ReportState::Verification);
}

#[tokio::test]
async fn a_kiosk_ticket_is_kept_and_cannot_name_two_submissions() {
    let server = server().await;
    let issuer = server.key.issuer().expect("issuer");
    let person = example(&server.summary, "tidak menerima").nik.to_string();
    let ticket = Ticket::new(issuer, 3).expect("in range");

    let mut report = json!({
        "reporter_nik": person, "subject_nik": person, "reason": "illness",
        "phone": "081234567890", "idempotency_key": "report-kiosk-3",
    });
    report["ticket"] = json!(ticket.to_string());
    assert_eq!(post(&server, "/api/v1/reports", &report).await.status(), 201);

    let mut body = letter(&person, "usaha", "letter-kiosk-3");
    body["fields"] = json!({"business_name": "Warung Bu Siti", "business_kind": "warung makan"});
    body["ticket"] = json!(ticket.to_string());
    let taken = post(&server, LETTERS_PATH, &body).await;
    assert_eq!(taken.status(), 409, "a report holds that ticket already");
    assert_eq!(taken.json::<ApiError>().await.expect("JSON").code, ErrorCode::TicketTaken);

    let next = Ticket::new(issuer, 4).expect("in range");
    body["ticket"] = json!(next.to_string());
    let filed: TicketStatus = post(&server, LETTERS_PATH, &body).await.json().await.expect("JSON");
    assert_eq!((filed.ticket, filed.letter), (next, Some(LetterKind::Usaha.code())));
}

#[tokio::test]
async fn bad_letter_requests_are_refused_with_nothing_written() {
    let server = server().await;
    let person = example(&server.summary, "tidak menerima").nik.to_string();
    let cases: Vec<(serde_json::Value, u16, ErrorCode)> = vec![
        (letter("3510011203850", "sktm", "bad-key-0001"), 400, ErrorCode::NikWrongLength),
        (letter(&person, "ktp", "bad-key-0002"), 400, ErrorCode::UnknownLetter),
        (letter(&person, "KTP!", "bad-key-0007"), 400, ErrorCode::BadRequest),
        // The business certificate asks for the business's name and kind.
        (letter(&person, "usaha", "bad-key-0008"), 400, ErrorCode::InvalidField),
        (
            json!({"applicant_nik": person, "letter": "domisili", "purpose": "Syarat kerja",
                   "fields": {"salary": "9"}, "idempotency_key": "bad-key-0009"}),
            400,
            ErrorCode::InvalidField,
        ),
        (
            json!({"applicant_nik": person, "letter": "sktm", "purpose": " \u{1b} ", "idempotency_key": "bad-key-0003"}),
            400,
            ErrorCode::InvalidText,
        ),
        (
            json!({"applicant_nik": person, "letter": "sktm", "purpose": "x".repeat(201), "idempotency_key": "bad-key-0004"}),
            400,
            ErrorCode::InvalidText,
        ),
        (letter(&person, "sktm", "short"), 400, ErrorCode::BadRequest),
        (letter("3510011203850009", "sktm", "bad-key-0006"), 404, ErrorCode::ResidentNotFound),
    ];
    for (body, status, code) in cases {
        let response = post(&server, LETTERS_PATH, &body).await;
        assert_eq!(response.status().as_u16(), status, "{body}");
        let error: ApiError = response.json().await.expect("JSON");
        assert_eq!(error.code, code, "{body}");
        assert!(!error.message.id.is_empty() && !error.message.en.is_empty());
    }
    let malformed = post_raw(&server, LETTERS_PATH, b"{\"applicant_nik\":".to_vec()).await;
    assert_eq!(malformed.status(), 400);

    // Unsigned requests do not get in.
    let unsigned = reqwest::Client::new()
        .post(format!("{}{LETTERS_PATH}", server.url))
        .json(&letter(&person, "sktm", "unsigned-0001"))
        .send()
        .await
        .expect("request");
    assert_eq!(unsigned.status(), 401);

    // None of it was filed: the first real request gets the first central ticket.
    let filed: TicketStatus =
        post(&server, LETTERS_PATH, &letter(&person, "sktm", "good-key-0001"))
            .await
            .json()
            .await
            .expect("JSON");
    assert_eq!((filed.ticket.issuer(), filed.ticket.serial()), (0, 1));
}

#[tokio::test]
async fn no_letter_is_made_for_someone_recorded_dead_or_gone() {
    let server = server().await;
    let died = example(&server.summary, "meninggal dunia").nik.to_string();
    let response = post(&server, LETTERS_PATH, &letter(&died, "sktm", "dead-key-0001")).await;
    assert_eq!(response.status(), 422);
    let error: ApiError = response.json().await.expect("JSON");
    assert_eq!(error.code, ErrorCode::ResidentInactive);
    assert_eq!(
        error.message.id,
        "Pemilik NIK ini tercatat meninggal dunia di data kependudukan, sehingga surat tidak dapat dibuat. Bila data ini keliru, datang ke kantor desa dengan KTP dan Kartu Keluarga."
    );
    assert!(error.message.en.contains("recorded as deceased"));

    let person = example(&server.summary, "tidak menerima").nik.to_string();
    set_life_status(&server, &person, "missing").await;
    let response = post(&server, LETTERS_PATH, &letter(&person, "domisili", "gone-key-0001")).await;
    assert_eq!(response.status(), 422);
    let error: ApiError = response.json().await.expect("JSON");
    assert!(error.message.id.contains("tercatat hilang"), "{}", error.message.id);

    // Nothing was filed: the first letter then gets the first central ticket.
    set_life_status(&server, &person, "alive").await;
    let filed: TicketStatus =
        post(&server, LETTERS_PATH, &letter(&person, "sktm", "good-key-0002"))
            .await
            .json()
            .await
            .expect("JSON");
    assert_eq!((filed.ticket.issuer(), filed.ticket.serial()), (0, 1));
}
