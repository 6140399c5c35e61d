//! Letters from request to paper over HTTP, on the database the suite runs on: numbers under
//! concurrent issuing, the rules that issue at once or send to the staff, the staff's queue
//! with its roles, printing at a kiosk of the desa (copies marked), verification online and
//! offline, and cancelling.

use crate::common;

use common::*;
use protocol::api::{ApiError, ErrorCode, ReportState, TicketStatus};
use protocol::auth::KioskKey;
use protocol::letter::seal::{LetterSeal, SealError};
use protocol::letter::{IssuedLetter, LETTERS_PATH, letter_print_path};
use protocol::staff::{LetterPreview, WaitingLetters};
use protocol::ticket::Ticket;
use serde_json::json;

const PASSWORD: &str = "kata-sandi-desa-123";

fn year() -> i32 {
    time::OffsetDateTime::now_utc().year()
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.expect("join")
}

/// One column of the rows `sql` selects, as text.
async fn column(server: &Server, sql: String) -> Vec<String> {
    let store = server.store.clone();
    blocking(move || store.inspect(&sql).expect("query"))
        .await
        .into_iter()
        .map(|row| row[0].text().to_owned())
        .collect()
}

/// A desa ready to issue letters: its kepala desa named in its settings.
async fn with_signer(server: &Server, desa: u64) {
    let store = server.store.clone();
    blocking(move || {
        let mut settings = store.letter_settings(desa).expect("settings");
        settings.head_name = "H. SUGENG RIYADI".into();
        settings.head_position = "Kepala Desa".into();
        settings.address = "Jl. Raya Desa No. 1".into();
        store.set_letter_settings(&settings, "cli:test").expect("saved");
    })
    .await;
}

async fn kiosk(server: &Server, id: &str, desa: u64) -> KioskKey {
    let (store, id) = (server.store.clone(), id.to_owned());
    blocking(move || store.register_kiosk(&id, Some(desa), 120).expect("kiosk")).await
}

async fn staff(
    server: &Server,
    username: &str,
    desa: u64,
    role: backend::store::StaffRole,
) -> String {
    let (store, name) = (server.store.clone(), username.to_owned());
    blocking(move || {
        store.set_staff(&name, PASSWORD, Some(desa)).expect("staff");
        // Its own password chosen: the API serves only such accounts.
        store.change_staff_password(&name, PASSWORD, None).expect("own password");
        store.set_staff_role(&name, role, "H. SUGENG RIYADI", "Kepala Desa").expect("role");
    })
    .await;
    staff_login(&server.url, username, PASSWORD).await.token
}

fn request(applicant: &str, letter: &str, entry: &str, key: &str) -> serde_json::Value {
    json!({
        "applicant_nik": applicant,
        "letter": letter,
        "purpose": "Syarat melamar pekerjaan",
        "idempotency_key": key,
        "nik_entry": entry,
    })
}

async fn staff_get(server: &Server, token: &str, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}{path}", server.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

async fn staff_post(
    server: &Server,
    token: &str,
    path: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", server.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request")
}

async fn print(server: &Server, key: &KioskKey, ticket: &Ticket) -> reqwest::Response {
    signed_get(server, &letter_print_path(ticket), key, now(), &fresh_nonce()).await
}

/// Heads of families of `desa` whose DTSEN desil is in `desil` and who hold no active
/// membership of a poverty program.
async fn heads(server: &Server, desa: u64, desil: &str, poor_programs: bool) -> Vec<String> {
    let programs = "'PKH', 'BPNT', 'BST', 'BLT_DD', 'APBD_SEMBAKO'";
    let holding = format!(
        "EXISTS (SELECT 1 FROM memberships m WHERE m.state = 'active' AND m.program IN ({programs})
           AND (m.kk = r.kk OR m.nik IN (SELECT nik FROM residents WHERE kk = r.kk)))"
    );
    let condition = if poor_programs { holding } else { format!("NOT {holding}") };
    column(
        server,
        format!(
            "SELECT r.nik FROM residents r JOIN families f ON f.kk = r.kk
             WHERE f.desa_code = {desa} AND r.relation = 'head' AND r.life_status = 'alive'
               AND f.desil {desil} AND {condition} ORDER BY r.nik LIMIT 3"
        ),
    )
    .await
}

