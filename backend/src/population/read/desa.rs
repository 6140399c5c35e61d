//! Which desa a row is in: a Kemendagri code (OpenSID layout's `kode_desa`, or the one
//! the import was given), or SIAK's Kecamatan and Desa/Kel names looked up in the region
//! list, and where the dusun hides in a SIAK address.

use std::collections::HashMap;
use std::sync::OnceLock;

use protocol::region::regions;

use super::reason::RejectReason;

/// A name for matching: upper case, letters and digits only ("Genteng Wetan",
/// "GENTENG WETAN" and "GENTENGWETAN" are one name).
fn key(name: &str) -> String {
    name.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_uppercase).collect()
}

/// The villages of one regency, by kecamatan name and by desa name alone.
struct RegencyIndex {
    by_names: HashMap<(String, String), u64>,
    by_desa: HashMap<String, Vec<u64>>,
}

impl RegencyIndex {
    fn of(regency: u32) -> RegencyIndex {
        let mut by_names = HashMap::new();
        let mut by_desa: HashMap<String, Vec<u64>> = HashMap::new();
        for (district, entry) in regions().districts_of(regency) {
            for village in regions().villages_of(district) {
                by_names.insert((key(&entry.name), key(&village.name)), village.code);
                by_desa.entry(key(&village.name)).or_default().push(village.code);
            }
        }
        RegencyIndex { by_names, by_desa }
    }
}

/// Every village of the country by (kecamatan, desa) name, for an import not limited to a
/// regency. Built once, on first use.
fn national() -> &'static HashMap<(String, String), Vec<u64>> {
    static INDEX: OnceLock<HashMap<(String, String), Vec<u64>>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index: HashMap<(String, String), Vec<u64>> = HashMap::new();
        for regency in (1100..10_000).filter(|code| regions().regency(*code).is_some()) {
            for (district, entry) in regions().districts_of(regency) {
                for village in regions().villages_of(district) {
                    let names = (key(&entry.name), key(&village.name));
                    index.entry(names).or_default().push(village.code);
                }
            }
        }
        index
    })
}

/// Resolves a row's desa for one import.
pub(crate) struct Desa {
    regency: Option<u32>,
    fallback: Option<u64>,
    index: Option<RegencyIndex>,
}

impl Desa {
    pub(crate) fn new(regency: Option<u32>, fallback: Option<u64>) -> Desa {
        Desa { regency, fallback, index: regency.map(RegencyIndex::of) }
    }

    /// A code cell (`3510012001` or dotted `35.10.01.2001`), or the import's desa when the
    /// cell is empty.
    pub(crate) fn by_code(&self, cell: &str) -> Result<u64, RejectReason> {
        let digits: String = cell.chars().filter(|c| *c != '.' && !c.is_whitespace()).collect();
        if digits.is_empty() {
            return self.checked(self.fallback.ok_or(RejectReason::DesaMissing)?);
        }
        if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RejectReason::DesaUnknown);
        }
        self.checked(digits.parse().map_err(|_| RejectReason::DesaUnknown)?)
    }

    /// SIAK's names. Inside a regency the desa name alone is enough when only one kecamatan
    /// has it; without a regency both names are needed and must name one village.
    pub(crate) fn by_names(&self, kecamatan: &str, desa: &str) -> Result<u64, RejectReason> {
        let (kecamatan, desa) = (key(kecamatan), key(desa));
        if desa.is_empty() {
            if !kecamatan.is_empty() {
                return Err(RejectReason::DesaUnknown);
            }
            return self.checked(self.fallback.ok_or(RejectReason::DesaMissing)?);
        }
        match &self.index {
            Some(index) if kecamatan.is_empty() => {
                match index.by_desa.get(&desa).map(Vec::as_slice) {
                    Some([code]) => Ok(*code),
                    Some([_, _, ..]) => Err(RejectReason::DesaAmbiguous),
                    _ => Err(RejectReason::DesaUnknown),
                }
            }
            Some(index) => {
                index.by_names.get(&(kecamatan, desa)).copied().ok_or(RejectReason::DesaUnknown)
            }
            None if kecamatan.is_empty() => Err(RejectReason::DesaAmbiguous),
            None => match national().get(&(kecamatan, desa)).map(Vec::as_slice) {
                Some([code]) => Ok(*code),
                Some([_, _, ..]) => Err(RejectReason::DesaAmbiguous),
                _ => Err(RejectReason::DesaUnknown),
            },
        }
    }

    fn checked(&self, code: u64) -> Result<u64, RejectReason> {
        if regions().village(code).is_none() {
            return Err(RejectReason::DesaUnknown);
        }
        match self.regency {
            Some(regency) if code / 1_000_000 != u64::from(regency) => {
                Err(RejectReason::DesaOutsideRegency)
            }
            _ => Ok(code),
        }
    }
}

