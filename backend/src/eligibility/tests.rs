//! The brief's rules, one scenario each, through the shipped catalogue.

use protocol::Sex;
use protocol::api::{MembershipState, Relation};

use super::*;
use crate::population::LifeStatus;

const FATHER: &str = "3510010101700001";
const MOTHER: &str = "3510014101750001";
const SON: &str = "3510010101000001";
const DESA: u64 = 3510012001;
/// A family DTSEN ranks in desil 2: within every range of the shipped catalogue.
const FAMILY: FamilyFacts = FamilyFacts { desa: DESA, desil: Some(2) };

fn members() -> Vec<Member<'static>> {
    vec![
        Member { nik: FATHER, name: "BUDI SANTOSO", relation: Relation::Head },
        Member { nik: MOTHER, name: "SITI AMINAH", relation: Relation::Spouse },
        Member { nik: SON, name: "AGUS SANTOSO", relation: Relation::Child },
    ]
}

fn person(nik: &'static str) -> Subject<'static> {
    let female = nik == MOTHER;
    Subject {
        nik,
        sex: if female { Sex::Female } else { Sex::Male },
        pregnant: female,
        nursing: false,
        life_status: LifeStatus::Alive,
    }
}

fn household(
    program: &'static str,
    component: Option<&'static str>,
    member: Option<&'static str>,
) -> Held<'static> {
    Held {
        program,
        component,
        holder: Holder::Household { member },
        state: MembershipState::Active,
    }
}

fn personal(program: &'static str, nik: &'static str) -> Held<'static> {
    Held { program, component: None, holder: Holder::Person(nik), state: MembershipState::Active }
}

