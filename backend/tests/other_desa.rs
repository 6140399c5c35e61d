//! A kiosk asked about a resident of another desa than its own, as someone trying to read
//! out the kabupaten's families from one village hall would: it is told the person's and
//! the household's programs (what the citizen came for), but not who else is in the
//! family; the resident's own desa's kiosk shows that. A ticket filed in another desa is
//! told only where it stands. Operations may choose full answers.

use crate::common;

use std::net::SocketAddr;

use backend::http::{RouterOptions, router_with_options};
use common::*;
use protocol::api::{AnswerDetail, StatusResponse, TicketStatus};

#[tokio::test]
async fn a_kiosk_of_another_desa_is_told_the_programs_but_not_the_family() {
    let server = server().await;
    let pkh = example(&server.summary, "PKH").nik;
    let (_, own, other) = home_and_away_kiosks(&server, &pkh, ("BWI-HOME-02", "BWI-AWAY-02")).await;
    let path = format!("/api/v1/residents/{pkh}/status");
    let ask = |server: &Server, key| {
        let (path, key) = (path.clone(), key);
        let server = Server {
            url: server.url.clone(),
            store: server.store.clone(),
            summary: server.summary.clone(),
            key,
        };
        async move {
            let response = signed_get(&server, &path, &server.key, now(), &fresh_nonce()).await;
            assert_eq!(response.status(), 200);
            response.json::<StatusResponse>().await.expect("JSON")
        }
    };

    let at_home = ask(&server, own.clone()).await;
    assert_eq!(at_home.detail, AnswerDetail::Full);
    assert!(!at_home.household.members.is_empty(), "the own desa's kiosk shows the family");

    let away = ask(&server, other.clone()).await;
    assert_eq!(away.detail, AnswerDetail::OtherDesa);
    assert!(away.household.members.is_empty(), "no family members for another desa's kiosk");
    assert_eq!(away.household.programs, at_home.household.programs, "the programs are told");
    assert_eq!(away.person, at_home.person);
    assert!(away.receives_any());

    // A report filed at the home kiosk: the away kiosk reading its ticket learns only the
    // state, not whom it is about nor why it was refused.
    let report = serde_json::json!({
        "reporter_nik": pkh.as_str(), "subject_nik": pkh.as_str(), "reason": "lost_job",
        "phone": "081234567890", "text": "usaha tutup",
        "idempotency_key": "fedcba9876543210fedcba9876543210"
    });
    let filed = post_as(&server, &own, "/api/v1/reports", &report).await;
    assert_eq!(filed.status(), 201);
    let filed: TicketStatus = filed.json().await.expect("JSON");
    let ticket_path = format!("/api/v1/tickets/{}", filed.ticket);
    let read = |key| {
        let (server, path) = (&server, ticket_path.clone());
        async move {
            let response = signed_get(server, &path, &key, now(), &fresh_nonce()).await;
            assert_eq!(response.status(), 200);
            response.json::<TicketStatus>().await.expect("JSON")
        }
    };
    let home_read = read(own.clone()).await;
    assert_eq!(home_read.subject, pkh.masked());
    let away_read = read(other.clone()).await;
    assert_eq!((away_read.state, away_read.ticket), (home_read.state, home_read.ticket));
    assert!(away_read.subject.is_empty() && away_read.reason.is_none(), "{away_read:?}");

    // Operations may choose full answers everywhere.
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let options = RouterOptions { other_desa: AnswerDetail::Full, ..RouterOptions::default() };
    let router = router_with_options(
        server.store.clone(),
        backend::eligibility::Catalogue::default_catalogue(),
        options,
    );
    tokio::spawn(backend::server::serve(
        listener,
        router,
        backend::server::Limits::default(),
        None,
        std::future::pending(),
    ));
    let full =
        Server { url, store: server.store.clone(), summary: server.summary.clone(), key: other };
    let answer = ask(&full, full.key.clone()).await;
    assert_eq!(answer.detail, AnswerDetail::Full);
    assert_eq!(answer.household.members.len(), at_home.household.members.len());
}
