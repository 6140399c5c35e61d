//! The status API over real HTTP on loopback, against a registry of demo data.

use std::net::SocketAddr;

use backend::Store;
use backend::demo::{DemoOptions, DemoSummary, generate};
use protocol::api::{ApiError, ErrorCode, Health, MembershipState, StatusResponse};

struct Server {
    url: String,
    store: Store,
    summary: DemoSummary,
}

async fn server() -> Server {
    let store = Store::open_in_memory().expect("store");
    let summary = generate(&store, &DemoOptions { residents: 4000, seed: 7 }).expect("demo data");
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(backend::serve(listener, store.clone()));
    Server { url, store, summary }
}

fn example<'a>(summary: &'a DemoSummary, description: &str) -> &'a backend::demo::Example {
    summary
        .examples
        .iter()
        .find(|e| e.description.contains(description))
        .unwrap_or_else(|| panic!("no example {description:?} in {:?}", summary.examples))
}

async fn get(url: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .header("X-Kiosk-Id", "BWI-TEST-07")
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn status_shows_household_programs_masked() {
    let server = server().await;
    let pkh = example(&server.summary, "PKH");
    let response = get(&format!("{}/api/v1/residents/{}/status", server.url, pkh.nik)).await;
    assert_eq!(response.status(), 200);
    let body = response.text().await.expect("body");
    assert!(!body.contains(pkh.nik.as_str()), "the full NIK is never sent back");
    let status: StatusResponse = serde_json::from_str(&body).expect("status JSON");
    assert_eq!(status.nik, pkh.nik.masked());
    assert!(status.name.contains('*'), "name masked: {}", status.name);
    let program = status.household.programs.iter().find(|m| m.program == "PKH").expect("PKH");
    assert_eq!(program.component.as_deref(), Some("ibu_hamil"));
    assert_eq!(program.state, MembershipState::Active);
    assert_eq!(program.program_name.id, "Program Keluarga Harapan (PKH)");
    assert!(!status.district.is_empty() && !status.village.is_empty());
    assert!(status.household.members.iter().all(|m| m.name.contains('*') || m.name.len() <= 1));
}

#[tokio::test]
async fn a_son_sees_his_fathers_bst_as_the_familys() {
    let server = server().await;
    let son = example(&server.summary, "BST");
    let status: StatusResponse =
        get(&format!("{}/api/v1/residents/{}/status", server.url, son.nik))
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
        let response = get(&format!("{}/api/v1/residents/{nik}/status", server.url)).await;
        assert_eq!(response.status(), 400, "{nik}");
        let error: ApiError = response.json().await.expect("error JSON");
        assert_eq!(error.code, code, "{nik}");
        assert!(!error.message.id.is_empty() && !error.message.en.is_empty());
    }
}

#[tokio::test]
async fn unknown_resident_is_404_and_unknown_path_too() {
    let server = server().await;
    let response = get(&format!("{}/api/v1/residents/3510011203859999/status", server.url)).await;
    assert_eq!(response.status(), 404);
    let error: ApiError = response.json().await.expect("error JSON");
    assert_eq!(error.code, ErrorCode::ResidentNotFound);
    assert!(error.message.id.contains("tidak ditemukan"));
    let response = get(&format!("{}/api/v1/nothing-here", server.url)).await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.json::<ApiError>().await.expect("JSON").code, ErrorCode::NotFound);
}

#[tokio::test]
async fn health_reports_the_registry_size() {
    let server = server().await;
    let health: Health = get(&format!("{}/healthz", server.url)).await.json().await.expect("JSON");
    assert_eq!(health.status, "ok");
    assert_eq!(health.residents, server.summary.residents);
}

#[tokio::test]
async fn every_lookup_is_audited_with_the_nik_masked() {
    let server = server().await;
    let none = example(&server.summary, "tidak menerima");
    get(&format!("{}/api/v1/residents/{}/status", server.url, none.nik)).await;
    get(&format!("{}/api/v1/residents/3510013102850001/status", server.url)).await;
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
