//! `Nik` (Nomor Induk Kependudukan) and `NoKk` (family card number).
//!
//! Both are 16 digits: `PPKKCC` district code, `DDMMYY` date, `SSSS` serial. In a NIK the
//! date is the holder's birth date with 40 added to the day for women; in a KK number it is
//! the date the card was issued. A value of these types has passed every check, so code that
//! holds one never re-validates it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::lang::Text;
use crate::region::{Listing, regions};

/// Sex as encoded in the NIK's day field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

/// A calendar date whose year is only known modulo 100, as in a NIK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NikDate {
    pub day: u8,
    pub month: u8,
    pub year_2digit: u8,
}

impl NikDate {
    /// The four-digit year: the latest year ending in these two digits that is not after
    /// `reference_year` (so a NIK read in 2026 with `YY = 30` is 1930, `YY = 05` is 2005).
    pub fn full_year(&self, reference_year: u16) -> u16 {
        let yy = u16::from(self.year_2digit);
        let century = reference_year - reference_year % 100;
        if century + yy <= reference_year { century + yy } else { century - 100 + yy }
    }
}

/// Why a string is not a valid NIK or KK number. One variant per thing a citizen can get
/// wrong, so the kiosk can say exactly what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NikError {
    #[error("must be 16 digits, found {found}")]
    WrongLength { found: usize },
    #[error("character {position} is not a digit")]
    NotDigits { position: usize },
    #[error("unknown province code {code:02}")]
    UnknownProvince { code: u32 },
    #[error("unknown regency code {code:04}")]
    UnknownRegency { code: u32 },
    #[error("unknown district code {code:06}")]
    UnknownDistrict { code: u32 },
    #[error("impossible date: day {day}, month {month}")]
    InvalidDate { day: u8, month: u8 },
    #[error("serial number 0000 is never issued")]
    SerialZero,
}

impl NikError {
    /// What to tell a person, Indonesian first.
    pub fn text(&self) -> Text {
        match self {
            NikError::WrongLength { found } => Text::new(
                format!("NIK harus 16 angka, yang dimasukkan {found} angka."),
                format!("A NIK has 16 digits; {found} were entered."),
            ),
            NikError::NotDigits { position } => Text::new(
                format!("NIK hanya berisi angka (karakter ke-{position} bukan angka)."),
                format!("A NIK contains only digits (character {position} is not a digit)."),
            ),
            NikError::UnknownProvince { code } => Text::new(
                format!("Kode provinsi {code:02} tidak dikenal. Periksa dua angka pertama."),
                format!("Province code {code:02} does not exist. Check the first two digits."),
            ),
            NikError::UnknownRegency { code } => Text::new(
                format!("Kode kabupaten/kota {code:04} tidak dikenal. Periksa angka 1-4."),
                format!("Regency code {code:04} does not exist. Check digits 1-4."),
            ),
            NikError::UnknownDistrict { code } => Text::new(
                format!("Kode kecamatan {code:06} tidak dikenal. Periksa angka 1-6."),
                format!("District code {code:06} does not exist. Check digits 1-6."),
            ),
            NikError::InvalidDate { day, month } => Text::new(
                format!(
                    "Tanggal lahir pada NIK tidak mungkin (tanggal {day}, bulan {month}). Periksa angka 7-12."
                ),
                format!(
                    "The birth date in the NIK is impossible (day {day}, month {month}). Check digits 7-12."
                ),
            ),
            NikError::SerialZero => Text::new(
                "Nomor urut 0000 pada NIK tidak pernah diterbitkan. Periksa 4 angka terakhir.",
                "Serial 0000 is never issued. Check the last 4 digits.",
            ),
        }
    }
}

/// The parts every 16-digit population number shares.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Digits16([u8; 16]);

