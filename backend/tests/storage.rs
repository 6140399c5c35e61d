//! The storage layer itself: the database a temporary store runs on is the one the test run
//! asked for, and what is written survives reopening.

use backend::Store;
use backend::store::{AuditEntry, NewFamily, NewMembership, NewResident, TEST_DATABASE_ENV};
use protocol::api::{MembershipState, Relation};
use protocol::{Nik, NoKk};

#[test]
fn temporary_stores_use_the_database_the_run_asks_for() {
    let store = Store::open_temporary().expect("store");
    let expected = match std::env::var(TEST_DATABASE_ENV) {
        Ok(url) if !url.is_empty() => "postgresql",
        _ => "sqlite",
    };
    assert_eq!(store.database_kind(), expected);
}

#[test]
fn audit_entries_come_back_newest_first_with_their_text_intact() {
    let store = Store::open_temporary().expect("store");
    for n in 0..130 {
        store.audit(AuditEntry {
            at: format!("2026-11-23T08:{:02}:{:02}Z", n / 60, n % 60),
            actor: "kiosk:BWI-01".into(),
            action: "status_lookup".into(),
            subject: format!("3510********{n:04}"),
            // Quotes and question marks must reach the database as data, not as SQL.
            outcome: "found ? 'quoted' $1".into(),
        });
    }
    store.flush_audit();
    let recent = store.recent_audit(3).expect("audit");
    let subjects: Vec<&str> = recent.iter().map(|e| e.subject.as_str()).collect();
    assert_eq!(subjects, ["3510********0129", "3510********0128", "3510********0127"]);
    assert_eq!(recent[0].outcome, "found ? 'quoted' $1");
}

/// One ticket names one submission: a letter request under a ticket a report holds is
/// refused as taken, and nothing is written.
#[test]
fn a_kiosk_ticket_another_submission_holds_is_refused_as_taken() {
    use backend::StoreError;
    use backend::store::{NewLetter, NewReport};
    use protocol::api::ReportState;
    use protocol::letter::LetterKind;
    use protocol::ticket::Ticket;

    let store = Store::open_temporary().expect("store");
    let nik = protocol::Nik::parse("3510011203850001").expect("NIK");
    let ticket = Ticket::new(7, 1).expect("ticket");
    let report = NewReport {
        kiosk: "BWI-07".into(),
        idempotency_key: "report-key-0001".into(),
        reporter: nik,
        subject: nik,
        reason: "lost_job".into(),
        phone: "+6281234567890".into(),
        text: String::new(),
        state: ReportState::Verification,
        decision: None,
        now: "2026-11-23T08:00:00Z".into(),
        ticket: Some(ticket),
        nik_entry: protocol::api::NikEntry::Card,
        desa_code: 3_510_011_001,
    };
    let audit = |action: &'static str| {
        move |status: &protocol::api::TicketStatus, _created: bool| backend::store::AuditEntry {
            at: "2026-11-23T08:00:00Z".into(),
            actor: "kiosk:BWI-07".into(),
            action: action.into(),
            subject: status.ticket.to_string(),
            outcome: status.state.as_str().into(),
        }
    };
    let (filed, created) = store.file_report(&report, audit("report")).expect("filed");
    assert!(created);
    assert_eq!(filed.ticket, ticket);
    // Written in the filing's transaction: there when the call returns, with no flush.
    let logged = store.recent_audit(10).expect("audit");
    assert!(
        logged.iter().any(|e| e.action == "report" && e.subject == ticket.to_string()),
        "{logged:?}"
    );

    let letter = NewLetter {
        kiosk: "BWI-07".into(),
        idempotency_key: "letter-key-0001".into(),
        applicant: nik,
        desa_code: 3510012001,
        letter: LetterKind::Sktm.code(),
        fields: Default::default(),
        purpose: "Syarat beasiswa".into(),
        state: ReportState::Verification,
        decision: None,
        now: "2026-11-23T08:01:00Z".into(),
        ticket: Some(ticket),
        nik_entry: protocol::api::NikEntry::Keypad,
    };
    match store.file_letter(&letter, audit("letter_request")) {
        Err(StoreError::TicketTaken(taken)) => assert_eq!(taken, ticket),
        other => panic!("expected TicketTaken, got {other:?}"),
    }
    // A filing that was not committed left no audit entry claiming it was.
    store.flush_audit();
    let logged = store.recent_audit(10).expect("audit");
    assert!(!logged.iter().any(|e| e.action == "letter_request"), "{logged:?}");
    assert_eq!(store.ticket(&ticket).expect("read").map(|s| s.kind), Some(filed.kind));
}

fn family(serial: u32) -> NewFamily {
    let resident = |nik: String, relation| {
        NewResident::new(
            Nik::parse(&nik).expect("NIK"),
            format!("WARGA {serial}"),
            "1980-01-01",
            relation,
        )
    };
    NewFamily {
        dtks: true,
        ..NewFamily::new(
            NoKk::parse(&format!("351025010120{serial:04}")).expect("KK"),
            3510252005,
            "Dusun Krajan",
            vec![
                resident(format!("351025010180{serial:04}"), Relation::Head),
                resident(format!("351025410180{serial:04}"), Relation::Spouse),
            ],
        )
    }
}

fn membership(program: &str, kk: NoKk) -> NewMembership {
    NewMembership {
        program: program.into(),
        nik: None,
        kk: Some(kk),
        component: None,
        member_nik: None,
        state: MembershipState::Active,
        since: "2020-04-27".into(),
        desa_code: 3510252005,
    }
}

