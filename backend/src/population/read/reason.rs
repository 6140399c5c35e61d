//! Why a row was rejected: one variant per kind of bad row, each with a stable code (for
//! reports and the API) and a message in Indonesian and English (for the staff who fix the
//! file).

use protocol::Text;

/// The kind of fault that made a row unusable. The row's line and the offending value are
/// in [`super::Rejection`]; this says what is wrong and how to fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectReason {
    NikMissing,
    NikInvalid,
    /// A NIK or KK stored as a spreadsheet number that may have been rounded (Excel keeps 15
    /// digits) or printed in scientific notation.
    NumberImprecise {
        column: &'static str,
    },
    /// The NIK already appeared on an earlier row of the file.
    NikRepeated,
    KkMissing,
    KkInvalid,
    NameMissing,
    SexMissing,
    /// The sex column says otherwise than the NIK (women's birth day + 40).
    SexMismatch,
    BirthDateMissing,
    /// Not a date, or a date in the future or before 1880.
    BirthDateInvalid,
    /// The birth date is not the one the NIK holds (`DDMMYY`).
    BirthDateMismatch,
    /// A coded cell names no code of this list (by number or label).
    CodeUnknown {
        list: &'static str,
    },
    ShdkMissing,
    /// The family has no valid row with SHDK 1 (kepala keluarga).
    KkWithoutHead,
    /// The family has more than one row with SHDK 1.
    KkManyHeads,
    /// The row names no desa and the import was not given one.
    DesaMissing,
    /// The desa code or name is not on Kemendagri's list.
    DesaUnknown,
    /// A desa name without its kecamatan that more than one kecamatan has.
    DesaAmbiguous,
    /// The desa lies outside the kabupaten being imported.
    DesaOutsideRegency,
    RtRwInvalid,
    /// A text cell longer than the registry keeps.
    TooLong {
        column: &'static str,
    },
    /// A desil row with neither a KK number nor a NIK.
    KeyMissing,
    DesilMissing,
    /// A desil that is not a whole number from 1 to 10.
    DesilInvalid,
}

impl RejectReason {
    /// Every reason, for documentation and tests.
    pub const ALL: [RejectReason; 25] = [
        RejectReason::NikMissing,
        RejectReason::NikInvalid,
        RejectReason::NumberImprecise { column: "nik" },
        RejectReason::NikRepeated,
        RejectReason::KkMissing,
        RejectReason::KkInvalid,
        RejectReason::NameMissing,
        RejectReason::SexMissing,
        RejectReason::SexMismatch,
        RejectReason::BirthDateMissing,
        RejectReason::BirthDateInvalid,
        RejectReason::BirthDateMismatch,
        RejectReason::CodeUnknown { list: "agama" },
        RejectReason::ShdkMissing,
        RejectReason::KkWithoutHead,
        RejectReason::KkManyHeads,
        RejectReason::DesaMissing,
        RejectReason::DesaUnknown,
        RejectReason::DesaAmbiguous,
        RejectReason::DesaOutsideRegency,
        RejectReason::RtRwInvalid,
        RejectReason::TooLong { column: "nama" },
        RejectReason::KeyMissing,
        RejectReason::DesilMissing,
        RejectReason::DesilInvalid,
    ];

