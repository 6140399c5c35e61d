//! Bulk import of recipient lists through the eligibility engine and the desa quota, as desa
//! staff would run it: the seed's BLT Dana Desa list of 176 with two PKH families.

use backend::Store;
use backend::eligibility::Catalogue;
use backend::import::{ImportError, ImportOptions, ImportSummary, Requester, RowReport, admit};
use backend::store::{NewFamily, NewMembership, NewResident};
use protocol::api::{MembershipState, Relation};
use protocol::region::regions;
use protocol::{Nik, NoKk};

/// A desa of Kecamatan Blimbingsari with `families` one-person families; returns the desa
/// code and the heads' NIKs.
fn desa_with_families(store: &Store, village_index: usize, families: u32) -> (u64, Vec<Nik>) {
    let desa = regions().villages_of(351025)[village_index].code;
    let mut heads = Vec::new();
    for i in 1..=families {
        let serial = village_index as u32 * 1000 + i;
        let nik =
            Nik::parse(&format!("3510250101{:02}{serial:04}", 60 + village_index)).expect("NIK");
        let kk =
            NoKk::parse(&format!("3510250101{:02}{serial:04}", 10 + village_index)).expect("KK");
        let head = NewResident::new(nik, format!("WARGA {i}"), "1960-01-01", Relation::Head);
        let family = NewFamily {
            dtks: true,
            desil: Some(2),
            ..NewFamily::new(kk, desa, "Dusun Krajan", vec![head])
        };
        store.add_family(&family).expect("family");
        heads.push(nik);
    }
    (desa, heads)
}

fn give_pkh(store: &Store, desa: u64, nik: &Nik) {
    let kk = store.status(nik).expect("status").expect("resident").kk;
    store
        .add_memberships(&[NewMembership {
            program: "PKH".into(),
            nik: None,
            kk: Some(NoKk::parse(&kk).expect("KK")),
            component: None,
            member_nik: None,
            state: MembershipState::Active,
            since: "2020-01-01".into(),
            desa_code: desa,
        }])
        .expect("PKH");
}

fn run(
    store: &Store,
    desa: u64,
    csv: &str,
) -> Result<(ImportSummary, Vec<RowReport>), ImportError> {
    run_with(store, desa, csv, false)
}

fn run_with(
    store: &Store,
    desa: u64,
    csv: &str,
    dry_run: bool,
) -> Result<(ImportSummary, Vec<RowReport>), ImportError> {
    let catalogue = Catalogue::default_catalogue();
    let requester = Requester { actor: "cli:test".into(), desa: None };
    let list = admit(store, &catalogue, &requester, "BLT_DD", desa)?;
    let options =
        ImportOptions { state: MembershipState::Proposed, since: "2020-05-06".into(), dry_run };
    let mut rows = Vec::new();
    let summary =
        list.run(store, &catalogue, &options, csv.as_bytes(), |r| rows.push(r.clone()), |_| {})?;
    Ok((summary, rows))
}

fn csv_of(niks: &[Nik]) -> String {
    let mut csv = String::from("nik,name\n");
    for (i, nik) in niks.iter().enumerate() {
        csv.push_str(&format!("{nik},WARGA {}\n", i + 1));
    }
    csv
}

#[test]
fn a_list_of_176_with_two_pkh_families() {
    let store = Store::open_temporary().expect("store");
    let (desa, heads) = desa_with_families(&store, 0, 176);
    give_pkh(&store, desa, &heads[40]);
    give_pkh(&store, desa, &heads[120]);
    let (summary, rows) = run(&store, desa, &csv_of(&heads)).expect("import");
    assert_eq!((summary.accepted, summary.rejected), (174, 2));
    assert!(summary.written);
    let rejected: Vec<&RowReport> = rows.iter().filter(|r| r.outcome == "rejected").collect();
    assert_eq!(rejected.iter().map(|r| r.line).collect::<Vec<_>>(), vec![42, 122]);
    for row in rejected {
        let reason = row.reason.as_ref().expect("reason");
        assert!(reason.id.contains("Program Keluarga Harapan"), "{}", reason.id);
        assert!(row.nik.contains('*'), "the report masks NIKs");
    }
    assert_eq!(store.quota_used("BLT_DD", desa).expect("count"), 174);
}

