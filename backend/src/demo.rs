//! A deterministic synthetic Banyuwangi: families with valid NIKs and KK numbers across the
//! real desa of Kabupaten Banyuwangi (35.10), and program memberships that respect the
//! brief's rules: one household program per family (so no PKH household is in BST and no
//! family is covered twice), BLT Dana Desa within its desa quota, nutrition only where the
//! eligibility engine admits the woman (PKH's pregnant-mother component does not already
//! cover her), nothing besides a program only for families that receive nothing else. The
//! quota, the nutrition check and that flag come from the shipped catalogue and the engine
//! (`Rules`), not from a copy of them; `tests/demo_rules.rs` checks the result.
//!
//! The registry describes [`REFERENCE_YEAR`]: children are born while their mother is 18 to
//! 42, a parent living in the KK is 18 to 45 years older than the head, only women of 19 to
//! 40 are pregnant or nursing, and a nursing mother has a baby.
//!
//! The first families are planted to tell the stories worth showing at a demo (the summary's
//! `examples`), so every example exists from about 50 residents on; the rest are drawn at
//! random. The same seed and size always give the same registry, so demos, tests and
//! benchmarks can name NIKs.

use std::collections::HashMap;

use protocol::api::{MembershipState, Relation};
use protocol::region::regions;
use protocol::{Nik, NoKk, Sex};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::eligibility::{Catalogue, FamilyFacts, Held, Holder, Quota, Request, Subject, decide};
use crate::store::{NewFamily, NewMembership, NewResident, Store, StoreError};

/// Banyuwangi.
pub const REGENCY: u32 = 3510;

/// The year the registry describes (the seeds' 2020 lists and 2021 proposals): ages, births,
/// pregnancies and PKH components are as of then.
pub const REFERENCE_YEAR: u32 = 2021;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub residents: usize,
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> DemoOptions {
        DemoOptions { residents: 2000, seed: 2020 }
    }
}

/// A NIK worth typing at the demo, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub nik: Nik,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    pub residents: u64,
    pub families: u64,
    pub memberships: u64,
    /// One per planted story, in a fixed order (the most telling first).
    pub examples: Vec<Example>,
}

const MALE: &[&str] = &[
    "Agus", "Ahmad", "Bambang", "Budi", "Dedi", "Eko", "Fajar", "Hadi", "Hendra", "Imam", "Joko",
    "Kusnadi", "Mamat", "Muhammad", "Nur", "Rahmat", "Slamet", "Sugeng", "Suparman", "Teguh",
    "Untung", "Wahyu", "Yusuf", "Zainal", "Arif", "Sutrisno", "Hasan", "Sholeh",
];
const FEMALE: &[&str] = &[
    "Aminah", "Ani", "Dewi", "Endang", "Fatimah", "Indah", "Khotijah", "Lestari", "Maryam", "Nur",
    "Rina", "Siti", "Sri", "Suminah", "Tutik", "Umi", "Wati", "Yuli", "Zulaikha", "Rukmini",
    "Sulastri", "Hartini", "Nurul", "Kasiyati",
];
const SECOND: &[&str] = &[
    "Santoso",
    "Wibowo",
    "Hidayat",
    "Susanto",
    "Purnomo",
    "Setiawan",
    "Prasetyo",
    "Rahayu",
    "Lestari",
    "Wahyuni",
    "Hariyanto",
    "Sunarti",
    "Maulana",
    "Fauzi",
    "Kurniawan",
    "Aisyah",
    "Handayani",
    "Riyanto",
    "Basuki",
    "Suroso",
    "Yulianti",
    "Mustofa",
    "Arifin",
    "Ningsih",
];
const STREETS: &[&str] = &[
    "Dusun Krajan",
    "Dusun Kopen",
    "Dusun Sumberagung",
    "Jl. Raya",
    "Dusun Tegalrejo",
    "Dusun Kebonrejo",
];

/// Allocates serial numbers so every NIK and KK is unique.
#[derive(Default)]
struct Serials(HashMap<(u32, u32), u16>);

