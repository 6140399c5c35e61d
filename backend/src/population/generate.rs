//! A synthetic kabupaten population as an OpenSID-layout CSV, of any size: for the
//! benchmark (1.7 M residents, Banyuwangi's size) and for tests of the import path.
//!
//! Deterministic: the same options give the same bytes. Every row passes the reader's
//! checks: real region codes of the regency, NIKs holding the birth date and sex, one head
//! per family, codes from the lists, unique NIKs and KK numbers.

use std::collections::HashMap;
use std::io::{self, BufWriter, Write};

use protocol::region::regions;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    pub residents: u64,
    pub seed: u64,
    /// Regency (kabupaten) code, e.g. 3510.
    pub regency: u32,
}

/// OpenSID's 43 import columns in its template's order, then Anjungan's `kode_desa`.
pub const COLUMNS: [&str; 44] = [
    "alamat",
    "dusun",
    "rw",
    "rt",
    "nama",
    "no_kk",
    "nik",
    "sex",
    "tempatlahir",
    "tanggallahir",
    "agama_id",
    "pendidikan_kk_id",
    "pendidikan_sedang_id",
    "pekerjaan_id",
    "status_kawin",
    "kk_level",
    "warganegara_id",
    "ayah_nik",
    "nama_ayah",
    "ibu_nik",
    "nama_ibu",
    "golongan_darah_id",
    "akta_lahir",
    "dokumen_pasport",
    "tanggal_akhir_paspor",
    "dokumen_kitas",
    "akta_perkawinan",
    "tanggalperkawinan",
    "akta_perceraian",
    "tanggalperceraian",
    "cacat_id",
    "cara_kb_id",
    "hamil",
    "ktp_el",
    "status_rekam",
    "alamat_sekarang",
    "status_dasar",
    "suku",
    "tag_id_card",
    "id_asuransi",
    "no_asuransi",
    "lat",
    "lng",
    "kode_desa",
];

/// Births up to this year, so every generated birth date is in the past.
const LAST_BIRTH_YEAR: u32 = 2024;

const MALE: &[&str] = &[
    "AGUS", "AHMAD", "BAMBANG", "BUDI", "DEDI", "EKO", "FAJAR", "HADI", "HENDRA", "IMAM", "JOKO",
    "KUSNADI", "MUHAMMAD", "RAHMAT", "SLAMET", "SUGENG", "SUPARMAN", "TEGUH", "WAHYU", "YUSUF",
];
const FEMALE: &[&str] = &[
    "AMINAH", "ANI", "DEWI", "ENDANG", "FATIMAH", "INDAH", "KHOTIJAH", "LESTARI", "MARYAM", "RINA",
    "SITI", "SRI", "SUMINAH", "TUTIK", "UMI", "WATI", "YULI", "ZULAIKHA", "SULASTRI",
];
const SECOND: &[&str] = &[
    "SANTOSO",
    "WIBOWO",
    "HIDAYAT",
    "SUSANTO",
    "PURNOMO",
    "SETIAWAN",
    "PRASETYO",
    "RAHAYU",
    "WAHYUNI",
    "HARIYANTO",
    "MAULANA",
    "FAUZI",
    "KURNIAWAN",
    "HANDAYANI",
    "BASUKI",
    "ARIFIN",
];
const DUSUN: &[&str] = &["KRAJAN", "KOPEN", "SUMBERAGUNG", "TEGALREJO", "KEBONREJO", "SUMBERSARI"];
const STREETS: &[&str] = &["JL. RAYA", "JL. MELATI", "JL. KENANGA", "JL. PB SUDIRMAN", "GG. MAWAR"];

struct Person {
    nik: String,
    name: String,
    female: bool,
    /// Year, month, day.
    birth: (u32, u32, u32),
    shdk: u8,
    marital: u8,
    alive: u8,
    religion: u8,
    education: u8,
    occupation: u8,
}

/// Hands out serial numbers so NIKs and KK numbers never repeat.
#[derive(Default)]
struct Serials(HashMap<u64, u16>);

impl Serials {
    /// The next number with this 12-digit prefix, `None` once 9999 are taken.
    fn next(&mut self, prefix: u64) -> Option<String> {
        let serial = self.0.entry(prefix).or_insert(0);
        *serial = serial.checked_add(1).filter(|s| *s <= 9999)?;
        Some(format!("{prefix:012}{serial:04}"))
    }
}

struct Generator {
    rng: ChaCha8Rng,
    villages: Vec<u64>,
    districts: Vec<u32>,
    birth_place: String,
    niks: Serials,
    kks: Serials,
}

