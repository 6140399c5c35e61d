//! After the kiosk: desa staff verify a report (checked again by the engine), schedule its
//! package 5 to 7 days later, and record the delivery; the ticket shows each step.

use crate::common;

use backend::eligibility::Catalogue;
use backend::store::NewMembership;
use backend::workflow::{Step, WorkflowError, advance};
use common::*;
use protocol::api::{MembershipState, ReportState, TicketStatus};
use protocol::{NoKk, Text};
use serde_json::json;
use time::{Duration, OffsetDateTime};

async fn file(server: &Server, nik: &str, key: &str) -> TicketStatus {
    let body = json!({
        "reporter_nik": nik, "subject_nik": nik, "reason": "income_stopped",
        "phone": "081234567890", "text": "", "idempotency_key": key,
    });
    let response = post(server, "/api/v1/reports", &body).await;
    assert_eq!(response.status(), 201);
    response.json().await.expect("JSON")
}

#[tokio::test]
async fn verified_scheduled_delivered() {
    let server = server().await;
    let person = example(&server.summary, "tidak menerima").nik;
    let filed = file(&server, person.as_str(), "key-flow-0001").await;
    assert_eq!(filed.state, ReportState::Verification);
    let store = server.store.clone();
    let ticket = filed.ticket;
    let catalogue = Catalogue::default_catalogue();

    let deliver_too_early = advance(&store, &catalogue, &ticket, &Step::Deliver, "staff:test");
    assert!(matches!(deliver_too_early, Err(WorkflowError::NotAllowed { .. })));

    let verified =
        advance(&store, &catalogue, &ticket, &Step::Verify, "staff:test").expect("verify");
    assert_eq!(verified.state, ReportState::Verified);
    // The family is now on the community program, as a verified membership.
    let status = store.status(&person).expect("status").expect("resident");
    assert!(
        status
            .memberships
            .iter()
            .any(|m| m.program == "GOTONG_ROYONG" && m.state == MembershipState::Verified)
    );

    let today = OffsetDateTime::now_utc().date();
    let too_late = advance(
        &store,
        &catalogue,
        &ticket,
        &Step::Schedule(today + Duration::days(10)),
        "staff:test",
    );
    assert!(matches!(too_late, Err(WorkflowError::BatchDate { .. })));
    let scheduled = advance(
        &store,
        &catalogue,
        &ticket,
        &Step::Schedule(today + Duration::days(6)),
        "staff:test",
    )
    .expect("schedule");
    assert_eq!(scheduled.state, ReportState::Scheduled);
    let delivered =
        advance(&store, &catalogue, &ticket, &Step::Deliver, "staff:test").expect("deliver");
    assert_eq!(delivered.state, ReportState::Delivered);

    let tracked: TicketStatus =
        get(&server, &format!("/api/v1/tickets/{ticket}")).await.json().await.expect("JSON");
    assert_eq!(tracked.state, ReportState::Delivered);
    store.flush_audit();
    let audit = store.recent_audit(10).expect("audit");
    let steps: Vec<&str> =
        audit.iter().map(|e| e.action.as_str()).filter(|a| a.starts_with("report_")).collect();
    assert_eq!(steps, vec!["report_deliver", "report_schedule", "report_verify"]);
}

#[tokio::test]
async fn a_family_covered_meanwhile_is_rejected_at_verification() {
    let server = server().await;
    let person = example(&server.summary, "tidak menerima").nik;
    let filed = file(&server, person.as_str(), "key-flow-0002").await;
    let store = server.store.clone();
    let family = store.status(&person).expect("status").expect("resident");
    store
        .add_memberships(&[NewMembership {
            program: "BST".into(),
            nik: None,
            kk: Some(NoKk::parse(&family.kk).expect("KK")),
            component: None,
            member_nik: None,
            state: MembershipState::Active,
            since: "2020-05-06".into(),
            desa_code: family.desa_code,
        }])
        .expect("BST");
    let catalogue = Catalogue::default_catalogue();
    let verified =
        advance(&store, &catalogue, &filed.ticket, &Step::Verify, "staff:test").expect("verify");
    assert_eq!(verified.state, ReportState::RejectedAfterVerification);
    assert!(verified.reason.expect("reason").id.contains("Bansos Tunai Kemensos"));
}

#[tokio::test]
async fn staff_can_reject_with_their_reason() {
    let server = server().await;
    let person = example(&server.summary, "tidak menerima").nik;
    let filed = file(&server, person.as_str(), "key-flow-0003").await;
    let reason = Text::new("Sudah pindah domisili.", "Has moved away.");
    let rejected = advance(
        &server.store,
        &Catalogue::default_catalogue(),
        &filed.ticket,
        &Step::Reject(reason.clone()),
        "staff:test",
    )
    .expect("reject");
    assert_eq!(
        (rejected.state, rejected.reason),
        (ReportState::RejectedAfterVerification, Some(reason))
    );
}

/// The shipped catalogue with citizen reports asking for ASN Peduli instead of Gotong Royong.
fn reports_for_asn_peduli() -> Catalogue {
    let toml = backend::eligibility::catalogue::DEFAULT_TOML
        .replace("citizen_reports = true\n", "")
        .replace("code = \"ASN_PEDULI\"\n", "code = \"ASN_PEDULI\"\ncitizen_reports = true\n");
    Catalogue::from_toml_str(&toml).expect("catalogue")
}

#[tokio::test]
async fn verification_writes_the_program_the_catalogue_names_for_reports() {
    let server = server().await;
    let person = example(&server.summary, "tidak menerima").nik;
    let filed = file(&server, person.as_str(), "key-flow-0004").await;
    let catalogue = reports_for_asn_peduli();
    assert_eq!(catalogue.report_program().code, "ASN_PEDULI");
    let verified = advance(&server.store, &catalogue, &filed.ticket, &Step::Verify, "staff:test")
        .expect("verify");
    assert_eq!(verified.state, ReportState::Verified);
    let status = server.store.status(&person).expect("status").expect("resident");
    let programs: Vec<&str> = status.memberships.iter().map(|m| m.program.as_str()).collect();
    assert_eq!(programs, ["ASN_PEDULI"]);
}

#[tokio::test]
async fn a_report_whose_subject_died_meanwhile_is_rejected_at_verification() {
    let server = server().await;
    let person = example(&server.summary, "tidak menerima").nik;
    let filed = file(&server, person.as_str(), "key-flow-0009").await;
    assert_eq!(filed.state, ReportState::Verification);
    // An import records the death before the staff get to the report.
    set_life_status(&server, person.as_str(), "died").await;
    let verified = advance(
        &server.store,
        &Catalogue::default_catalogue(),
        &filed.ticket,
        &Step::Verify,
        "staff:test",
    )
    .expect("verify");
    assert_eq!(verified.state, ReportState::RejectedAfterVerification);
    let reason = verified.reason.expect("reason");
    assert!(reason.id.contains("tercatat meninggal dunia"), "{}", reason.id);
    let status = server.store.status(&person).expect("status").expect("resident");
    assert!(status.memberships.iter().all(|m| m.program != "GOTONG_ROYONG"), "nothing written");
}
