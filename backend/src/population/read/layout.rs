//! The two population layouts villages have, how a header row is recognised, and which
//! column holds which field.
//!
//! Headers match whatever their case, spacing and punctuation: `no_kk`, `No KK` and `NOKK`
//! are one spelling. A file is of the layout whose required columns its header has; columns
//! the layout does not use are ignored.

use super::source::Row;

/// Which export a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// OpenSID's "format impor penduduk" (FormatImporExcel.xlsm's columns).
    OpenSid,
    /// Dukcapil's SIAK export (as OpenSID's format_siak.xls).
    Siak,
    /// A DTSEN desil list (No KK, NIK, Desil); see [`super::read_desil`].
    Desil,
}

impl Layout {
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::OpenSid => "opensid",
            Layout::Siak => "siak",
            Layout::Desil => "desil",
        }
    }
}

/// The fields Anjungan reads from a population file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    Nik,
    Kk,
    Name,
    Sex,
    BirthPlace,
    BirthDate,
    Religion,
    Education,
    Occupation,
    MaritalStatus,
    Shdk,
    Nationality,
    BloodType,
    FatherName,
    MotherName,
    Street,
    Dusun,
    Rw,
    Rt,
    LifeStatus,
    /// OpenSID layout: Anjungan's extra column, the desa's ten-digit Kemendagri code.
    DesaCode,
    /// SIAK layout: names, looked up in the region list.
    KecamatanName,
    DesaName,
}

pub(crate) const FIELD_COUNT: usize = 23;

impl Field {
    fn index(self) -> usize {
        self as usize
    }
}

/// One column of a layout: the field, the spelling shown in messages, the accepted
/// spellings (normalised, see [`normalise`]), and whether a file must have it.
pub(crate) struct ColumnSpec {
    pub field: Field,
    pub shown: &'static str,
    pub spellings: &'static [&'static str],
    pub required: bool,
}

const fn column(
    field: Field,
    shown: &'static str,
    spellings: &'static [&'static str],
    required: bool,
) -> ColumnSpec {
    ColumnSpec { field, shown, spellings, required }
}

pub(crate) const OPENSID: &[ColumnSpec] = &[
    column(Field::Nik, "nik", &["nik"], true),
    column(Field::Kk, "no_kk", &["nokk"], true),
    column(Field::Name, "nama", &["nama"], true),
    column(Field::Sex, "sex", &["sex"], true),
    column(Field::BirthDate, "tanggallahir", &["tanggallahir"], true),
    column(Field::Shdk, "kk_level", &["kklevel"], true),
    column(Field::BirthPlace, "tempatlahir", &["tempatlahir"], false),
    column(Field::Religion, "agama_id", &["agamaid"], false),
    column(Field::Education, "pendidikan_kk_id", &["pendidikankkid"], false),
    column(Field::Occupation, "pekerjaan_id", &["pekerjaanid"], false),
    column(Field::MaritalStatus, "status_kawin", &["statuskawin"], false),
    column(Field::Nationality, "warganegara_id", &["warganegaraid"], false),
    column(Field::BloodType, "golongan_darah_id", &["golongandarahid"], false),
    column(Field::FatherName, "nama_ayah", &["namaayah"], false),
    column(Field::MotherName, "nama_ibu", &["namaibu"], false),
    column(Field::Street, "alamat", &["alamat"], false),
    column(Field::Dusun, "dusun", &["dusun"], false),
    column(Field::Rw, "rw", &["rw"], false),
    column(Field::Rt, "rt", &["rt"], false),
    column(Field::LifeStatus, "status_dasar", &["statusdasar"], false),
    column(Field::DesaCode, "kode_desa", &["kodedesa"], false),
];

pub(crate) const SIAK: &[ColumnSpec] = &[
    column(Field::Kk, "Nomor KK", &["nomorkk", "nokk"], true),
    column(Field::Nik, "NIK", &["nik"], true),
    column(Field::Name, "Nama Penduduk", &["namapenduduk", "namalengkap"], true),
    column(Field::BirthDate, "Tanggal Lahir", &["tanggallahir", "tgllahir"], true),
    column(Field::Sex, "Kelamin", &["kelamin", "jeniskelamin"], true),
    column(Field::Shdk, "SHDK", &["shdk", "statushubungandalamkeluarga"], true),
    column(Field::LifeStatus, "Status", &["status"], false),
    column(Field::BirthPlace, "Tempat Lahir", &["tempatlahir"], false),
    column(Field::FatherName, "Ayah", &["ayah", "namaayah"], false),
    column(Field::MotherName, "Ibu", &["ibu", "namaibu"], false),
    column(Field::MaritalStatus, "Status Kawin", &["statuskawin", "statusperkawinan"], false),
    column(Field::Religion, "Agama", &["agama"], false),
    column(Field::KecamatanName, "Kecamatan", &["kecamatan"], false),
    column(Field::DesaName, "Desa/Kel", &["desakel", "desakelurahan", "desa", "kelurahan"], false),
    column(Field::Street, "Alamat", &["alamat"], false),
    column(Field::Rw, "RW", &["rw"], false),
    column(Field::Rt, "RT", &["rt"], false),
    column(Field::Dusun, "Dusun", &["dusun"], false),
    column(Field::Education, "Pendidikan", &["pendidikan"], false),
    column(Field::Occupation, "Pekerjaan", &["pekerjaan"], false),
    column(Field::BloodType, "Gol. Darah", &["goldarah", "golongandarah"], false),
];