impl Serials {
    fn next(&mut self, district: u32, date_code: u32) -> Option<u16> {
        let serial = self.0.entry((district, date_code)).or_insert(0);
        *serial = serial.checked_add(1).filter(|s| *s <= 9999)?;
        Some(*serial)
    }
}

struct Person {
    nik: Nik,
    name: String,
    female: bool,
    /// Day, month, year.
    birth: (u32, u32, u32),
    relation: Relation,
    pregnant: bool,
    nursing: bool,
}

impl Person {
    /// Age in [`REFERENCE_YEAR`], by year of birth.
    fn age(&self) -> u32 {
        REFERENCE_YEAR.saturating_sub(self.birth.2)
    }
}

struct Family {
    kk: NoKk,
    desa: u64,
    address: String,
    dtks: bool,
    /// The head first, then the wife if any, the children (eldest first), a parent if any.
    people: Vec<Person>,
}

struct Generator {
    rng: ChaCha8Rng,
    /// Every desa of the regency with its district; families are spread evenly over them.
    villages: Vec<(u32, u64)>,
    nik_serials: Serials,
    kk_serials: Serials,
}

fn out_of_serials() -> StoreError {
    StoreError::Corrupt("ran out of NIK serial numbers".into())
}

impl Generator {
    fn new(seed: u64) -> Generator {
        let villages = regions()
            .districts_of(REGENCY)
            .into_iter()
            .flat_map(|(district, _)| {
                regions().villages_of(district).iter().map(move |v| (district, v.code))
            })
            .collect();
        Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            villages,
            nik_serials: Serials::default(),
            kk_serials: Serials::default(),
        }
    }

    fn date(&mut self, year_min: u32, year_max: u32) -> (u32, u32, u32) {
        let year = self.rng.random_range(year_min..=year_max);
        let month = self.rng.random_range(1..=12);
        let days = match month {
            2 if year.is_multiple_of(4) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        (self.rng.random_range(1..=days), month, year)
    }

    fn nik(
        &mut self,
        district: u32,
        (day, month, year): (u32, u32, u32),
        female: bool,
    ) -> Option<Nik> {
        let coded_day = if female { day + 40 } else { day };
        let date_code = coded_day * 10_000 + month * 100 + year % 100;
        let serial = self.nik_serials.next(district, date_code)?;
        Nik::parse(&format!("{district:06}{coded_day:02}{month:02}{:02}{serial:04}", year % 100))
            .ok()
    }

    fn person(
        &mut self,
        district: u32,
        female: bool,
        years: (u32, u32),
        relation: Relation,
        family_name: Option<&str>,
    ) -> Option<Person> {
        let birth = self.date(years.0, years.1);
        let nik = self.nik(district, birth, female)?;
        let first =
            if female { FEMALE } else { MALE }.choose(&mut self.rng).copied().unwrap_or("Nur");
        let second = match family_name {
            Some(name) if self.rng.random_bool(0.3) => name.to_string(),
            _ => SECOND.choose(&mut self.rng).copied().unwrap_or("Santoso").to_string(),
        };
        Some(Person {
            nik,
            name: format!("{first} {second}").to_uppercase(),
            female,
            birth,
            relation,
            pregnant: false,
            nursing: false,
        })
    }

    fn family(&mut self) -> Option<Family> {
        let (district, desa) = *self.villages.choose(&mut self.rng)?;
        let issued = self.date(2005, REFERENCE_YEAR);
        let kk_date = issued.0 * 10_000 + issued.1 * 100 + issued.2 % 100;
        let kk_serial = self.kk_serials.next(district, kk_date)?;
        let kk = NoKk::parse(&format!(
            "{district:06}{:02}{:02}{:02}{kk_serial:04}",
            issued.0,
            issued.1,
            issued.2 % 100
        ))
        .ok()?;
        let head_year = self.rng.random_range(1950..=1998);
        let head = self.person(district, false, (head_year, head_year), Relation::Head, None)?;
        let family_name = head.name.split(' ').nth(1).map(str::to_string);
        let mut people = vec![head];

        // The children's mother: the wife, or for a widower a woman of about his age.
        let mut mother_year = head_year + 3;
        let has_wife = self.rng.random_bool(0.85);
        if has_wife {
            let youngest = (head_year + 8).min(REFERENCE_YEAR - 19);
            let wife =
                self.person(district, true, (head_year - 2, youngest), Relation::Spouse, None)?;
            mother_year = wife.birth.2;
            people.push(wife);
        }
        let mut children = Vec::new();
        let (first, last) = (mother_year + 18, (mother_year + 42).min(REFERENCE_YEAR));
        if first <= last {
            for _ in 0..self.rng.random_range(0..=4) {
                let female = self.rng.random_bool(0.5);
                let relation = Relation::Child;
                let child =
                    self.person(district, female, (first, last), relation, family_name.as_deref())?;
                children.push(child);
            }
        }
        if has_wife && (19..=40).contains(&(REFERENCE_YEAR - mother_year)) {
            if self.rng.random_bool(0.12) {
                people[1].pregnant = true;
            } else if self.rng.random_bool(0.10) {
                people[1].nursing = true;
                if !children.iter().any(|c| c.birth.2 + 1 >= REFERENCE_YEAR) {
                    let female = self.rng.random_bool(0.5);
                    let years = (REFERENCE_YEAR - 1, REFERENCE_YEAR);
                    let baby = self.person(
                        district,
                        female,
                        years,
                        Relation::Child,
                        family_name.as_deref(),
                    )?;
                    children.push(baby);
                }
            }
        }
        children.sort_by_key(|c| (c.birth.2, c.birth.1, c.birth.0));
        people.extend(children);

        // Sometimes a widowed parent of the head lives in the household.
        if self.rng.random_bool(0.1) {
            let (oldest, youngest) = ((head_year - 45).max(REFERENCE_YEAR - 95), head_year - 18);
            if oldest <= youngest {
                let female = self.rng.random_bool(0.6);
                people.push(self.person(
                    district,
                    female,
                    (oldest, youngest),
                    Relation::Parent,
                    None,
                )?);
            }
        }
        let address = format!(
            "{} RT {:03}/RW {:03}",
            STREETS.choose(&mut self.rng).copied().unwrap_or("Dusun Krajan"),
            self.rng.random_range(1..=12),
            self.rng.random_range(1..=6)
        );
        Some(Family { kk, desa, address, dtks: self.rng.random_bool(0.35), people })
    }
}