impl Digits16 {
    fn parse(input: &str) -> Result<Digits16, NikError> {
        let chars = input.chars().count();
        // Report letters before length: "35100112345A7890" is a typo, not a length problem.
        if let Some((index, _)) = input.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            return Err(NikError::NotDigits { position: index + 1 });
        }
        if chars != 16 {
            return Err(NikError::WrongLength { found: chars });
        }
        let mut digits = [0u8; 16];
        digits.copy_from_slice(input.as_bytes());
        Ok(Digits16(digits))
    }

    fn number(&self, range: std::ops::Range<usize>) -> u32 {
        self.0[range].iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
    }

    fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    fn check_region(&self) -> Result<Listing, NikError> {
        let r = regions();
        let province = self.number(0..2);
        if r.province(province).is_none() {
            return Err(NikError::UnknownProvince { code: province });
        }
        let regency = self.number(0..4);
        if r.regency(regency).is_none() {
            return Err(NikError::UnknownRegency { code: regency });
        }
        let district = self.number(0..6);
        match r.district(district) {
            Some(entry) => Ok(entry.listing),
            None => Err(NikError::UnknownDistrict { code: district }),
        }
    }

    fn check_serial(&self) -> Result<(), NikError> {
        if self.number(12..16) == 0 { Err(NikError::SerialZero) } else { Ok(()) }
    }

    fn raw_date(&self) -> (u8, u8, u8) {
        (self.number(6..8) as u8, self.number(8..10) as u8, self.number(10..12) as u8)
    }
}

/// Whether `day.month` exists in some year ending in `yy`. Only `29.02` depends on the
/// year; for `YY = 00` the year 2000 was a leap year, so it is accepted.
fn date_exists(day: u8, month: u8, yy: u8) -> bool {
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if yy.is_multiple_of(4) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&day)
}

/// A validated NIK.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nik(Digits16);

