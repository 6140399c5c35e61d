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
//! Every field a village's population file has is filled as such a file would have it, with
//! the codes of [`population::codes`](crate::population::codes): birth place (mostly
//! Banyuwangi), one religion per family (Islam for most, Hindu, Christian, ... as in
//! Banyuwangi), education and occupation by age and sex, marital status by relation, the
//! SHDK of each member, blood type (often unknown), the parents' names (the head's and his
//! wife's for their children), dusun, RW, RT and street. Each family has a DTSEN desil: the
//! DTKS families mostly 1-4, others higher, a few not ranked; BLT Dana Desa goes only to the
//! deciles the catalogue names. After the memberships are given, a few residents die (the old
//! most), move away (grown children most) or go missing, in [`REFERENCE_YEAR`]: what they held
//! ends (state `ended`, since the day it ended, with the reason), a household's when none of
//! it is left, and a widow is recorded as such.
//!
//! The first families are planted to tell the stories worth showing at a demo (the summary's
//! `examples`), so every example exists from about 60 residents on; the rest are drawn at
//! random. The same seed and size always give the same registry, so demos, tests and
//! benchmarks can name NIKs. The fields above are drawn from a stream of their own, so the
//! families, their NIKs and names are those the generator made before it filled them.

use std::collections::HashMap;

use protocol::api::{MembershipState, Relation};
use protocol::region::regions;
use protocol::{Nik, NoKk, Sex};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::eligibility::{Catalogue, FamilyFacts, Held, Holder, Quota, Request, Subject, decide};
use crate::population::{CodeList, LifeStatus, codes};
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
/// Dusun names; six, drawn where the generator once drew a street.
const DUSUN: &[&str] = &["Krajan", "Kopen", "Sumberagung", "Sukorejo", "Tegalrejo", "Kebonrejo"];
const STREETS: &[&str] = &[
    "Jl. Raya",
    "Jl. Kenanga",
    "Jl. Melati",
    "Jl. Mawar",
    "Jl. Flamboyan",
    "Jl. Pattimura",
    "Jl. Diponegoro",
    "Gang Masjid",
    "Gang Mangga",
    "Jl. Sawo",
    "Jl. Brawijaya",
    "Jl. Delima",
];
/// Where residents born outside the regency were born: its neighbours, Bali across the strait,
/// the province's cities.
const BIRTH_PLACES: &[&str] = &[
    "JEMBER",
    "SITUBONDO",
    "BONDOWOSO",
    "LUMAJANG",
    "PROBOLINGGO",
    "JEMBRANA",
    "DENPASAR",
    "SURABAYA",
    "MALANG",
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
    details: Details,
    life: LifeStatus,
    /// The day (day, month, year) a death, move or disappearance was recorded.
    left_on: Option<(u32, u32, u32)>,
}

/// What a population file says of a person besides who they are; codes of `population::codes`.
#[derive(Default)]
struct Details {
    birth_place: String,
    shdk: Option<u8>,
    education: Option<u8>,
    occupation: Option<u8>,
    marital_status: Option<u8>,
    nationality: Option<u8>,
    blood_type: Option<u8>,
    father_name: String,
    mother_name: String,
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
    dusun: String,
    rw: String,
    rt: String,
    address: String,
    dtks: bool,
    desil: Option<u8>,
    /// One religion per family.
    religion: Option<u8>,
    /// The head first, then the wife if any, the children (eldest first), a parent if any.
    people: Vec<Person>,
}

struct Generator {
    rng: ChaCha8Rng,
    /// Draws the fields of [`Details`], the street, the desil and life events: a stream of
    /// its own, so `rng` draws the same families as before those fields existed.
    details: ChaCha8Rng,
    codes: Codes,
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
            details: ChaCha8Rng::seed_from_u64(seed ^ 0xde7a_11ed),
            codes: Codes::resolve(),
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
            details: Details::default(),
            life: LifeStatus::Alive,
            left_on: None,
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
        let dusun = DUSUN.choose(&mut self.rng).copied().unwrap_or("Krajan");
        let rt = self.rng.random_range(1..=12);
        let rw = self.rng.random_range(1..=6);
        let dtks = self.rng.random_bool(0.35);
        let mut family = Family {
            kk,
            desa,
            dusun: dusun.to_string(),
            rw: format!("{rw:03}"),
            rt: format!("{rt:03}"),
            address: String::new(),
            dtks,
            desil: None,
            religion: None,
            people,
        };
        self.fill_details(&mut family);
        Some(family)
    }
}