#[test]
fn the_177th_family_is_over_quota() {
    let store = Store::open_temporary().expect("store");
    let (desa, heads) = desa_with_families(&store, 1, 177);
    let (summary, rows) = run(&store, desa, &csv_of(&heads)).expect("import");
    assert_eq!((summary.accepted, summary.over_quota), (176, 1));
    let last = rows.last().expect("rows");
    assert_eq!((last.line, last.outcome), (178, "over_quota"));
    assert!(last.reason.as_ref().expect("reason").id.contains("176"));
    // A second list for the same desa finds the quota taken.
    let (again, _) = run(&store, desa, &csv_of(&heads[..1])).expect("import");
    assert_eq!(again.accepted, 0);
}

#[test]
fn a_broken_file_writes_nothing_and_says_where() {
    let store = Store::open_temporary().expect("store");
    let (desa, heads) = desa_with_families(&store, 2, 5);
    let csv = format!(
        "nik,name\n{},A\n35102501016X0001,B\n{},C\n{},D\n{}\n",
        heads[0], heads[1], heads[0], heads[2]
    );
    let (summary, rows) = run(&store, desa, &csv).expect("import");
    assert_eq!(summary.malformed, 2, "{rows:?}");
    assert_eq!(summary.duplicate, 1);
    assert!(!summary.written);
    assert_eq!(store.quota_used("BLT_DD", desa).expect("count"), 0, "nothing half-written");
    let by_line: Vec<(u64, &str)> = rows.iter().map(|r| (r.line, r.outcome)).collect();
    assert_eq!(
        by_line,
        vec![
            (2, "accepted"),
            (3, "malformed"),
            (4, "accepted"),
            (5, "duplicate"),
            (6, "malformed")
        ]
    );
    assert!(rows[1].reason.as_ref().expect("reason").en.contains("not a digit"));
}

#[test]
fn rows_of_another_desa_or_unknown_people_are_reported() {
    let store = Store::open_temporary().expect("store");
    let (desa, _) = desa_with_families(&store, 3, 2);
    let (_, elsewhere) = desa_with_families(&store, 4, 1);
    let csv = format!("nik\n{}\n3510250101700999\n", elsewhere[0]);
    let (summary, _) = run(&store, desa, &csv).expect("import");
    assert_eq!((summary.other_desa, summary.not_found), (1, 1));
}

#[test]
fn files_without_a_nik_column_or_with_unknown_columns_are_refused() {
    let store = Store::open_temporary().expect("store");
    assert!(matches!(run(&store, 3510252001, "nama\nBUDI\n"), Err(ImportError::NoNikColumn)));
    assert!(
        matches!(run(&store, 3510252001, "nik,bank\n"), Err(ImportError::UnknownColumn(c)) if c == "bank")
    );
}

#[test]
fn a_dry_run_reports_every_row_and_changes_nothing() {
    let store = Store::open_temporary().expect("store");
    let (desa, heads) = desa_with_families(&store, 0, 176);
    give_pkh(&store, desa, &heads[7]);
    let (dry, dry_rows) = run_with(&store, desa, &csv_of(&heads), true).expect("dry run");
    assert_eq!((dry.accepted, dry.rejected, dry.written), (175, 1, false));
    assert_eq!(store.quota_used("BLT_DD", desa).expect("count"), 0, "nothing written");
    // The real run then decides exactly as the dry run said.
    let (real, real_rows) = run(&store, desa, &csv_of(&heads)).expect("import");
    assert_eq!((real.accepted, real.rejected, real.written), (175, 1, true));
    assert_eq!(dry_rows, real_rows);
    assert_eq!(store.quota_used("BLT_DD", desa).expect("count"), 175);
}

