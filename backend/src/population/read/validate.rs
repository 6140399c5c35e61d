//! One row to a [`PersonRecord`], or the first thing wrong with it.
//!
//! The family check (one head per KK) needs the whole file and is in `families`; this
//! module sees one row and the NIKs of the rows before it.

use std::collections::HashSet;

use protocol::{Nik, NikError, NoKk, Sex};
use time::Date;

use super::Rejection;
use super::cell::{self, Cell, DigitsCell, clean_text, mask};
use super::desa::{Desa, dusun_name, split_dusun};
use super::layout::{Columns, Field, Layout};
use super::reason::RejectReason;
use super::source::Row;
use crate::population::codes::{self, CodeList, LifeStatus};
use crate::population::record::{FamilyAddress, PersonRecord, normalise_rt_rw};

/// The longest names and places the registry keeps, in characters.
const NAME_MAX: usize = 100;
const STREET_MAX: usize = 200;
const DUSUN_MAX: usize = 60;

/// Checks rows of one file.
pub(crate) struct Validator {
    columns: Columns,
    desa: Desa,
    today: Date,
}

/// A 16-digit number's cell: the parsed value, or the rejection.
enum Parsed<T> {
    Ok(T),
    Missing,
    /// The reason, the value masked, and the detail for the report.
    Bad(RejectReason, String, String),
}

impl Validator {
    pub(crate) fn new(columns: Columns, desa: Desa, today: Date) -> Validator {
        Validator { columns, desa, today }
    }

    fn cell<'r>(&self, row: &'r dyn Row, field: Field) -> Cell<'r> {
        self.columns.get(field).map_or(Cell::Empty, |column| row.cell(column))
    }

    /// Validates one row. `seen` holds the NIKs of the rows before it (as numbers); this
    /// row's NIK is added once it parses, so a later row with it is [`RejectReason::NikRepeated`].
    pub(crate) fn check(
        &self,
        line: u64,
        row: &dyn Row,
        seen: &mut HashSet<u64>,
    ) -> Result<PersonRecord, Rejection> {
        let nik = self.nik(line, row, seen)?;
        self.rest(line, row, nik)
    }

    /// The row's NIK, unless it is missing, invalid or already seen.
    fn nik(&self, line: u64, row: &dyn Row, seen: &mut HashSet<u64>) -> Result<Nik, Rejection> {
        let column = self.columns.shown(Field::Nik);
        let fail = |nik: Option<String>, reason, detail| Rejection { line, nik, reason, detail };
        let nik = match sixteen(&self.cell(row, Field::Nik), column, Nik::parse) {
            Parsed::Ok(nik) => nik,
            Parsed::Missing => {
                return Err(fail(None, RejectReason::NikMissing, format!("{column} = \"\"")));
            }
            Parsed::Bad(reason, masked, detail) => return Err(fail(Some(masked), reason, detail)),
        };
        let nik_number: u64 = nik.as_str().parse().unwrap_or_default();
        if !seen.insert(nik_number) {
            let detail = format!("{column} = \"{}\"", nik.masked());
            return Err(fail(Some(nik.masked()), RejectReason::NikRepeated, detail));
        }
        Ok(nik)
    }

    /// Everything after the NIK.
    fn rest(&self, line: u64, row: &dyn Row, nik: Nik) -> Result<PersonRecord, Rejection> {
        let shown = |field| self.columns.shown(field);
        let masked = Some(nik.masked());
        let fail = |reason, detail: String| Rejection { line, nik: masked.clone(), reason, detail };

        let kk = match sixteen(&self.cell(row, Field::Kk), shown(Field::Kk), NoKk::parse) {
            Parsed::Ok(kk) => kk,
            Parsed::Missing => {
                return Err(fail(RejectReason::KkMissing, format!("{} = \"\"", shown(Field::Kk))));
            }
            Parsed::Bad(RejectReason::NikInvalid, _, detail) => {
                return Err(fail(RejectReason::KkInvalid, detail));
            }
            Parsed::Bad(reason, _, detail) => return Err(fail(reason, detail)),
        };

        let text = |field: Field, max: usize| -> Result<String, Rejection> {
            clean_text(&self.cell(row, field), max).map_err(|length| {
                let column = shown(field);
                fail(
                    RejectReason::TooLong { column },
                    format!("{column}: {length} characters, at most {max}"),
                )
            })
        };
        let quoted = |field: Field| quote(shown(field), &self.cell(row, field).text());

        let name = text(Field::Name, NAME_MAX)?;
        if name.is_empty() {
            return Err(fail(RejectReason::NameMissing, quoted(Field::Name)));
        }

        let sex = match self.code(row, Field::Sex, codes::sex()) {
            Ok(Some(1)) => Sex::Male,
            Ok(Some(_)) => Sex::Female,
            Ok(None) => return Err(fail(RejectReason::SexMissing, quoted(Field::Sex))),
            Err(reason) => return Err(fail(reason, quoted(Field::Sex))),
        };
        if sex != nik.sex() {
            return Err(fail(RejectReason::SexMismatch, quoted(Field::Sex)));
        }

        let birth_date = match cell::date(&self.cell(row, Field::BirthDate)) {
            Ok(Some(date)) if date <= self.today && date.year() >= 1880 => date,
            Ok(None) => return Err(fail(RejectReason::BirthDateMissing, quoted(Field::BirthDate))),
            Ok(Some(_)) | Err(()) => {
                return Err(fail(RejectReason::BirthDateInvalid, quoted(Field::BirthDate)));
            }
        };
        let in_nik = nik.birth_date();
        if (birth_date.day(), u8::from(birth_date.month()), (birth_date.year() % 100) as u8)
            != (in_nik.day, in_nik.month, in_nik.year_2digit)
        {
            return Err(fail(RejectReason::BirthDateMismatch, quoted(Field::BirthDate)));
        }

        let shdk = match self.code(row, Field::Shdk, codes::shdk()) {
            Ok(Some(shdk)) => shdk,
            Ok(None) => return Err(fail(RejectReason::ShdkMissing, quoted(Field::Shdk))),
            Err(reason) => return Err(fail(reason, quoted(Field::Shdk))),
        };
        let coded = |field: Field, list: &'static CodeList| {
            self.code(row, field, list).map_err(|reason| fail(reason, quoted(field)))
        };
        let religion = coded(Field::Religion, codes::agama())?;
        let education = coded(Field::Education, codes::pendidikan())?;
        let occupation = coded(Field::Occupation, codes::pekerjaan())?;
        let marital_status = coded(Field::MaritalStatus, codes::status_kawin())?;
        let nationality = coded(Field::Nationality, codes::warganegara())?;
        let blood_type = coded(Field::BloodType, codes::golongan_darah())?;
        let life_status = coded(Field::LifeStatus, codes::status_dasar())?
            .and_then(LifeStatus::from_code)
            .unwrap_or(LifeStatus::Alive);

        let birth_place = text(Field::BirthPlace, NAME_MAX)?;
        let father_name = text(Field::FatherName, NAME_MAX)?;
        let mother_name = text(Field::MotherName, NAME_MAX)?;
        let address = text(Field::Street, STREET_MAX)?;
        let dusun = text(Field::Dusun, DUSUN_MAX)?;
        let (street, dusun) = match self.columns.layout {
            Layout::Siak if dusun.is_empty() => split_dusun(&address),
            _ => (address, dusun_name(&dusun)),
        };
        if dusun.chars().count() > DUSUN_MAX {
            let column = shown(Field::Street);
            return Err(fail(
                RejectReason::TooLong { column },
                format!("{column}: dusun longer than {DUSUN_MAX}"),
            ));
        }
        let rt_rw = |field: Field| {
            normalise_rt_rw(&self.cell(row, field).text())
                .ok_or_else(|| fail(RejectReason::RtRwInvalid, quoted(field)))
        };
        let rw = rt_rw(Field::Rw)?;
        let rt = rt_rw(Field::Rt)?;

        let desa_code = match self.columns.layout {
            Layout::Siak => {
                let kecamatan = self.cell(row, Field::KecamatanName).text().into_owned();
                let desa = self.cell(row, Field::DesaName).text().into_owned();
                self.desa.by_names(&kecamatan, &desa).map_err(|reason| {
                    let detail =
                        format!("{}, {}", quoted(Field::KecamatanName), quoted(Field::DesaName));
                    fail(reason, detail)
                })?
            }
            _ => self
                .desa
                .by_code(&self.cell(row, Field::DesaCode).text())
                .map_err(|reason| fail(reason, quoted(Field::DesaCode)))?,
        };

        Ok(PersonRecord {
            line,
            nik,
            kk,
            name,
            sex,
            birth_place,
            birth_date,
            religion,
            education,
            occupation,
            marital_status,
            shdk,
            nationality,
            blood_type,
            father_name,
            mother_name,
            life_status,
            address: FamilyAddress { desa_code, dusun, rw, rt, street },
        })
    }

    /// A coded cell: `None` when empty (or `-`), the code when the list knows it.
    fn code(
        &self,
        row: &dyn Row,
        field: Field,
        list: &'static CodeList,
    ) -> Result<Option<u8>, RejectReason> {
        let cell = self.cell(row, field);
        let text = cell.text();
        if text.is_empty() || text == "-" {
            return Ok(None);
        }
        list.lookup(&text).map(Some).ok_or(RejectReason::CodeUnknown { list: list.name })
    }
}