    /// Stable snake_case code, as reports and the API give it.
    pub fn code(&self) -> &'static str {
        match self {
            RejectReason::NikMissing => "nik_missing",
            RejectReason::NikInvalid => "nik_invalid",
            RejectReason::NumberImprecise { .. } => "number_imprecise",
            RejectReason::NikRepeated => "nik_repeated",
            RejectReason::KkMissing => "kk_missing",
            RejectReason::KkInvalid => "kk_invalid",
            RejectReason::NameMissing => "name_missing",
            RejectReason::SexMissing => "sex_missing",
            RejectReason::SexMismatch => "sex_mismatch",
            RejectReason::BirthDateMissing => "birth_date_missing",
            RejectReason::BirthDateInvalid => "birth_date_invalid",
            RejectReason::BirthDateMismatch => "birth_date_mismatch",
            RejectReason::CodeUnknown { .. } => "code_unknown",
            RejectReason::ShdkMissing => "shdk_missing",
            RejectReason::KkWithoutHead => "kk_without_head",
            RejectReason::KkManyHeads => "kk_many_heads",
            RejectReason::DesaMissing => "desa_missing",
            RejectReason::DesaUnknown => "desa_unknown",
            RejectReason::DesaAmbiguous => "desa_ambiguous",
            RejectReason::DesaOutsideRegency => "desa_outside_regency",
            RejectReason::RtRwInvalid => "rt_rw_invalid",
            RejectReason::TooLong { .. } => "too_long",
            RejectReason::KeyMissing => "key_missing",
            RejectReason::DesilMissing => "desil_missing",
            RejectReason::DesilInvalid => "desil_invalid",
        }
    }

    /// What is wrong and how to fix it, Indonesian first.
    pub fn message(&self) -> Text {
        match self {
            RejectReason::NikMissing => Text::new("NIK kosong.", "The NIK is empty."),
            RejectReason::NikInvalid => Text::new(
                "NIK tidak sah: harus 16 angka dengan kode wilayah, tanggal lahir dan nomor urut yang benar.",
                "The NIK is not valid: it must be 16 digits with a real region code, birth date and serial.",
            ),
            RejectReason::NumberImprecise { column } => Text::new(
                format!(
                    "Kolom {column} tersimpan sebagai angka sehingga digitnya bisa berubah (Excel hanya menyimpan 15 digit). Format kolom sebagai Teks atau awali dengan tanda petik (')."
                ),
                format!(
                    "Column {column} is stored as a number, so its digits may have changed (Excel keeps only 15 digits). Format the column as Text or start the cell with an apostrophe (')."
                ),
            ),
            RejectReason::NikRepeated => Text::new(
                "NIK ini sudah ada di baris sebelumnya dalam berkas; hanya baris pertama yang dipakai.",
                "This NIK already appears on an earlier row of the file; only the first row is used.",
            ),
            RejectReason::KkMissing => Text::new("Nomor KK kosong.", "The KK number is empty."),
            RejectReason::KkInvalid => Text::new(
                "Nomor KK tidak sah: harus 16 angka dengan kode wilayah, tanggal dan nomor urut yang benar.",
                "The KK number is not valid: it must be 16 digits with a real region code, date and serial.",
            ),
            RejectReason::NameMissing => Text::new("Nama kosong.", "The name is empty."),
            RejectReason::SexMissing => Text::new("Jenis kelamin kosong.", "The sex is empty."),
            RejectReason::SexMismatch => Text::new(
                "Jenis kelamin tidak sesuai NIK (pada NIK perempuan, tanggal lahir ditambah 40).",
                "The sex does not match the NIK (a woman's NIK has 40 added to the birth day).",
            ),
            RejectReason::BirthDateMissing => {
                Text::new("Tanggal lahir kosong.", "The birth date is empty.")
            }
            RejectReason::BirthDateInvalid => Text::new(
                "Tanggal lahir tidak terbaca atau tidak mungkin. Tulis sebagai tanggal, dd-mm-yyyy atau yyyy-mm-dd.",
                "The birth date cannot be read or is impossible. Write it as a date, dd-mm-yyyy or yyyy-mm-dd.",
            ),
            RejectReason::BirthDateMismatch => Text::new(
                "Tanggal lahir tidak sesuai NIK (angka 7-12 NIK adalah tanggal, bulan dan tahun lahir).",
                "The birth date does not match the NIK (digits 7-12 of the NIK are the birth day, month and year).",
            ),
            RejectReason::CodeUnknown { list } => Text::new(
                format!("Kode {list} tidak dikenal. Gunakan nomor atau nama dari daftar kode."),
                format!("Unknown {list} code. Use a number or a label from the code list."),
            ),
            RejectReason::ShdkMissing => Text::new(
                "Status hubungan dalam keluarga (SHDK) kosong.",
                "The relation in the family (SHDK) is empty.",
            ),
            RejectReason::KkWithoutHead => Text::new(
                "Keluarga ini tidak punya kepala keluarga yang sah dalam berkas; semua anggotanya ditolak.",
                "This family has no valid head of family in the file; all its members are rejected.",
            ),
            RejectReason::KkManyHeads => Text::new(
                "Keluarga ini punya lebih dari satu kepala keluarga; semua anggotanya ditolak.",
                "This family has more than one head of family; all its members are rejected.",
            ),
            RejectReason::DesaMissing => Text::new(
                "Desa tidak disebut: isi kolom desa atau pilih desa saat impor.",
                "No desa given: fill in the desa column or choose the desa when importing.",
            ),
            RejectReason::DesaUnknown => Text::new(
                "Desa tidak ada dalam daftar wilayah Kemendagri.",
                "The desa is not on Kemendagri's region list.",
            ),
            RejectReason::DesaAmbiguous => Text::new(
                "Nama desa ada di lebih dari satu kecamatan: isi juga kecamatannya.",
                "More than one kecamatan has a desa of this name: fill in the kecamatan too.",
            ),
            RejectReason::DesaOutsideRegency => Text::new(
                "Desa ini di luar kabupaten yang diimpor.",
                "This desa lies outside the kabupaten being imported.",
            ),
            RejectReason::RtRwInvalid => Text::new(
                "RT atau RW harus angka 0-999, atau '-' bila tidak ada.",
                "RT and RW must be a number from 0 to 999, or '-' when there is none.",
            ),
            RejectReason::TooLong { column } => Text::new(
                format!("Isi kolom {column} terlalu panjang."),
                format!("Column {column} is too long."),
            ),
            RejectReason::KeyMissing => Text::new(
                "Baris tanpa Nomor KK maupun NIK.",
                "The row has neither a KK number nor a NIK.",
            ),
            RejectReason::DesilMissing => Text::new("Desil kosong.", "The desil is empty."),
            RejectReason::DesilInvalid => Text::new(
                "Desil harus bilangan bulat 1 sampai 10.",
                "The desil must be a whole number from 1 to 10.",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_reason_has_its_own_code_and_both_languages() {
        let codes: HashSet<&str> = RejectReason::ALL.iter().map(RejectReason::code).collect();
        assert_eq!(codes.len(), RejectReason::ALL.len());
        for reason in RejectReason::ALL {
            let code = reason.code();
            assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code}");
            let message = reason.message();
            assert!(!message.id.is_empty() && !message.en.is_empty(), "{code}");
            assert_ne!(message.id, message.en, "{code}");
        }
    }

    #[test]
    fn the_import_guide_explains_every_code() {
        let guide = include_str!("../../../../docs/registry-import.md");
        for reason in RejectReason::ALL {
            let row = format!("| `{}` |", reason.code());
            assert!(guide.contains(&row), "docs/registry-import.md lacks {}", reason.code());
        }
    }
}