#[test]
fn a_list_is_admitted_only_for_a_known_program_a_real_desa_and_a_desa_of_the_requester() {
    let store = Store::open_temporary().expect("store");
    let catalogue = Catalogue::default_catalogue();
    let (desa, heads) = desa_with_families(&store, 0, 3);
    let anyone = Requester { actor: "cli:test".into(), desa: None };
    assert!(matches!(
        admit(&store, &catalogue, &anyone, "NOPE", desa),
        Err(ImportError::UnknownProgram(code)) if code == "NOPE"
    ));
    let refused = admit(&store, &catalogue, &anyone, "BLT_DD", 3510252999).map(|_| ());
    assert!(matches!(refused, Err(ImportError::UnknownDesa(_))), "{refused:?}");
    assert!(refused.err().is_some_and(|e| e.to_string() == "unknown desa code 3510252999"));
    let neighbour = regions().villages_of(351025)[1].code;
    let staff = Requester { actor: "staff:sekdes".into(), desa: Some(neighbour) };
    assert!(matches!(
        admit(&store, &catalogue, &staff, "BLT_DD", desa),
        Err(ImportError::Forbidden { desa: d, .. }) if d == desa
    ));
    let own = Requester { actor: "staff:sekdes".into(), desa: Some(desa) };
    let list = admit(&store, &catalogue, &own, "BLT_DD", desa).expect("admitted");
    let options = ImportOptions {
        state: MembershipState::Proposed,
        since: "2020-05-06".into(),
        dry_run: false,
    };
    list.run(&store, &catalogue, &options, csv_of(&heads).as_bytes(), |_| {}, |_| {}).expect("run");
    let broken = list.run(&store, &catalogue, &options, "nama\nBUDI\n".as_bytes(), |_| {}, |_| {});
    assert!(matches!(broken, Err(ImportError::NoNikColumn)));

    // One audit shape whoever imports: refusals of scope, unreadable files and the counts.
    store.flush_audit();
    let audit = store.recent_audit(10).expect("audit");
    let imports: Vec<(&str, &str, &str)> = audit
        .iter()
        .filter(|e| e.action == "import")
        .map(|e| (e.actor.as_str(), e.subject.as_str(), e.outcome.as_str()))
        .collect();
    let subject = format!("BLT_DD {desa}");
    assert_eq!(
        imports,
        [
            ("staff:sekdes", subject.as_str(), "invalid_csv"),
            (
                "staff:sekdes",
                subject.as_str(),
                "rows=3 accepted=3 rejected=0 over_quota=0 written=true"
            ),
            ("staff:sekdes", subject.as_str(), "forbidden"),
        ]
    );
}

/// A BLT Dana Desa list (desil 1-4 under DTSEN): families of another decile, unranked, or
/// whose head is recorded dead are refused row by row with their own reason; the rest goes in.
#[test]
fn a_list_refuses_families_outside_blt_dd_deciles_and_the_dead() {
    use backend::population::LifeStatus;
    let store = Store::open_temporary().expect("store");
    let (desa, heads) = desa_with_families(&store, 3, 5);
    store
        .inspect_execute(&format!(
            "UPDATE families SET desil = 6 WHERE kk = (SELECT kk FROM residents WHERE nik = '{}')",
            heads[1]
        ))
        .expect("desil 6");
    store
        .inspect_execute(&format!(
            "UPDATE families SET desil = NULL WHERE kk = (SELECT kk FROM residents WHERE nik = '{}')",
            heads[2]
        ))
        .expect("unranked");
    store
        .inspect_execute(&format!(
            "UPDATE residents SET life_status = '{}' WHERE nik = '{}'",
            LifeStatus::Died.as_str(),
            heads[3]
        ))
        .expect("died");
    let (summary, rows) = run(&store, desa, &csv_of(&heads)).expect("import");
    assert_eq!((summary.accepted, summary.rejected), (2, 3), "{rows:?}");
    let reasons: Vec<(u64, &str, String)> = rows
        .iter()
        .map(|r| (r.line, r.outcome, r.reason.as_ref().map(|t| t.id.clone()).unwrap_or_default()))
        .collect();
    assert_eq!(reasons[0], (2, "accepted", String::new()));
    assert!(reasons[1].2.ends_with("desil 1-4 DTSEN; keluarga ini desil 6."), "{reasons:?}");
    assert!(reasons[2].2.ends_with("keluarga ini belum diperingkat."), "{reasons:?}");
    assert!(reasons[3].2.contains("tercatat meninggal dunia"), "{reasons:?}");
    assert_eq!(reasons[4], (6, "accepted", String::new()));
    assert_eq!(store.quota_used("BLT_DD", desa).expect("count"), 2);
}
