//! What a kiosk may ask of the endpoints that take a NIK or a ticket, as a stolen key or a
//! tampered kiosk would try it: past a daily cap (kept in the database, so a restart of the
//! service forgets nothing), past a per-minute ceiling whatever the registration says,
//! and through the ticket and report endpoints as well as the status lookup.

use crate::common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use backend::Store;
use backend::store::AlertKind;
use common::*;
use protocol::api::ApiError;

/// The same registry served again by a new router: the process restarted.
async fn restart(store: &Store, server: &Server) -> Server {
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(backend::serve(listener, store.clone()));
    Server { url, store: store.clone(), summary: server.summary.clone(), key: server.key.clone() }
}

async fn alert(store: &Store, kind: AlertKind) -> backend::store::AlertRecord {
    let started = Instant::now();
    loop {
        let alerts = store.alerts(false, 20).expect("alerts");
        if let Some(alert) = alerts.into_iter().find(|a| a.kind == kind) {
            return alert;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "no {kind:?} alert");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_kiosks_daily_cap_counts_every_nik_and_ticket_endpoint_and_survives_a_restart() {
    let server = server().await;
    server.store.set_kiosk_daily_cap("BWI-TEST-07", 6).expect("cap");
    let someone = example(&server.summary, "PKH").nik.to_string();
    let status = format!("/api/v1/residents/{someone}/status");

    // Two lookups, a ticket read, a report: four of six.
    assert_eq!(get(&server, &status).await.status(), 200);
    assert_eq!(get(&server, &status).await.status(), 200);
    assert_eq!(get(&server, "/api/v1/tickets/LP-0000-000001-8").await.status().as_u16() / 100, 4);
    let report = serde_json::json!({
        "reporter_nik": someone, "subject_nik": someone, "phone": "081234567890",
        "reason": "lost_job", "text": "kehilangan pekerjaan",
        "idempotency_key": "0123456789abcdef0123456789abcdef"
    });
    let filed = post(&server, "/api/v1/reports", &report).await.status().as_u16();
    assert!([200, 201, 422].contains(&filed), "report answered {filed}");

    // The service restarts: what the kiosk asked today is in the database.
    server.store.flush_audit();
    let again = restart(&server.store, &server).await;
    assert_eq!(get(&again, &status).await.status(), 200);
    assert_eq!(get(&again, &status).await.status(), 200);
    let refused = get(&again, &status).await;
    assert_eq!(refused.status(), 429, "past the cap of six");
    let wait: u64 = refused.headers()["retry-after"].to_str().expect("text").parse().expect("s");
    assert!((1..=86_400).contains(&wait), "until the day turns: {wait}");
    let body: ApiError = refused.json().await.expect("JSON");
    assert!(body.message.en.contains("today's limit"), "{}", body.message.en);
    // Tickets too: walking ticket numbers is no way around it.
    assert_eq!(get(&again, "/api/v1/tickets/LP-0000-000002-6").await.status(), 429);

    let alert = alert(&server.store, AlertKind::DailyCap).await;
    assert_eq!((alert.subject.as_str(), alert.count), ("kiosk:BWI-TEST-07", 1));
}

#[tokio::test]
async fn no_registration_lifts_a_kiosk_above_the_per_minute_ceiling() {
    let server = server().await;
    // As if the registration had been tampered with to allow a million a minute.
    let key = server.store.register_kiosk("BWI-GREEDY-01", None, 1_000_000).expect("register");
    let someone = example(&server.summary, "PKH").nik.to_string();
    let path = format!("/api/v1/residents/{someone}/status");
    let mut statuses = Vec::new();
    for _ in 0..backend::http::budget::MAX_PER_MINUTE + 10 {
        statuses
            .push(signed_get(&server, &path, &key, now(), &fresh_nonce()).await.status().as_u16());
    }
    let served = statuses.iter().filter(|s| **s == 200).count();
    assert!(served <= backend::http::budget::MAX_PER_MINUTE as usize + 2, "{served} served");
    assert!(statuses.ends_with(&[429; 5]), "{statuses:?}");
    let alert = alert(&server.store, AlertKind::LookupBurst).await;
    assert_eq!((alert.subject.as_str(), alert.count), ("kiosk:BWI-GREEDY-01", 1));
}