/// The codes the generator writes, looked up once by their labels in the shipped lists.
struct Codes {
    shdk_head: Option<u8>,
    shdk_wife: Option<u8>,
    shdk_child: Option<u8>,
    shdk_parent: Option<u8>,
    wni: Option<u8>,
    /// Religions with their share in 1000 (Banyuwangi: Muslim, a Hindu community, ...).
    religions: Vec<(u32, Option<u8>)>,
    single: Option<u8>,
    married: Option<u8>,
    divorced: Option<u8>,
    widowed: Option<u8>,
    /// Blood groups with their share in 100; most KKs say "tidak tahu".
    blood: Vec<(u32, Option<u8>)>,
    education: Education,
    occupation: Occupation,
}

/// Education codes (pendidikan dalam KK) in the list's order: none, primary not completed,
/// primary, junior secondary, senior secondary, diploma I/II, academy/diploma III,
/// diploma IV/bachelor, master's.
struct Education([Option<u8>; 9]);

/// Occupation codes the generator uses.
struct Occupation {
    none: Option<u8>,
    homemaker: Option<u8>,
    pupil: Option<u8>,
    retired: Option<u8>,
    /// Work of adults, with shares in 100 (men; women take the same list).
    work: Vec<(u32, Option<u8>)>,
}

fn code(list: &CodeList, label: &str) -> Option<u8> {
    list.lookup(label)
}

impl Codes {
    fn resolve() -> Codes {
        let (shdk, agama, kawin) = (codes::shdk(), codes::agama(), codes::status_kawin());
        let (darah, pendidikan, pekerjaan) =
            (codes::golongan_darah(), codes::pendidikan(), codes::pekerjaan());
        let weighted = |list: &CodeList, entries: &[(u32, &str)]| -> Vec<(u32, Option<u8>)> {
            entries.iter().map(|&(share, label)| (share, code(list, label))).collect()
        };
        Codes {
            shdk_head: code(shdk, "KEPALA KELUARGA"),
            shdk_wife: code(shdk, "ISTRI"),
            shdk_child: code(shdk, "ANAK"),
            shdk_parent: code(shdk, "ORANGTUA"),
            wni: code(codes::warganegara(), "WNI"),
            religions: weighted(
                agama,
                &[
                    (952, "ISLAM"),
                    (17, "HINDU"),
                    (15, "KRISTEN"),
                    (9, "KATHOLIK"),
                    (5, "BUDHA"),
                    (1, "KHONGHUCU"),
                    (1, "Kepercayaan Terhadap Tuhan YME / Lainnya"),
                ],
            ),
            single: code(kawin, "BELUM KAWIN"),
            married: code(kawin, "KAWIN"),
            divorced: code(kawin, "CERAI HIDUP"),
            widowed: code(kawin, "CERAI MATI"),
            blood: weighted(
                darah,
                &[(55, "TIDAK TAHU"), (18, "O"), (13, "B"), (11, "A"), (3, "AB")],
            ),
            education: Education(
                [
                    "TIDAK / BELUM SEKOLAH",
                    "BELUM TAMAT SD/SEDERAJAT",
                    "TAMAT SD / SEDERAJAT",
                    "SLTP/SEDERAJAT",
                    "SLTA / SEDERAJAT",
                    "DIPLOMA I / II",
                    "AKADEMI/ DIPLOMA III/S. MUDA",
                    "DIPLOMA IV/ STRATA I",
                    "STRATA II",
                ]
                .map(|label| code(pendidikan, label)),
            ),
            occupation: Occupation {
                none: code(pekerjaan, "BELUM/TIDAK BEKERJA"),
                homemaker: code(pekerjaan, "MENGURUS RUMAH TANGGA"),
                pupil: code(pekerjaan, "PELAJAR/MAHASISWA"),
                retired: code(pekerjaan, "PENSIUNAN"),
                work: weighted(
                    pekerjaan,
                    &[
                        (22, "PETANI/PEKEBUN"),
                        (12, "BURUH TANI/PERKEBUNAN"),
                        (12, "BURUH HARIAN LEPAS"),
                        (14, "WIRASWASTA"),
                        (11, "KARYAWAN SWASTA"),
                        (5, "NELAYAN/PERIKANAN"),
                        (7, "PEDAGANG"),
                        (3, "SOPIR"),
                        (3, "TUKANG BATU"),
                        (2, "TUKANG KAYU"),
                        (2, "PEGAWAI NEGERI SIPIL (PNS)"),
                        (2, "GURU"),
                        (2, "PERDAGANGAN"),
                        (1, "KARYAWAN HONORER"),
                        (1, "PERANGKAT DESA"),
                        (1, "TUKANG JAHIT"),
                    ],
                ),
            },
        }
    }
}

