//! The registry's side of population and desil imports: what a file's records do to the
//! registry, its history and the memberships, all or nothing. On SQLite, and on PostgreSQL
//! when ANJUNGAN_TEST_DATABASE names a server.

use backend::population::record::relation_of_shdk;
use backend::population::{FamilyAddress, LifeStatus, PersonRecord};
use backend::store::{
    Cell, Change, DesilMiss, DesilOutcome, DesilRecord, ImportCounts, ImportKind, ImportMeta,
    NewMembership, PopulationOutcome,
};
use backend::{Store, StoreError};
use protocol::api::MembershipState;
use protocol::{Nik, NoKk};

const DESA: u64 = 3510010001;
const OTHER_DESA: u64 = 3510010002;

const KK_A: &str = "3510010101200001";
const KK_B: &str = "3510010101200002";
const BUDI: &str = "3510011203850001";
const SITI: &str = "3510015204870002";
const ANI: &str = "3510015506100003";
const JOKO: &str = "3510010101800004";
const RINA: &str = "3510014102820005";

/// A resident as a reader would hand them over: sex and birth date from the NIK.
fn person(nik: &str, kk: &str, shdk: u8, name: &str) -> PersonRecord {
    let nik = Nik::parse(nik).expect("NIK");
    let born = nik.birth_date();
    let year = if born.year_2digit > 30 { 1900 } else { 2000 } + i32::from(born.year_2digit);
    let month = time::Month::try_from(born.month).expect("month");
    PersonRecord {
        line: 0,
        nik,
        kk: NoKk::parse(kk).expect("KK"),
        name: name.into(),
        sex: nik.sex(),
        birth_place: "BANYUWANGI".into(),
        birth_date: time::Date::from_calendar_date(year, month, born.day).expect("date"),
        religion: Some(1),
        education: Some(5),
        occupation: Some(88),
        marital_status: Some(if shdk == 4 { 1 } else { 2 }),
        shdk,
        nationality: Some(1),
        blood_type: None,
        father_name: "SLAMET".into(),
        mother_name: "SUMIATI".into(),
        life_status: LifeStatus::Alive,
        address: FamilyAddress {
            desa_code: DESA,
            dusun: "KRAJAN".into(),
            rw: "001".into(),
            rt: "002".into(),
            street: format!("JL. MAWAR NO. {}", &kk[15..]),
        },
    }
}

/// Two families: Budi, Siti and their daughter Ani; Joko and Rina.
fn village() -> Vec<PersonRecord> {
    let mut records = vec![
        person(BUDI, KK_A, 1, "BUDI SANTOSO"),
        person(SITI, KK_A, 3, "SITI AMINAH"),
        person(ANI, KK_A, 4, "ANI LESTARI"),
        person(JOKO, KK_B, 1, "JOKO WIDODO"),
        person(RINA, KK_B, 3, "RINA WATI"),
    ];
    for (index, record) in records.iter_mut().enumerate() {
        record.line = index as u64 + 2;
    }
    records
}

fn meta(id: &str, kind: ImportKind, dry_run: bool) -> ImportMeta {
    ImportMeta {
        id: id.into(),
        kind,
        at: "2026-12-01T09:00:00+07:00".into(),
        actor: "staff:kabupaten".into(),
        file_name: "penduduk.csv".into(),
        sha256: "ab".repeat(32),
        layout: "opensid".into(),
        dry_run,
    }
}

fn counts(rows: usize) -> ImportCounts {
    ImportCounts {
        rows_read: rows as u64 + 1,
        accepted: rows as u64,
        rejected: 1,
        ..Default::default()
    }
}

fn try_import(
    store: &Store,
    id: &str,
    dry_run: bool,
    records: &[PersonRecord],
) -> Result<PopulationOutcome, StoreError> {
    store.import_population(&meta(id, ImportKind::Population, dry_run), |writer| {
        for record in records {
            writer.push(record)?;
        }
        Ok::<_, StoreError>(counts(records.len()))
    })
}

fn import(store: &Store, id: &str, records: &[PersonRecord]) -> PopulationOutcome {
    try_import(store, id, false, records).expect("import")
}

fn desil(store: &Store, id: &str, rows: &[DesilRecord]) -> DesilOutcome {
    store
        .import_desil(&meta(id, ImportKind::Desil, false), |writer| {
            for row in rows {
                writer.push(row)?;
            }
            Ok::<_, StoreError>(counts(rows.len()))
        })
        .expect("desil import")
}