/// A dusun as the registry keeps it, OpenSID's way: upper case, `_` as a space, without the
/// word "DUSUN" in front; OpenSID's export writes `-` for none.
pub(crate) fn dusun_name(cell: &str) -> String {
    let upper = cell.replace('_', " ").to_uppercase();
    let trimmed = upper.trim();
    if trimmed == "-" {
        return String::new();
    }
    let rest = ["DUSUN ", "DSN. ", "DSN "]
        .iter()
        .find_map(|prefix| trimmed.strip_prefix(prefix))
        .unwrap_or(trimmed);
    rest.trim().to_string()
}

/// SIAK writes the dusun into the address: "DSN KRAJAN", "Dsn. Krajan", "JL MAWAR DUSUN
/// KRAJAN". Returns (street without it, dusun), the dusun running to the next comma.
pub(crate) fn split_dusun(address: &str) -> (String, String) {
    // ASCII upper case keeps every byte where it was, so indices into it fit `address`.
    let upper = address.to_ascii_uppercase();
    let markers = ["DUSUN. ", "DUSUN ", "DSN. ", "DSN ", "DS. ", "DS "];
    let found = upper.char_indices().find_map(|(at, _)| {
        let at_word_start = at == 0 || upper[..at].ends_with([' ', ',', '.', '/', '(']);
        if !at_word_start {
            return None;
        }
        markers.iter().find(|m| upper[at..].starts_with(**m)).map(|m| (at, m.len()))
    });
    let Some((at, marker_len)) = found else {
        return (address.trim().to_string(), String::new());
    };
    let after = &address[at + marker_len..];
    let (dusun, rest) = after.split_once(',').unwrap_or((after, ""));
    let before = address[..at].trim().trim_end_matches(',').trim();
    let street =
        [before, rest.trim()].iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>();
    (street.join(", "), dusun_name(dusun))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_checked_against_the_list_and_the_regency() {
        let desa = Desa::new(Some(3510), None);
        assert_eq!(desa.by_code("3510012001"), Ok(3510012001));
        assert_eq!(desa.by_code("35.10.01.2001"), Ok(3510012001));
        assert_eq!(desa.by_code(""), Err(RejectReason::DesaMissing));
        assert_eq!(desa.by_code("3510012999"), Err(RejectReason::DesaUnknown));
        assert_eq!(desa.by_code("351001"), Err(RejectReason::DesaUnknown));
        assert_eq!(desa.by_code("3509012001"), Err(RejectReason::DesaOutsideRegency));
        let given = Desa::new(Some(3510), Some(3510092001));
        assert_eq!(given.by_code(""), Ok(3510092001));
        assert_eq!(given.by_code("3510012001"), Ok(3510012001));
    }

    #[test]
    fn siak_names_are_looked_up_inside_the_regency() {
        let desa = Desa::new(Some(3510), None);
        assert_eq!(desa.by_names("GENTENG", "GENTENG WETAN"), Ok(3510092002));
        assert_eq!(desa.by_names("Genteng", "gentengwetan"), Ok(3510092002));
        assert_eq!(desa.by_names("", "Kembiritan"), Ok(3510092001));
        assert_eq!(desa.by_names("", "Tamansari"), Err(RejectReason::DesaAmbiguous));
        assert_eq!(desa.by_names("Licin", "Tamansari"), Ok(3510242008));
        assert_eq!(desa.by_names("GENTENG", "SARONGAN"), Err(RejectReason::DesaUnknown));
        assert_eq!(desa.by_names("", ""), Err(RejectReason::DesaMissing));
        let anywhere = Desa::new(None, None);
        assert_eq!(anywhere.by_names("Genteng", "Genteng Wetan"), Ok(3510092002));
        assert_eq!(anywhere.by_names("", "Genteng Wetan"), Err(RejectReason::DesaAmbiguous));
    }

    #[test]
    fn the_dusun_comes_out_of_a_siak_address() {
        assert_eq!(split_dusun("Dsn JIWET"), (String::new(), "JIWET".to_string()));
        assert_eq!(split_dusun("DSN. PRAPAT"), (String::new(), "PRAPAT".to_string()));
        assert_eq!(
            split_dusun("JL. MAWAR 3 DUSUN KRAJAN, GANG 2"),
            ("JL. MAWAR 3, GANG 2".to_string(), "KRAJAN".to_string())
        );
        assert_eq!(split_dusun("JL. PANDSARI 4"), ("JL. PANDSARI 4".to_string(), String::new()));
        assert_eq!(dusun_name("Dusun_Krajan"), "KRAJAN");
        assert_eq!(dusun_name(" krajan "), "KRAJAN");
        assert_eq!(dusun_name("-"), "");
    }
}