#[tokio::test]
async fn two_hundred_letters_at_once_from_twenty_kiosks_number_each_desa_without_gap() {
    let server = server().await;
    let store = server.store.clone();
    let desas: Vec<u64> = blocking(move || store.largest_desas(2).expect("desas"))
        .await
        .into_iter()
        .map(|(desa, _)| desa)
        .collect();
    let mut jobs = tokio::task::JoinSet::new();
    let server = std::sync::Arc::new(server);
    for (d, &desa) in desas.iter().enumerate() {
        with_signer(&server, desa).await;
        let residents = column(
            &server,
            format!(
                "SELECT r.nik FROM residents r JOIN families f ON f.kk = r.kk
                 WHERE f.desa_code = {desa} AND r.life_status = 'alive' ORDER BY r.nik LIMIT 40"
            ),
        )
        .await;
        assert!(residents.len() >= 10, "desa {desa} has residents");
        for k in 0..10 {
            let key = kiosk(&server, &format!("BWI-NUM-{d}-{k:02}"), desa).await;
            for n in 0..10 {
                let (server, key) = (server.clone(), key.clone());
                let applicant = residents[(k * 10 + n) % residents.len()].clone();
                jobs.spawn(async move {
                    let body =
                        request(&applicant, "domisili", "card", &format!("number-{d}-{k}-{n}"));
                    let response = post_as(&server, &key, LETTERS_PATH, &body).await;
                    assert_eq!(response.status(), 201);
                    response.json::<TicketStatus>().await.expect("JSON")
                });
            }
        }
    }
    let mut issued = 0;
    while let Some(answer) = jobs.join_next().await {
        let status = answer.expect("task");
        assert_eq!(status.state, ReportState::Verified, "issued at once: {status:?}");
        issued += 1;
    }
    assert_eq!(issued, 200);
    for desa in desas {
        let store = server.store.clone();
        let letters =
            blocking(move || store.letters_numbered(desa, "domisili", year()).expect("letters"))
                .await;
        let sequences: Vec<u64> = letters.iter().map(|letter| letter.sequence).collect();
        assert_eq!(
            sequences,
            (1..=100).collect::<Vec<u64>>(),
            "desa {desa}: 1 to 100, no gap, no duplicate"
        );
        let numbers: std::collections::HashSet<&str> =
            letters.iter().map(|l| l.number.as_str()).collect();
        assert_eq!(numbers.len(), 100);
        let dotted = protocol::region::dotted_village(desa);
        assert!(
            letters[11].number.starts_with(&format!("470/012/{dotted}/")),
            "{}",
            letters[11].number
        );
    }
}

