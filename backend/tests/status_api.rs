//! The status API over real HTTP on loopback, against a registry of demo data.

use crate::common;

use common::*;
use protocol::api::{ApiError, ErrorCode, Health, LifeStatus, MembershipState, StatusResponse};
use protocol::auth::KioskKey;

#[tokio::test]
async fn status_shows_household_programs_masked() {
    let server = server().await;
    let pkh = example(&server.summary, "PKH");
    let response = get(&server, &format!("/api/v1/residents/{}/status", pkh.nik)).await;
    assert_eq!(response.status(), 200);
    let body = response.text().await.expect("body");
    assert!(!body.contains(pkh.nik.as_str()), "the full NIK is never sent back");
    let status: StatusResponse = serde_json::from_str(&body).expect("status JSON");
    assert_eq!(status.nik, pkh.nik.masked());
    assert!(status.name.contains('*'), "name masked: {}", status.name);
    let program = status.household.programs.iter().find(|m| m.program == "PKH").expect("PKH");
    assert_eq!(program.component.as_deref(), Some("ibu_hamil"));
    let component = program.component_name.as_ref().expect("component name from the catalogue");
    assert_eq!((component.id.as_str(), component.en.as_str()), ("ibu hamil", "pregnant mother"));
    assert_eq!(program.state, MembershipState::Active);
    assert_eq!(program.program_name.id, "Program Keluarga Harapan (PKH)");
    assert!(!status.district.is_empty() && !status.village.is_empty());
    assert!(status.household.members.iter().all(|m| m.name.contains('*') || m.name.len() <= 1));
}

#[tokio::test]
async fn a_son_sees_his_fathers_bst_as_the_familys() {
    let server = server().await;
    let son = example(&server.summary, "BST");
    let status: StatusResponse = get(&server, &format!("/api/v1/residents/{}/status", son.nik))
        .await
        .json()
        .await
        .expect("status");
    assert!(status.household.programs.iter().any(|m| m.program == "BST"));
    assert!(status.receives_any());
}

#[tokio::test]
async fn invalid_niks_get_400_with_their_own_code() {
    let server = server().await;
    for (nik, code) in [
        ("351001120385000", ErrorCode::NikWrongLength),
        ("35100112038500011", ErrorCode::NikWrongLength),
        ("35100112O3850001", ErrorCode::NikNotDigits),
        ("9910011203850001", ErrorCode::NikUnknownProvince),
        ("3599011203850001", ErrorCode::NikUnknownRegency),
        ("3510991203850001", ErrorCode::NikUnknownDistrict),
        ("3510013102850001", ErrorCode::NikInvalidDate),
        ("3510017203850001", ErrorCode::NikInvalidDate),
        ("3510011203850000", ErrorCode::NikSerialZero),
    ] {
        let response = get(&server, &format!("/api/v1/residents/{nik}/status")).await;
        assert_eq!(response.status(), 400, "{nik}");
        let error: ApiError = response.json().await.expect("error JSON");
        assert_eq!(error.code, code, "{nik}");
        assert!(!error.message.id.is_empty() && !error.message.en.is_empty());
    }
}

#[tokio::test]
async fn unknown_resident_is_404_and_unknown_path_too() {
    let server = server().await;
    let response = get(&server, "/api/v1/residents/3510011203859999/status").await;
    assert_eq!(response.status(), 404);
    let error: ApiError = response.json().await.expect("error JSON");
    assert_eq!(error.code, ErrorCode::ResidentNotFound);
    assert!(error.message.id.contains("tidak ditemukan"));
    let response = get(&server, "/api/v1/nothing-here").await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.json::<ApiError>().await.expect("JSON").code, ErrorCode::NotFound);
}

#[tokio::test]
async fn health_reports_the_registry_size() {
    let server = server().await;
    let health: Health = get(&server, "/healthz").await.json().await.expect("JSON");
    assert_eq!(health.status, "ok");
    assert_eq!(health.residents, server.summary.residents);

    // Anyone may call it as often as they like: the registry is counted once a minute, not
    // on every call, so a resident registered meanwhile is not counted yet.
    let store = &server.store;
    let kk =
        store.inspect("SELECT kk FROM families LIMIT 1").expect("a family")[0][0].text().to_owned();
    store
        .inspect_execute(&format!(
            "INSERT INTO residents (nik, kk, name, sex, birth_date, relation)
             VALUES ('3510011203990009', '{kk}', 'BARU', 'male', '1999-03-12', 'child')"
        ))
        .expect("a new resident");
    for _ in 0..50 {
        let again: Health = get(&server, "/healthz").await.json().await.expect("JSON");
        assert_eq!(again.residents, server.summary.residents);
    }
}

