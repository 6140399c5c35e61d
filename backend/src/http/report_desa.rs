//! The desa filter of the report queue and the batches (`?desa=`), shared by the API and the
//! console: a kabupaten account picks one desa or every desa; a desa account always reads
//! its own desa, whatever the parameter says, so the filter can narrow but never widen or
//! move a desa account's view. A code that names no desa of the Kemendagri list is refused
//! (400, in both languages) rather than answered with an empty list.

use protocol::Text;

use crate::checks::known_desa;
use crate::store::StaffRecord;

/// The value of "every desa" (as well as an absent or empty parameter).
pub const ALL: &str = "all";

/// The desa `staff` reads for the parameter `raw` (`None`: every desa).
pub(crate) fn desa_filter(staff: &StaffRecord, raw: Option<&str>) -> Result<Option<u64>, Text> {
    let asked = match raw.map(str::trim).filter(|raw| !raw.is_empty() && *raw != ALL) {
        None => None,
        Some(text) => Some(
            text.parse::<u64>()
                .ok()
                .filter(|code| (1_000_000_000..10_000_000_000).contains(code))
                .and_then(|code| known_desa(code).ok())
                .ok_or_else(|| {
                    Text::new(
                        "Desa tidak dikenal: pilih dari daftar (kode desa 10 angka).",
                        "Unknown desa: choose one from the list (a 10-digit desa code).",
                    )
                })?,
        ),
    };
    Ok(staff.desa_code.or(asked))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StaffRole;

    fn staff(desa: Option<u64>) -> StaffRecord {
        StaffRecord {
            username: "ani".into(),
            desa_code: desa,
            role: StaffRole::Operator,
            full_name: String::new(),
            position: String::new(),
        }
    }

    #[test]
    fn a_desa_account_keeps_its_desa_and_a_kabupaten_account_picks() {
        let (home, other) = (3_510_092_001, 3_510_092_002);
        let kabupaten = staff(None);
        assert_eq!(desa_filter(&kabupaten, None), Ok(None));
        assert_eq!(desa_filter(&kabupaten, Some("all")), Ok(None));
        assert_eq!(desa_filter(&kabupaten, Some(" 3510092002 ")), Ok(Some(other)));
        assert_eq!(desa_filter(&staff(Some(home)), Some("3510092002")), Ok(Some(home)));
        assert_eq!(desa_filter(&staff(Some(home)), None), Ok(Some(home)));
        for bad in ["9999999999", "35100920", "abc", "-1", "35100920011"] {
            assert!(desa_filter(&kabupaten, Some(bad)).is_err(), "{bad}");
            assert!(desa_filter(&staff(Some(home)), Some(bad)).is_err(), "{bad}");
        }
    }
}