#[tokio::test]
async fn a_typed_sktm_waits_for_the_staff_and_prints_at_the_kiosk_once_approved() {
    let server = server().await;
    let desa = column(
        &server,
        "SELECT CAST(f.desa_code AS TEXT) FROM families f WHERE f.desil <= 4 ORDER BY f.kk LIMIT 1"
            .into(),
    )
    .await[0]
        .parse::<u64>()
        .expect("desa");
    with_signer(&server, desa).await;
    let applicant = column(
        &server,
        format!(
            "SELECT r.nik FROM residents r JOIN families f ON f.kk = r.kk WHERE f.desa_code = {desa}
               AND r.relation = 'head' AND r.life_status = 'alive' ORDER BY r.nik LIMIT 1"
        ),
    )
    .await
    .into_iter()
    .next()
    .expect("a head of family");
    let own = kiosk(&server, "BWI-SURAT-01", desa).await;

    // Typed on the keypad: it waits for the staff, whatever the family.
    let response = post_as(
        &server,
        &own,
        LETTERS_PATH,
        &request(&applicant, "sktm", "keypad", "sktm-typed-01"),
    )
    .await;
    assert_eq!(response.status(), 201);
    let filed: TicketStatus = response.json().await.expect("JSON");
    assert_eq!(filed.state, ReportState::Verification);
    assert!(
        filed.reason.as_ref().is_some_and(|why| why.id.contains("Bawa KTP")),
        "{:?}",
        filed.reason
    );
    let early = print(&server, &own, &filed.ticket).await;
    assert_eq!(early.status(), 409, "nothing to print before approval");
    assert_eq!(early.json::<ApiError>().await.expect("JSON").code, ErrorCode::LetterNotReady);

    let operator = staff(&server, "operator.desa", desa, backend::store::StaffRole::Operator).await;
    let signer = staff(&server, "kepala.desa", desa, backend::store::StaffRole::Signer).await;
    let queue: WaitingLetters =
        staff_get(&server, &operator, "/api/v1/staff/letters").await.json().await.expect("queue");
    let waiting =
        queue.letters.iter().find(|l| l.ticket == filed.ticket.to_string()).expect("queued");
    assert!(waiting.applicant.contains('*') && waiting.nik_entry == "keypad", "{waiting:?}");

    let ticket = filed.ticket.to_string();
    let approve = format!("/api/v1/staff/letters/{ticket}/approve");
    assert_eq!(
        staff_post(&server, &operator, &approve, json!({})).await.status(),
        403,
        "an operator does not sign"
    );
    assert_eq!(
        staff_post(&server, &signer, &approve, json!({})).await.status(),
        409,
        "a typed NIK needs the KTP checked first"
    );
    let prepare = format!("/api/v1/staff/letters/{ticket}/prepare");
    // Two people for a typed NIK: a signer who checked the KTP themselves does not sign it.
    assert_eq!(staff_post(&server, &signer, &prepare, json!({})).await.status(), 204);
    assert_eq!(
        staff_post(&server, &signer, &approve, json!({})).await.status(),
        403,
        "one person both"
    );
    assert_eq!(staff_post(&server, &operator, &prepare, json!({})).await.status(), 204);
    let preview: LetterPreview =
        staff_get(&server, &signer, &format!("/api/v1/staff/letters/{ticket}"))
            .await
            .json()
            .await
            .expect("preview");
    assert!(
        preview.document.number.contains("diberikan saat disetujui"),
        "unnumbered until approved"
    );
    assert!(preview.masked && preview.document.qr.is_empty(), "masked without a reason");
    assert!(
        !preview.document.texts().iter().any(|text| text.contains(applicant.as_str())),
        "the preview masks the NIK"
    );
    let unmask = format!("/api/v1/staff/letters/{ticket}/unmask");
    let reason = json!({"kind": "letter_request", "reason": "memeriksa KTP pemohon"});
    let full: LetterPreview =
        staff_post(&server, &signer, &unmask, reason).await.json().await.expect("in full");
    assert!(
        !full.masked && full.document.texts().contains(&applicant.as_str()),
        "the letter prints the full NIK"
    );

    let approved = staff_post(&server, &signer, &approve, json!({})).await;
    assert_eq!(approved.status(), 200);
    let issued: LetterPreview = approved.json().await.expect("issued");
    let id = issued.letter_id.clone().expect("an id");
    assert!(issued.document.number.starts_with("470/001/"), "{}", issued.document.number);
    assert_eq!(issued.document.signer.name, "H. SUGENG RIYADI");
    let tracked: TicketStatus =
        get(&server, &format!("/api/v1/tickets/{ticket}")).await.json().await.expect("ticket");
    assert_eq!(tracked.state, ReportState::Verified);
    assert_eq!(tracked.reason, None, "the waiting reason is gone once issued");

    // At the kiosk, with the ticket: the original, then a copy.
    let first: IssuedLetter =
        print(&server, &own, &filed.ticket).await.json().await.expect("letter");
    assert_eq!((first.id.as_str(), first.document.copy), (id.as_str(), false));
    assert_eq!(first.document.number, issued.document.number);
    let again: IssuedLetter =
        print(&server, &own, &filed.ticket).await.json().await.expect("letter");
    assert!(again.document.copy, "a reprint is marked as a copy");
    let elsewhere = kiosk(&server, "BWI-SURAT-LAIN", desa + 1).await;
    assert_eq!(
        print(&server, &elsewhere, &filed.ticket).await.status(),
        403,
        "another desa's kiosk"
    );

    // Verification: the page, a scanned seal, a forged one, and offline with the keys.
    let page = get(&server, &format!("/verify/{id}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("ASLI") && !html.contains(&applicant), "masked: {html}");
    let qr = first.document.qr.clone();
    let scanned = reqwest::Client::new()
        .get(format!("{}/verify/{id}", server.url))
        .query(&[("qr", qr.as_str())])
        .send()
        .await
        .expect("verify");
    assert!(scanned.text().await.expect("html").contains("Segel QR cocok"));
    let name = first.document.body.iter().find_map(|block| match block {
        protocol::letter::document::Block::Fields { rows } => {
            rows.iter().find(|r| r.label == "Nama").map(|r| r.value.clone())
        }
        _ => None,
    });
    let forged = qr.replace(&name.expect("name"), "ORANG LAIN");
    let forged_page = reqwest::Client::new()
        .get(format!("{}/verify/{id}", server.url))
        .query(&[("qr", forged.as_str())])
        .send()
        .await
        .expect("verify")
        .text()
        .await
        .expect("html");
    assert!(forged_page.contains("TIDAK ASLI"), "{forged_page}");
    let store = server.store.clone();
    let keys = blocking(move || store.desa_public_keys().expect("keys")).await;
    let offline = LetterSeal::verify(&qr, &keys).expect("genuine offline");
    assert_eq!((offline.id.as_str(), offline.nik.as_str()), (id.as_str(), applicant.as_str()));
    assert_eq!(LetterSeal::verify(&forged, &keys), Err(SealError::Mismatch));
    // The offline verifier: the command with a key file, no database, no network.
    let dir = tempfile::tempdir().expect("dir");
    let key_file = dir.path().join("desa-keys.txt");
    std::fs::write(&key_file, keys.file_text()).expect("key file");
    let verify = |payload: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_backend"))
            .args(["letter", "verify", "--qr", payload, "--keys"])
            .arg(&key_file)
            .args(["--data-dir"])
            .arg(dir.path().join("no-database-here"))
            .output()
            .expect("backend letter verify")
    };
    let genuine = verify(&qr);
    assert!(genuine.status.success(), "{genuine:?}");
    let said = String::from_utf8_lossy(&genuine.stdout);
    assert!(said.contains("ASLI") && said.contains(&issued.document.number), "{said}");
    let refused = verify(&forged);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("TIDAK ASLI"), "{refused:?}");
    assert!(!dir.path().join("no-database-here").exists(), "nothing opened or created");
    assert_eq!(get(&server, "/verify/ZZZZZZZZZZ").await.status(), 404);

    // Cancelled: it keeps its number, verification says so, the kiosk no longer prints it.
    let cancel = format!("/api/v1/staff/letters/issued/{id}/cancel");
    assert_eq!(
        staff_post(&server, &operator, &cancel, json!({"reason": "salah ketik"})).await.status(),
        403
    );
    assert_eq!(
        staff_post(&server, &signer, &cancel, json!({"reason": "ditarik: data keliru"}))
            .await
            .status(),
        204
    );
    let html = get(&server, &format!("/verify/{id}")).await.text().await.expect("html");
    assert!(html.contains("DIBATALKAN") && html.contains("ditarik: data keliru"), "{html}");
    assert_eq!(print(&server, &own, &filed.ticket).await.status(), 409);
    let store = server.store.clone();
    let kept =
        blocking(move || store.letters_numbered(desa, "sktm", year()).expect("letters")).await;
    assert_eq!(kept.len(), 1, "the cancelled letter keeps its number");
    assert_eq!(
        kept[0].catalogue,
        backend::letters::LetterCatalogue::builtin().label(),
        "the catalogue that made it"
    );
    assert!(kept[0].cancelled.is_some());

    let store = server.store.clone();
    store.flush_audit();
    let audit = blocking(move || store.recent_audit(200).expect("audit")).await;
    for action in [
        "letter_preview",
        "letter_prepared",
        "letter_issued",
        "letter_printed",
        "letter_cancelled",
        "letter_verify",
    ] {
        assert!(audit.iter().any(|entry| entry.action == action), "{action} audited");
    }
}

