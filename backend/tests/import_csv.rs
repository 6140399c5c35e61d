//! Bulk import of recipient lists through the eligibility engine and the desa quota, as desa
//! staff would run it: the seed's BLT Dana Desa list of 176 with two PKH families.

use backend::Store;
use backend::eligibility::Catalogue;
use backend::import::{ImportError, ImportOptions, ImportSummary, RowReport, import};
use backend::store::{NewMembership, NewResident};
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
        let head = NewResident {
            nik,
            name: format!("WARGA {i}"),
            birth_date: "1960-01-01".into(),
            relation: Relation::Head,
            pregnant: false,
            nursing: false,
        };
        store.add_family(&kk, desa, "Dusun Krajan", true, &[head]).expect("family");
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
    let options = ImportOptions {
        program: "BLT_DD".into(),
        desa,
        state: MembershipState::Proposed,
        since: "2020-05-06".into(),
        dry_run,
    };
    let mut rows = Vec::new();
    let summary = import(
        store,
        &Catalogue::default_catalogue(),
        &options,
        csv.as_bytes(),
        |r| rows.push(r.clone()),
        |_| {},
    )?;
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