#[tokio::test]
async fn every_lookup_is_audited_with_the_nik_masked() {
    let server = server().await;
    let none = example(&server.summary, "tidak menerima");
    get(&server, &format!("/api/v1/residents/{}/status", none.nik)).await;
    get(&server, "/api/v1/residents/3510013102850001/status").await;
    let store = server.store.clone();
    let entries = tokio::task::spawn_blocking(move || {
        store.flush_audit();
        store.recent_audit(10)
    })
    .await
    .expect("join")
    .expect("audit");
    assert_eq!(entries.len(), 2);
    let (invalid, found) = (&entries[0], &entries[1]);
    assert_eq!(found.actor, "kiosk:BWI-TEST-07");
    assert_eq!(found.action, "status_lookup");
    assert_eq!(found.subject, none.nik.masked());
    assert_eq!(found.outcome, "found");
    assert_eq!(invalid.outcome, "invalid");
    assert!(!invalid.subject.contains("3510013102850001"), "{}", invalid.subject);
}

#[tokio::test]
async fn requests_without_a_valid_signature_are_refused() {
    let server = server().await;
    let path = format!("/api/v1/residents/{}/status", example(&server.summary, "PKH").nik);
    let unsigned = reqwest::get(format!("{}{path}", server.url)).await.expect("request");
    assert_eq!(unsigned.status(), 401);
    assert_eq!(unsigned.json::<ApiError>().await.expect("JSON").code, ErrorCode::Unauthorized);

    let stranger = KioskKey::new("BWI-TEST-07", [9; 32]).expect("key");
    assert_eq!(signed_get(&server, &path, &stranger, now(), &fresh_nonce()).await.status(), 401);
    let unknown = KioskKey::new("NOT-REGISTERED", [9; 32]).expect("key");
    assert_eq!(signed_get(&server, &path, &unknown, now(), &fresh_nonce()).await.status(), 401);
    let stale = signed_get(&server, &path, &server.key, now() - 600, &fresh_nonce()).await;
    assert_eq!(stale.status(), 401, "a request from ten minutes ago");
    // A signature for another path does not open this one.
    let mut request = reqwest::Client::new().get(format!("{}{path}", server.url));
    for (name, value) in server
        .key
        .sign("GET", "/api/v1/residents/3510011203850001/status", now(), &fresh_nonce(), b"")
        .pairs()
    {
        request = request.header(name, value);
    }
    assert_eq!(request.send().await.expect("request").status(), 401);
}

#[tokio::test]
async fn a_replayed_request_is_refused() {
    let server = server().await;
    let path = format!("/api/v1/residents/{}/status", example(&server.summary, "PKH").nik);
    let nonce = fresh_nonce();
    let at = now();
    assert_eq!(signed_get(&server, &path, &server.key, at, &nonce).await.status(), 200);
    assert_eq!(signed_get(&server, &path, &server.key, at, &nonce).await.status(), 401);
}

#[tokio::test]
async fn a_disabled_kiosk_is_shut_out() {
    let server = server().await;
    let key = server.store.register_kiosk("BWI-LOST-01", None, 60).expect("register");
    assert!(server.store.disable_kiosk("BWI-LOST-01").expect("disable"));
    let path = "/api/v1/residents/3510011203850001/status";
    assert_eq!(signed_get(&server, path, &key, now(), &fresh_nonce()).await.status(), 401);
}