type Row = (Option<String>, Option<String>, String, Option<String>, Option<String>);

/// A change as (nik, kk, field, before, after).
fn row(change: &Change) -> Row {
    (
        change.nik.clone(),
        change.kk.clone(),
        change.field.to_owned(),
        change.before.clone(),
        change.after.clone(),
    )
}

fn of_resident(nik: &str, field: &str, before: &str, after: &str) -> Row {
    (Some(nik.into()), None, field.into(), Some(before.into()), Some(after.into()))
}

fn of_family(kk: &str, field: &str, before: Option<&str>, after: &str) -> Row {
    (None, Some(kk.into()), field.into(), before.map(Into::into), Some(after.into()))
}

fn rows(changes: &[Change]) -> Vec<Row> {
    changes.iter().map(row).collect()
}

fn count(store: &Store, sql: &str) -> i64 {
    store.inspect(sql).expect("query")[0][0].int()
}

fn text(store: &Store, sql: &str) -> Option<String> {
    store.inspect(sql).expect("query").first().and_then(|row| row[0].opt_text().map(Into::into))
}

fn membership(
    program: &str,
    nik: Option<&str>,
    kk: Option<&str>,
    member: Option<&str>,
) -> NewMembership {
    NewMembership {
        program: program.into(),
        nik: nik.map(|n| Nik::parse(n).expect("NIK")),
        kk: kk.map(|k| NoKk::parse(k).expect("KK")),
        component: member.map(|_| "ibu_hamil".into()),
        member_nik: member.map(|n| Nik::parse(n).expect("NIK")),
        state: MembershipState::Active,
        since: "2025-01-06".into(),
        desa_code: DESA,
    }
}

/// (program, whom the membership concerns, state, ended_reason, ended_at).
type Held = (String, String, String, Option<String>, Option<String>);

/// Every membership, in the order they were added.
fn memberships(store: &Store) -> Vec<Held> {
    store
        .inspect(
            "SELECT program, coalesce(member_nik, nik, kk), state, ended_reason, ended_at
             FROM memberships ORDER BY id",
        )
        .expect("memberships")
        .into_iter()
        .map(|row| {
            (
                row[0].text().into(),
                row[1].text().into(),
                row[2].text().into(),
                row[3].opt_text().map(Into::into),
                row[4].opt_text().map(Into::into),
            )
        })
        .collect()
}

#[test]
fn a_first_import_registers_every_family_and_resident_with_all_their_fields() {
    let store = Store::open_temporary().expect("store");
    let outcome = import(&store, "imp-1", &village());
    assert_eq!(
        outcome,
        PopulationOutcome {
            inserted: 5,
            updated: 0,
            unchanged: 0,
            families_new: 2,
            memberships_ended: 0,
            changes: vec![],
        }
    );
    assert_eq!(store.resident_count().expect("count"), 5);

    let siti = store
        .inspect(&format!(
            "SELECT r.name, r.sex, r.birth_date, r.birth_place, r.religion, r.education,
                    r.occupation, r.marital_status, r.shdk, r.relation, r.nationality,
                    r.blood_type, r.father_name, r.mother_name, r.life_status,
                    f.desa_code, f.dusun, f.rw, f.rt, f.address
             FROM residents r JOIN families f ON f.kk = r.kk WHERE r.nik = '{SITI}'"
        ))
        .expect("resident");
    let int = |n: i64| Cell::Int(n);
    let text = |t: &str| Cell::Text(t.into());
    assert_eq!(
        siti[0],
        [
            text("SITI AMINAH"),
            text("female"),
            text("1987-04-12"),
            text("BANYUWANGI"),
            int(1),
            int(5),
            int(88),
            int(2),
            int(3),
            text("spouse"),
            int(1),
            Cell::Null,
            text("SLAMET"),
            text("SUMIATI"),
            text("alive"),
            int(DESA as i64),
            text("KRAJAN"),
            text("001"),
            text("002"),
            text("JL. MAWAR NO. 1"),
        ]
    );

    let recorded = store
        .inspect(
            "SELECT id, kind, at, actor, file_name, layout, rows_read, accepted, rejected, changed
             FROM registry_imports",
        )
        .expect("imports");
    assert_eq!(
        recorded,
        [[
            text("imp-1"),
            text("population"),
            text("2026-12-01T09:00:00+07:00"),
            text("staff:kabupaten"),
            text("penduduk.csv"),
            text("opensid"),
            int(6),
            int(5),
            int(1),
            int(0),
        ]]
    );
    assert_eq!(count(&store, "SELECT count(*) FROM resident_history"), 0, "new is not a change");
}