#[tokio::test]
async fn the_sktm_is_issued_at_once_only_to_a_poor_head_of_family_with_the_card_read() {
    let server = server().await;
    let desa = column(
        &server,
        "SELECT CAST(f.desa_code AS TEXT) FROM families f GROUP BY f.desa_code
         HAVING min(f.desil) <= 4 AND max(f.desil) >= 7 ORDER BY count(*) DESC LIMIT 1"
            .into(),
    )
    .await[0]
        .parse::<u64>()
        .expect("desa");
    with_signer(&server, desa).await;
    let own = kiosk(&server, "BWI-SKTM-01", desa).await;
    let poor = heads(&server, desa, "<= 4", false).await.into_iter().next().expect("poor head");
    let not_poor =
        heads(&server, desa, ">= 7", false).await.into_iter().next().expect("head not poor");

    let at_once: TicketStatus =
        post_as(&server, &own, LETTERS_PATH, &request(&poor, "sktm", "card", "sktm-poor-01"))
            .await
            .json()
            .await
            .expect("JSON");
    assert_eq!(at_once.state, ReportState::Verified, "{at_once:?}");
    let letter: IssuedLetter =
        print(&server, &own, &at_once.ticket).await.json().await.expect("letter");
    assert_eq!(letter.document.title, "SURAT KETERANGAN TIDAK MAMPU");
    let members = letter.document.body.iter().find_map(|block| match block {
        protocol::letter::document::Block::Table { rows, .. } => Some(rows.len()),
        _ => None,
    });
    assert!(members.is_some_and(|n| n >= 1), "the SKTM lists the family's members");

    let waits: TicketStatus =
        post_as(&server, &own, LETTERS_PATH, &request(&not_poor, "sktm", "card", "sktm-rich-01"))
            .await
            .json()
            .await
            .expect("JSON");
    assert_eq!(waits.state, ReportState::Verification);
    let why = waits.reason.expect("a reason");
    assert!(
        why.id.starts_with("Perlu verifikasi") && why.en.starts_with("Needs verification"),
        "{why:?}"
    );

    let member = column(
        &server,
        format!(
            "SELECT r.nik FROM residents r WHERE r.kk = (SELECT kk FROM residents WHERE nik = '{poor}')
               AND r.relation <> 'head' AND r.life_status = 'alive' LIMIT 1"
        ),
    )
    .await;
    if let Some(member) = member.first() {
        let refused: TicketStatus = post_as(
            &server,
            &own,
            LETTERS_PATH,
            &request(member, "sktm", "card", "sktm-member-01"),
        )
        .await
        .json()
        .await
        .expect("JSON");
        assert_eq!(refused.state, ReportState::Rejected);
        assert!(refused.reason.expect("why").id.contains("kepala keluarga"));
    }
}