/// One entry of `entries` drawn by its share.
fn pick(rng: &mut ChaCha8Rng, entries: &[(u32, Option<u8>)]) -> Option<u8> {
    let total: u32 = entries.iter().map(|(share, _)| share).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for &(share, code) in entries {
        if roll < share {
            return code;
        }
        roll -= share;
    }
    None
}

impl Generator {
    /// A name as another person's (a parent not in the KK), from the same lists.
    fn other_name(&mut self, female: bool) -> String {
        let rng = &mut self.details;
        let first = if female { FEMALE } else { MALE }.choose(rng).copied().unwrap_or("Nur");
        let second = SECOND.choose(rng).copied().unwrap_or("Santoso");
        format!("{first} {second}").to_uppercase()
    }

    /// Fills what a population file says besides names and dates: street, religion, desil,
    /// and each member's [`Details`].
    fn fill_details(&mut self, family: &mut Family) {
        let street = STREETS.choose(&mut self.details).copied().unwrap_or("Jl. Raya");
        family.address = format!("{street} No. {}", self.details.random_range(1..=120));
        family.religion = pick(&mut self.details, &self.codes.religions);
        family.desil = self.desil(family.dtks);
        let head_name = family.people[0].name.clone();
        let wife = family.people.iter().find(|p| p.relation == Relation::Spouse);
        let wife_name = wife.map(|w| w.name.clone());
        let has_wife = wife.is_some();
        // The mother of a widower's children is not in the KK: one name for all of them.
        let childrens_mother = match &wife_name {
            Some(name) => name.clone(),
            None => self.other_name(true),
        };
        let parent = family.people.iter().find(|p| p.relation == Relation::Parent);
        let head_parent = parent.map(|p| (p.female, p.name.clone()));
        for index in 0..family.people.len() {
            let (relation, female, age) = {
                let person = &family.people[index];
                (person.relation, person.female, person.age())
            };
            let (father_name, mother_name) = match relation {
                Relation::Child => (head_name.clone(), childrens_mother.clone()),
                Relation::Head => match &head_parent {
                    Some((true, mother)) => (self.other_name(false), mother.clone()),
                    Some((false, father)) => (father.clone(), self.other_name(true)),
                    None => (self.other_name(false), self.other_name(true)),
                },
                _ => (self.other_name(false), self.other_name(true)),
            };
            let details = Details {
                birth_place: self.birth_place(),
                shdk: match relation {
                    Relation::Head => self.codes.shdk_head,
                    Relation::Spouse => self.codes.shdk_wife,
                    Relation::Child => self.codes.shdk_child,
                    Relation::Parent | Relation::Other => self.codes.shdk_parent,
                },
                education: self.education(age, family.people[index].birth.2),
                occupation: self.occupation(relation, female, age),
                marital_status: self.marital_status(relation, age, has_wife),
                nationality: self.codes.wni,
                blood_type: pick(&mut self.details, &self.codes.blood),
                father_name,
                mother_name,
            };
            family.people[index].details = details;
        }
    }