#[test]
fn the_same_file_again_changes_nothing_and_records_no_history() {
    let store = Store::open_temporary().expect("store");
    import(&store, "imp-1", &village());
    let again = import(&store, "imp-2", &village());
    assert_eq!(
        again,
        PopulationOutcome { unchanged: 5, ..PopulationOutcome::default() },
        "a re-import is idempotent"
    );
    assert_eq!(count(&store, "SELECT count(*) FROM resident_history"), 0);
    assert_eq!(count(&store, "SELECT count(*) FROM registry_imports"), 2, "both imports recorded");
}

#[test]
fn a_name_correction_a_move_to_another_kk_and_a_desa_move_are_exactly_the_changes() {
    let store = Store::open_temporary().expect("store");
    import(&store, "imp-1", &village());

    let mut records = village();
    records[0].name = "BUDI SANTOSA".into(); // a spelling corrected
    records[2].kk = NoKk::parse(KK_B).expect("KK"); // Ani moves into Joko's KK
    records[2].shdk = 10; // as "famili lain"
    for record in &mut records[3..] {
        record.address.desa_code = OTHER_DESA; // Joko's family moves desa
    }
    records[2].address = records[3].address.clone();
    let outcome = import(&store, "imp-2", &records);

    assert_eq!((outcome.inserted, outcome.updated, outcome.unchanged), (0, 2, 3));
    assert_eq!((outcome.families_new, outcome.memberships_ended), (0, 0));
    assert_eq!(
        rows(&outcome.changes),
        [
            of_resident(BUDI, "name", "BUDI SANTOSO", "BUDI SANTOSA"),
            of_resident(ANI, "kk", KK_A, KK_B),
            of_resident(ANI, "shdk", "4", "10"),
            of_family(KK_B, "desa", Some(&DESA.to_string()), &OTHER_DESA.to_string()),
        ]
    );
    assert_eq!(
        text(&store, &format!("SELECT relation FROM residents WHERE nik = '{ANI}'")).as_deref(),
        Some("other"),
        "the engine's relation follows the new SHDK"
    );
    assert_eq!(
        count(&store, &format!("SELECT desa_code FROM families WHERE kk = '{KK_B}'")),
        OTHER_DESA as i64
    );
    assert_eq!(
        count(&store, "SELECT changed FROM registry_imports WHERE id = 'imp-2'"),
        4,
        "the import records how many fields it changed"
    );
    let history = store
        .inspect("SELECT import_id, field FROM resident_history ORDER BY field")
        .expect("history");
    let fields: Vec<(&str, &str)> = history.iter().map(|r| (r[0].text(), r[1].text())).collect();
    assert_eq!(fields, [("imp-2", "desa"), ("imp-2", "kk"), ("imp-2", "name"), ("imp-2", "shdk")]);

    // The second file again: nothing more.
    let again = import(&store, "imp-3", &records);
    assert_eq!((again.updated, again.unchanged, again.changes.len()), (0, 5, 0));
}

#[test]
fn residents_absent_from_a_file_are_left_alone_and_new_ones_are_added() {
    let store = Store::open_temporary().expect("store");
    import(&store, "imp-1", &village());
    let mut newborn = person("3510014511250006", KK_B, 4, "BAYU");
    newborn.line = 2;
    let outcome = import(&store, "imp-2", &[person(JOKO, KK_B, 1, "JOKO WIDODO"), newborn]);
    assert_eq!((outcome.inserted, outcome.updated, outcome.unchanged), (1, 0, 1));
    assert_eq!(store.resident_count().expect("count"), 6);
}

