//! One resident as a population file states them, after the row was read and validated:
//! the interface between the file readers (`population::read`) and the registry writer.

use protocol::api::Relation;
use protocol::{Nik, NoKk, Sex};
use time::Date;

use super::codes::{LifeStatus, SHDK_HEAD};

/// A validated row: every code is on its list, sex and birth date agree with the NIK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    /// Line (CSV, 1 = the header) or row (spreadsheet) the record came from, for the report.
    pub line: u64,
    pub nik: Nik,
    pub kk: NoKk,
    pub name: String,
    pub sex: Sex,
    pub birth_place: String,
    pub birth_date: Date,
    /// Codes of `population::codes`; `None` where the file left the cell empty.
    pub religion: Option<u8>,
    pub education: Option<u8>,
    pub occupation: Option<u8>,
    pub marital_status: Option<u8>,
    /// Relation in the KK (SHDK 1-11): required, a family needs its head.
    pub shdk: u8,
    pub nationality: Option<u8>,
    pub blood_type: Option<u8>,
    pub father_name: String,
    pub mother_name: String,
    pub life_status: LifeStatus,
    /// The family's address as this member's row gives it.
    pub address: FamilyAddress,
}

/// Where a family lives: the desa (Kemendagri code) and, inside it, dusun, RW, RT and the
/// street address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FamilyAddress {
    pub desa_code: u64,
    pub dusun: String,
    /// Three digits, zero-padded ("004"), or empty when unknown.
    pub rw: String,
    pub rt: String,
    pub street: String,
}

impl PersonRecord {
    pub fn is_head(&self) -> bool {
        self.shdk == SHDK_HEAD
    }

    /// The coarse relation the eligibility engine and the status page use.
    pub fn relation(&self) -> Relation {
        relation_of_shdk(self.shdk)
    }
}

/// SHDK code -> the engine's relation: head; husband or wife; child; parent or
/// parent-in-law; anyone else (child-in-law, grandchild, other relative, helper, other).
pub fn relation_of_shdk(shdk: u8) -> Relation {
    match shdk {
        1 => Relation::Head,
        2 | 3 => Relation::Spouse,
        4 => Relation::Child,
        7 | 8 => Relation::Parent,
        _ => Relation::Other,
    }
}

/// RT and RW as the registry keeps them: digits zero-padded to three ("4" and "004" are
/// the same RT; SIAK writes the one, OpenSID's template the other), "" for unknown ("-").
pub fn normalise_rt_rw(cell: &str) -> Option<String> {
    let cell = cell.trim().trim_start_matches('\'');
    if cell.is_empty() || cell == "-" {
        return Some(String::new());
    }
    let number: u16 = cell.parse().ok()?;
    (number <= 999).then(|| format!("{number:03}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rt_and_rw_are_kept_as_three_digits() {
        assert_eq!(normalise_rt_rw("4").as_deref(), Some("004"));
        assert_eq!(normalise_rt_rw("004").as_deref(), Some("004"));
        assert_eq!(normalise_rt_rw("'012").as_deref(), Some("012"));
        assert_eq!(normalise_rt_rw("-").as_deref(), Some(""));
        assert_eq!(normalise_rt_rw("").as_deref(), Some(""));
        assert_eq!(normalise_rt_rw("RT 4"), None);
        assert_eq!(normalise_rt_rw("1000"), None);
    }

    #[test]
    fn shdk_codes_map_to_the_engines_relations() {
        let relations: Vec<Relation> = (1..=11).map(relation_of_shdk).collect();
        use Relation::*;
        assert_eq!(
            relations,
            [Head, Spouse, Spouse, Child, Other, Other, Parent, Parent, Other, Other, Other]
        );
    }
}
