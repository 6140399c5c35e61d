//! The synthetic registry: deterministic, valid, and consistent with the brief's rules.

use std::collections::{HashMap, HashSet};

use backend::Store;
use backend::demo::{DemoOptions, generate};
use protocol::{Nik, NoKk};

fn registry(seed: u64) -> (Store, backend::demo::DemoSummary) {
    let store = Store::open_temporary().expect("store");
    let summary = generate(&store, &DemoOptions { residents: 3000, seed }).expect("generate");
    (store, summary)
}

#[test]
fn same_seed_same_registry() {
    let (_, first) = registry(11);
    let (_, second) = registry(11);
    let (_, other) = registry(12);
    assert_eq!(first, second);
    assert_ne!(first.examples, other.examples);
    assert!(first.residents >= 3000 && first.residents < 3010, "{}", first.residents);
}

#[test]
fn every_number_is_valid_unique_and_in_its_family_district() {
    let (store, _) = registry(5);
    let rows = store
        .inspect(
            "SELECT r.nik, r.kk, r.sex, f.desa_code FROM residents r JOIN families f USING (kk)",
        )
        .expect("query");
    let mut seen = HashSet::new();
    for row in &rows {
        let (nik, kk, sex, desa) = (row[0].text(), row[1].text(), row[2].text(), row[3].int());
        let parsed = Nik::parse(nik).unwrap_or_else(|e| panic!("{nik}: {e}"));
        let kk = NoKk::parse(kk).unwrap_or_else(|e| panic!("{kk}: {e}"));
        assert!(seen.insert(nik.to_string()), "duplicate NIK {nik}");
        assert_eq!(parsed.district_code(), kk.district_code());
        assert_eq!((desa / 10_000) as u32, kk.district_code());
        assert_eq!(parsed.regency_code(), 3510);
        let female = parsed.sex() == protocol::Sex::Female;
        assert_eq!(female, sex == "female");
    }
    assert!(rows.len() >= 3000);
    assert_eq!(rows.len(), seen.len());
}

#[test]
fn no_family_is_covered_twice_and_no_pkh_family_gets_bst() {
    let store = Store::open_temporary().expect("store");
    generate(&store, &DemoOptions { residents: 20_000, seed: 9 }).expect("generate");
    let rows = store
        .inspect("SELECT kk, program FROM memberships WHERE kk IS NOT NULL AND state <> 'ended'")
        .expect("query");
    let mut by_family: HashMap<String, Vec<String>> = HashMap::new();
    for row in &rows {
        by_family.entry(row[0].text().to_string()).or_default().push(row[1].text().to_string());
    }
    assert!(by_family.values().any(|p| p.contains(&"PKH".to_string())));
    for (kk, programs) in &by_family {
        assert_eq!(programs.len(), 1, "family {kk} has {programs:?}");
    }
    let count = |sql: &str| store.inspect(sql).expect("count")[0][0].int();
    // Nutrition never goes to a woman holding PKH's pregnant-mother component.
    let overlaps = count(
        "SELECT count(*) FROM memberships n JOIN memberships p
           ON p.member_nik = n.nik AND p.program = 'PKH' AND p.component = 'ibu_hamil'
         WHERE n.program = 'NUTRISI_BUMIL'",
    );
    assert_eq!(overlaps, 0);
    let nutrition_with_sembako = count(
        "SELECT count(*) FROM memberships n JOIN residents r ON r.nik = n.nik
         JOIN memberships s ON s.kk = r.kk AND s.program = 'APBD_SEMBAKO'
         WHERE n.program = 'NUTRISI_BUMIL'",
    );
    assert!(nutrition_with_sembako > 0, "the allowed combination appears in the data");
}

#[test]
fn audit_log_refuses_changes() {
    let store = Store::open_temporary().expect("store");
    // More than one multi-row statement's worth, and not a multiple of it.
    for i in 0..130 {
        store.audit(backend::store::AuditEntry {
            at: "2026-11-23T00:00:00Z".into(),
            actor: "cli".into(),
            action: "test".into(),
            subject: format!("entry {i}"),
            outcome: "ok".into(),
        });
    }
    store.flush_audit();
    let recent = store.recent_audit(200).expect("recent");
    assert_eq!(recent.len(), 130);
    assert_eq!(recent[0].subject, "entry 129", "newest first, in order");
    assert!(store.inspect_execute("UPDATE audit SET outcome = 'changed'").is_err());
    assert!(store.inspect_execute("DELETE FROM audit").is_err());
    let count = store.inspect("SELECT count(*) FROM audit").expect("count")[0][0].int();
    assert_eq!(count, 130);
}