#[test]
fn a_death_ends_the_persons_memberships_and_the_households_only_when_no_one_is_left() {
    let store = Store::open_temporary().expect("store");
    import(&store, "imp-1", &village());
    store
        .add_memberships(&[
            membership("GURU_NGAJI", Some(BUDI), None, None),
            membership("PKH", None, Some(KK_A), Some(SITI)),
            membership("BPNT", None, Some(KK_A), None),
            membership("GURU_NGAJI", Some(JOKO), None, None),
        ])
        .expect("memberships");

    let mut records = village();
    records[0].life_status = LifeStatus::Died;
    records[1].life_status = LifeStatus::MovedAway;
    let outcome = import(&store, "imp-2", &records);
    assert_eq!(outcome.memberships_ended, 2);
    assert_eq!(
        rows(&outcome.changes),
        [
            of_resident(BUDI, "life_status", "alive", "died"),
            of_resident(SITI, "life_status", "alive", "moved_away"),
        ]
    );
    let at = Some("2026-12-01T09:00:00+07:00".to_owned());
    let ended = |program: &str, who: &str, reason: &str| {
        (program.into(), who.into(), "ended".into(), Some(reason.into()), at.clone())
    };
    let active =
        |program: &str, who: &str| (program.into(), who.into(), "active".into(), None, None);
    assert_eq!(
        memberships(&store),
        [
            ended("GURU_NGAJI", BUDI, "died"),
            ended("PKH", SITI, "moved_away"),
            active("BPNT", KK_A), // Ani still lives in the household
            active("GURU_NGAJI", JOKO),
        ]
    );

    // Ani leaves too: the household's own membership ends, for the head's reason.
    records[2].life_status = LifeStatus::MovedAway;
    let outcome = import(&store, "imp-3", &records);
    assert_eq!(outcome.memberships_ended, 1);
    assert_eq!(memberships(&store)[2], ended("BPNT", KK_A, "died"));

    // And again: nothing more ends.
    assert_eq!(import(&store, "imp-4", &records).memberships_ended, 0);
}