impl Nik {
    /// Parses and validates a NIK: 16 digits, a known district, a real birth date (women's
    /// day + 40), a non-zero serial.
    pub fn parse(input: &str) -> Result<Nik, NikError> {
        let digits = Digits16::parse(input)?;
        digits.check_region()?;
        let (day, month, yy) = digits.raw_date();
        let real_day = if day > 40 { day - 40 } else { day };
        if !date_exists(real_day, month, yy) {
            return Err(NikError::InvalidDate { day, month });
        }
        digits.check_serial()?;
        Ok(Nik(digits))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Six-digit district code, e.g. `351001`.
    pub fn district_code(&self) -> u32 {
        self.0.number(0..6)
    }

    /// Four-digit regency code, e.g. `3510`.
    pub fn regency_code(&self) -> u32 {
        self.0.number(0..4)
    }

    /// Whether the district code is current or a retired (pre-2022 Papua) one.
    pub fn listing(&self) -> Listing {
        self.0.check_region().unwrap_or(Listing::Current)
    }

    pub fn sex(&self) -> Sex {
        if self.0.number(6..8) > 40 { Sex::Female } else { Sex::Male }
    }

    pub fn birth_date(&self) -> NikDate {
        let (day, month, year_2digit) = self.0.raw_date();
        NikDate { day: if day > 40 { day - 40 } else { day }, month, year_2digit }
    }

    pub fn serial(&self) -> u16 {
        self.0.number(12..16) as u16
    }

    /// The form shown on screens, receipts and logs: regency code and serial only
    /// (`3510********0001`), so neither the district nor the birth date leaks.
    pub fn masked(&self) -> String {
        mask_16(self.as_str())
    }
}

fn mask_16(digits: &str) -> String {
    format!("{}********{}", &digits[..4], &digits[12..])
}

/// A validated family card (Kartu Keluarga) number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NoKk(Digits16);

impl NoKk {
    /// Parses and validates a KK number: 16 digits, a known district, a real issue date,
    /// a non-zero serial.
    pub fn parse(input: &str) -> Result<NoKk, NikError> {
        let digits = Digits16::parse(input)?;
        digits.check_region()?;
        let (day, month, yy) = digits.raw_date();
        if !date_exists(day, month, yy) {
            return Err(NikError::InvalidDate { day, month });
        }
        digits.check_serial()?;
        Ok(NoKk(digits))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn district_code(&self) -> u32 {
        self.0.number(0..6)
    }

    pub fn masked(&self) -> String {
        mask_16(self.as_str())
    }
}

macro_rules! string_like {
    ($ty:ident, $what:literal) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Debug output is masked so a stray `{:?}` in a log line never leaks the number.
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($what, "({})"), self.masked())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = NikError;
            fn from_str(s: &str) -> Result<Self, NikError> {
                $ty::parse(s)
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                $ty::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_like!(Nik, "Nik");
string_like!(NoKk, "NoKk");

#[cfg(test)]
mod tests {
    use super::*;

    fn err(input: &str) -> NikError {
        Nik::parse(input).expect_err(input)
    }

    #[test]
    fn decodes_a_banyuwangi_man() {
        let nik = Nik::parse("3510011203850001").expect("valid");
        assert_eq!(nik.district_code(), 351001);
        assert_eq!(nik.sex(), Sex::Male);
        assert_eq!(nik.birth_date(), NikDate { day: 12, month: 3, year_2digit: 85 });
        assert_eq!(nik.birth_date().full_year(2026), 1985);
        assert_eq!(nik.serial(), 1);
        assert_eq!(nik.masked(), "3510********0001");
        assert_eq!(format!("{nik:?}"), "Nik(3510********0001)");
    }

    #[test]
    fn day_plus_forty_is_a_woman() {
        let nik = Nik::parse("3510015203050002").expect("valid");
        assert_eq!(nik.sex(), Sex::Female);
        assert_eq!(nik.birth_date().day, 12);
        assert_eq!(nik.birth_date().full_year(2026), 2005);
    }

    #[test]
    fn each_failure_has_its_own_kind() {
        assert_eq!(err("351001120385000"), NikError::WrongLength { found: 15 });
        assert_eq!(err("35100112038500011"), NikError::WrongLength { found: 17 });
        assert_eq!(err(""), NikError::WrongLength { found: 0 });
        assert_eq!(err("35100112O3850001"), NikError::NotDigits { position: 9 });
        assert_eq!(err("9910011203850001"), NikError::UnknownProvince { code: 99 });
        assert_eq!(err("3599011203850001"), NikError::UnknownRegency { code: 3599 });
        assert_eq!(err("3510991203850001"), NikError::UnknownDistrict { code: 351099 });
        assert_eq!(err("3510013102850001"), NikError::InvalidDate { day: 31, month: 2 });
        assert_eq!(err("3510017203850001"), NikError::InvalidDate { day: 72, month: 3 });
        assert_eq!(err("3510013503850001"), NikError::InvalidDate { day: 35, month: 3 });
        assert_eq!(err("3510010003850001"), NikError::InvalidDate { day: 0, month: 3 });
        assert_eq!(err("3510011213850001"), NikError::InvalidDate { day: 12, month: 13 });
        assert_eq!(err("3510011203850000"), NikError::SerialZero);
    }

    #[test]
    fn leap_days() {
        assert!(Nik::parse("3510012902840001").is_ok(), "1984 is a leap year");
        assert!(Nik::parse("3510016902000001").is_ok(), "2000 is a leap year, woman");
        assert_eq!(err("3510012902850001"), NikError::InvalidDate { day: 29, month: 2 });
    }

    #[test]
    fn retired_papua_prefix_is_accepted_and_reported() {
        let nik = Nik::parse("9101011203850001").expect("old Merauke NIK stays valid");
        assert_eq!(nik.listing(), Listing::Retired { last_listed: 2022 });
    }

    #[test]
    fn kk_date_has_no_sex_offset() {
        assert!(NoKk::parse("3510011203150007").is_ok());
        assert_eq!(
            NoKk::parse("3510015203150007").expect_err("day 52"),
            NikError::InvalidDate { day: 52, month: 3 }
        );
    }

    #[test]
    fn serde_validates_on_the_way_in() {
        let nik: Nik = serde_json::from_str("\"3510011203850001\"").expect("valid");
        assert_eq!(serde_json::to_string(&nik).expect("serialize"), "\"3510011203850001\"");
        assert!(serde_json::from_str::<Nik>("\"3510013102850001\"").is_err());
    }

    #[test]
    fn messages_exist_in_both_languages() {
        let text = err("351001120385000").text();
        assert!(text.id.contains("16 angka"));
        assert!(text.en.contains("16 digits"));
    }
}