/// A membership the generator writes: of the household, or of one member (`person`).
struct Grant {
    program: &'static str,
    person: Option<usize>,
    /// A household program's component and the member it concerns.
    component: Option<(&'static str, usize)>,
    state: MembershipState,
}

impl Grant {
    fn household(
        program: &'static str,
        component: Option<(&'static str, usize)>,
        state: MembershipState,
    ) -> Grant {
        Grant { program, person: None, component, state }
    }

    fn person(program: &'static str, index: usize, state: MembershipState) -> Grant {
        Grant { program, person: Some(index), component: None, state }
    }
}

/// What the generator asks of the shipped catalogue and the eligibility engine, so that the
/// data follows the rules the service enforces rather than a copy of them. Every generated
/// membership is judged as if it were live, ended ones too (and takes a place in a quota), so
/// the data stays within the rules whatever the engine counts.
struct Rules {
    catalogue: Catalogue,
    /// BLT Dana Desa places taken per desa.
    blt_used: HashMap<u64, u32>,
}

impl Rules {
    fn new() -> Rules {
        Rules { catalogue: Catalogue::default_catalogue(), blt_used: HashMap::new() }
    }

    /// Takes a place in the desa's BLT Dana Desa quota; false when it is full.
    fn take_blt(&mut self, desa: u64) -> bool {
        let used = self.blt_used.entry(desa).or_insert(0);
        match self.catalogue.quota("BLT_DD", desa) {
            Some(limit) if *used >= limit => false,
            _ => {
                *used += 1;
                true
            }
        }
    }