#[test]
fn families_and_their_memberships_are_added_together_or_not_at_all() {
    let store = Store::open_temporary().expect("store");
    let families: Vec<NewFamily> = (1..=3).map(family).collect();
    let memberships = vec![membership("BST", families[0].kk), membership("BPNT", families[2].kk)];
    store.add_families(&families, &memberships).expect("add");
    assert_eq!(store.resident_count().expect("count"), 6);
    let wife = families[2].members[1].nik;
    let status = store.status(&wife).expect("status").expect("resident");
    assert_eq!(status.sex, protocol::Sex::Female, "sex comes from the NIK");
    assert_eq!(status.members.len(), 2);
    let programs: Vec<&str> = status.memberships.iter().map(|m| m.program.as_str()).collect();
    assert_eq!(programs, ["BPNT"]);

    // A membership of a program the registry does not know refuses the whole batch.
    let more: Vec<NewFamily> = (4..=5).map(family).collect();
    let broken = vec![membership("BST", more[0].kk), membership("NOPE", more[1].kk)];
    assert!(store.add_families(&more, &broken).is_err());
    assert_eq!(store.resident_count().expect("count"), 6, "nothing of the batch stayed");
}

#[test]
fn every_new_field_is_stored_and_a_death_ends_what_the_dead_held() {
    use backend::population::LifeStatus;
    let store = Store::open_temporary().expect("store");
    let mut family = family(7);
    family.dusun = "Krajan".into();
    family.rw = "002".into();
    family.rt = "004".into();
    family.desil = Some(3);
    let head = &mut family.members[0];
    head.birth_place = "BANYUWANGI".into();
    (head.shdk, head.religion, head.education, head.occupation) =
        (Some(1), Some(1), Some(3), Some(9));
    (head.marital_status, head.nationality, head.blood_type) = (Some(2), Some(1), Some(13));
    head.father_name = "SLAMET".into();
    head.mother_name = "SUMINAH".into();
    head.life_status = LifeStatus::Died;
    let (head, wife) = (family.members[0].nik, family.members[1].nik);
    let person = |program: &str, nik: Nik, state| NewMembership {
        nik: Some(nik),
        kk: None,
        state,
        since: "2021-08-01".into(),
        ..membership(program, family.kk)
    };
    // The dead man's incentive given live refuses the whole call.
    let live = [person("GURU_NGAJI", head, MembershipState::Active)];
    let refused = store.add_families(std::slice::from_ref(&family), &live);
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(store.resident_count().expect("count"), 0);

    let ended = [person("GURU_NGAJI", head, MembershipState::Ended), membership("BPNT", family.kk)];
    store.add_families(std::slice::from_ref(&family), &ended).expect("add");
    let rows = store
        .inspect("SELECT program, state, ended_reason, ended_at FROM memberships ORDER BY program")
        .expect("query");
    let rows: Vec<Vec<Option<&str>>> =
        rows.iter().map(|row| row.iter().map(|cell| cell.opt_text()).collect()).collect();
    assert_eq!(
        rows,
        [
            vec![Some("BPNT"), Some("active"), None, None],
            vec![Some("GURU_NGAJI"), Some("ended"), Some("died"), Some("2021-08-01")],
        ],
        "the household's program stays: the wife lives"
    );
    let fields = store
        .inspect(&format!(
            "SELECT r.birth_place, r.shdk, r.religion, r.education, r.occupation,
                    r.marital_status, r.nationality, r.blood_type, r.father_name, r.mother_name,
                    f.dusun, f.rw, f.rt
             FROM residents r JOIN families f ON f.kk = r.kk WHERE r.nik = '{}'",
            head.as_str()
        ))
        .expect("query");
    let text = |i: usize| fields[0][i].text().to_string();
    let int = |i: usize| fields[0][i].int();
    assert_eq!(text(0), "BANYUWANGI");
    assert_eq!([int(1), int(2), int(3), int(4), int(5), int(6), int(7)], [1, 1, 3, 9, 2, 1, 13]);
    assert_eq!(
        [text(8), text(9), text(10), text(11), text(12)],
        ["SLAMET", "SUMINAH", "Krajan", "002", "004"]
    );

    let status = store.status(&head).expect("status").expect("resident");
    assert_eq!((status.life_status, status.desil), (LifeStatus::Died, Some(3)));
    let widow = store.status(&wife).expect("status").expect("resident");
    assert_eq!(widow.life_status, LifeStatus::Alive);
    let lives: Vec<LifeStatus> = widow.members.iter().map(|m| m.life_status).collect();
    assert_eq!(lives, [LifeStatus::Died, LifeStatus::Alive]);
    let ended = widow.memberships.iter().find(|m| m.program == "GURU_NGAJI").expect("ended");
    assert_eq!(ended.ended_reason.as_deref(), Some("died"));

    // A family whose every member is gone ends its household programs too.
    let mut gone = family_with(8, LifeStatus::MovedAway);
    gone.desil = None;
    let live = [membership("BST", gone.kk)];
    assert!(store.add_families(std::slice::from_ref(&gone), &live).is_err());
    let ended = [NewMembership { state: MembershipState::Ended, ..membership("BST", gone.kk) }];
    store.add_families(std::slice::from_ref(&gone), &ended).expect("add");
    let status = store.status(&gone.members[1].nik).expect("status").expect("resident");
    assert_eq!(status.desil, None);
    assert_eq!(status.memberships[0].ended_reason.as_deref(), Some("moved_away"));
}

fn family_with(serial: u32, life_status: backend::population::LifeStatus) -> NewFamily {
    let mut family = family(serial);
    for member in &mut family.members {
        member.life_status = life_status;
    }
    family
}
