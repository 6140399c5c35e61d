//! The synthetic registry tells the stories the demo needs at any size, passes the
//! eligibility engine the later issues run over it, and has families a person would believe.

use std::collections::HashMap;

use backend::Store;
use backend::checks::decide_for;
use backend::demo::{DemoOptions, DemoSummary, REFERENCE_YEAR, generate};
use backend::eligibility::{Catalogue, Quota, Request};
use backend::population::LifeStatus;
use backend::store::{MembershipRecord, StatusRecord};
use protocol::api::{MembershipState, Relation};
use protocol::{Nik, Sex};

fn registry(residents: usize, seed: u64) -> (Store, DemoSummary) {
    let store = Store::open_temporary().expect("store");
    let summary = generate(&store, &DemoOptions { residents, seed }).expect("generate");
    (store, summary)
}

fn has(record: &StatusRecord, program: &str, holder: Option<&Nik>) -> bool {
    record.memberships.iter().any(|m| {
        m.program == program
            && match holder {
                Some(nik) => m.nik.as_deref() == Some(nik.as_str()),
                None => m.kk.is_some(),
            }
    })
}

fn relation_of(record: &StatusRecord, nik: &Nik) -> Relation {
    record.members.iter().find(|m| m.nik == nik.as_str()).expect("member of own KK").relation
}

#[test]
fn every_example_exists_in_a_small_registry_and_tells_its_story() {
    type Check = fn(&Nik, &StatusRecord) -> bool;
    let stories: [(&str, Check); 10] = [
        ("PKH, komponen ibu hamil", |nik, r| {
            r.pregnant
                && r.memberships.iter().any(|m| {
                    m.program == "PKH"
                        && m.component.as_deref() == Some("ibu_hamil")
                        && m.member_nik.as_deref() == Some(nik.as_str())
                })
        }),
        ("tidak menerima bantuan", |_, r| r.memberships.is_empty()),
        ("ayahnya menerima BST", |nik, r| {
            nik.sex() == Sex::Male && relation_of(r, nik) == Relation::Child && has(r, "BST", None)
        }),
        ("ibu hamil: paket nutrisi + sembako APBD", |nik, r| {
            r.pregnant && has(r, "APBD_SEMBAKO", None) && has(r, "NUTRISI_BUMIL", Some(nik))
        }),
        ("BLT Dana Desa", |_, r| has(r, "BLT_DD", None)),
        ("ibu menyusui", |nik, r| r.nursing && has(r, "NUTRISI_BUMIL", Some(nik))),
        ("guru ngaji", |nik, r| has(r, "GURU_NGAJI", Some(nik))),
        ("lansia", |nik, r| relation_of(r, nik) == Relation::Parent && has(r, "BPNT", None)),
        ("ASN Peduli", |_, r| r.memberships.len() == 1 && has(r, "ASN_PEDULI", None)),
        ("meninggal dunia", |nik, r| {
            let ended = |m: &MembershipRecord| {
                m.state == MembershipState::Ended && m.ended_reason.as_deref() == Some("died")
            };
            let his = r.memberships.iter().filter(|m| m.nik.as_deref() == Some(nik.as_str()));
            r.life_status == LifeStatus::Died
                && his.clone().count() == 1
                && his.clone().all(ended)
                && r.memberships
                    .iter()
                    .any(|m| m.program == "BPNT" && m.state == MembershipState::Active)
        }),
    ];
    for seed in [1, 2, 2020] {
        let (store, summary) = registry(60, seed);
        let found: Vec<&str> = summary.examples.iter().map(|e| e.description.as_str()).collect();
        assert_eq!(found.len(), stories.len(), "seed {seed}: {found:?}");
        for ((words, check), example) in stories.iter().zip(&summary.examples) {
            assert!(example.description.contains(words), "seed {seed}: {found:?}");
            let record = store.status(&example.nik).expect("status").expect("example exists");
            assert!(check(&example.nik, &record), "seed {seed}, {words}: {record:#?}");
        }
        let pkh = found.iter().filter(|d| d.contains("PKH")).count();
        assert_eq!(pkh, 1, "the kiosk finds the PKH example by that word: {found:?}");
    }
}