    /// Whether `program` is only for families that receive nothing else: a family holding
    /// it is given nothing besides.
    fn only_if_uncovered(&self, program: &str) -> bool {
        self.catalogue.program(program).is_some_and(|p| p.only_if_uncovered)
    }

    /// Whether the engine admits member `index` of `family` to the person program `program`
    /// next to the `grants` the family has so far.
    fn admits(&self, program: &str, family: &Family, index: usize, grants: &[Grant]) -> bool {
        let Some(wanted) = self.catalogue.program(program) else { return false };
        let person = &family.people[index];
        let subject = Subject {
            nik: person.nik.as_str(),
            sex: if person.female { Sex::Female } else { Sex::Male },
            pregnant: person.pregnant,
            nursing: person.nursing,
            life_status: crate::population::LifeStatus::Alive,
        };
        // The program's requirements first, tested as the engine tests them: most members
        // fail them, and the engine's full answer (with worded reasons) would cost the
        // generator a tenth of its time.
        if !wanted.requires.iter().all(|requirement| requirement.met_by(&subject)) {
            return false;
        }
        let nik = |i: usize| family.people[i].nik.as_str();
        let held: Vec<Held<'_>> = grants
            .iter()
            .map(|grant| Held {
                program: grant.program,
                component: grant.component.map(|(code, _)| code),
                holder: match grant.person {
                    Some(i) => Holder::Person(nik(i)),
                    None => Holder::Household { member: grant.component.map(|(_, i)| nik(i)) },
                },
                state: MembershipState::Active,
            })
            .collect();
        let request = Request { program, component: None };
        // Members only word the reasons of a refusal, which is not read here.
        let facts = FamilyFacts { desa: family.desa, desil: None };
        decide(&self.catalogue, request, &subject, &[], &held, Quota::default(), facts)
            .is_accepted()
    }
}

/// The PKH component a family qualifies through, most pressing first. PKH needs one.
fn pkh_component(family: &Family) -> Option<(&'static str, usize)> {
    let find = |test: &dyn Fn(&Person) -> bool| family.people.iter().position(test);
    let child = |p: &Person, ages: std::ops::RangeInclusive<u32>| {
        p.relation == Relation::Child && ages.contains(&p.age())
    };
    find(&|p| p.pregnant)
        .map(|i| ("ibu_hamil", i))
        .or_else(|| find(&|p| child(p, 0..=6)).map(|i| ("anak_usia_dini", i)))
        .or_else(|| find(&|p| child(p, 7..=18)).map(|i| ("anak_sekolah", i)))
        .or_else(|| find(&|p| p.age() >= 60).map(|i| ("lansia", i)))
}

fn random_state(rng: &mut ChaCha8Rng) -> MembershipState {
    match rng.random_range(0..100) {
        0..=84 => MembershipState::Active,
        85..=89 => MembershipState::Verified,
        90..=94 => MembershipState::Proposed,
        _ => MembershipState::Ended,
    }
}

/// The memberships of a family drawn at random. At most one household program, so no
/// family is covered twice; nothing besides a program only for families that receive nothing
/// else; person programs only where the engine admits the member (nutrition for a pregnant or
/// nursing woman not covered by PKH's pregnant-mother component).
fn random_grants(rng: &mut ChaCha8Rng, family: &Family, rules: &mut Rules) -> Vec<Grant> {
    let roll = rng.random_range(0..100);
    let household = if family.dtks {
        // The DTKS households are shared out between the programs ("dibagi habis").
        Some(match roll {
            0..=29 if pkh_component(family).is_some() => "PKH",
            65..=74 if rules.take_blt(family.desa) => "BLT_DD",
            0..=49 | 65..=74 => "BPNT",
            50..=64 => "BST",
            75..=82 => "PEMPROV_JATIM",
            _ => "APBD_SEMBAKO",
        })
    } else {
        // Outside DTKS, the village fund and the community schemes catch some families.
        match roll {
            0..=4 if rules.take_blt(family.desa) => Some("BLT_DD"),
            5..=6 => Some("ASN_PEDULI"),
            7..=8 => Some("GOTONG_ROYONG"),
            _ => None,
        }
    };
    let mut out = Vec::new();
    if let Some(program) = household {
        // PKH needs the component the family qualifies through.
        let component = if program == "PKH" { pkh_component(family) } else { None };
        out.push(Grant::household(program, component, random_state(rng)));
        if rules.only_if_uncovered(program) {
            return out;
        }
    }
    for index in 0..family.people.len() {
        // The engine is asked before the draw, the age after it, as the data was first
        // generated: the same seed keeps giving the same registry.
        if rules.admits("NUTRISI_BUMIL", family, index, &out) && rng.random_bool(0.8) {
            out.push(Grant::person("NUTRISI_BUMIL", index, random_state(rng)));
        }
        if (25..=75).contains(&family.people[index].age())
            && rng.random_bool(0.011)
            && rules.admits("GURU_NGAJI", family, index, &out)
        {
            out.push(Grant::person("GURU_NGAJI", index, MembershipState::Active));
        }
    }
    out
}

/// A family planted at the start of the registry so that its example NIK always exists.
#[derive(Debug, Clone, Copy)]
enum Story {
    PkhPregnant,
    Uncovered,
    SonOfBst,
    NutritionWithSembako,
    BltDesa,
    NursingMother,
    GuruNgaji,
    ElderWithBpnt,
    AsnPeduli,
}

/// In the order the examples are listed; the kiosk's demo hint shows the first few.
const STORIES: [Story; 9] = [
    Story::PkhPregnant,
    Story::Uncovered,
    Story::SonOfBst,
    Story::NutritionWithSembako,
    Story::BltDesa,
    Story::NursingMother,
    Story::GuruNgaji,
    Story::ElderWithBpnt,
    Story::AsnPeduli,
];

/// Families drawn at most while looking for one that can tell a story.
const STORY_ATTEMPTS: usize = 10_000;

impl Story {
    /// Tests and the kiosk find examples by these words; keep "PKH" in the first only.
    fn description(self) -> &'static str {
        match self {
            Story::PkhPregnant => "PKH, komponen ibu hamil",
            Story::Uncovered => "tidak menerima bantuan",
            Story::SonOfBst => "anak laki-laki; ayahnya menerima BST",
            Story::NutritionWithSembako => "ibu hamil: paket nutrisi + sembako APBD",
            Story::BltDesa => "BLT Dana Desa",
            Story::NursingMother => "ibu menyusui: paket nutrisi",
            Story::GuruNgaji => "guru ngaji",
            Story::ElderWithBpnt => "lansia; keluarganya menerima BPNT",
            Story::AsnPeduli => "ASN Peduli (di luar DTKS)",
        }
    }