pub(crate) fn specs(layout: Layout) -> &'static [ColumnSpec] {
    match layout {
        Layout::OpenSid => OPENSID,
        Layout::Siak => SIAK,
        Layout::Desil => &[],
    }
}

/// A header's spelling for matching: lower case, letters and digits only, so case,
/// spaces, underscores, dots and slashes do not matter (and a UTF-8 BOM is dropped).
pub(crate) fn normalise(header: &str) -> String {
    header.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Where each field is in a file, and the header as the file spells it.
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    pub layout: Layout,
    /// Column per field; a file never has more than `u16::MAX` columns that matter.
    index: [Option<u16>; FIELD_COUNT],
}

impl Columns {
    /// The column holding `field`, if the file has it.
    pub(crate) fn get(&self, field: Field) -> Option<usize> {
        self.index[field.index()].map(usize::from)
    }

    /// The column's name for messages, in the layout's own spelling.
    pub(crate) fn shown(&self, field: Field) -> &'static str {
        specs(self.layout).iter().find(|spec| spec.field == field).map_or("", |spec| spec.shown)
    }
}

/// What a candidate header row is.
pub(crate) enum Header {
    Found(Columns),
    /// Not a header; the required columns the closer layout lacks, and how many it had.
    Not {
        missing: Vec<&'static str>,
        present: usize,
    },
}

/// Reads a row as a header of either layout (`only`: of that one).
pub(crate) fn header(row: &dyn Row, only: Option<Layout>) -> Header {
    let cells: Vec<String> = (0..row.width()).map(|c| normalise(&row.cell(c).text())).collect();
    let mut best: Option<(Vec<&'static str>, usize)> = None;
    for layout in [Layout::OpenSid, Layout::Siak] {
        if only.is_some_and(|only| only != layout) {
            continue;
        }
        let mut index = [None; FIELD_COUNT];
        let mut missing = Vec::new();
        let mut present = 0;
        for spec in specs(layout) {
            let found = cells.iter().position(|cell| spec.spellings.contains(&cell.as_str()));
            index[spec.field.index()] = found.and_then(|column| u16::try_from(column).ok());
            match (found, spec.required) {
                (Some(_), true) => present += 1,
                (None, true) => missing.push(spec.shown),
                _ => {}
            }
        }
        if missing.is_empty() {
            return Header::Found(Columns { layout, index });
        }
        if best.as_ref().is_none_or(|(_, best_present)| present > *best_present) {
            best = Some((missing, present));
        }
    }
    let (missing, present) = best.unwrap_or_default();
    Header::Not { missing, present }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population::read::cell::Cell;
    use std::borrow::Cow;

    struct Cells(Vec<&'static str>);

    impl Row for Cells {
        fn cell(&self, column: usize) -> Cell<'_> {
            self.0.get(column).map_or(Cell::Empty, |text| Cell::Text(Cow::Borrowed(text)))
        }
        fn width(&self) -> usize {
            self.0.len()
        }
    }

    fn found(cells: Vec<&'static str>) -> Columns {
        match header(&Cells(cells), None) {
            Header::Found(columns) => columns,
            Header::Not { missing, .. } => panic!("not a header, missing {missing:?}"),
        }
    }

    #[test]
    fn opensid_headers_match_in_any_case_and_spacing() {
        let columns = found(vec![
            "\u{feff}alamat",
            "Dusun",
            "NO_KK",
            "nik",
            "nama",
            "sex",
            "tanggal lahir",
            "KK_LEVEL",
            "kode_desa",
        ]);
        assert_eq!(columns.layout, Layout::OpenSid);
        assert_eq!(columns.get(Field::Street), Some(0));
        assert_eq!(columns.get(Field::Kk), Some(2));
        assert_eq!(columns.get(Field::Shdk), Some(7));
        assert_eq!(columns.get(Field::DesaCode), Some(8));
        assert_eq!(columns.get(Field::Religion), None);
        assert_eq!(columns.shown(Field::Shdk), "kk_level");
    }

    #[test]
    fn siak_headers_are_title_case_with_slashes_and_dots() {
        let columns = found(vec![
            "Nomor KK",
            "NIK",
            "Nama Penduduk",
            "Status",
            "Tempat Lahir",
            "Tanggal Lahir",
            "Kelamin",
            "SHDK",
            "Kecamatan",
            "Desa/Kel",
            "Gol. Darah",
        ]);
        assert_eq!(columns.layout, Layout::Siak);
        assert_eq!(columns.get(Field::LifeStatus), Some(3));
        assert_eq!(columns.get(Field::DesaName), Some(9));
        assert_eq!(columns.get(Field::BloodType), Some(10));
    }

    #[test]
    fn a_row_of_neither_names_what_the_closer_layout_lacks() {
        let Header::Not { missing, present } =
            header(&Cells(vec!["Nomor KK", "NIK", "Nama Penduduk", "Kelamin"]), None)
        else {
            panic!("taken for a header");
        };
        assert_eq!(missing, ["Tanggal Lahir", "SHDK"]);
        assert_eq!(present, 4);
    }
}