    fn birth_place(&mut self) -> String {
        if self.details.random_bool(0.82) {
            "BANYUWANGI".into()
        } else {
            BIRTH_PLACES.choose(&mut self.details).copied().unwrap_or("JEMBER").into()
        }
    }

    /// DTSEN's decile: the DTKS families mostly in the poorest four tenths, the others above,
    /// a few not ranked at all.
    fn desil(&mut self, dtks: bool) -> Option<u8> {
        let roll = self.details.random_range(0..100);
        if dtks {
            Some(match roll {
                0..=21 => 1,
                22..=46 => 2,
                47..=68 => 3,
                69..=86 => 4,
                87..=95 => 5,
                _ => 6,
            })
        } else {
            match roll {
                0..=7 => None,
                8..=10 => Some(3),
                11..=19 => Some(4),
                20..=34 => Some(5),
                35..=49 => Some(6),
                50..=63 => Some(7),
                64..=77 => Some(8),
                78..=89 => Some(9),
                _ => Some(10),
            }
        }
    }

    /// Schooling by age, and for adults by generation: the older, the less of it.
    fn education(&mut self, age: u32, born: u32) -> Option<u8> {
        let levels = &self.codes.education.0;
        let level = match age {
            0..=4 => 0,
            5..=12 => 1,
            13..=15 => 2,
            16..=18 => 3,
            _ => {
                let shares: &[u32; 9] = match born {
                    ..1960 => &[25, 25, 35, 10, 5, 0, 0, 0, 0],
                    1960..1986 => &[3, 10, 35, 24, 23, 1, 1, 3, 0],
                    _ => &[1, 3, 15, 25, 41, 2, 3, 9, 1],
                };
                let entries: Vec<(u32, Option<u8>)> =
                    shares.iter().zip(levels).map(|(&share, &code)| (share, code)).collect();
                return pick(&mut self.details, &entries);
            }
        };
        levels[level]
    }

    fn occupation(&mut self, relation: Relation, female: bool, age: u32) -> Option<u8> {
        let occupation = &self.codes.occupation;
        match age {
            0..=5 => occupation.none,
            6..=18 => occupation.pupil,
            19..=22 if self.details.random_bool(0.4) => occupation.pupil,
            _ if age >= 65 && self.details.random_bool(0.5) => {
                if self.details.random_bool(0.1) {
                    occupation.retired
                } else {
                    occupation.none
                }
            }
            _ if female && relation != Relation::Head && self.details.random_bool(0.6) => {
                occupation.homemaker
            }
            _ if relation == Relation::Child && self.details.random_bool(0.2) => occupation.none,
            _ => pick(&mut self.details, &occupation.work),
        }
    }

    /// Married head and wife; a head without a wife widowed or divorced (single when young
    /// and childless is not drawn: he heads a KK); children mostly single; a parent widowed.
    fn marital_status(&mut self, relation: Relation, age: u32, has_wife: bool) -> Option<u8> {
        let codes = &self.codes;
        match relation {
            Relation::Head if has_wife => codes.married,
            Relation::Head if self.details.random_bool(0.65) => codes.widowed,
            Relation::Head => codes.divorced,
            Relation::Spouse => codes.married,
            Relation::Child if age >= 20 && self.details.random_bool(0.08) => codes.divorced,
            Relation::Child => codes.single,
            Relation::Parent | Relation::Other => codes.widowed,
        }
    }

    /// After the memberships were given: a few members die (the old most), move away
    /// (grown children most) or go missing, in [`REFERENCE_YEAR`]. Pregnant and nursing
    /// women and young children are spared, so the families stay as the tests read them.
    fn life_events(&mut self, family: &mut Family) {
        for index in 0..family.people.len() {
            let person = &family.people[index];
            if person.pregnant || person.nursing || person.age() < 5 {
                continue;
            }
            let age = person.age();
            let died = match age {
                70.. => 0.10,
                60..=69 => 0.04,
                40..=59 => 0.01,
                _ => 0.002,
            };
            let moved = match (person.relation, age) {
                (Relation::Child, 18..=35) => 0.05,
                (Relation::Head, _) => 0.003,
                (_, 18..) => 0.005,
                _ => 0.0,
            };
            let roll: f64 = self.details.random();
            let life = if roll < died {
                LifeStatus::Died
            } else if roll < died + moved {
                LifeStatus::MovedAway
            } else if roll < died + moved + 0.0005 {
                LifeStatus::Missing
            } else {
                continue;
            };
            let on = (self.details.random_range(1..=28), self.details.random_range(4..=12));
            self.record_left(family, index, life, (on.0, on.1, REFERENCE_YEAR));
        }
    }

