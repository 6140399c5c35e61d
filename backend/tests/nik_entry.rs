//! How the NIK of the person at the kiosk was entered (read from the e-KTP, or typed) is
//! recorded with every report and letter request and in its audit entry; a kiosk that does
//! not say counts as typed.

use crate::common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn each_submission_records_whether_the_card_was_read_or_the_number_typed() {
    let server = server().await;
    let person = example(&server.summary, "tidak menerima").nik.to_string();
    let report = json!({
        "reporter_nik": person, "subject_nik": person, "reason": "lost_job",
        "phone": "081234567890", "text": "", "nik_entry": "card",
        "idempotency_key": "1111111111111111aaaaaaaaaaaaaaaa"
    });
    assert_eq!(post(&server, "/api/v1/reports", &report).await.status(), 201);
    // An older kiosk sends no nik_entry: typed.
    let letter = json!({
        "applicant_nik": person, "letter": "domisili", "purpose": "Syarat melamar kerja",
        "idempotency_key": "2222222222222222bbbbbbbbbbbbbbbb"
    });
    assert_eq!(post(&server, "/api/v1/letters", &letter).await.status(), 201);
    let unknown = json!({
        "reporter_nik": person, "subject_nik": person, "reason": "lost_job",
        "phone": "081234567890", "nik_entry": "fingerprint",
        "idempotency_key": "3333333333333333cccccccccccccccc"
    });
    assert_eq!(post(&server, "/api/v1/reports", &unknown).await.status(), 400);

    let stored = server
        .store
        .inspect(
            "SELECT 'report', nik_entry FROM reports UNION ALL
             SELECT 'letter', nik_entry FROM letter_requests ORDER BY 1",
        )
        .expect("stored");
    let stored: Vec<(String, String)> =
        stored.iter().map(|row| (row[0].text().to_owned(), row[1].text().to_owned())).collect();
    assert_eq!(stored, [("letter".into(), "keypad".into()), ("report".into(), "card".into())]);

    server.store.flush_audit();
    let audit = server.store.recent_audit(20).expect("audit");
    let outcome = |action: &str| {
        audit.iter().find(|e| e.action == action).map(|e| e.outcome.clone()).unwrap_or_default()
    };
    assert!(outcome("report").ends_with("nik_entry=card"), "{}", outcome("report"));
    assert!(
        outcome("letter_request").ends_with("nik_entry=keypad"),
        "{}",
        outcome("letter_request")
    );
}
