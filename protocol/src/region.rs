//! The official Kemendagri region codes (kode wilayah) that NIK and KK numbers start with.
//!
//! The lists ship inside the binary (`data/wilayah/`, see its README for source and licence)
//! and are parsed once, on first use, so validating a NIK never touches the disk or network.
//! Codes are kept as integers without dots: province `35`, regency `3510`, district `351001`,
//! village `3510012001`.

use std::collections::HashMap;
use std::sync::OnceLock;

const PROVINCES: &str = include_str!("../data/wilayah/provinces.csv");
const REGENCIES: &str = include_str!("../data/wilayah/regencies.csv");
const DISTRICTS: &str = include_str!("../data/wilayah/districts.csv");
const RETIRED: &str = include_str!("../data/wilayah/retired.csv");
const VILLAGES: &str = include_str!("../data/wilayah/villages.csv");

/// Whether a region code is on the current list or only on a retired one.
///
/// NIKs issued in Papua before the 2022 split keep their old prefix for life, so a retired
/// code is valid but worth reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Current,
    Retired { last_listed: u16 },
}

/// A named region with its listing state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionEntry {
    pub name: String,
    pub listing: Listing,
}

/// The parsed code lists down to district level, plus villages on demand.
pub struct Regions {
    provinces: HashMap<u32, RegionEntry>,
    regencies: HashMap<u32, RegionEntry>,
    districts: HashMap<u32, RegionEntry>,
}

/// The lists, parsed on first use.
pub fn regions() -> &'static Regions {
    static REGIONS: OnceLock<Regions> = OnceLock::new();
    REGIONS.get_or_init(Regions::load)
}

/// A village (desa/kelurahan) with its ten-digit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Village {
    pub code: u64,
    pub name: String,
}

fn villages() -> &'static HashMap<u32, Vec<Village>> {
    static VILLAGES_BY_DISTRICT: OnceLock<HashMap<u32, Vec<Village>>> = OnceLock::new();
    VILLAGES_BY_DISTRICT.get_or_init(|| {
        let mut map: HashMap<u32, Vec<Village>> = HashMap::new();
        for (code, name, _) in records(VILLAGES) {
            let district = (code / 10_000) as u32;
            map.entry(district).or_default().push(Village { code, name });
        }
        map
    })
}

/// Parses `code,name[,last_listed]` rows; the data is ours and checked by tests, so a bad
/// row is a build defect and is skipped rather than crashing a kiosk.
fn records(csv_text: &'static str) -> impl Iterator<Item = (u64, String, Option<u16>)> {
    csv::Reader::from_reader(csv_text.as_bytes())
        .into_records()
        .filter_map(|row| row.ok())
        .filter_map(|row| {
            let code = undotted(row.get(0)?)?;
            let name = row.get(1)?.to_string();
            let last_listed = row.get(2).and_then(|y| y.parse().ok());
            Some((code, name, last_listed))
        })
}

fn undotted(dotted: &str) -> Option<u64> {
    let digits: String = dotted.chars().filter(|c| *c != '.').collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl Regions {
    fn load() -> Regions {
        let mut provinces = HashMap::new();
        let mut regencies = HashMap::new();
        let mut districts = HashMap::new();
        let current = |(code, name, _): (u64, String, Option<u16>)| {
            (code as u32, RegionEntry { name, listing: Listing::Current })
        };
        provinces.extend(records(PROVINCES).map(current));
        regencies.extend(records(REGENCIES).map(current));
        districts.extend(records(DISTRICTS).map(current));
        for (code, name, last_listed) in records(RETIRED) {
            let entry = RegionEntry {
                name,
                listing: Listing::Retired { last_listed: last_listed.unwrap_or(2022) },
            };
            let table = if code >= 100_000 { &mut districts } else { &mut regencies };
            table.entry(code as u32).or_insert(entry);
        }
        Regions { provinces, regencies, districts }
    }

    /// Province by two-digit code, e.g. `35` (Jawa Timur).
    pub fn province(&self, code: u32) -> Option<&RegionEntry> {
        self.provinces.get(&code)
    }

    /// Regency or city by four-digit code, e.g. `3510` (Kabupaten Banyuwangi).
    pub fn regency(&self, code: u32) -> Option<&RegionEntry> {
        self.regencies.get(&code)
    }

    /// District (kecamatan) by six-digit code, e.g. `351001` (Pesanggaran).
    pub fn district(&self, code: u32) -> Option<&RegionEntry> {
        self.districts.get(&code)
    }

    /// All current districts of a regency, in code order.
    pub fn districts_of(&self, regency: u32) -> Vec<(u32, &RegionEntry)> {
        let mut list: Vec<_> = self
            .districts
            .iter()
            .filter(|(code, entry)| **code / 100 == regency && entry.listing == Listing::Current)
            .map(|(code, entry)| (*code, entry))
            .collect();
        list.sort_by_key(|(code, _)| *code);
        list
    }

    /// The villages of a district, in code order (empty for an unknown district).
    pub fn villages_of(&self, district: u32) -> &'static [Village] {
        villages().get(&district).map(Vec::as_slice).unwrap_or(&[])
    }

    /// A village by its ten-digit code.
    pub fn village(&self, code: u64) -> Option<&'static Village> {
        self.villages_of((code / 10_000) as u32).iter().find(|v| v.code == code)
    }
}

/// Formats a ten-digit village code the way it is published: `35.10.01.2001`.
pub fn dotted_village(code: u64) -> String {
    let s = format!("{code:010}");
    format!("{}.{}.{}.{}", &s[0..2], &s[2..4], &s[4..6], &s[6..10])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_the_published_lists() {
        let r = regions();
        assert_eq!(r.provinces.len(), 38);
        // 514 current regencies + 26 retired Papua codes.
        assert_eq!(r.regencies.len(), 514 + 26);
        assert_eq!(r.districts.len(), 7285 + 594);
    }

    #[test]
    fn banyuwangi_has_25_kecamatan_and_217_villages() {
        let r = regions();
        assert_eq!(r.regency(3510).map(|e| e.name.as_str()), Some("Kabupaten Banyuwangi"));
        let districts = r.districts_of(3510);
        assert_eq!(districts.len(), 25);
        assert_eq!(districts[0].1.name, "Pesanggaran");
        assert_eq!(districts[24].1.name, "Blimbingsari");
        let villages: usize = districts.iter().map(|(c, _)| r.villages_of(*c).len()).sum();
        assert_eq!(villages, 217);
    }

    #[test]
    fn retired_papua_codes_are_known_but_marked() {
        let r = regions();
        let merauke = r.district(910101).expect("retired district present");
        assert_eq!(merauke.listing, Listing::Retired { last_listed: 2022 });
    }

    #[test]
    fn village_lookup_and_dotting() {
        let v = regions().village(3510012001).expect("a Pesanggaran village");
        assert_eq!(dotted_village(v.code), "35.10.01.2001");
    }
}