#[test]
fn every_generated_membership_passes_the_eligibility_engine() {
    let (store, _) = registry(20_000, 2020);
    let catalogue = Catalogue::default_catalogue();
    type Row =
        (String, Option<String>, Option<String>, Option<String>, Option<String>, bool, i64, String);
    // What a death or move ended is not judged again (the engine refuses such a subject):
    // every such membership is held by someone not alive, or by a household of nobody alive.
    let ended_by_life = store
        .inspect(
            "SELECT count(*) FROM memberships m
             WHERE m.ended_reason IS NOT NULL AND m.state = 'ended' AND m.ended_at = m.since
               AND m.ended_reason = coalesce(
                   (SELECT life_status FROM residents WHERE nik = coalesce(m.nik, m.member_nik)),
                   (SELECT life_status FROM residents WHERE kk = m.kk AND relation = 'head'))
               AND m.ended_reason <> 'alive'",
        )
        .expect("count")[0][0]
        .int();
    let with_reason = store
        .inspect("SELECT count(*) FROM memberships WHERE ended_reason IS NOT NULL")
        .expect("count")[0][0]
        .int();
    assert_eq!(ended_by_life, with_reason);
    assert!(with_reason > 3, "{with_reason} memberships ended by a death or move");
    // A household's membership is asked for by a member still alive, the head if he is.
    let rows: Vec<Row> = store
        .inspect(
            "SELECT m.program, m.component, m.nik, m.kk, m.member_nik, m.state <> 'ended',
                    m.desa_code, coalesce(m.nik, m.member_nik,
                        (SELECT nik FROM residents WHERE kk = m.kk
                         ORDER BY life_status <> 'alive', relation <> 'head', nik LIMIT 1))
             FROM memberships m WHERE m.ended_reason IS NULL",
        )
        .expect("query")
        .iter()
        .map(|row| {
            let opt = |i: usize| row[i].opt_text().map(str::to_string);
            (
                row[0].text().to_string(),
                opt(1),
                opt(2),
                opt(3),
                opt(4),
                row[5].truthy(),
                row[6].int(),
                row[7].text().to_string(),
            )
        })
        .collect();
    let mut counted: HashMap<(String, i64), u32> = HashMap::new();
    for (program, .., counts, desa, _) in &rows {
        if *counts {
            *counted.entry((program.clone(), *desa)).or_default() += 1;
        }
    }
    let mut refused = Vec::new();
    for (program, component, nik, kk, member_nik, counts, desa, subject) in &rows {
        let subject = Nik::parse(subject).expect("subject NIK");
        let mut family = store.status(&subject).expect("status").expect("subject exists");
        // Judge the membership as it was added: against everything else the family holds.
        let own = family
            .memberships
            .iter()
            .position(|m| {
                &m.program == program
                    && &m.component == component
                    && &m.nik == nik
                    && &m.kk == kk
                    && &m.member_nik == member_nik
            })
            .expect("the membership is in the family's status");
        family.memberships.remove(own);
        let others = counted.get(&(program.clone(), *desa)).copied().unwrap_or(0);
        let quota = Quota { used: others - u32::from(*counts) };
        let request = Request { program: program.as_str(), component: component.as_deref() };
        let decision = decide_for(&catalogue, request, &subject, &family, quota);
        if !decision.is_accepted() {
            refused.push((program.clone(), subject.masked(), decision.reasons().to_vec()));
        }
    }
    assert!(rows.len() > 1000, "{} memberships", rows.len());
    assert!(
        refused.is_empty(),
        "{} refused, e.g. {:#?}",
        refused.len(),
        &refused[..3.min(refused.len())]
    );
}

