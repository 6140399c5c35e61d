//! The program catalogue: the assistance programs of the brief, their names and whether they
//! are given to a person or a household. Seeded into the `programs` table on open.

use protocol::Text;

/// Who a program is given to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Person,
    Household,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Person => "person",
            Unit::Household => "household",
        }
    }
}

/// One program as the registry knows it.
#[derive(Debug, Clone)]
pub struct Program {
    pub code: &'static str,
    pub name: Text,
    pub level: &'static str,
    pub unit: Unit,
}

fn program(code: &'static str, id: &str, en: &str, level: &'static str, unit: Unit) -> Program {
    Program { code, name: Text::new(id, en), level, unit }
}

/// Every program of the brief, central first.
pub fn catalogue() -> Vec<Program> {
    use Unit::{Household, Person};
    vec![
        program(
            "PKH",
            "Program Keluarga Harapan (PKH)",
            "Family Hope Program (PKH)",
            "central",
            Household,
        ),
        program(
            "BPNT",
            "Bantuan Pangan Non Tunai (BPNT/Sembako)",
            "Non-cash food aid (BPNT)",
            "central",
            Household,
        ),
        program(
            "BST",
            "Bansos Tunai Kemensos (BST)",
            "Social Ministry cash aid (BST)",
            "central",
            Household,
        ),
        program(
            "PEMPROV_JATIM",
            "Bantuan Pemprov Jawa Timur",
            "East Java province aid",
            "province",
            Household,
        ),
        program(
            "APBD_SEMBAKO",
            "Paket Sembako APBD Banyuwangi",
            "Banyuwangi food package (APBD)",
            "regency",
            Household,
        ),
        program(
            "NUTRISI_BUMIL",
            "Paket Nutrisi Ibu Hamil dan Menyusui",
            "Nutrition package for pregnant and nursing mothers",
            "regency",
            Person,
        ),
        program("GURU_NGAJI", "Insentif Guru Ngaji", "Quran teacher incentive", "regency", Person),
        program("BLT_DD", "BLT Dana Desa", "Village fund cash aid (BLT-DD)", "village", Household),
        program(
            "ASN_PEDULI",
            "ASN Peduli",
            "Civil servants care (ASN Peduli)",
            "community",
            Household,
        ),
        program(
            "GOTONG_ROYONG",
            "Banyuwangi Gotong Royong",
            "Banyuwangi mutual help",
            "community",
            Household,
        ),
    ]
}