/// Decides `program` for `subject` given what the family holds; returns the decision's
/// reason codes and the programs they name.
fn check(
    program: &str,
    component: Option<&str>,
    subject: &'static str,
    held: &[Held<'_>],
) -> Vec<(String, Option<String>)> {
    let catalogue = Catalogue::default_catalogue();
    let decision = decide(
        &catalogue,
        Request { program, component },
        &person(subject),
        &members(),
        held,
        Quota::default(),
        FAMILY,
    );
    decision.reasons().iter().map(|r| (r.code.as_str().to_string(), r.program.clone())).collect()
}

fn conflict(program: &str) -> (String, Option<String>) {
    ("conflict".into(), Some(program.into()))
}

#[test]
fn rule_1_pkh_and_bst_exclude_each_other() {
    assert!(check("BST", None, FATHER, &[household("PKH", None, None)]).contains(&conflict("PKH")));
    assert!(check("PKH", None, FATHER, &[household("BST", None, None)]).contains(&conflict("BST")));
}

#[test]
fn rule_2_nutrition_and_the_pregnant_mother_component() {
    let pkh_for_her = household("PKH", Some("ibu_hamil"), Some(MOTHER));
    assert_eq!(check("NUTRISI_BUMIL", None, MOTHER, &[pkh_for_her]), vec![conflict("PKH")]);
    // Allowed beside the APBD sembako package of her KK.
    assert_eq!(
        check("NUTRISI_BUMIL", None, MOTHER, &[household("APBD_SEMBAKO", None, None)]),
        vec![]
    );
    assert_eq!(check("NUTRISI_BUMIL", None, MOTHER, &[]), vec![]);
    // And the mirror: PKH's pregnant-mother component is refused to a woman with the package.
    let package = personal("NUTRISI_BUMIL", MOTHER);
    assert!(
        check("PKH", Some("ibu_hamil"), MOTHER, std::slice::from_ref(&package))
            .contains(&conflict("NUTRISI_BUMIL"))
    );
    // PKH for another component is not affected by her package.
    assert_eq!(check("PKH", Some("anak_sekolah"), SON, &[package]), vec![]);
    // Only pregnant or nursing women.
    assert_eq!(check("NUTRISI_BUMIL", None, FATHER, &[]).len(), 2);
}

#[test]
fn rule_3_checks_are_per_family() {
    // The son reports himself for BST: his father's household already receives it.
    let fathers_bst = household("BST", None, None);
    let reasons = check("BST", None, SON, &[fathers_bst]);
    assert_eq!(reasons, vec![("already_member".into(), Some("BST".into()))]);
    // The reverse: a son's personal listing keeps the father out too (person-held programs
    // count for the whole household under the main-assistance group).
    let catalogue = Catalogue::default_catalogue();
    let decision = decide(
        &catalogue,
        Request { program: "PKH", component: None },
        &person(FATHER),
        &members(),
        &[household("BST", None, Some(SON))],
        Quota::default(),
        FAMILY,
    );
    assert!(!decision.is_accepted());
}

#[test]
fn rule_4_blt_dd_refuses_pkh_households_and_respects_the_quota() {
    assert!(
        check("BLT_DD", None, FATHER, &[household("PKH", None, None)]).contains(&conflict("PKH"))
    );
    let catalogue = Catalogue::default_catalogue();
    let decide_with = |used| {
        decide(
            &catalogue,
            Request { program: "BLT_DD", component: None },
            &person(FATHER),
            &members(),
            &[],
            Quota { used },
            FAMILY,
        )
    };
    assert!(decide_with(175).is_accepted());
    assert_eq!(decide_with(176).reasons()[0].code, ReasonCode::OverQuota);
}

#[test]
fn rule_4_a_list_of_176_with_two_pkh_households() {
    let catalogue = Catalogue::default_catalogue();
    let mut used = 0;
    let (mut accepted, mut rejected) = (0, Vec::new());
    for row in 0..177 {
        let held =
            if row == 40 || row == 120 { vec![household("PKH", None, None)] } else { vec![] };
        let decision = decide(
            &catalogue,
            Request { program: "BLT_DD", component: None },
            &person(FATHER),
            &members(),
            &held,
            Quota { used },
            FAMILY,
        );
        if decision.is_accepted() {
            accepted += 1;
            used += 1;
        } else {
            rejected.push((row, decision.reasons()[0].clone()));
        }
    }
    assert_eq!(accepted, 175, "174 of the first 176, plus row 177 while room remains");
    assert_eq!(rejected.len(), 2);
    assert!(rejected.iter().all(|(_, r)| r.program.as_deref() == Some("PKH")));
    assert!(rejected[0].1.text.id.contains("Program Keluarga Harapan"));
    // With the quota taken by 176 accepted rows, the next is over quota.
    let next = decide(
        &catalogue,
        Request { program: "BLT_DD", component: None },
        &person(FATHER),
        &members(),
        &[],
        Quota { used: 176 },
        FAMILY,
    );
    assert_eq!(next.reasons()[0].code, ReasonCode::OverQuota);
}

#[test]
fn rule_5_one_main_program_per_family_and_community_aid_only_for_the_uncovered() {
    for (held, asked) in
        [("BPNT", "PEMPROV_JATIM"), ("APBD_SEMBAKO", "BST"), ("PEMPROV_JATIM", "PKH")]
    {
        assert!(
            check(asked, None, FATHER, &[household(held, None, None)]).contains(&conflict(held)),
            "{held} -> {asked}"
        );
    }
    assert!(
        check("ASN_PEDULI", None, FATHER, &[personal("NUTRISI_BUMIL", MOTHER)])
            .contains(&conflict("NUTRISI_BUMIL"))
    );
    assert_eq!(check("GOTONG_ROYONG", None, FATHER, &[]), vec![]);
}

#[test]
fn ended_memberships_and_incentives_do_not_conflict() {
    let ended = Held { state: MembershipState::Ended, ..household("PKH", None, None) };
    assert_eq!(check("BST", None, FATHER, &[ended]), vec![]);
    assert_eq!(check("GURU_NGAJI", None, FATHER, &[household("PKH", None, None)]), vec![]);
    assert_eq!(check("BST", None, FATHER, &[personal("GURU_NGAJI", FATHER)]), vec![]);
}

#[test]
fn reasons_name_the_member_masked_and_can_be_redacted() {
    let catalogue = Catalogue::default_catalogue();
    let decision = decide(
        &catalogue,
        Request { program: "ASN_PEDULI", component: None },
        &person(SON),
        &members(),
        &[personal("GURU_NGAJI", FATHER), personal("NUTRISI_BUMIL", MOTHER)],
        Quota::default(),
        FAMILY,
    );
    let texts: Vec<&str> = decision.reasons().iter().map(|r| r.text.id.as_str()).collect();
    assert!(texts.iter().any(|t| t.contains("S*** A***** (Istri/Suami)")), "{texts:?}");
    assert!(texts.iter().all(|t| !t.contains("SITI")));
    let public = decision.reasons()[0].public_text();
    assert!(!public.id.contains("Nutrisi") && !public.en.contains("Nutrition"));
}

#[test]
fn unknown_programs_and_components_are_reported() {
    assert_eq!(check("XYZ", None, FATHER, &[])[0].0, "unknown_program");
    assert_eq!(check("PKH", Some("sepeda"), FATHER, &[])[0].0, "unknown_component");
}

#[test]
fn broken_catalogues_are_refused_with_the_reason() {
    let program = "[[program]]\ncode = \"A\"\nname = { id = \"a\", en = \"a\" }\nlevel = \"central\"\nunit = \"person\"\n";
    let duplicate = format!("version = 1\n{program}{program}");
    assert_eq!(
        Catalogue::from_toml_str(&duplicate).err(),
        Some(CatalogueError::Duplicate("A".into()))
    );
    let unknown = "version = 1\n[[program]]\ncode = \"A\"\nname = { id = \"a\", en = \"a\" }\nlevel = \"central\"\nunit = \"person\"\nexclusions = [{ program = \"B\", scope = \"person\" }]\n";
    assert!(matches!(
        Catalogue::from_toml_str(unknown),
        Err(CatalogueError::UnknownProgram { .. })
    ));
    let typo = "version = 1\n[[program]]\ncode = \"A\"\nnmae = \"x\"\n";
    assert!(matches!(Catalogue::from_toml_str(typo), Err(CatalogueError::Syntax(_))));
}

#[test]
fn exactly_one_household_program_takes_citizen_reports() {
    let program = |code: &str, unit: &str, reports: bool| {
        format!(
            "[[program]]\ncode = \"{code}\"\nname = {{ id = \"a\", en = \"a\" }}\nlevel = \"community\"\nunit = \"{unit}\"\ncitizen_reports = {reports}\n"
        )
    };
    let none = format!(
        "version = 1\n{}{}",
        program("A", "household", false),
        program("B", "household", false)
    );
    assert_eq!(Catalogue::from_toml_str(&none).err(), Some(CatalogueError::ReportProgram(vec![])));
    let two = format!(
        "version = 1\n{}{}",
        program("A", "household", true),
        program("B", "household", true)
    );
    let refused = Catalogue::from_toml_str(&two).err();
    assert_eq!(refused, Some(CatalogueError::ReportProgram(vec!["A".into(), "B".into()])));
    assert!(refused.map(|e| e.to_string()).unwrap_or_default().contains("[A, B]"));
    let person = format!("version = 1\n{}", program("A", "person", true));
    assert!(matches!(
        Catalogue::from_toml_str(&person),
        Err(CatalogueError::Invalid { program, .. }) if program == "A"
    ));
    let one = format!(
        "version = 1\n{}{}",
        program("A", "household", false),
        program("B", "household", true)
    );
    let catalogue = Catalogue::from_toml_str(&one).expect("one report program");
    assert_eq!(catalogue.report_program().code, "B");
    assert_eq!(Catalogue::default_catalogue().report_program().code, "GOTONG_ROYONG");
}

#[test]
fn the_shipped_catalogue_has_every_program_of_the_brief() {
    let catalogue = Catalogue::default_catalogue();
    for code in [
        "PKH",
        "BPNT",
        "BST",
        "BLT_DD",
        "PEMPROV_JATIM",
        "APBD_SEMBAKO",
        "NUTRISI_BUMIL",
        "ASN_PEDULI",
        "GOTONG_ROYONG",
        "GURU_NGAJI",
    ] {
        assert!(catalogue.program(code).is_some(), "{code}");
    }
    assert_eq!(catalogue.quota("BLT_DD", DESA), Some(176));
}

/// Decides `program` for the father with the family ranked `desil`.
fn with_desil(program: &str, desil: Option<u8>) -> Decision {
    let catalogue = Catalogue::default_catalogue();
    decide(
        &catalogue,
        Request { program, component: None },
        &person(FATHER),
        &members(),
        &[],
        Quota::default(),
        FamilyFacts { desa: DESA, desil },
    )
}

#[test]
fn rule_7_blt_dd_is_for_dtsen_deciles_1_to_4() {
    for desil in 1..=4 {
        assert!(with_desil("BLT_DD", Some(desil)).is_accepted(), "desil {desil}");
    }
    let richer = with_desil("BLT_DD", Some(5));
    assert_eq!(richer.reasons().len(), 1);
    let reason = &richer.reasons()[0];
    assert_eq!(reason.code, ReasonCode::DesilOutOfRange);
    assert_eq!(
        reason.text.id,
        "Ditolak: BLT Dana Desa hanya untuk keluarga desil 1-4 DTSEN; keluarga ini desil 5."
    );
    assert!(reason.text.en.contains("DTSEN decile 1-4; this family is in decile 5"));
    let unranked = with_desil("BLT_DD", None);
    assert_eq!(unranked.reasons()[0].code, ReasonCode::DesilUnranked);
    assert!(unranked.reasons()[0].text.id.contains("belum diperingkat"));
    // Programs without a range do not look at the decile.
    for program in ["BPNT", "GOTONG_ROYONG", "GURU_NGAJI"] {
        assert!(with_desil(program, None).is_accepted(), "{program}");
        assert!(with_desil(program, Some(10)).is_accepted(), "{program}");
    }
    // Reasons add up: a PKH family of desil 7 hears both.
    let catalogue = Catalogue::default_catalogue();
    let both = decide(
        &catalogue,
        Request { program: "BLT_DD", component: None },
        &person(FATHER),
        &members(),
        &[household("PKH", None, None)],
        Quota::default(),
        FamilyFacts { desa: DESA, desil: Some(7) },
    );
    let codes: Vec<ReasonCode> = both.reasons().iter().map(|r| r.code).collect();
    assert_eq!(codes, [ReasonCode::DesilOutOfRange, ReasonCode::Conflict]);
}

#[test]
fn nobody_who_died_or_left_is_added_to_any_program() {
    let catalogue = Catalogue::default_catalogue();
    let cases = [
        (LifeStatus::Died, "tercatat meninggal dunia di data kependudukan", "deceased"),
        (LifeStatus::MovedAway, "tercatat sudah pindah", "moved away"),
        (LifeStatus::Left, "tercatat sudah pindah", "moved away"),
        (LifeStatus::Missing, "tercatat hilang", "missing"),
        (LifeStatus::Invalid, "tidak valid", "invalid"),
    ];
    for (status, id, en) in cases {
        for program in catalogue.programs() {
            let subject = Subject { life_status: status, ..person(MOTHER) };
            let decision = decide(
                &catalogue,
                Request { program: &program.code, component: None },
                &subject,
                &members(),
                &[],
                Quota::default(),
                FAMILY,
            );
            let reasons = decision.reasons();
            assert_eq!(reasons.len(), 1, "{status:?} {}: {reasons:?}", program.code);
            assert_eq!(reasons[0].code, ReasonCode::ResidentInactive);
            assert!(reasons[0].text.id.contains(id), "{}", reasons[0].text.id);
            assert!(reasons[0].text.id.contains(&program.name.id));
            assert!(reasons[0].text.en.contains(en), "{}", reasons[0].text.en);
        }
    }
    // Told about someone else, the reason says no more than the status page.
    let subject = Subject { life_status: LifeStatus::Died, ..person(FATHER) };
    let decision = decide(
        &catalogue,
        Request { program: "GOTONG_ROYONG", component: None },
        &subject,
        &members(),
        &[],
        Quota::default(),
        FAMILY,
    );
    let public = decision.reasons()[0].public_text();
    assert!(public.id.contains("tidak lagi tercatat sebagai penduduk aktif"), "{}", public.id);
    assert!(!public.id.contains("meninggal"));
    // The unknown program is still named as such.
    let unknown = decide(
        &catalogue,
        Request { program: "XYZ", component: None },
        &subject,
        &members(),
        &[],
        Quota::default(),
        FAMILY,
    );
    assert_eq!(unknown.reasons()[0].code, ReasonCode::UnknownProgram);
}

#[test]
fn a_desil_range_must_be_real_deciles() {
    let program = |range: &str| {
        format!(
            "version = 1\n[[program]]\ncode = \"A\"\nname = {{ id = \"a\", en = \"a\" }}\nlevel = \"village\"\nunit = \"household\"\ncitizen_reports = true\ndesil = {range}\n"
        )
    };
    for range in ["[0, 4]", "[5, 3]", "[1, 11]"] {
        assert!(
            matches!(
                Catalogue::from_toml_str(&program(range)),
                Err(CatalogueError::Invalid { program, problem }) if program == "A" && problem.contains("desil")
            ),
            "{range}"
        );
    }
    assert!(matches!(Catalogue::from_toml_str(&program("[1]")), Err(CatalogueError::Syntax(_))));
    let catalogue = Catalogue::from_toml_str(&program("[3, 3]")).expect("one decile");
    let range = catalogue.program("A").and_then(|p| p.desil).expect("range");
    assert_eq!((range.lowest, range.highest, range.to_string()), (3, 3, "3".to_string()));
    let shipped = Catalogue::default_catalogue();
    assert_eq!(
        shipped.program("BLT_DD").and_then(|p| p.desil),
        Some(DesilRange { lowest: 1, highest: 4 })
    );
    let ranged: Vec<&str> =
        shipped.programs().iter().filter(|p| p.desil.is_some()).map(|p| p.code.as_str()).collect();
    assert_eq!(ranged, ["BLT_DD"]);
}