/// `column = "value"` for a report, the value cut to 60 characters: a report line stays a
/// line whatever a cell holds.
fn quote(column: &str, value: &str) -> String {
    let mut shown: String = value.chars().take(60).collect();
    if shown.len() < value.len() {
        shown.push('…');
    }
    format!("{column} = \"{shown}\"")
}

/// A NIK or KK cell parsed with `parse`; a bad value's detail holds it masked, in quotes.
fn sixteen<T>(
    cell: &Cell<'_>,
    column: &'static str,
    parse: fn(&str) -> Result<T, NikError>,
) -> Parsed<T> {
    match cell::digits(cell) {
        DigitsCell::Empty => Parsed::Missing,
        DigitsCell::Imprecise(text) => {
            let masked = mask(&text);
            let detail = format!("{column} = \"{masked}\"");
            Parsed::Bad(RejectReason::NumberImprecise { column }, masked, detail)
        }
        DigitsCell::Text(text) => match parse(&text) {
            Ok(value) => Parsed::Ok(value),
            Err(error) => {
                let masked = mask(&text);
                let detail = format!("{column} = \"{masked}\": {error}");
                Parsed::Bad(RejectReason::NikInvalid, masked, detail)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reported_value_is_cut_to_sixty_characters() {
        assert_eq!(quote("agama_id", "9"), "agama_id = \"9\"");
        let long = "X".repeat(500);
        assert_eq!(quote("kode_desa", &long), format!("kode_desa = \"{}…\"", "X".repeat(60)));
    }
}