    /// Records member `index` as `life` from `on`; a surviving spouse is then widowed.
    fn record_left(
        &self,
        family: &mut Family,
        index: usize,
        life: LifeStatus,
        on: (u32, u32, u32),
    ) {
        family.people[index].life = life;
        family.people[index].left_on = Some(on);
        let relation = family.people[index].relation;
        if life == LifeStatus::Died && matches!(relation, Relation::Head | Relation::Spouse) {
            let partner =
                if relation == Relation::Head { Relation::Spouse } else { Relation::Head };
            for other in family.people.iter_mut() {
                if other.relation == partner && other.life == LifeStatus::Alive {
                    other.details.marital_status = self.codes.widowed;
                }
            }
        }
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

    /// Takes a place in the desa's BLT Dana Desa quota for a family DTSEN ranks `desil`;
    /// false when the program is for other deciles (the catalogue's range) or the quota is
    /// full.
    fn take_blt(&mut self, desa: u64, desil: Option<u8>) -> bool {
        if let Some(range) = self.catalogue.program("BLT_DD").and_then(|p| p.desil)
            && !desil.is_some_and(|desil| range.contains(desil))
        {
            return false;
        }
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
            // Memberships are given before anyone dies or leaves (`life_events`).
            life_status: LifeStatus::Alive,
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
        let facts = FamilyFacts { desa: family.desa, desil: family.desil };
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
            65..=74 if rules.take_blt(family.desa, family.desil) => "BLT_DD",
            0..=49 | 65..=74 => "BPNT",
            50..=64 => "BST",
            75..=82 => "PEMPROV_JATIM",
            _ => "APBD_SEMBAKO",
        })
    } else {
        // Outside DTKS, the village fund and the community schemes catch some families.
        match roll {
            0..=4 if rules.take_blt(family.desa, family.desil) => Some("BLT_DD"),
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
    Died,
}

/// In the order the examples are listed; the kiosk's demo hint shows the first few.
const STORIES: [Story; 10] = [
    Story::PkhPregnant,
    Story::Uncovered,
    Story::SonOfBst,
    Story::NutritionWithSembako,
    Story::BltDesa,
    Story::NursingMother,
    Story::GuruNgaji,
    Story::ElderWithBpnt,
    Story::AsnPeduli,
    Story::Died,
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
            Story::Died => "meninggal dunia; keanggotaannya berakhir",
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
            // A married man, so his widow keeps the family's own program.
            Story::Died => {
                let married = family.people.iter().any(|p| p.relation == Relation::Spouse);
                find(&|p| p.relation == Relation::Head && (40..=75).contains(&p.age()))
                    .filter(|_| married)
            }
            Story::Uncovered | Story::BltDesa | Story::AsnPeduli => Some(0),
        }
    }

    /// Sets the family's DTKS flag and DTSEN desil and returns its memberships.
    fn plant(self, family: &mut Family, subject: usize, rules: &mut Rules) -> Vec<Grant> {
        let active = MembershipState::Active;
        let household = |program| Grant::household(program, None, active);
        let (dtks, desil, grants) = match self {
            Story::PkhPregnant => {
                (true, 1, vec![Grant::household("PKH", Some(("ibu_hamil", subject)), active)])
            }
            // Poor enough for BLT Dana Desa or a report, and covered by nothing yet.
            Story::Uncovered => (false, 3, vec![]),
            Story::SonOfBst => (true, 2, vec![household("BST")]),
            Story::NutritionWithSembako => (
                true,
                2,
                vec![household("APBD_SEMBAKO"), Grant::person("NUTRISI_BUMIL", subject, active)],
            ),
            Story::BltDesa => {
                // The first family of its desa to take a place, so there is one.
                rules.take_blt(family.desa, Some(2));
                (false, 2, vec![household("BLT_DD")])
            }
            Story::NursingMother => {
                (false, 6, vec![Grant::person("NUTRISI_BUMIL", subject, active)])
            }
            Story::GuruNgaji => (false, 7, vec![Grant::person("GURU_NGAJI", subject, active)]),
            Story::ElderWithBpnt => (true, 1, vec![household("BPNT")]),
            Story::AsnPeduli => (false, 5, vec![household("ASN_PEDULI")]),
            // He taught Quran and his family receives BPNT; he died in August.
            Story::Died => {
                (true, 3, vec![household("BPNT"), Grant::person("GURU_NGAJI", subject, active)])
            }
        };
        family.dtks = dtks;
        family.desil = Some(desil);
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
                if let Story::Died = self {
                    generator.record_left(
                        &mut family,
                        subject,
                        LifeStatus::Died,
                        (14, 8, REFERENCE_YEAR),
                    );
                }
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
                    let mut family = generator.family().ok_or_else(out_of_serials)?;
                    let grants = random_grants(&mut grant_rng, &family, &mut rules);
                    generator.life_events(&mut family);
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
        let religion = self.religion;
        let members = self
            .people
            .into_iter()
            .map(|person| {
                let (d, m, y) = person.birth;
                let details = person.details;
                NewResident {
                    nik: person.nik,
                    name: person.name,
                    birth_place: details.birth_place,
                    birth_date: format!("{y:04}-{m:02}-{d:02}"),
                    relation: person.relation,
                    shdk: details.shdk,
                    religion,
                    education: details.education,
                    occupation: details.occupation,
                    marital_status: details.marital_status,
                    nationality: details.nationality,
                    blood_type: details.blood_type,
                    father_name: details.father_name,
                    mother_name: details.mother_name,
                    pregnant: person.pregnant,
                    nursing: person.nursing,
                    life_status: person.life,
                }
            })
            .collect();
        NewFamily {
            kk: self.kk,
            desa_code: self.desa,
            dusun: self.dusun,
            rw: self.rw,
            rt: self.rt,
            address: self.address,
            dtks: self.dtks,
            desil: self.desil,
            members,
        }
    }
}

