//! The code lists of the population registry (religion, marital status, relation in the
//! KK, education, occupation, citizenship, blood group, life status, sex), as the villages'
//! own software (OpenSID) and Dukcapil's exports number and spell them. They ship inside the
//! binary from `backend/data/population/`; see its README for the sources.
//!
//! A cell from an import names a code either by its number or by a label: OpenSID's
//! spelling, an alias seen in SIAK/BIP exports, in any case and with any spacing.

use std::collections::HashMap;
use std::sync::LazyLock;

use protocol::Text;

/// One entry of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    pub code: u8,
    /// OpenSID's label, as villages know it; and ours in English.
    pub label: Text,
}

/// A list of codes, e.g. `agama`.
#[derive(Debug)]
pub struct CodeList {
    /// The list's name, as in the file name and in error messages (`agama`).
    pub name: &'static str,
    codes: Vec<Code>,
    /// Normalised label or alias -> code.
    by_label: HashMap<String, u8>,
}

impl CodeList {
    fn parse(name: &'static str, text: &str) -> CodeList {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let mut codes = Vec::new();
        let mut by_label = HashMap::new();
        for record in reader.records() {
            // The lists are part of the binary and checked by the tests below: a broken
            // one is a build defect, not an input error.
            let record = record.unwrap_or_else(|error| panic!("code list {name}: {error}"));
            let code: u8 = record[0]
                .parse()
                .unwrap_or_else(|_| panic!("code list {name}: bad code {:?}", &record[0]));
            let label = Text::new(record[1].to_owned(), record[2].to_owned());
            by_label.insert(normalise(&record[1]), code);
            for alias in record[3].split('|').filter(|alias| !alias.trim().is_empty()) {
                by_label.insert(normalise(alias), code);
            }
            codes.push(Code { code, label });
        }
        CodeList { name, codes, by_label }
    }

    /// Every code in the list's order.
    pub fn codes(&self) -> &[Code] {
        &self.codes
    }

    /// The entry with this number.
    pub fn get(&self, code: u8) -> Option<&Code> {
        self.codes.iter().find(|entry| entry.code == code)
    }

    /// The code a cell names: its number (`"2"`, `"02"`) or a label or alias in any case
    /// and spacing (`"Kepala Keluarga"`). `None` for anything else, an empty cell included.
    pub fn lookup(&self, cell: &str) -> Option<u8> {
        let cell = cell.trim();
        if !cell.is_empty() && cell.bytes().all(|b| b.is_ascii_digit()) {
            let code: u8 = cell.parse().ok()?;
            return self.get(code).map(|entry| entry.code);
        }
        self.by_label.get(&normalise(cell)).copied()
    }
}

/// OpenSID's matching rule: upper case, every white space character removed.
fn normalise(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_uppercase).collect()
}

macro_rules! code_list {
    ($(#[$doc:meta])* $fn:ident, $file:literal) => {
        $(#[$doc])*
        pub fn $fn() -> &'static CodeList {
            static LIST: LazyLock<CodeList> = LazyLock::new(|| {
                CodeList::parse(
                    stringify!($fn),
                    include_str!(concat!("../../data/population/", $file, ".csv")),
                )
            });
            &LIST
        }
    };
}

code_list!(
    /// Sex: 1 laki-laki, 2 perempuan.
    sex,
    "sex"
);
code_list!(
    /// Religion (agama), 1-7.
    agama,
    "agama"
);
code_list!(
    /// Marital status (status kawin), 1-4.
    status_kawin,
    "status_kawin"
);
code_list!(
    /// Relation in the KK (status hubungan dalam keluarga, OpenSID's `kk_level`), 1-11.
    shdk,
    "shdk"
);
code_list!(
    /// Education as on the KK (pendidikan dalam KK), 1-10.
    pendidikan,
    "pendidikan"
);
code_list!(
    /// Occupation (pekerjaan), 1-89.
    pekerjaan,
    "pekerjaan"
);
code_list!(
    /// Citizenship (kewarganegaraan), 1-3.
    warganegara,
    "warganegara"
);
code_list!(
    /// Blood group (golongan darah), 1-13.
    golongan_darah,
    "golongan_darah"
);
code_list!(
    /// Life status (status dasar): 1 alive, 2 died, 3 moved away, 4 missing, 6 left,
    /// 9 not a valid record.
    status_dasar,
    "status_dasar"
);

/// Every list, for documentation and checks.
pub fn all() -> [&'static CodeList; 9] {
    [
        sex(),
        agama(),
        status_kawin(),
        shdk(),
        pendidikan(),
        pekerjaan(),
        warganegara(),
        golongan_darah(),
        status_dasar(),
    ]
}

/// SHDK 1: the head of the family. A KK has exactly one.
pub const SHDK_HEAD: u8 = 1;

/// A resident's life status (status dasar), with what it means for the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LifeStatus {
    Alive,
    Died,
    MovedAway,
    Missing,
    /// A non-permanent resident who has left (OpenSID's PERGI).
    Left,
    /// The record was found not valid (e.g. a duplicate registration).
    Invalid,
}