#[tokio::test]
async fn a_printed_status_slip_carries_the_desas_seal_of_what_the_kiosk_answered() {
    use protocol::letter::seal::SlipSeal;
    let server = server().await;
    let holder = example(&server.summary, "PKH").nik;
    let desa = desa_of(&server, &holder).await;
    let own = kiosk(&server, "BWI-SLIP-01", desa).await;
    let path = protocol::api::slip_seal_path(holder.as_str());
    let response = post_as(&server, &own, &path, &json!(null)).await;
    assert_eq!(response.status(), 200);
    let sealed: protocol::api::SlipSealResponse = response.json().await.expect("JSON");
    let store = server.store.clone();
    let keys = blocking(move || store.desa_public_keys().expect("keys")).await;
    let slip = SlipSeal::verify(&sealed.seal, &keys).expect("the desa's seal");
    assert_eq!((slip.desa_code, slip.kiosk.as_str()), (desa, "BWI-SLIP-01"));
    assert_eq!(slip.nik, holder.masked(), "masked, as on the slip");
    assert!(slip.answer.contains("PKH"), "{}", slip.answer);
    // The slip says something else than the service did: the seal no longer verifies.
    let forged = sealed.seal.replace(&slip.answer, "terdaftar: PKH, BPNT, PIP");
    assert_eq!(SlipSeal::verify(&forged, &keys), Err(SealError::Mismatch));
    // A kiosk of no desa has no key to seal with: the slip prints without one.
    let nowhere = post(&server, &path, &json!(null)).await;
    assert_eq!(nowhere.status(), 404);
}