impl Grant {
    /// The membership `family` holds by this grant: ended, since the day it ended, when the
    /// member holding it (or whom its component concerns) died or left, or for a household's
    /// when nobody of it is left.
    fn membership(&self, family: &Family) -> NewMembership {
        let nik = |i: usize| family.people[i].nik;
        let holder = self.person.or(self.component.map(|(_, i)| i));
        let left_on = match holder {
            Some(index) => family.people[index].left_on,
            None if family.people.iter().all(|p| p.left_on.is_some()) => {
                family.people.iter().filter_map(|p| p.left_on).max_by_key(|&(d, m, y)| (y, m, d))
            }
            None => None,
        };
        let (state, since) = match left_on {
            Some((d, m, y)) => (MembershipState::Ended, format!("{y:04}-{m:02}-{d:02}")),
            None => (self.state, since(self.program).to_string()),
        };
        NewMembership {
            program: self.program.to_string(),
            nik: self.person.map(nik),
            kk: if self.person.is_none() { Some(family.kk) } else { None },
            component: self.component.map(|(code, _)| code.to_string()),
            member_nik: self.component.map(|(_, i)| nik(i)),
            state,
            since,
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
        assert!((0..limit).all(|_| rules.take_blt(desa, Some(4))));
        assert!(!rules.take_blt(desa, Some(1)));
        assert!(rules.take_blt(3510252006, Some(1)), "another desa has its own quota");
        assert!(!rules.take_blt(3510252007, Some(5)), "BLT Dana Desa is for desil 1-4");
        assert!(!rules.take_blt(3510252007, None), "nor for a family DTSEN does not rank");
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
