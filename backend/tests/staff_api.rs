//! The seed's rules replayed through the staff API, as desa staff would meet them: sign in,
//! add someone to a program, import a list. Run on SQLite and, with
//! `ANJUNGAN_TEST_DATABASE` set (scripts/test.sh does), on PostgreSQL.

use std::net::SocketAddr;

use backend::Store;
use backend::store::{NewFamily, NewMembership, NewResident};
use protocol::api::{ApiError, ErrorCode, MembershipState, Relation};
use protocol::region::regions;
use protocol::staff::{DecisionResponse, ImportResponse, LoginResponse};
use protocol::{Nik, NoKk};
use serde_json::{Value, json};

const PASSWORD: &str = "kantor-desa-2026";

struct Desa {
    url: String,
    store: Store,
    desa: u64,
    client: reqwest::Client,
    token: String,
}

/// A served, empty registry for one desa of Kecamatan Blimbingsari, with a signed-in staff
/// account for that desa.
async fn desa() -> Desa {
    let store = Store::open_temporary().expect("store");
    let desa = regions().villages_of(351025)[0].code;
    store.set_staff("sekdes", PASSWORD, Some(desa)).expect("staff account");
    // Its own password chosen: the API serves only such accounts.
    store.change_staff_password("sekdes", PASSWORD, None).expect("own password");
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(backend::serve(listener, store.clone()));
    let client = reqwest::Client::new();
    let login: LoginResponse = client
        .post(format!("{url}/api/v1/staff/login"))
        .json(&json!({"username": "sekdes", "password": PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login JSON");
    assert_eq!(login.desa_code, Some(desa));
    Desa { url, store, desa, client, token: login.token }
}

/// NIKs and KKs of Blimbingsari (351025): born/issued 01-01-(yy), female when `female`.
fn nik(yy: u32, serial: u32, female: bool) -> Nik {
    let day = if female { 41 } else { 1 };
    Nik::parse(&format!("351025{day:02}01{yy:02}{serial:04}")).expect("NIK")
}

fn kk(serial: u32) -> NoKk {
    NoKk::parse(&format!("3510250101{:02}{:04}", 10 + serial / 10_000, serial % 10_000))
        .expect("KK")
}

fn resident(nik: Nik, relation: Relation, pregnant: bool) -> NewResident {
    NewResident {
        pregnant,
        ..NewResident::new(nik, format!("WARGA {}", nik.as_str()), "1980-01-01", relation)
    }
}

/// A DTKS family ranked in DTSEN's desil 2: within BLT Dana Desa's range.
fn ranked(family: NewFamily) -> NewFamily {
    NewFamily { dtks: true, desil: Some(2), ..family }
}

/// A father, a (possibly pregnant) mother and a son, in family `serial`.
fn family(d: &Desa, serial: u32, pregnant: bool) -> (NoKk, Nik, Nik, Nik) {
    let (father, mother, son) =
        (nik(70, serial, false), nik(75, serial, true), nik(99, serial, false));
    let kk = kk(serial);
    let members = vec![
        resident(father, Relation::Head, false),
        resident(mother, Relation::Spouse, pregnant),
        resident(son, Relation::Child, false),
    ];
    d.store
        .add_family(&ranked(NewFamily::new(kk, d.desa, "Dusun Krajan", members)))
        .expect("family");
    (kk, father, mother, son)
}

/// A household membership; `member` is the family member it was granted through, if any.
fn grant(d: &Desa, program: &str, kk: &NoKk, component: Option<&str>, member: Option<Nik>) {
    d.store
        .add_memberships(&[NewMembership {
            program: program.into(),
            nik: None,
            kk: Some(*kk),
            component: component.map(Into::into),
            member_nik: member,
            state: MembershipState::Active,
            since: "2020-01-01".into(),
            desa_code: d.desa,
        }])
        .expect("membership");
}

async fn add(d: &Desa, program: &str, nik: &Nik, component: Option<&str>) -> (u16, Value) {
    let response = d
        .client
        .post(format!("{}/api/v1/staff/memberships", d.url))
        .bearer_auth(&d.token)
        .json(&json!({"program": program, "nik": nik.as_str(), "component": component}))
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

fn decision(body: Value) -> DecisionResponse {
    serde_json::from_value(body).expect("a decision")
}

async fn import(d: &Desa, program: &str, csv: String) -> (u16, ImportResponse) {
    let response = d
        .client
        .post(format!("{}/api/v1/staff/imports?program={program}&desa={}", d.url, d.desa))
        .bearer_auth(&d.token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("import JSON"))
}

fn quota_used(d: &Desa, program: &str) -> u32 {
    d.store.quota_used(program, d.desa).expect("count")
}

#[tokio::test]
async fn rule_1_a_pkh_family_cannot_get_bst_and_a_bst_family_cannot_get_pkh() {
    let d = desa().await;
    let (pkh_kk, pkh_father, ..) = family(&d, 1, false);
    grant(&d, "PKH", &pkh_kk, None, None);
    let (status, body) = add(&d, "BST", &pkh_father, None).await;
    assert_eq!(status, 422);
    let refused = decision(body);
    assert!(!refused.accepted);
    assert!(refused.reasons.iter().any(|r| r.program.as_deref() == Some("PKH")), "{refused:?}");

    let (bst_kk, bst_father, ..) = family(&d, 2, false);
    grant(&d, "BST", &bst_kk, None, None);
    let (status, body) = add(&d, "PKH", &bst_father, None).await;
    assert_eq!(status, 422);
    assert!(decision(body).reasons.iter().any(|r| r.program.as_deref() == Some("BST")));

    // A family with neither is accepted, and the membership is there afterwards.
    let (_, free_father, ..) = family(&d, 3, false);
    let (status, body) = add(&d, "BST", &free_father, None).await;
    assert_eq!(status, 201, "{body}");
    let held = d.store.status(&free_father).expect("status").expect("resident").memberships;
    assert!(held.iter().any(|m| m.program == "BST" && m.state == MembershipState::Proposed));
}

#[tokio::test]
async fn rule_2_nutrition_is_refused_beside_pkh_pregnancy_but_allowed_beside_apbd_sembako() {
    let d = desa().await;
    let (kk, _, mother, _) = family(&d, 11, true);
    grant(&d, "PKH", &kk, Some("ibu_hamil"), Some(mother));
    let (status, body) = add(&d, "NUTRISI_BUMIL", &mother, None).await;
    assert_eq!(status, 422);
    let refused = decision(body);
    let reason = refused.reasons.iter().find(|r| r.program.as_deref() == Some("PKH"));
    let reason = reason.expect("the PKH pregnant-mother component is named");
    assert!(!reason.message.id.is_empty() && !reason.message.en.is_empty());
    assert!(!reason.holder.as_deref().unwrap_or("").contains(mother.as_str()), "holder is masked");

    let (kk, _, mother, _) = family(&d, 12, true);
    grant(&d, "APBD_SEMBAKO", &kk, None, None);
    let (status, body) = add(&d, "NUTRISI_BUMIL", &mother, None).await;
    assert_eq!(status, 201, "{body}");
    assert!(decision(body).accepted);
}

#[tokio::test]
async fn rule_3_the_son_is_refused_because_of_his_father_and_the_reverse() {
    let d = desa().await;
    let (kk, _, _, son) = family(&d, 21, false);
    grant(&d, "BST", &kk, None, Some(father_of(&d, &son)));
    let (status, body) = add(&d, "BST", &son, None).await;
    assert_eq!(status, 422);
    assert!(decision(body).reasons.iter().any(|r| r.code == "already_member"));

    // The reverse: the household's BST was granted through the son; the father is refused.
    let (kk, father, _, son) = family(&d, 22, false);
    grant(&d, "BST", &kk, None, Some(son));
    let (status, body) = add(&d, "BST", &father, None).await;
    assert_eq!(status, 422, "{body}");
    assert!(decision(body).reasons.iter().any(|r| r.code == "already_member"));
}

/// The head of the son's family.
fn father_of(d: &Desa, son: &Nik) -> Nik {
    let family = d.store.status(son).expect("status").expect("resident");
    let head = family.members.iter().find(|m| m.relation == Relation::Head).expect("head");
    Nik::parse(&head.nik).expect("NIK")
}

fn list_of(niks: &[Nik]) -> String {
    let mut csv = String::from("nik,name\n");
    for (i, nik) in niks.iter().enumerate() {
        csv.push_str(&format!("{nik},WARGA {}\n", i + 1));
    }
    csv
}

/// One-person families, as the seed's list of BLT-DD recipients.
fn heads(d: &Desa, first: u32, count: u32) -> Vec<Nik> {
    (first..first + count)
        .map(|serial| {
            let head = nik(60, serial, false);
            let members = vec![resident(head, Relation::Head, false)];
            let family = NewFamily::new(kk(serial), d.desa, "Dusun Krajan", members);
            d.store.add_family(&ranked(family)).expect("family");
            head
        })
        .collect()
}

#[tokio::test]
async fn rule_4_and_5_blt_dd_list_of_176_with_two_pkh_families_then_the_177th_is_over_quota() {
    let d = desa().await;
    let list = heads(&d, 1001, 176);
    for pkh in [&list[40], &list[120]] {
        let kk = d.store.status(pkh).expect("status").expect("resident").kk;
        grant(&d, "PKH", &NoKk::parse(&kk).expect("KK"), None, None);
    }
    let (status, report) = import(&d, "BLT_DD", list_of(&list)).await;
    assert_eq!(status, 200);
    assert_eq!((report.summary.accepted, report.summary.rejected), (174, 2));
    assert!(report.summary.written);
    let rejected: Vec<_> = report.rows.iter().filter(|r| r.outcome == "rejected").collect();
    assert_eq!(rejected.iter().map(|r| r.line).collect::<Vec<_>>(), [42, 122]);
    for row in &rejected {
        assert!(row.reason.as_ref().expect("reason").id.contains("Program Keluarga Harapan"));
        assert!(row.nik.contains('*'), "the report masks NIKs: {}", row.nik);
    }
    assert_eq!(quota_used(&d, "BLT_DD"), 174);

    // Two more places are left; the third family beyond them is over the quota of 176.
    let more = heads(&d, 2001, 3);
    let (status, report) = import(&d, "BLT_DD", list_of(&more)).await;
    assert_eq!(status, 200);
    let outcomes: Vec<&str> = report.rows.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(outcomes, ["accepted", "accepted", "over_quota"]);
    assert_eq!(quota_used(&d, "BLT_DD"), 176);
    // And a single add is held to the same quota.
    let (status, body) = add(&d, "BLT_DD", &more[2], None).await;
    assert_eq!(status, 422);
    assert!(decision(body).reasons.iter().any(|r| r.code == "over_quota"));
}

#[tokio::test]
async fn a_list_with_bad_or_duplicated_rows_is_refused_whole_and_nothing_is_written() {
    let d = desa().await;
    let list = heads(&d, 3001, 4);
    let duplicated = format!("{}{},WARGA LAGI\n", list_of(&list), list[1]);
    let (status, report) = import(&d, "BLT_DD", duplicated).await;
    assert_eq!(status, 422);
    assert_eq!(report.summary.duplicate, 1);
    assert!(!report.summary.written);
    assert_eq!(report.rows.iter().find(|r| r.outcome == "duplicate").map(|r| r.line), Some(6));

    // Wrong-typed column: a name where the NIK should be, and a row with a missing field.
    let wrong = format!("nik,name\n{},SITI\nSITI AMINAH,{}\n{}\n", list[0], list[1], list[2]);
    let (status, report) = import(&d, "BLT_DD", wrong).await;
    assert_eq!(status, 422);
    let malformed: Vec<u64> =
        report.rows.iter().filter(|r| r.outcome == "malformed").map(|r| r.line).collect();
    assert_eq!(malformed, [3, 4]);
    assert_eq!(quota_used(&d, "BLT_DD"), 0, "nothing half-written");

    // A list whose columns are not ours is refused before any row is read.
    let response = d
        .client
        .post(format!("{}/api/v1/staff/imports?program=BLT_DD&desa={}", d.url, d.desa))
        .bearer_auth(&d.token)
        .body("nomor,nama\n1,2\n")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    let error: ApiError = response.json().await.expect("error JSON");
    assert_eq!(error.code, ErrorCode::InvalidCsv);

    // The per-row report also comes as CSV for spreadsheets.
    let response = d
        .client
        .post(format!("{}/api/v1/staff/imports?program=BLT_DD&desa={}", d.url, d.desa))
        .bearer_auth(&d.token)
        .header("accept", "text/csv")
        .body(list_of(&list[..2]))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let csv = response.text().await.expect("CSV");
    assert!(csv.starts_with("line,nik,outcome,reason_id,reason_en\n"), "{csv}");
    assert_eq!(csv.lines().filter(|l| l.contains(",accepted,")).count(), 2);
    assert!(!csv.contains(list[0].as_str()), "NIKs are masked in the report");
}

#[tokio::test]
async fn bad_requests_get_a_clear_answer_in_both_languages() {
    let d = desa().await;
    let (_, father, ..) = family(&d, 41, false);
    let post = |body: String| {
        d.client
            .post(format!("{}/api/v1/staff/memberships", d.url))
            .bearer_auth(&d.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let cases = [
        ("{\"program\": \"BST\", \"nik\": ".to_string(), 400, ErrorCode::BadRequest),
        (json!({"program": "BST", "nik": "12345"}).to_string(), 400, ErrorCode::NikWrongLength),
        (
            json!({"program": "BANSOS_PALSU", "nik": father.as_str()}).to_string(),
            400,
            ErrorCode::UnknownProgram,
        ),
        (
            json!({"program": "BST", "nik": father.as_str(), "note": "x".repeat(70_000)})
                .to_string(),
            413,
            ErrorCode::PayloadTooLarge,
        ),
    ];
    for (body, status, code) in cases {
        let response = post(body).await.expect("request");
        assert_eq!(response.status().as_u16(), status);
        let error: ApiError = response.json().await.expect("error JSON");
        assert_eq!(error.code, code);
        assert!(!error.message.id.is_empty() && !error.message.en.is_empty());
    }
    let response = d
        .client
        .post(format!("{}/api/v1/staff/imports?program=NOPE&desa={}", d.url, d.desa))
        .bearer_auth(&d.token)
        .body("nik\n")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    assert_eq!(response.json::<ApiError>().await.expect("JSON").code, ErrorCode::UnknownProgram);
    // A desa code the Kemendagri list does not know is refused by the same check as the CLI's.
    let response = d
        .client
        .post(format!("{}/api/v1/staff/imports?program=BLT_DD&desa=3510252999", d.url))
        .bearer_auth(&d.token)
        .body("nik\n")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    let error = response.json::<ApiError>().await.expect("JSON");
    assert_eq!(
        (error.code, error.message.en.as_str()),
        (ErrorCode::BadRequest, "Unknown desa code 3510252999.")
    );
    assert_eq!(quota_used(&d, "BST"), 0);
}

#[tokio::test]
async fn staff_must_sign_in_and_act_only_for_their_desa() {
    let d = desa().await;
    let (_, father, ..) = family(&d, 51, false);
    let without = d
        .client
        .post(format!("{}/api/v1/staff/memberships", d.url))
        .json(&json!({"program": "BST", "nik": father.as_str()}))
        .send()
        .await
        .expect("request");
    assert_eq!(without.status(), 401);

    let wrong = d
        .client
        .post(format!("{}/api/v1/staff/login", d.url))
        .json(&json!({"username": "sekdes", "password": "salah-sekali"}))
        .send()
        .await
        .expect("request");
    assert_eq!(wrong.status(), 401);
    let error: ApiError = wrong.json().await.expect("JSON");
    assert_eq!(error.message.en, "Wrong username or password.");

    // Staff of the neighbouring desa cannot add this desa's residents or import its list.
    let neighbour = regions().villages_of(351025)[1].code;
    d.store.set_staff("sekdes.tetangga", PASSWORD, Some(neighbour)).expect("account");
    // Its own password chosen: the API serves only such accounts.
    d.store.change_staff_password("sekdes.tetangga", PASSWORD, None).expect("own password");
    let login: LoginResponse = d
        .client
        .post(format!("{}/api/v1/staff/login", d.url))
        .json(&json!({"username": "sekdes.tetangga", "password": PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("JSON");
    let response = d
        .client
        .post(format!("{}/api/v1/staff/memberships", d.url))
        .bearer_auth(&login.token)
        .json(&json!({"program": "BST", "nik": father.as_str()}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 403);
    let response = d
        .client
        .post(format!("{}/api/v1/staff/imports?program=BLT_DD&desa={}", d.url, d.desa))
        .bearer_auth(&login.token)
        .body(list_of(&[father]))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 403);

    // Disabling the account ends its session at once.
    d.store.disable_staff("sekdes").expect("disable");
    let (status, _) = add(&d, "BST", &father, None).await;
    assert_eq!(status, 401);

    d.store.flush_audit();
    let audit = d.store.recent_audit(50).expect("audit");
    assert!(
        audit.iter().any(|e| e.actor == "staff:sekdes"
            && e.action == "staff_login"
            && e.outcome == "refused")
    );
    assert!(audit.iter().any(|e| e.actor == "staff:sekdes.tetangga" && e.outcome == "forbidden"));
    assert!(audit.iter().all(|e| !e.subject.contains(father.as_str())), "audit masks NIKs");
}

#[tokio::test]
async fn a_single_add_refuses_a_resident_recorded_dead_and_a_family_outside_the_deciles() {
    let d = desa().await;
    let (_, father, mother, _) = family(&d, 31, false);
    d.store
        .inspect_execute(&format!(
            "UPDATE residents SET life_status = 'died' WHERE nik = '{}'",
            father.as_str()
        ))
        .expect("died");
    let (status, body) = add(&d, "GURU_NGAJI", &father, None).await;
    assert_eq!(status, 422, "{body}");
    let refused = decision(body);
    assert_eq!(refused.reasons.len(), 1);
    assert_eq!(refused.reasons[0].code, "resident_inactive");
    assert!(refused.reasons[0].message.id.contains("tercatat meninggal dunia"));
    // His widow may still be added; the family's desil 2 is within BLT Dana Desa's range.
    let (status, body) = add(&d, "BLT_DD", &mother, None).await;
    assert_eq!(status, 201, "{body}");

    let (kk, other, ..) = family(&d, 32, false);
    d.store
        .inspect_execute(&format!("UPDATE families SET desil = 8 WHERE kk = '{}'", kk.as_str()))
        .expect("desil 8");
    let (status, body) = add(&d, "BLT_DD", &other, None).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(decision(body).reasons[0].code, "desil_out_of_range");
}
