//! What the report console tests share: reports filed by real kiosk requests about heads of
//! families that hold nothing (so they pass the cross-check and wait for the staff).

#![allow(dead_code)] // Each test binary uses a different subset.

use protocol::api::TicketStatus;
use protocol::auth::KioskKey;

use crate::common::console::{World, column};
use crate::common::post_as;

/// Living heads of `desa` whose family holds no program: a report about one waits for the
/// staff.
pub async fn uncovered_heads(world: &World, desa: u64) -> Vec<String> {
    column(
        &world.server.store,
        format!(
            "SELECT r.nik FROM residents r JOIN families f ON f.kk = r.kk
             WHERE f.desa_code = {desa} AND r.relation = 'head' AND r.life_status = 'alive'
               AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.state <> 'ended'
                   AND (m.kk = r.kk OR m.nik IN (SELECT x.nik FROM residents x WHERE x.kk = r.kk)))
             ORDER BY r.nik LIMIT 12"
        ),
    )
    .await
}

/// A report about `nik` by themselves, filed at `kiosk`.
pub async fn file_report(world: &World, kiosk: &KioskKey, nik: &str, key: &str) -> String {
    let body = serde_json::json!({
        "reporter_nik": nik, "subject_nik": nik, "reason": "lost_job",
        "phone": "081234567890", "text": format!("Saya {nik} kehilangan pekerjaan di pabrik"),
        "idempotency_key": key,
    });
    let response = post_as(&world.server, kiosk, "/api/v1/reports", &body).await;
    let status = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(status, 201, "filed: {text}");
    let ticket: TicketStatus = serde_json::from_str(&text).expect("ticket JSON");
    ticket.ticket.to_string()
}

/// The name the registry holds for `nik`.
pub async fn name_of(world: &World, nik: &str) -> String {
    column(&world.server.store, format!("SELECT name FROM residents WHERE nik = '{nik}'"))
        .await
        .remove(0)
}

/// The longest run of digits in `text`: a NIK or a KK is 16.
pub fn longest_digit_run(text: &str) -> usize {
    text.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0)
}

/// The value of the `min`/`max` attribute of the batch date picker.
pub fn picker_bound(body: &str, attribute: &str) -> Option<String> {
    let field = &body[body.find("id=\"batch-date\"")?..];
    let at = field.find(&format!("{attribute}=\""))? + attribute.len() + 2;
    Some(field[at..].chars().take_while(|c| *c != '"').collect())
}