    /// The member the story is about, when this family can tell it.
    fn subject(self, family: &Family) -> Option<usize> {
        let find = |test: &dyn Fn(&Person) -> bool| family.people.iter().position(test);
        match self {
            Story::PkhPregnant | Story::NutritionWithSembako => find(&|p| p.pregnant),
            Story::NursingMother => find(&|p| p.nursing),
            // The brief's young man whose father's household receives BST.
            Story::SonOfBst => find(&|p| {
                p.relation == Relation::Child && !p.female && (17..=30).contains(&p.age())
            }),
            Story::GuruNgaji => {
                find(&|p| p.relation == Relation::Head && (25..=75).contains(&p.age()))
            }
            Story::ElderWithBpnt => find(&|p| p.relation == Relation::Parent && p.age() >= 60),
            Story::Uncovered | Story::BltDesa | Story::AsnPeduli => Some(0),
        }
    }

    /// Sets the family's DTKS flag and returns its memberships.
    fn plant(self, family: &mut Family, subject: usize, rules: &mut Rules) -> Vec<Grant> {
        let active = MembershipState::Active;
        let household = |program| Grant::household(program, None, active);
        let (dtks, grants) = match self {
            Story::PkhPregnant => {
                (true, vec![Grant::household("PKH", Some(("ibu_hamil", subject)), active)])
            }
            Story::Uncovered => (false, vec![]),
            Story::SonOfBst => (true, vec![household("BST")]),
            Story::NutritionWithSembako => (
                true,
                vec![household("APBD_SEMBAKO"), Grant::person("NUTRISI_BUMIL", subject, active)],
            ),
            Story::BltDesa => {
                // The first family of its desa to take a place, so there is one.
                rules.take_blt(family.desa);
                (false, vec![household("BLT_DD")])
            }
            Story::NursingMother => (false, vec![Grant::person("NUTRISI_BUMIL", subject, active)]),
            Story::GuruNgaji => (false, vec![Grant::person("GURU_NGAJI", subject, active)]),
            Story::ElderWithBpnt => (true, vec![household("BPNT")]),
            Story::AsnPeduli => (false, vec![household("ASN_PEDULI")]),
        };
        family.dtks = dtks;
        grants
    }