#[tokio::test]
async fn lookups_beyond_the_kiosk_rate_are_refused_with_retry_after() {
    let server = server().await;
    let key = server.store.register_kiosk("BWI-SLOW-01", None, 6).expect("register");
    let path = format!("/api/v1/residents/{}/status", example(&server.summary, "PKH").nik);
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(signed_get(&server, &path, &key, now(), &fresh_nonce()).await);
    }
    let ok = statuses.iter().filter(|r| r.status() == 200).count();
    assert_eq!(ok, 10, "a burst of ten, then the limit");
    let refused = statuses.pop().expect("last");
    assert_eq!(refused.status(), 429);
    let retry: u64 =
        refused.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=10).contains(&retry), "{retry}");
    assert_eq!(refused.json::<ApiError>().await.expect("JSON").code, ErrorCode::RateLimited);
    // Other kiosks are not affected.
    assert_eq!(get(&server, &path).await.status(), 200);
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint() {
    let server = server().await;
    let document = openapi_document(&server).await;
    assert!(document["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = document["paths"].as_object().expect("paths");
    for path in [
        "/healthz",
        "/api/v1/residents/{nik}/status",
        "/api/v1/reports",
        "/api/v1/tickets/{ticket}",
    ] {
        assert!(paths.contains_key(path), "{path} missing from {:?}", paths.keys());
    }
    let schemas = document["components"]["schemas"].as_object().expect("schemas");
    for schema in ["StatusResponse", "ReportRequest", "TicketStatus", "ApiError", "ErrorCode"] {
        assert!(schemas.contains_key(schema), "{schema}");
    }
    let codes = document["components"]["schemas"]["ErrorCode"].to_string();
    assert!(codes.contains("nik_invalid_date") && codes.contains("rate_limited"), "{codes}");
    assert!(document["components"]["securitySchemes"]["kiosk_signature"].is_object());
}

/// The document and the router name the same paths, both from `protocol`'s constants.
#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routed_paths() {
    use protocol::api::{HEALTH_PATH, REPORTS_PATH, STATUS_PATH, TICKET_PATH};
    use protocol::fleet::{CONFIG_PATH, HEARTBEAT_PATH};
    use protocol::letter::{LETTER_PRINT_PATH, LETTERS_PATH};
    use protocol::registry::{DESIL_PATH, POPULATION_PATH};
    use protocol::staff::{
        IMPORTS_PATH, LETTER_APPROVE_PATH, LETTER_CANCEL_PATH, LETTER_PREPARE_PATH,
        LETTER_PREVIEW_PATH, LETTER_QUEUE_PATH, LETTER_REJECT_PATH, LOGIN_PATH, MEMBERSHIPS_PATH,
        REPORT_BATCHES_PATH, REPORT_DELIVER_PATH, REPORT_DETAIL_PATH, REPORT_QUEUE_PATH,
        REPORT_REJECT_PATH, REPORT_SCHEDULE_PATH, REPORT_VERIFY_PATH,
    };
    use protocol::ticket::LAST_SERIAL_PATH;
    let server = server().await;
    let document = openapi_document(&server).await;
    let documented: std::collections::BTreeSet<&str> =
        document["paths"].as_object().expect("paths").keys().map(String::as_str).collect();
    let constants = [
        HEALTH_PATH,
        STATUS_PATH,
        REPORTS_PATH,
        TICKET_PATH,
        LETTERS_PATH,
        LETTER_PRINT_PATH,
        protocol::api::SLIP_SEAL_PATH,
        LETTER_QUEUE_PATH,
        LETTER_PREVIEW_PATH,
        LETTER_PREPARE_PATH,
        LETTER_APPROVE_PATH,
        LETTER_REJECT_PATH,
        LETTER_CANCEL_PATH,
        "/api/v1/staff/letters/issued/{id}/pdf",
        "/api/v1/staff/public-lists/{desa}/{program}",
        "/api/v1/staff/import-jobs/{id}",
        "/api/v1/staff/import-jobs/{id}/report",
        "/api/v1/staff/import-jobs/{id}/apply",
        REPORT_QUEUE_PATH,
        REPORT_DETAIL_PATH,
        REPORT_VERIFY_PATH,
        REPORT_REJECT_PATH,
        REPORT_SCHEDULE_PATH,
        REPORT_DELIVER_PATH,
        REPORT_BATCHES_PATH,
        HEARTBEAT_PATH,
        CONFIG_PATH,
        LAST_SERIAL_PATH,
        LOGIN_PATH,
        MEMBERSHIPS_PATH,
        IMPORTS_PATH,
        POPULATION_PATH,
        DESIL_PATH,
        "/api/v1/staff/registry/search",
        "/api/v1/staff/registry/families/{kk}",
        "/api/v1/staff/registry/families/{kk}/unmask",
        "/api/v1/staff/programs",
        "/api/v1/staff/programs/dry-run",
        "/api/v1/staff/fleet",
        "/api/v1/staff/fleet/{kiosk}",
        "/api/v1/staff/fleet/{kiosk}/config",
        "/api/v1/staff/fleet/{kiosk}/pin",
        "/api/v1/staff/audit",
        "/api/v1/staff/audit.csv",
        "/api/v1/staff/charts",
        "/api/v1/staff/password",
        "/api/v1/staff/letters/{ticket}/unmask",
        "/api/v1/staff/fleet/{kiosk}/pin/remove",
        "/api/v1/staff/desa-pins",
        "/api/v1/staff/desa-pins/remove",
        "/api/v1/staff/alerts",
        "/api/v1/staff/alerts/{id}/acknowledge",
    ];
    assert_eq!(documented, constants.into_iter().collect());
    // Each is routed: an unsigned GET is refused or answered, never the fallback's 404.
    for path in constants {
        let concrete = path
            .replace("{nik}", "3510011203850001")
            .replace("{ticket}", "x")
            .replace("{id}", "x")
            .replace("{kk}", "x")
            .replace("{kiosk}", "x");
        let response = reqwest::get(format!("{}{concrete}", server.url)).await.expect("request");
        assert_ne!(response.status(), 404, "{path} is not routed");
    }
}

#[tokio::test]
async fn a_replaced_catalogue_renames_programs_in_answers() {
    let server = server().await;
    let renamed = backend::eligibility::catalogue::DEFAULT_TOML
        .replace("Program Keluarga Harapan (PKH)", "PKH (nama baru)");
    let catalogue = backend::eligibility::Catalogue::from_toml_str(&renamed).expect("catalogue");
    server.store.sync_programs(&catalogue).expect("sync");
    let pkh = example(&server.summary, "PKH");
    let status: StatusResponse = get(&server, &format!("/api/v1/residents/{}/status", pkh.nik))
        .await
        .json()
        .await
        .expect("status");
    let program = status.household.programs.iter().find(|m| m.program == "PKH").expect("PKH");
    assert_eq!(program.program_name.id, "PKH (nama baru)");
}

/// The OpenAPI document the running service publishes.
async fn openapi_document(server: &Server) -> serde_json::Value {
    reqwest::get(format!("{}/api/openapi.json", server.url))
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test]
async fn a_deceased_resident_is_answered_as_such_with_what_he_held_ended_and_no_date() {
    let server = server().await;
    let died = example(&server.summary, "meninggal dunia");
    let response = get(&server, &format!("/api/v1/residents/{}/status", died.nik)).await;
    assert_eq!(response.status(), 200);
    let body = response.text().await.expect("body");
    let status: StatusResponse = serde_json::from_str(&body).expect("status JSON");
    assert_eq!(status.life_status, LifeStatus::Died);
    assert!(status.name.contains('*'), "masked as for anyone: {}", status.name);
    let incentive = status.person.iter().find(|m| m.program == "GURU_NGAJI").expect("his own");
    assert_eq!(incentive.state, MembershipState::Ended);
    assert_eq!(incentive.since, "", "the day it ended would tell when he died");
    // No date of death, no cause, no reason code: only the kind of status.
    for word in ["2021-08", "ended_reason", "ended_at", "died_on"] {
        assert!(!body.contains(word), "{word} in {body}");
    }
    // His widow's family keeps what it receives.
    let bpnt = status.household.programs.iter().find(|m| m.program == "BPNT").expect("BPNT");
    assert_eq!(bpnt.state, MembershipState::Active);
    assert!(!bpnt.since.is_empty());
}

#[tokio::test]
async fn every_status_not_alive_is_told_by_its_kind() {
    let server = server().await;
    let person = example(&server.summary, "tidak menerima").nik;
    let path = format!("/api/v1/residents/{person}/status");
    for (stored, told) in [
        ("moved_away", LifeStatus::MovedAway),
        ("left", LifeStatus::MovedAway),
        ("missing", LifeStatus::Missing),
        ("invalid", LifeStatus::Other),
        ("died", LifeStatus::Died),
        ("alive", LifeStatus::Alive),
    ] {
        set_life_status(&server, person.as_str(), stored).await;
        let status: StatusResponse = get(&server, &path).await.json().await.expect("status");
        assert_eq!(status.life_status, told, "{stored}");
    }
    // An answer from a service that knows no life status reads as alive.
    let mut old = serde_json::to_value(
        get(&server, &path).await.json::<StatusResponse>().await.expect("status"),
    )
    .expect("JSON");
    old.as_object_mut().expect("object").remove("life_status");
    let read: StatusResponse = serde_json::from_value(old).expect("older answer");
    assert_eq!(read.life_status, LifeStatus::Alive);
}

#[tokio::test]
async fn the_openapi_document_describes_life_status_and_its_refusals() {
    let server = server().await;
    let document = openapi_document(&server).await;
    let life = document["components"]["schemas"]["LifeStatus"].to_string();
    for status in ["alive", "died", "moved_away", "missing", "other"] {
        assert!(life.contains(status), "{life}");
    }
    let codes = document["components"]["schemas"]["ErrorCode"].to_string();
    assert!(codes.contains("resident_inactive"), "{codes}");
    for path in ["/api/v1/reports", "/api/v1/letters"] {
        let refusal = &document["paths"][path]["post"]["responses"]["422"];
        assert!(refusal["description"].to_string().contains("resident_inactive"), "{path}");
    }
}
