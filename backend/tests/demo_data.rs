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

/// Share of `part` in `whole`, in percent.
fn percent(part: i64, whole: i64) -> f64 {
    100.0 * part as f64 / whole.max(1) as f64
}

#[test]
fn every_population_field_is_filled_as_a_village_file_would_have_it() {
    use backend::population::codes;
    let store = Store::open_temporary().expect("store");
    let summary = generate(&store, &DemoOptions { residents: 20_000, seed: 3 }).expect("generate");
    let residents = summary.residents as i64;
    let count = |sql: &str| store.inspect(sql).expect(sql)[0][0].int();
    // Every coded field holds a code of its list; only the blood type is often unknown.
    for (column, list) in [
        ("religion", codes::agama()),
        ("education", codes::pendidikan()),
        ("occupation", codes::pekerjaan()),
        ("marital_status", codes::status_kawin()),
        ("shdk", codes::shdk()),
        ("nationality", codes::warganegara()),
        ("blood_type", codes::golongan_darah()),
    ] {
        let rows = store
            .inspect(&format!("SELECT {column}, count(*) FROM residents GROUP BY {column}"))
            .expect("query");
        for row in &rows {
            let code = u8::try_from(row[0].int()).expect("a code, never NULL");
            assert!(list.get(code).is_some(), "{column} {code}");
        }
    }
    let empty = count(
        "SELECT count(*) FROM residents WHERE birth_place = '' OR father_name = '' OR mother_name = ''",
    );
    assert_eq!(empty, 0);
    let blank_address = count(
        "SELECT count(*) FROM families WHERE dusun = '' OR length(rw) <> 3 OR length(rt) <> 3 OR address = ''",
    );
    assert_eq!(blank_address, 0);

    // Banyuwangi as it is: mostly Muslim and born there, a Hindu minority.
    let islam = count("SELECT count(*) FROM residents WHERE religion = 1");
    assert!((90.0..99.0).contains(&percent(islam, residents)), "{islam} of {residents}");
    assert!(count("SELECT count(*) FROM residents WHERE religion = 4") > 0, "Hindu families");
    let born_here = count("SELECT count(*) FROM residents WHERE birth_place = 'BANYUWANGI'");
    assert!((70.0..95.0).contains(&percent(born_here, residents)));
    // One religion per family; one head (SHDK 1) per KK; children bear the head's name as
    // their father's.
    assert_eq!(
        count(
            "SELECT count(*) FROM (SELECT kk FROM residents GROUP BY kk HAVING count(DISTINCT religion) > 1) x"
        ),
        0
    );
    assert_eq!(count("SELECT count(*) FROM residents WHERE shdk = 1"), summary.families as i64);
    let fathers = count(
        "SELECT count(*) FROM residents c JOIN residents h ON h.kk = c.kk AND h.shdk = 1
         WHERE c.shdk = 4 AND c.father_name <> h.name",
    );
    assert_eq!(fathers, 0);
    // Schoolchildren are pupils and have not finished school; wives are married, or widowed
    // when the husband died.
    let pupils = count(
        "SELECT count(*) FROM residents WHERE birth_date BETWEEN '2004-01-01' AND '2014-12-31'
           AND (occupation <> 3 OR education > 4)",
    );
    assert_eq!(pupils, 0);
    let widows = count(
        "SELECT count(*) FROM residents w JOIN residents h ON h.kk = w.kk AND h.shdk = 1
         WHERE w.shdk = 3 AND h.life_status = 'died' AND w.life_status = 'alive'
           AND w.marital_status = 4",
    );
    let husbands_died = count(
        "SELECT count(*) FROM residents w JOIN residents h ON h.kk = w.kk AND h.shdk = 1
         WHERE w.shdk = 3 AND h.life_status = 'died' AND w.life_status = 'alive'",
    );
    assert!(husbands_died > 0 && widows == husbands_died, "{widows} of {husbands_died}");

    // DTSEN: the DTKS families mostly in desil 1-4, others above, a few not ranked; BLT
    // Dana Desa only in 1-4.
    let dtks_families = count("SELECT count(DISTINCT kk) FROM residents WHERE dtks");
    let dtks_poorest = count(
        "SELECT count(*) FROM families WHERE desil <= 4 AND kk IN (SELECT kk FROM residents WHERE dtks)",
    );
    assert!(percent(dtks_poorest, dtks_families) > 75.0, "{dtks_poorest} of {dtks_families}");
    let unranked = count("SELECT count(*) FROM families WHERE desil IS NULL");
    assert!(unranked > 0 && percent(unranked, summary.families as i64) < 10.0, "{unranked}");
    let blt_outside = count(
        "SELECT count(*) FROM memberships m JOIN families f ON f.kk = m.kk
         WHERE m.program = 'BLT_DD' AND (f.desil IS NULL OR f.desil > 4)",
    );
    assert_eq!(blt_outside, 0);
    assert!(count("SELECT count(*) FROM memberships WHERE program = 'BLT_DD'") > 0);

    // A few died, moved away or went missing; nothing they held is live.
    let died = count("SELECT count(*) FROM residents WHERE life_status = 'died'");
    let moved = count("SELECT count(*) FROM residents WHERE life_status = 'moved_away'");
    assert!((0.5..4.0).contains(&percent(died, residents)), "{died} died of {residents}");
    assert!((0.3..4.0).contains(&percent(moved, residents)), "{moved} moved of {residents}");
    let live_of_gone = count(
        "SELECT count(*) FROM memberships m JOIN residents r ON r.nik = coalesce(m.nik, m.member_nik)
         WHERE r.life_status <> 'alive' AND (m.state <> 'ended' OR m.ended_reason IS NULL)",
    );
    assert_eq!(live_of_gone, 0);
    let pregnant_gone = count(
        "SELECT count(*) FROM residents WHERE (pregnant OR nursing) AND life_status <> 'alive'",
    );
    assert_eq!(pregnant_gone, 0);
    eprintln!(
        "{residents} residents, {} families: {died} died, {moved} moved away, {unranked} families not ranked",
        summary.families
    );
}