    /// Draws families until one can tell the story, and plants it.
    fn family(
        self,
        generator: &mut Generator,
        rules: &mut Rules,
    ) -> Result<(Family, Vec<Grant>, Example), StoreError> {
        for _ in 0..STORY_ATTEMPTS {
            let mut family = generator.family().ok_or_else(out_of_serials)?;
            if let Some(subject) = self.subject(&family) {
                let grants = self.plant(&mut family, subject, rules);
                let example = Example {
                    nik: family.people[subject].nik,
                    description: self.description().to_string(),
                };
                return Ok((family, grants, example));
            }
        }
        Err(StoreError::Corrupt(format!("no family for the example {:?}", self.description())))
    }
}

/// When each program's memberships started: PKH before the pandemic, the 2020 lists, the
/// nutrition package and the guru ngaji incentive in 2021.
fn since(program: &str) -> &'static str {
    match program {
        "PKH" => "2019-01-21",
        "BPNT" => "2020-02-03",
        "APBD_SEMBAKO" => "2020-04-20",
        "BST" => "2020-04-27",
        "BLT_DD" => "2020-05-06",
        "PEMPROV_JATIM" => "2020-05-13",
        "NUTRISI_BUMIL" => "2021-02-01",
        "GURU_NGAJI" => "2021-03-15",
        _ => "2020-04-14",
    }
}

/// Rows written per transaction.
const BATCH_FAMILIES: usize = 5_000;

/// Fills the store with about `options.residents` residents (whole families, so a few more).
/// `progress` is called with the residents written so far after each batch.
pub fn generate_with_progress(
    store: &Store,
    options: &DemoOptions,
    mut progress: impl FnMut(u64),
) -> Result<DemoSummary, StoreError> {
    let mut generator = Generator::new(options.seed);
    let mut grant_rng = ChaCha8Rng::seed_from_u64(options.seed ^ 0x5eed);
    let mut rules = Rules::new();
    let mut stories = STORIES.iter();
    let mut summary =
        DemoSummary { residents: 0, families: 0, memberships: 0, examples: Vec::new() };
    while (summary.residents as usize) < options.residents {
        let mut families = Vec::with_capacity(BATCH_FAMILIES);
        let mut memberships = Vec::new();
        let mut planned = summary.residents as usize;
        while families.len() < BATCH_FAMILIES && planned < options.residents {
            let (family, grants) = match stories.next() {
                Some(story) => {
                    let (family, grants, example) = story.family(&mut generator, &mut rules)?;
                    summary.examples.push(example);
                    (family, grants)
                }
                None => {
                    let family = generator.family().ok_or_else(out_of_serials)?;
                    let grants = random_grants(&mut grant_rng, &family, &mut rules);
                    (family, grants)
                }
            };
            planned += family.people.len();
            memberships.extend(grants.iter().map(|grant| grant.membership(&family)));
            families.push(family.into_record());
        }
        store.add_families(&families, &memberships)?;
        summary.families += families.len() as u64;
        summary.residents += families.iter().map(|f| f.members.len() as u64).sum::<u64>();
        summary.memberships += memberships.len() as u64;
        progress(summary.residents);
    }
    Ok(summary)
}

