//! The per-row report of an import: one CSV line per rejected row, per unmatched desil row
//! and per change, with the reason in Indonesian and English.
//!
//! Columns: `import, line, nik, kk, outcome, code, field, before, after, reason_id,
//! reason_en`. NIKs and KK numbers are masked (`3510********0001`) and so are names in a
//! change: the report is a list of residents that gets mailed and printed, and the line
//! number finds the row in the operator's own file. It is written under `<path>.partial`
//! and renamed to `path` once the registry holds what it describes.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use protocol::mask::{mask_digits_in, mask_name};
use protocol::{Nik, NoKk, Text};

use crate::population::codes;
use crate::population::read::{FileSummary, Rejection};
use crate::store::{Change, DesilMiss};

/// What the report holds, by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportCounts {
    pub rejected: u64,
    pub unmatched: u64,
    pub changed: u64,
}

pub struct ReportWriter {
    import: String,
    partial: PathBuf,
    path: PathBuf,
    out: csv::Writer<BufWriter<File>>,
    counts: ReportCounts,
    /// The reader's summary, once the whole file is read.
    pub summary: Option<FileSummary>,
}

const HEADER: [&str; 11] = [
    "import",
    "line",
    "nik",
    "kk",
    "outcome",
    "code",
    "field",
    "before",
    "after",
    "reason_id",
    "reason_en",
];

impl ReportWriter {
    /// Starts the report of import `import` at `<path>.partial`.
    pub fn create(path: &Path, import: &str) -> std::io::Result<ReportWriter> {
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let mut out = csv::Writer::from_writer(BufWriter::new(File::create(&partial)?));
        out.write_record(HEADER)?;
        Ok(ReportWriter {
            import: import.to_owned(),
            partial,
            path: path.to_path_buf(),
            out,
            counts: ReportCounts::default(),
            summary: None,
        })
    }

    pub fn rejected(&mut self, rejection: &Rejection) -> std::io::Result<()> {
        self.counts.rejected += 1;
        let line = rejection.line.to_string();
        let message = rejection.reason.message();
        let detail = mask_digits_in(&printable(&rejection.detail, 200));
        self.row([
            &line,
            rejection.nik.as_deref().unwrap_or(""),
            "",
            "rejected",
            rejection.reason.code(),
            "",
            "",
            &detail,
            &message.id,
            &message.en,
        ])
    }

    pub fn unmatched(&mut self, line: u64, miss: &DesilMiss) -> std::io::Result<()> {
        self.counts.unmatched += 1;
        let (code, message) = miss_text(miss);
        self.row([
            &line.to_string(),
            "",
            "",
            "unmatched",
            code,
            "",
            "",
            "",
            &message.id,
            &message.en,
        ])
    }

    pub fn changed(&mut self, change: &Change) -> std::io::Result<()> {
        self.counts.changed += 1;
        let nik = change.nik.as_deref().map(masked_nik).unwrap_or_default();
        let kk = change.kk.as_deref().map(masked_kk).unwrap_or_default();
        let before = shown_value(change.field, change.before.as_deref());
        let after = shown_value(change.field, change.after.as_deref());
        let message = change_text(change.field);
        let line = change.line.map(|line| line.to_string()).unwrap_or_default();
        self.row([
            &line,
            &nik,
            &kk,
            "changed",
            change.field,
            change.field,
            &before,
            &after,
            &message.id,
            &message.en,
        ])
    }

    fn row(&mut self, cells: [&str; 10]) -> std::io::Result<()> {
        let mut record = Vec::with_capacity(11);
        record.push(self.import.clone());
        record.extend(cells.into_iter().map(inert));
        self.out.write_record(record).map_err(std::io::Error::other)
    }

    /// Flushes the report to disk and gives it its final name.
    pub fn commit(self) -> std::io::Result<ReportCounts> {
        let ReportWriter { partial, path, out, counts, .. } = self;
        let file = out
            .into_inner()
            .map_err(|error| std::io::Error::other(error.to_string()))?
            .into_inner()
            .map_err(|error| error.into_error())?;
        file.sync_all()?;
        std::fs::rename(&partial, &path)?;
        Ok(counts)
    }

    /// The import wrote nothing: neither does the report.
    pub fn discard(self) {
        let partial = self.partial.clone();
        drop(self);
        let _ = std::fs::remove_file(partial);
    }
}

/// A value as the report shows it: names masked, NIK/KK masked, codes with their label.
fn shown_value(field: &str, value: Option<&str>) -> String {
    let Some(value) = value else { return String::new() };
    let list = match field {
        "name" | "father_name" | "mother_name" => return mask_name(value),
        "kk" => return masked_kk(value),
        "religion" => codes::agama(),
        "education" => codes::pendidikan(),
        "occupation" => codes::pekerjaan(),
        "marital_status" => codes::status_kawin(),
        "shdk" => codes::shdk(),
        "nationality" => codes::warganegara(),
        "blood_type" => codes::golongan_darah(),
        _ => return mask_digits_in(&printable(value, 120)),
    };
    match value.parse::<u8>().ok().and_then(|code| list.get(code)) {
        Some(entry) => format!("{} {}", entry.code, entry.label.id),
        None => printable(value, 40),
    }
}

fn masked_nik(nik: &str) -> String {
    Nik::parse(nik).map(|nik| nik.masked()).unwrap_or_else(|_| mask_digits_in(nik))
}

fn masked_kk(kk: &str) -> String {
    NoKk::parse(kk).map(|kk| kk.masked()).unwrap_or_else(|_| mask_digits_in(kk))
}

fn change_text(field: &str) -> Text {
    match field {
        "kk" => Text::new("Pindah ke KK lain", "Moved to another KK"),
        "desa" => Text::new("Keluarga pindah ke desa lain", "The family moved to another desa"),
        "life_status" => Text::new("Status dasar berubah", "Life status changed"),
        "name" => Text::new("Nama dikoreksi", "Name corrected"),
        "desil" => Text::new("Desil DTSEN berubah", "DTSEN decile changed"),
        _ => Text::new(format!("Data {field} berubah"), format!("{field} changed")),
    }
}

fn miss_text(miss: &DesilMiss) -> (&'static str, Text) {
    match miss {
        DesilMiss::NotRegistered => (
            "not_registered",
            Text::new(
                "KK maupun NIK tidak terdaftar di registri.",
                "Neither the KK nor the NIK is in the registry.",
            ),
        ),
        DesilMiss::NikNotInKk => (
            "nik_not_in_kk",
            Text::new(
                "NIK ini bukan anggota KK yang disebut.",
                "This NIK is not a member of the KK given.",
            ),
        ),
        DesilMiss::Conflicting => (
            "conflicting",
            Text::new(
                "Baris lain memberi keluarga ini desil yang berbeda; tidak ada yang diterapkan.",
                "Another row gives this family a different desil; neither was applied.",
            ),
        ),
    }
}

/// A cell a spreadsheet will not take for a formula: one starting with `=`, `+`, `-` or `@`
/// (a name in the file could be `=HYPERLINK(...)`) gets a leading apostrophe.
fn inert(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// `text` without control characters, at most `max` characters: a cell from the file may
/// hold anything, and the report is opened in spreadsheets and printed.
pub(crate) fn printable(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}