type Resident = (String, String, String, String, String, bool, bool);

fn born(row: &Resident) -> i64 {
    row.4[..4].parse().expect("year")
}

fn with_relation<'a>(
    people: &'a [&'a Resident],
    relation: &'a str,
) -> impl Iterator<Item = &'a Resident> + 'a {
    people.iter().copied().filter(move |p| p.2 == relation)
}

#[test]
fn ages_and_family_shapes_are_plausible() {
    let (store, _) = registry(20_000, 9);
    let rows: Vec<Resident> = store
        .inspect("SELECT kk, nik, relation, sex, birth_date, pregnant, nursing FROM residents")
        .expect("query")
        .iter()
        .map(|row| {
            let text = |i: usize| row[i].text().to_string();
            (text(0), text(1), text(2), text(3), text(4), row[5].truthy(), row[6].truthy())
        })
        .collect();
    let mut families: HashMap<&str, Vec<&Resident>> = HashMap::new();
    for row in &rows {
        families.entry(&row.0).or_default().push(row);
    }
    let reference = i64::from(REFERENCE_YEAR);
    for (kk, people) in &families {
        let heads: Vec<&Resident> = with_relation(people, "head").collect();
        assert_eq!(heads.len(), 1, "{kk}");
        let head_born = born(heads[0]);
        let wives: Vec<&Resident> = with_relation(people, "spouse").collect();
        assert!(wives.len() <= 1 && wives.iter().all(|w| w.3 == "female"), "{kk}");
        let mother_born = match wives.first() {
            Some(wife) => born(wife),
            None => head_born + 3,
        };
        for child in with_relation(people, "child") {
            let mothers_age = born(child) - mother_born;
            assert!((18..=42).contains(&mothers_age), "{kk}: mother {mothers_age} at birth");
        }
        for parent in with_relation(people, "parent") {
            let gap = head_born - born(parent);
            assert!((18..=45).contains(&gap), "{kk}: parent {gap} years older than the head");
        }
        for person in people {
            let nik = Nik::parse(&person.1).expect("NIK");
            let birth = &person.4;
            assert!(born(person) <= reference, "{kk}: born {birth}");
            let coded = nik.birth_date();
            let expected = format!("{:02}-{:02}-{:02}", coded.year_2digit, coded.month, coded.day);
            assert_eq!(birth[2..], expected, "{kk}: NIK date");
            assert_eq!(nik.sex() == Sex::Female, person.3 == "female");
            if person.5 || person.6 {
                let age = reference - born(person);
                assert!(person.2 == "spouse" && (19..=40).contains(&age), "{kk}: {person:?}");
            }
            if person.6 {
                let baby = with_relation(people, "child").any(|c| born(c) + 1 >= reference);
                assert!(baby, "{kk}: a nursing mother has a baby");
            }
        }
    }
    // PKH's components point at the member they concern.
    let components: Vec<(String, String, String, bool)> = store
        .inspect(
            "SELECT m.component, r.relation, r.birth_date, r.pregnant FROM memberships m
             JOIN residents r ON r.nik = m.member_nik WHERE m.program = 'PKH'",
        )
        .expect("query")
        .iter()
        .map(|row| {
            let text = |i: usize| row[i].text().to_string();
            (text(0), text(1), text(2), row[3].truthy())
        })
        .collect();
    assert!(components.len() > 100, "{} PKH families with a component", components.len());
    for (component, relation, birth, pregnant) in &components {
        let age = reference - birth[..4].parse::<i64>().expect("year");
        let fits = match component.as_str() {
            "ibu_hamil" => *pregnant,
            "anak_usia_dini" => relation == "child" && age <= 6,
            "anak_sekolah" => relation == "child" && (7..=18).contains(&age),
            "lansia" => age >= 60,
            _ => false,
        };
        assert!(fits, "{component} for a {relation} born {birth}");
    }
}