impl Generator {
    fn date(&mut self, years: std::ops::RangeInclusive<u32>) -> (u32, u32, u32) {
        let year = self.rng.random_range(years);
        let month = self.rng.random_range(1..=12);
        let days = match month {
            2 if year % 4 == 0 => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        (year, month, self.rng.random_range(1..=days))
    }

    fn person(
        &mut self,
        district: u32,
        female: bool,
        years: std::ops::RangeInclusive<u32>,
        shdk: u8,
    ) -> Person {
        loop {
            let birth = self.date(years.clone());
            let (year, month, day) = birth;
            let nik_day = if female { day + 40 } else { day };
            let prefix = u64::from(district) * 1_000_000
                + u64::from(nik_day * 10_000 + month * 100 + year % 100);
            let Some(nik) = self.niks.next(prefix) else { continue };
            let first = if female { FEMALE } else { MALE };
            let first = first.choose(&mut self.rng).copied().unwrap_or("NUR");
            let second = SECOND.choose(&mut self.rng).copied().unwrap_or("SANTOSO");
            let name = format!("{first} {second}");
            let age = LAST_BIRTH_YEAR + 1 - year;
            let marital = match (shdk, age) {
                (2 | 3, _) => 2,
                (1, _) if self.rng.random_bool(0.1) => 4,
                (1, _) => 2,
                (_, 0..=18) => 1,
                _ if self.rng.random_bool(0.6) => 2,
                _ => 1,
            };
            let alive = match self.rng.random_range(0..1000) {
                _ if shdk == 1 => 1,
                0..=14 => 2,
                15..=19 => 3,
                _ => 1,
            };
            let religion = match self.rng.random_range(0..100) {
                0..=4 => 2,
                5..=7 => 3,
                8..=11 => 4,
                _ => 1,
            };
            let education = match age {
                0..=6 => 1,
                7..=12 => 2,
                13..=15 => 3,
                16..=18 => 4,
                _ => self.rng.random_range(3..=7),
            };
            let occupation = match (age, female, shdk) {
                (0..=4, _, _) => 1,
                (5..=22, _, _) => 3,
                (61.., _, _) => 1,
                (_, true, 3) => 2,
                _ => *[9, 11, 19, 88, 15, 89].choose(&mut self.rng).unwrap_or(&88),
            };
            return Person {
                nik,
                name,
                female,
                birth,
                shdk,
                marital,
                alive,
                religion,
                education,
                occupation,
            };
        }
    }

    fn family(&mut self, size_left: u64) -> Option<(String, u64, Vec<Person>)> {
        let desa = *self.villages.choose(&mut self.rng)?;
        let district = (desa / 10_000) as u32;
        let kk = loop {
            let (year, month, day) = self.date(2005..=LAST_BIRTH_YEAR);
            let prefix = u64::from(district) * 1_000_000
                + u64::from(day * 10_000 + month * 100 + year % 100);
            if let Some(kk) = self.kks.next(prefix) {
                break kk;
            }
        };
        let size = self.rng.random_range(1..=7u64).min(size_left) as usize;
        let mut people = Vec::with_capacity(size);
        let head_female = self.rng.random_bool(0.15);
        let head_year = self.rng.random_range(1950..=1998);
        let born_here = |g: &mut Generator| {
            if g.rng.random_bool(0.9) {
                district
            } else {
                *g.districts.choose(&mut g.rng).unwrap_or(&district)
            }
        };
        let nik_district = born_here(self);
        people.push(self.person(nik_district, head_female, head_year..=head_year, 1));
        if size > 1 && !head_female && self.rng.random_bool(0.85) {
            let d = born_here(self);
            people.push(self.person(d, true, head_year..=(head_year + 6).min(2000), 3));
        }
        while people.len() < size {
            let (female, years, shdk) = match self.rng.random_range(0..10) {
                0 => (self.rng.random_bool(0.6), 1925..=(head_year - 18), 7),
                1 => (
                    self.rng.random_bool(0.5),
                    (head_year + 40).min(LAST_BIRTH_YEAR)..=LAST_BIRTH_YEAR,
                    6,
                ),
                _ => (
                    self.rng.random_bool(0.5),
                    (head_year + 18)..=LAST_BIRTH_YEAR.min(head_year + 45),
                    4,
                ),
            };
            let d = born_here(self);
            people.push(self.person(d, female, years, shdk));
        }
        Some((kk, desa, people))
    }
}

/// Writes a plausible OpenSID-layout CSV (every column of the format, with the extra
/// `kode_desa` column Anjungan reads for multi-desa files), families of 1-7 with one head,
/// valid NIK/KK (real region codes of the regency, birth date and sex in the NIK).
pub fn write_opensid_csv(out: &mut impl Write, options: &GenerateOptions) -> io::Result<u64> {
    let districts: Vec<u32> =
        regions().districts_of(options.regency).iter().map(|(code, _)| *code).collect();
    let villages: Vec<u64> = districts
        .iter()
        .flat_map(|district| regions().villages_of(*district).iter().map(|village| village.code))
        .collect();
    if villages.is_empty() {
        let message = format!("regency {} has no villages on the region list", options.regency);
        return Err(io::Error::new(io::ErrorKind::InvalidInput, message));
    }
    let birth_place = regions().regency(options.regency).map_or("", |entry| entry.name.as_str());
    let birth_place =
        birth_place.trim_start_matches("Kabupaten ").trim_start_matches("Kota ").to_uppercase();
    let mut generator = Generator {
        rng: ChaCha8Rng::seed_from_u64(options.seed),
        villages,
        districts,
        birth_place,
        niks: Serials::default(),
        kks: Serials::default(),
    };
    let mut out = BufWriter::with_capacity(1 << 16, out);
    writeln!(out, "{}", COLUMNS.join(","))?;
    let mut written = 0u64;
    let mut line = String::with_capacity(512);
    while written < options.residents {
        let Some((kk, desa, people)) = generator.family(options.residents - written) else { break };
        let dusun = DUSUN.choose(&mut generator.rng).copied().unwrap_or("KRAJAN");
        let street = STREETS.choose(&mut generator.rng).copied().unwrap_or("JL. RAYA");
        let number = generator.rng.random_range(1..=200);
        let (rw, rt) = (generator.rng.random_range(1..=12), generator.rng.random_range(1..=9));
        let head = &people[0];
        let spouse = people.iter().find(|p| p.shdk == 3);
        for person in &people {
            let (father, mother) = match (person.shdk, spouse) {
                (4, Some(spouse)) => (
                    (head.nik.as_str(), head.name.as_str()),
                    (spouse.nik.as_str(), spouse.name.as_str()),
                ),
                (4, None) => (("", head.name.as_str()), ("", "SITI AMINAH")),
                _ => (("", "SLAMET"), ("", "SUMINAH")),
            };
            write_row(
                &mut line,
                &generator,
                person,
                Family { kk: &kk, desa, dusun, street, number, rw, rt },
                father,
                mother,
            );
            out.write_all(line.as_bytes())?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}

struct Family<'a> {
    kk: &'a str,
    desa: u64,
    dusun: &'a str,
    street: &'a str,
    number: u32,
    rw: u32,
    rt: u32,
}

fn write_row(
    line: &mut String,
    generator: &Generator,
    person: &Person,
    family: Family<'_>,
    father: (&str, &str),
    mother: (&str, &str),
) {
    use std::fmt::Write as _;
    line.clear();
    let (year, month, day) = person.birth;
    let sex = if person.female { 2 } else { 1 };
    let Family { kk, desa, dusun, street, number, rw, rt } = family;
    // Writing into a String cannot fail.
    let _ = writeln!(
        line,
        "{street} NO. {number},{dusun},{rw:03},{rt:03},{name},{kk},{nik},{sex},{place},{year:04}-{month:02}-{day:02},\
         {religion},{education},,{occupation},{marital},{shdk},1,{father_nik},{father_name},{mother_nik},{mother_name},\
         13,,,,,,,,,,,,,,,{alive},,,,,,,{desa}",
        name = person.name,
        nik = person.nik,
        place = generator.birth_place,
        marital = person.marital,
        shdk = person.shdk,
        religion = person.religion,
        education = person.education,
        occupation = person.occupation,
        father_nik = father.0,
        father_name = father.1,
        mother_nik = mother.0,
        mother_name = mother.1,
        alive = person.alive,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population::read::{ReadOptions, Verdict, read_population};

    fn generate(residents: u64, seed: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let options = GenerateOptions { residents, seed, regency: 3510 };
        let written = write_opensid_csv(&mut out, &options).expect("generate");
        assert_eq!(written, residents);
        out
    }

    #[test]
    fn the_same_seed_gives_the_same_file() {
        assert_eq!(generate(300, 7), generate(300, 7));
        assert_ne!(generate(300, 7), generate(300, 8));
    }

    #[test]
    fn every_generated_row_passes_the_reader() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("kabupaten.csv");
        std::fs::write(&path, generate(3000, 2020)).expect("write");
        let options = ReadOptions { desa: None, regency: Some(3510), progress: &|_| {} };
        let mut rejected = Vec::new();
        let mut heads = 0;
        let summary = read_population::<()>(&path, &options, &mut |verdict| {
            match verdict {
                Verdict::Accepted(record) => heads += u64::from(record.is_head()),
                Verdict::Rejected(rejection) => rejected.push(rejection),
            }
            Ok(())
        })
        .expect("reads");
        assert_eq!(rejected, []);
        assert_eq!((summary.rows, summary.accepted), (3000, 3000));
        // Families of 1-7: about one head in four residents.
        assert!((300..1500).contains(&heads), "{heads} heads");
    }

    #[test]
    fn a_regency_without_villages_is_refused() {
        let options = GenerateOptions { residents: 10, seed: 1, regency: 9999 };
        let error = write_opensid_csv(&mut Vec::new(), &options).expect_err("no villages");
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }
}
