//! A re-imaged kiosk's ticket numbers: it asks the central service for the highest serial
//! held under its issuer and continues above it, and a ticket another submission holds is
//! answered `409 ticket_taken` so the kiosk files the same submission again under a new
//! one. Run on SQLite and, with `ANJUNGAN_TEST_DATABASE` set, on PostgreSQL.

use crate::common;

use common::{example, fresh_nonce, get, now, post, post_as, server, signed_get};
use protocol::api::{ApiError, ErrorCode, TicketStatus};
use protocol::letter::LETTERS_PATH;
use protocol::ticket::{LAST_SERIAL_PATH, LastSerial, Ticket};
use serde_json::json;

fn report(nik: &str, key: &str, ticket: Ticket) -> serde_json::Value {
    json!({
        "reporter_nik": nik, "subject_nik": nik, "reason": "illness",
        "phone": "081234567890", "idempotency_key": key, "ticket": ticket.to_string(),
    })
}

async fn last_serial(server: &common::Server, key: &protocol::auth::KioskKey) -> LastSerial {
    let response = signed_get(server, LAST_SERIAL_PATH, key, now(), &fresh_nonce()).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

#[tokio::test]
async fn a_kiosk_learns_the_highest_serial_of_its_own_issuer() {
    let server = server().await;
    let issuer = server.key.issuer().expect("issuer");
    let store = server.store.clone();
    let neighbour = tokio::task::spawn_blocking(move || {
        store.register_kiosk("BWI-TEST-08", None, 60).expect("register")
    })
    .await
    .expect("join");
    let person = example(&server.summary, "tidak menerima").nik.to_string();

    assert_eq!(last_serial(&server, &server.key).await, LastSerial { issuer, last_serial: 0 });

    // A report under serial 7 and a letter request under 12: one counter for both.
    let ticket = |serial| Ticket::new(issuer, serial).expect("in range");
    let body = report(&person, "serial-report-7", ticket(7));
    assert_eq!(post(&server, "/api/v1/reports", &body).await.status(), 201);
    let letter = json!({
        "applicant_nik": person, "letter": "domisili", "purpose": "Syarat pinjaman usaha",
        "idempotency_key": "serial-letter-12", "ticket": ticket(12).to_string(),
    });
    assert_eq!(post(&server, LETTERS_PATH, &letter).await.status(), 201);
    // The neighbour's higher serial is its own, and central tickets are nobody's.
    let neighbours = Ticket::new(neighbour.issuer().expect("issuer"), 30).expect("in range");
    let body = report(&person, "serial-neigh-30", neighbours);
    assert_eq!(post_as(&server, &neighbour, "/api/v1/reports", &body).await.status(), 201);
    let mut central = report(&person, "serial-central-1", ticket(1));
    central.as_object_mut().expect("object").remove("ticket");
    assert_eq!(post(&server, "/api/v1/reports", &central).await.status(), 201);

    assert_eq!(last_serial(&server, &server.key).await, LastSerial { issuer, last_serial: 12 });
    let theirs = last_serial(&server, &neighbour).await;
    assert_eq!((theirs.issuer, theirs.last_serial), (neighbours.issuer(), 30));

    // Signed or nothing; and every answer is audited.
    let unsigned = reqwest::get(format!("{}{LAST_SERIAL_PATH}", server.url)).await.expect("get");
    assert_eq!(unsigned.status(), 401);
    server.store.flush_audit();
    let audit = server.store.recent_audit(50).expect("audit");
    let asked: Vec<_> = audit.iter().filter(|e| e.action == "last_serial").collect();
    assert_eq!(asked.len(), 3, "{audit:?}");
    assert!(asked.iter().any(|e| e.actor == "kiosk:BWI-TEST-07"
        && e.subject == format!("issuer={issuer}")
        && e.outcome == "last_serial=12"));
}

#[tokio::test]
async fn a_taken_ticket_is_ticket_taken_and_the_same_submission_files_under_a_new_one() {
    let server = server().await;
    let issuer = server.key.issuer().expect("issuer");
    let ticket = |serial| Ticket::new(issuer, serial).expect("in range");
    let person = example(&server.summary, "tidak menerima").nik.to_string();
    // Filed before the kiosk was re-imaged.
    let body = report(&person, "before-reimage-1", ticket(1));
    assert_eq!(post(&server, "/api/v1/reports", &body).await.status(), 201);

    // The re-imaged kiosk's first report gets serial 1 again.
    let body = report(&person, "after-reimage-01", ticket(1));
    let taken = post(&server, "/api/v1/reports", &body).await;
    assert_eq!(taken.status(), 409);
    let error: ApiError = taken.json().await.expect("JSON");
    assert_eq!(error.code, ErrorCode::TicketTaken);
    assert!(error.message.id.contains("sudah dipakai") && error.message.en.contains("already"));
    assert!(error.message.id.contains(&ticket(1).to_string()), "{:?}", error.message);

    // The old ticket still names the first report, untouched.
    let old: TicketStatus =
        get(&server, &protocol::api::ticket_path(&ticket(1))).await.json().await.expect("JSON");
    assert_eq!(old.ticket, ticket(1));

    // The same submission (same idempotency key) under a new ticket is filed.
    let again = report(&person, "after-reimage-01", ticket(2));
    let filed = post(&server, "/api/v1/reports", &again).await;
    assert_eq!(filed.status(), 201);
    let filed: TicketStatus = filed.json().await.expect("JSON");
    assert_eq!(filed.ticket, ticket(2));
    // A resend after a lost answer gets that answer, whichever ticket it carries.
    let resent = post(&server, "/api/v1/reports", &again).await;
    assert_eq!(resent.status(), 200);

    server.store.flush_audit();
    let audit = server.store.recent_audit(50).expect("audit");
    assert!(
        audit.iter().any(|e| e.action == "report"
            && e.outcome == "ticket_taken"
            && e.subject == ticket(1).to_string()),
        "{audit:?}"
    );
}