impl LifeStatus {
    pub fn from_code(code: u8) -> Option<LifeStatus> {
        Some(match code {
            1 => LifeStatus::Alive,
            2 => LifeStatus::Died,
            3 => LifeStatus::MovedAway,
            4 => LifeStatus::Missing,
            6 => LifeStatus::Left,
            9 => LifeStatus::Invalid,
            _ => return None,
        })
    }

    pub fn code(self) -> u8 {
        match self {
            LifeStatus::Alive => 1,
            LifeStatus::Died => 2,
            LifeStatus::MovedAway => 3,
            LifeStatus::Missing => 4,
            LifeStatus::Left => 6,
            LifeStatus::Invalid => 9,
        }
    }

    /// Only a living resident who still lives here can hold a program, be reported as
    /// affected, or be given a letter.
    /// The name the registry stores (`residents.life_status`).
    pub fn as_str(self) -> &'static str {
        match self {
            LifeStatus::Alive => "alive",
            LifeStatus::Died => "died",
            LifeStatus::MovedAway => "moved_away",
            LifeStatus::Missing => "missing",
            LifeStatus::Left => "left",
            LifeStatus::Invalid => "invalid",
        }
    }

    /// The status a stored name stands for.
    pub fn from_stored(name: &str) -> Option<LifeStatus> {
        [
            LifeStatus::Alive,
            LifeStatus::Died,
            LifeStatus::MovedAway,
            LifeStatus::Missing,
            LifeStatus::Left,
            LifeStatus::Invalid,
        ]
        .into_iter()
        .find(|status| status.as_str() == name)
    }

    pub fn is_active(self) -> bool {
        self == LifeStatus::Alive
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_loads_with_the_codes_villages_use() {
        let counts: Vec<(&str, usize)> = all().iter().map(|l| (l.name, l.codes().len())).collect();
        assert_eq!(
            counts,
            [
                ("sex", 2),
                ("agama", 7),
                ("status_kawin", 4),
                ("shdk", 11),
                ("pendidikan", 10),
                ("pekerjaan", 89),
                ("warganegara", 3),
                ("golongan_darah", 13),
                ("status_dasar", 6),
            ]
        );
        for list in all() {
            for code in list.codes() {
                assert!(!code.label.id.is_empty() && !code.label.en.is_empty(), "{}", list.name);
                assert_eq!(list.lookup(&code.label.id), Some(code.code), "{}", code.label.id);
            }
        }
        let codes: Vec<u8> = status_dasar().codes().iter().map(|c| c.code).collect();
        assert_eq!(codes, [1, 2, 3, 4, 6, 9]);
        for code in codes {
            assert_eq!(LifeStatus::from_code(code).map(LifeStatus::code), Some(code));
        }
        assert_eq!(pekerjaan().codes().last().map(|c| c.code), Some(89));
    }

    #[test]
    fn a_cell_names_a_code_by_number_label_or_alias_in_any_case_and_spacing() {
        let cases: &[(&CodeList, &str, Option<u8>)] = &[
            (shdk(), "1", Some(1)),
            (shdk(), "01", Some(1)),
            (shdk(), "Kepala Keluarga", Some(1)),
            (shdk(), "  KEPALA   KELUARGA ", Some(1)),
            (shdk(), "Orang Tua", Some(7)),
            (shdk(), "12", None),
            (shdk(), "", None),
            (sex(), "L", Some(1)),
            (sex(), "lk", Some(1)),
            (sex(), "Perempuan", Some(2)),
            (sex(), "Pr", Some(2)),
            (sex(), "X", None),
            (status_kawin(), "Kawin Tercatat", Some(2)),
            (status_kawin(), "CM", Some(4)),
            (pendidikan(), "SLTA/Sederajat", Some(5)),
            (pendidikan(), "Tamat SD/Sederajat", Some(3)),
            (pekerjaan(), "Petani / Pekebun", Some(9)),
            (pekerjaan(), "Wiraswasta", Some(88)),
            (golongan_darah(), "Tdk Th", Some(13)),
            (status_dasar(), "Pindah Dalam Negeri", Some(3)),
            (status_dasar(), "5", None),
            (agama(), "islam", Some(1)),
            (agama(), "256", None),
        ];
        for (list, cell, expected) in cases {
            assert_eq!(list.lookup(cell), *expected, "{} {cell:?}", list.name);
        }
    }
}