#[test]
fn a_failure_inside_the_work_leaves_nothing_written() {
    let store = Store::open_temporary().expect("store");
    let records = village();
    #[derive(Debug)]
    enum Failure {
        FileTruncated,
        Store(#[allow(dead_code)] StoreError),
    }
    impl From<StoreError> for Failure {
        fn from(error: StoreError) -> Self {
            Failure::Store(error)
        }
    }
    let result = store.import_population(&meta("imp-1", ImportKind::Population, false), |writer| {
        for record in &records {
            writer.push(record)?;
        }
        Err::<ImportCounts, _>(Failure::FileTruncated)
    });
    assert!(matches!(result, Err(Failure::FileTruncated)), "{result:?}");
    assert_eq!(store.resident_count().expect("count"), 0);
    assert_eq!(count(&store, "SELECT count(*) FROM families"), 0);
    assert_eq!(count(&store, "SELECT count(*) FROM registry_imports"), 0);

    // The connection is fine for the next import.
    assert_eq!(import(&store, "imp-2", &records).inserted, 5);
}

/// Reading a large file takes a while: other writers (a kiosk's report, an import of
/// recipients) are not held up meanwhile. The registry is locked for the merge alone.
#[test]
fn other_writers_go_on_while_a_file_is_staged() {
    let store = Store::open_temporary().expect("store");
    import(&store, "imp-1", &village());
    let outcome = store
        .import_population(&meta("imp-2", ImportKind::Population, false), |writer| {
            for record in &village() {
                writer.push(record)?;
            }
            let (done, finished) = std::sync::mpsc::channel();
            let other = store.clone();
            std::thread::spawn(move || {
                let added =
                    other.add_memberships(&[membership("GURU_NGAJI", Some(JOKO), None, None)]);
                let _ = done.send(added.is_ok());
            });
            let added = finished.recv_timeout(std::time::Duration::from_secs(5));
            assert_eq!(added, Ok(true), "another write went through during the staging");
            Ok::<_, StoreError>(counts(5))
        })
        .expect("import");
    assert_eq!(outcome.unchanged, 5);
    assert_eq!(memberships(&store).len(), 1);
}

#[test]
fn a_dry_run_answers_the_same_outcome_and_writes_nothing() {
    let store = Store::open_temporary().expect("store");
    import(&store, "imp-1", &village());
    store.add_memberships(&[membership("GURU_NGAJI", Some(BUDI), None, None)]).expect("add");
    let mut records = village();
    records[0].life_status = LifeStatus::Died;
    records[3].name = "JOKO W.".into();
    records.push(person("3510014511250006", KK_B, 4, "BAYU"));

    let dry = try_import(&store, "imp-2", true, &records).expect("dry run");
    assert_eq!((dry.inserted, dry.updated, dry.memberships_ended, dry.changes.len()), (1, 2, 1, 2));
    assert_eq!(store.resident_count().expect("count"), 5);
    assert_eq!(count(&store, "SELECT count(*) FROM registry_imports"), 1);
    assert_eq!(count(&store, "SELECT count(*) FROM resident_history"), 0);
    assert_eq!(memberships(&store)[0].2, "active");

    let real = import(&store, "imp-2", &records);
    assert_eq!(real, dry, "the dry run said what the import then did");
}

#[test]
fn the_stored_relation_follows_each_shdk_as_the_engine_maps_it() {
    let store = Store::open_temporary().expect("store");
    let records: Vec<PersonRecord> = (1..=11u8)
        .map(|shdk| person(&format!("35100112038500{:02}", shdk + 10), KK_A, shdk, "WARGA"))
        .collect();
    import(&store, "imp-1", &records);
    let stored = store.inspect("SELECT shdk, relation FROM residents ORDER BY shdk").expect("rows");
    let stored: Vec<(u8, String)> =
        stored.iter().map(|r| (r[0].int() as u8, r[1].text().to_owned())).collect();
    let expected: Vec<(u8, String)> =
        (1..=11).map(|shdk| (shdk, relation_of_shdk(shdk).as_str().to_owned())).collect();
    assert_eq!(stored, expected);
}

#[test]
fn a_file_naming_one_nik_twice_or_a_new_kk_without_head_is_refused_whole() {
    let store = Store::open_temporary().expect("store");
    let mut twice = village();
    twice.push(twice[1].clone());
    twice[5].line = 9;
    let error = try_import(&store, "imp-1", false, &twice).expect_err("refused");
    assert!(error.to_string().contains("lines 3 and 9"), "{error}");

    // A KK not registered yet needs its head in the file: its address is the head's.
    let headless = &village()[1..];
    let error = try_import(&store, "imp-2", false, headless).expect_err("refused");
    assert!(error.to_string().contains("line 3 is not registered and has no head"), "{error}");
    assert_eq!(store.resident_count().expect("count"), 0);
    assert_eq!(count(&store, "SELECT count(*) FROM registry_imports"), 0);
}

#[test]
fn a_registered_kk_whose_head_is_not_in_the_file_keeps_its_address() {
    let store = Store::open_temporary().expect("store");
    import(&store, "imp-1", &village());
    let mut siti = person(SITI, KK_A, 3, "SITI AMINAH");
    siti.address.street = "JL. LAIN".into();
    siti.address.desa_code = OTHER_DESA;
    siti.marital_status = Some(4);
    let outcome = import(&store, "imp-2", &[siti]);
    assert_eq!(rows(&outcome.changes), [of_resident(SITI, "marital_status", "2", "4")]);
    assert_eq!(
        text(&store, &format!("SELECT address FROM families WHERE kk = '{KK_A}'")).as_deref(),
        Some("JL. MAWAR NO. 1"),
        "a family's address is its head's"
    );
}

#[test]
fn text_with_tabs_backslashes_and_newlines_is_stored_as_written() {
    let store = Store::open_temporary().expect("store");
    let mut records = village();
    records[0].address.street = "JL. MAWAR\tNO. 4\\B\nBLOK C".into();
    records[1].father_name = "\\N".into();
    import(&store, "imp-1", &records);
    assert_eq!(
        text(&store, &format!("SELECT address FROM families WHERE kk = '{KK_A}'")).as_deref(),
        Some("JL. MAWAR\tNO. 4\\B\nBLOK C")
    );
    assert_eq!(
        text(&store, &format!("SELECT father_name FROM residents WHERE nik = '{SITI}'")).as_deref(),
        Some("\\N")
    );
}

fn desil_row(line: u64, kk: Option<&str>, nik: Option<&str>, desil: u8) -> DesilRecord {
    DesilRecord {
        line,
        kk: kk.map(|k| NoKk::parse(k).expect("KK")),
        nik: nik.map(|n| Nik::parse(n).expect("NIK")),
        desil,
    }
}

#[test]
fn desil_rows_match_a_family_on_its_kk_or_any_members_nik() {
    let store = Store::open_temporary().expect("store");
    import(&store, "imp-1", &village());
    let outcome = desil(
        &store,
        "desil-1",
        &[desil_row(2, Some(KK_A), None, 3), desil_row(3, None, Some(RINA), 7)],
    );
    assert_eq!((outcome.matched, outcome.changed), (2, 2));
    assert_eq!(outcome.unmatched, []);
    assert_eq!(
        rows(&outcome.changes),
        [of_family(KK_A, "desil", None, "3"), of_family(KK_B, "desil", None, "7")]
    );
    let stored = store
        .inspect("SELECT kk, desil, desil_import FROM families ORDER BY kk")
        .expect("families");
    let stored: Vec<(&str, i64, &str)> =
        stored.iter().map(|r| (r[0].text(), r[1].int(), r[2].text())).collect();
    assert_eq!(stored, [(KK_A, 3, "desil-1"), (KK_B, 7, "desil-1")]);
    assert_eq!(
        text(&store, "SELECT kind FROM registry_imports WHERE id = 'desil-1'").as_deref(),
        Some("desil")
    );

    // A new ranking: one family moves up, the other stays.
    let outcome = desil(
        &store,
        "desil-2",
        &[desil_row(2, Some(KK_A), Some(ANI), 4), desil_row(3, Some(KK_B), None, 7)],
    );
    assert_eq!((outcome.matched, outcome.changed), (2, 1));
    assert_eq!(rows(&outcome.changes), [of_family(KK_A, "desil", Some("3"), "4")]);
    assert_eq!(
        text(&store, &format!("SELECT desil_import FROM families WHERE kk = '{KK_B}'")).as_deref(),
        Some("desil-1"),
        "an unchanged desil keeps the import that set it"
    );
}

#[test]
fn desil_rows_that_name_no_family_a_stranger_or_disagree_are_not_applied() {
    let store = Store::open_temporary().expect("store");
    import(&store, "imp-1", &village());
    let outcome = desil(
        &store,
        "desil-1",
        &[
            desil_row(2, Some("3510010101200009"), None, 2), // no such KK
            desil_row(3, None, Some("3510011203850099"), 2), // no such NIK
            desil_row(4, Some(KK_A), Some(JOKO), 2),         // Joko is not in KK A
            desil_row(5, Some(KK_B), None, 5),               // KK B: 5 ...
            desil_row(6, None, Some(RINA), 6),               // ... and 6 by Rina's NIK
            desil_row(7, Some(KK_A), Some(SITI), 1),         // KK A, rightly
            desil_row(8, Some("3510010101200009"), Some("3510011203850099"), 2), // neither known
        ],
    );
    assert_eq!(
        outcome.unmatched,
        [
            (2, DesilMiss::NotRegistered),
            (3, DesilMiss::NotRegistered),
            (4, DesilMiss::NikNotInKk),
            (5, DesilMiss::Conflicting),
            (6, DesilMiss::Conflicting),
            (8, DesilMiss::NotRegistered),
        ]
    );
    assert_eq!((outcome.matched, outcome.changed), (1, 1));
    let stored = store.inspect("SELECT kk, desil FROM families ORDER BY kk").expect("families");
    assert_eq!(stored[1][1], Cell::Null, "neither conflicting desil applied to KK B");
    assert_eq!(stored[0][1], Cell::Int(1));
}

#[test]
fn a_desil_import_that_fails_or_is_dry_writes_nothing() {
    let store = Store::open_temporary().expect("store");
    import(&store, "imp-1", &village());
    let rows = [desil_row(2, Some(KK_A), None, 3)];
    let dry = store
        .import_desil(&meta("desil-1", ImportKind::Desil, true), |writer| {
            writer.push(&rows[0])?;
            Ok::<_, StoreError>(counts(1))
        })
        .expect("dry run");
    assert_eq!((dry.matched, dry.changed), (1, 1));
    let out_of_range = store.import_desil(&meta("desil-2", ImportKind::Desil, false), |writer| {
        writer.push(&rows[0])?;
        writer.push(&desil_row(3, Some(KK_B), None, 11))?;
        Ok::<_, StoreError>(counts(2))
    });
    assert!(out_of_range.is_err());
    assert_eq!(count(&store, "SELECT count(*) FROM families WHERE desil IS NOT NULL"), 0);
    assert_eq!(count(&store, "SELECT count(*) FROM registry_imports"), 1);
    assert_eq!(desil(&store, "desil-3", &rows), dry, "the dry run said what the import then did");
}

#[test]
fn an_import_of_the_wrong_kind_is_refused() {
    let store = Store::open_temporary().expect("store");
    let result = store.import_population(&meta("x", ImportKind::Desil, false), |_| {
        Ok::<_, StoreError>(ImportCounts::default())
    });
    assert!(matches!(result, Err(StoreError::Invalid(_))));
}

/// The write path's speed on a Banyuwangi-sized file: 1.7 M synthetic residents staged and
/// merged, then the same file with 1% of the residents changed. Run in release:
/// `cargo test --release -p anjungan-backend --test suite registry_store:: -- --ignored --nocapture`
/// (ANJUNGAN_IMPORT_ROWS sets another size). The real figure, with reading and validation,
/// is `backend bench`'s.
#[test]
#[ignore = "a measurement, minutes in a debug build"]
fn import_speed_on_a_kabupaten_sized_file() {
    let residents: u64 = std::env::var("ANJUNGAN_IMPORT_ROWS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_700_000);
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .try_init();
    let store = Store::open_temporary().expect("store");
    let records = |changed_every: u64| {
        (0..residents).map(move |index| {
            let mut record = synthetic(index);
            if changed_every > 0 && index % changed_every == 0 {
                record.name.push_str(" JR");
            }
            record
        })
    };
    let started = std::time::Instant::now();
    let names: usize = records(0).map(|record| record.name.len()).sum();
    println!(
        "generating the {residents} records alone: {:.2} s ({names} bytes of names)",
        started.elapsed().as_secs_f64()
    );
    for (id, changed_every) in [("first", 0), ("again", 100)] {
        let started = std::time::Instant::now();
        let cpu_before = cpu_seconds();
        let mut staged_in = std::time::Duration::ZERO;
        let outcome = store
            .import_population(&meta(id, ImportKind::Population, false), |writer| {
                for record in records(changed_every) {
                    writer.push(&record)?;
                }
                staged_in = started.elapsed();
                Ok::<_, StoreError>(counts(residents as usize))
            })
            .expect("import");
        let total = started.elapsed();
        println!(
            "{} on {}: {residents} rows in {:.2} s, {:.2} s of CPU here ({:.0} rows/s; staging \
             {:.2} s, merge {:.2} s), {} new, {} changed, peak RSS {} MB",
            id,
            store.database_kind(),
            total.as_secs_f64(),
            cpu_seconds() - cpu_before,
            residents as f64 / total.as_secs_f64(),
            staged_in.as_secs_f64(),
            (total - staged_in).as_secs_f64(),
            outcome.inserted,
            outcome.updated,
            peak_rss_mb(),
        );
    }
}

/// Resident `index` of a synthetic regency: families of four, valid NIK and KK, whose
/// numbers come in no particular order (as birth dates do in a real file).
fn synthetic(index: u64) -> PersonRecord {
    // 20160 (day, month, year) slots, visited in a scrambled order; the serial counts the
    // rounds, so every index has a NIK of its own.
    const SLOTS: u64 = 28 * 12 * 60;
    let number = |n: u64, female: bool| {
        let slot = n * 7919 % SLOTS;
        let (day, month, year) = (slot % 28 + 1, slot / 28 % 12 + 1, slot / 336 + 40);
        let day = day + if female { 40 } else { 0 };
        format!("351001{day:02}{month:02}{year:02}{:04}", n / SLOTS + 1)
    };
    let family = index / 4;
    let nik = number(index, index % 2 == 1);
    let kk = number(family, false);
    let shdk = match index % 4 {
        0 => 1,
        1 => 3,
        _ => 4,
    };
    let mut record = person(&nik, &kk, shdk, "WARGA SINTETIS");
    record.line = index + 2;
    record.address.desa_code = DESA + family % 50;
    record.address.rt = format!("{:03}", family % 20 + 1);
    record
}

/// CPU time this process has used, user and system: on a shared machine a steadier
/// measure of the work than the wall clock (on PostgreSQL the server's is not counted).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which is in parentheses): utime and stime are the
    // 12th and 13th, in clock ticks of 1/100 s.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<f64> = after.split_whitespace().map(|f| f.parse().unwrap_or(0.0)).collect();
    (fields.get(11).unwrap_or(&0.0) + fields.get(12).unwrap_or(&0.0)) / 100.0
}

fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}