/// [`generate_with_progress`] without progress reports.
pub fn generate(store: &Store, options: &DemoOptions) -> Result<DemoSummary, StoreError> {
    generate_with_progress(store, options, |_| {})
}

impl Family {
    /// The family as the registry records it.
    fn into_record(self) -> NewFamily {
        let dtks = self.dtks;
        let members = self
            .people
            .into_iter()
            .map(|person| {
                let (d, m, y) = person.birth;
                NewResident {
                    pregnant: person.pregnant,
                    nursing: person.nursing,
                    ..NewResident::new(
                        person.nik,
                        person.name,
                        format!("{y:04}-{m:02}-{d:02}"),
                        person.relation,
                    )
                }
            })
            .collect();
        NewFamily { dtks, ..NewFamily::new(self.kk, self.desa, self.address, members) }
    }
}

impl Grant {
    /// The membership `family` holds by this grant.
    fn membership(&self, family: &Family) -> NewMembership {
        let nik = |i: usize| family.people[i].nik;
        NewMembership {
            program: self.program.to_string(),
            nik: self.person.map(nik),
            kk: if self.person.is_none() { Some(family.kk) } else { None },
            component: self.component.map(|(code, _)| code.to_string()),
            member_nik: self.component.map(|(_, i)| nik(i)),
            state: self.state,
            since: since(self.program).to_string(),
            desa_code: family.desa,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blt_quota_refuses_places_beyond_the_desa_limit() {
        let mut rules = Rules::new();
        let desa = 3510252005;
        let limit = rules.catalogue.quota("BLT_DD", desa).expect("BLT_DD has a quota");
        assert!((0..limit).all(|_| rules.take_blt(desa)));
        assert!(!rules.take_blt(desa));
        assert!(rules.take_blt(3510252006), "another desa has its own quota");
    }

    #[test]
    fn the_engine_decides_nutrition_with_every_grant_judged_as_live() {
        let mut generator = Generator::new(3);
        let mut family = (0..1000)
            .filter_map(|_| generator.family())
            .find(|f| f.people.len() >= 2 && f.people[1].relation == Relation::Spouse)
            .expect("a family with a wife");
        let rules = Rules::new();
        (family.people[1].pregnant, family.people[1].nursing) = (false, false);
        assert!(!rules.admits("NUTRISI_BUMIL", &family, 1, &[]), "neither pregnant nor nursing");
        family.people[1].pregnant = true;
        assert!(rules.admits("NUTRISI_BUMIL", &family, 1, &[]));
        assert!(!rules.admits("NUTRISI_BUMIL", &family, 0, &[]), "the head is a man");
        let sembako = Grant::household("APBD_SEMBAKO", None, MembershipState::Active);
        assert!(rules.admits("NUTRISI_BUMIL", &family, 1, &[sembako]), "explicitly allowed");
        // Even an ended pregnant-mother component keeps her out: the data must stay valid
        // were it live again.
        let pkh = Grant::household("PKH", Some(("ibu_hamil", 1)), MembershipState::Ended);
        assert!(!rules.admits("NUTRISI_BUMIL", &family, 1, &[pkh]));
        assert!(rules.only_if_uncovered("GOTONG_ROYONG") && rules.only_if_uncovered("ASN_PEDULI"));
        assert!(!rules.only_if_uncovered("PKH"));
    }

    #[test]
    fn pkh_component_prefers_the_pregnant_mother_then_the_youngest_children() {
        let mut generator = Generator::new(1);
        let mut family = (0..1000)
            .filter_map(|_| generator.family())
            .find(|f| {
                f.people.len() >= 3
                    && f.people[1].relation == Relation::Spouse
                    && f.people[2].relation == Relation::Child
            })
            .expect("a family with a wife and a child");
        family.people[1].pregnant = true;
        assert_eq!(pkh_component(&family), Some(("ibu_hamil", 1)));
        family.people[1].pregnant = false;
        family.people[2].birth.2 = REFERENCE_YEAR - 3;
        assert_eq!(pkh_component(&family), Some(("anak_usia_dini", 2)));
    }
}
