//! A deterministic synthetic Banyuwangi: families with valid NIKs and KK numbers across the
//! real desa of Kabupaten Banyuwangi (35.10), and program memberships that respect the
//! brief's rules (no household in two of the cash/food programs, no PKH household in BST,
//! nutrition only where PKH's pregnant-mother component does not already cover the woman).
//!
//! The same seed and size always give the same registry, so demos, tests and benchmarks
//! can name NIKs.

use std::collections::HashMap;

use protocol::region::regions;
use protocol::{Nik, NoKk};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::store::{Store, StoreError};

/// Banyuwangi.
pub const REGENCY: u32 = 3510;

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
    birth: (u32, u32, u32),
    relation: &'static str,
    pregnant: bool,
    nursing: bool,
}

struct Family {
    kk: NoKk,
    desa: u64,
    address: String,
    dtks: bool,
    people: Vec<Person>,
}

struct Generator {
    rng: ChaCha8Rng,
    districts: Vec<u32>,
    nik_serials: Serials,
    kk_serials: Serials,
}

impl Generator {
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
        relation: &'static str,
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
        let district = *self.districts.choose(&mut self.rng)?;
        let villages = regions().villages_of(district);
        let desa = villages.choose(&mut self.rng)?.code;
        let issued = self.date(2005, 2021);
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
        let head = self.person(district, false, (head_year, head_year), "head", None)?;
        let family_name = head.name.split(' ').nth(1).map(str::to_string);
        let mut people = vec![head];
        if self.rng.random_bool(0.85) {
            let mut wife =
                self.person(district, true, (head_year, head_year + 6), "spouse", None)?;
            if wife.birth.2 >= 1984 {
                wife.pregnant = self.rng.random_bool(0.12);
                wife.nursing = !wife.pregnant && self.rng.random_bool(0.10);
            }
            people.push(wife);
        }
        let children = self.rng.random_range(0..=4);
        for _ in 0..children {
            let from = (head_year + 20).min(2024);
            let female = self.rng.random_bool(0.5);
            let child =
                self.person(district, female, (from, 2024), "child", family_name.as_deref())?;
            people.push(child);
        }
        if self.rng.random_bool(0.1) {
            let female = self.rng.random_bool(0.6);
            let parent = self.person(district, female, (1935, 1955), "parent", None)?;
            people.push(parent);
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

/// A membership the generator writes.
struct Grant {
    program: &'static str,
    person: Option<usize>,
    component: Option<(&'static str, usize)>,
    state: &'static str,
}

/// The memberships of one family. At most one household program, so no family is covered
/// twice; nutrition only for a pregnant or nursing woman not covered by PKH's pregnant-mother
/// component.
fn grants(rng: &mut ChaCha8Rng, family: &Family) -> Vec<Grant> {
    let mut out = Vec::new();
    let pregnant_wife = family.people.iter().position(|p| p.pregnant);
    let state = |rng: &mut ChaCha8Rng| match rng.random_range(0..100) {
        0..=84 => "active",
        85..=89 => "verified",
        90..=94 => "proposed",
        _ => "ended",
    };
    let household = if family.dtks {
        let roll = rng.random_range(0..100);
        Some(match roll {
            0..=29 => "PKH",
            30..=49 => "BPNT",
            50..=64 => "BST",
            65..=74 => "BLT_DD",
            75..=82 => "PEMPROV_JATIM",
            _ => "APBD_SEMBAKO",
        })
    } else if rng.random_bool(0.04) {
        Some(if rng.random_bool(0.5) { "ASN_PEDULI" } else { "GOTONG_ROYONG" })
    } else {
        None
    };
    let mut pkh_covers_pregnancy = false;
    if let Some(program) = household {
        let component = match (program, pregnant_wife) {
            ("PKH", Some(index)) => {
                pkh_covers_pregnancy = true;
                Some(("ibu_hamil", index))
            }
            ("PKH", None) => {
                let child = family.people.iter().position(|p| p.relation == "child");
                child.map(|index| ("anak_sekolah", index))
            }
            _ => None,
        };
        out.push(Grant { program, person: None, component, state: state(rng) });
    }
    let community = matches!(household, Some("ASN_PEDULI" | "GOTONG_ROYONG"));
    for (index, person) in family.people.iter().enumerate() {
        if (person.pregnant || person.nursing)
            && !pkh_covers_pregnancy
            && !community
            && rng.random_bool(0.8)
        {
            out.push(Grant {
                program: "NUTRISI_BUMIL",
                person: Some(index),
                component: None,
                state: state(rng),
            });
        }
        let adult = person.birth.2 <= 1995;
        if adult && !community && rng.random_bool(0.015) {
            out.push(Grant {
                program: "GURU_NGAJI",
                person: Some(index),
                component: None,
                state: "active",
            });
        }
    }
    out
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
    let mut generator = Generator {
        rng: ChaCha8Rng::seed_from_u64(options.seed),
        districts: regions().districts_of(REGENCY).into_iter().map(|(code, _)| code).collect(),
        nik_serials: Serials::default(),
        kk_serials: Serials::default(),
    };
    let mut grant_rng = ChaCha8Rng::seed_from_u64(options.seed ^ 0x5eed);
    let mut summary =
        DemoSummary { residents: 0, families: 0, memberships: 0, examples: Vec::new() };
    let mut finder = ExampleFinder::default();
    while (summary.residents as usize) < options.residents {
        let mut batch = Vec::with_capacity(BATCH_FAMILIES);
        let mut planned = summary.residents as usize;
        while batch.len() < BATCH_FAMILIES && planned < options.residents {
            let Some(family) = generator.family() else {
                return Err(StoreError::Corrupt("ran out of NIK serial numbers".into()));
            };
            planned += family.people.len();
            let family_grants = grants(&mut grant_rng, &family);
            finder.consider(&family, &family_grants);
            batch.push((family, family_grants));
        }
        let (residents, memberships) = store.write(|tx| write_batch(tx, &batch))?;
        summary.families += batch.len() as u64;
        summary.residents += residents;
        summary.memberships += memberships;
        progress(summary.residents);
    }
    summary.examples = finder.examples;
    Ok(summary)
}

/// [`generate_with_progress`] without progress reports.
pub fn generate(store: &Store, options: &DemoOptions) -> Result<DemoSummary, StoreError> {
    generate_with_progress(store, options, |_| {})
}

fn write_batch(
    tx: &rusqlite::Transaction<'_>,
    batch: &[(Family, Vec<Grant>)],
) -> Result<(u64, u64), StoreError> {
    let mut family_insert =
        tx.prepare_cached("INSERT INTO families (kk, desa_code, address) VALUES (?1, ?2, ?3)")?;
    let mut person_insert = tx.prepare_cached(
        "INSERT INTO residents (nik, kk, name, sex, birth_date, relation, pregnant, nursing, dtks)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut grant_insert = tx.prepare_cached(
        "INSERT INTO memberships (program, nik, kk, component, member_nik, state, since, desa_code)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let (mut residents, mut memberships) = (0, 0);
    for (family, grants) in batch {
        family_insert.execute((family.kk.as_str(), family.desa as i64, &family.address))?;
        for person in &family.people {
            let (d, m, y) = person.birth;
            person_insert.execute((
                person.nik.as_str(),
                family.kk.as_str(),
                &person.name,
                if person.female { "female" } else { "male" },
                format!("{y:04}-{m:02}-{d:02}"),
                person.relation,
                person.pregnant,
                person.nursing,
                family.dtks,
            ))?;
            residents += 1;
        }
        for grant in grants {
            let nik = grant.person.map(|i| family.people[i].nik.as_str());
            let kk = if grant.person.is_none() { Some(family.kk.as_str()) } else { None };
            let member = grant.component.map(|(_, i)| family.people[i].nik.as_str());
            grant_insert.execute((
                grant.program,
                nik,
                kk,
                grant.component.map(|(code, _)| code),
                member,
                grant.state,
                "2020-05-06",
                family.desa as i64,
            ))?;
            memberships += 1;
        }
    }
    Ok((residents, memberships))
}

/// Picks, while generating, one NIK for each story worth showing.
#[derive(Default)]
struct ExampleFinder {
    examples: Vec<Example>,
}

impl ExampleFinder {
    fn want(&mut self, nik: Nik, description: &str) {
        if !self.examples.iter().any(|e| e.description == description) {
            self.examples.push(Example { nik, description: description.to_string() });
        }
    }

    fn consider(&mut self, family: &Family, grants: &[Grant]) {
        let active =
            |program: &str| grants.iter().any(|g| g.program == program && g.state == "active");
        let head = &family.people[0];
        let child = family.people.iter().find(|p| p.relation == "child");
        if let Some(grant) = grants.iter().find(|g| g.program == "PKH" && g.state == "active")
            && let Some(("ibu_hamil", index)) = grant.component
        {
            self.want(family.people[index].nik, "PKH, komponen ibu hamil");
        }
        if active("BST")
            && let Some(child) = child
        {
            self.want(child.nik, "anak; ayahnya menerima BST");
        }
        if active("APBD_SEMBAKO")
            && let Some(mother) = family.people.iter().enumerate().find(|(i, p)| {
                p.pregnant
                    && grants.iter().any(|g| g.program == "NUTRISI_BUMIL" && g.person == Some(*i))
            })
        {
            self.want(mother.1.nik, "ibu hamil: paket nutrisi + sembako APBD");
        }
        if active("BLT_DD") {
            self.want(head.nik, "BLT Dana Desa");
        }
        if grants.is_empty() {
            self.want(head.nik, "tidak menerima bantuan");
        }
        if grants.iter().any(|g| g.program == "GURU_NGAJI") {
            let index = grants
                .iter()
                .find(|g| g.program == "GURU_NGAJI")
                .and_then(|g| g.person)
                .unwrap_or(0);
            self.want(family.people[index].nik, "guru ngaji");
        }
    }
}
