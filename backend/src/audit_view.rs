//! Reading the audit log from the console and the staff API: who may (audit entries carry
//! no desa, so a desa account could not be limited to its own; only kabupaten-wide
//! operators and auditors read it), the filter as typed (checked at the boundary,
//! bilingual refusals), pages of entries newest first, and the CSV rows the export
//! (`audit_export`) streams: every NIK-like digit run masked, and every cell that a
//! spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, carriage return first)
//! prefixed with `'`.

use protocol::Text;
use protocol::mask::mask_digits_in;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::store::{AUDIT_FILTER_MAX, AuditEntry, AuditFilter, StaffRecord, StaffRole};

/// Entries on one page of the console and the API.
pub const PAGE_SIZE: usize = 50;
/// Pages beyond this are refused: a search that far back wants a narrower filter.
pub const PAGE_MAX: usize = 1_000;

/// Whether `staff` may read the audit log.
pub fn may_read(staff: &StaffRecord) -> bool {
    staff.desa_code.is_none() && matches!(staff.role, StaffRole::Kabupaten | StaffRole::Auditor)
}

/// The filter as a form or a query string sends it; empty fields filter nothing.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub outcome: String,
    /// Text the subject contains.
    #[serde(default)]
    pub subject: String,
    /// First day, `YYYY-MM-DD` (UTC).
    #[serde(default)]
    pub from: String,
    /// Last day, `YYYY-MM-DD` (UTC).
    #[serde(default)]
    pub to: String,
    /// Page number, from 1.
    #[serde(default)]
    pub page: Option<usize>,
}

/// One entry as shown and exported.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditLine {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub outcome: String,
}

/// A page of entries.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub page: usize,
    pub entries: Vec<AuditLine>,
    /// Whether a next page has entries.
    pub more: bool,
}

fn field(value: &str, name: (&str, &str)) -> Result<Option<String>, Text> {
    let value = value.trim();
    if value.chars().count() > AUDIT_FILTER_MAX || value.chars().any(char::is_control) {
        return Err(Text::new(
            format!(
                "{}: paling banyak {AUDIT_FILTER_MAX} karakter, tanpa karakter kendali.",
                name.0
            ),
            format!("{}: at most {AUDIT_FILTER_MAX} characters, no control characters.", name.1),
        ));
    }
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

fn day(value: &str, name: (&str, &str)) -> Result<Option<String>, Text> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(value, format).map(|_| Some(value.to_owned())).map_err(|_| {
        Text::new(
            format!("{}: tulis tanggal sebagai TTTT-BB-HH.", name.0),
            format!("{}: write the date as YYYY-MM-DD.", name.1),
        )
    })
}

impl AuditQuery {
    /// The filter and the page (from 1) this query asks for, or what is wrong with it.
    pub fn clean(&self) -> Result<(AuditFilter, usize), Text> {
        let filter = AuditFilter {
            actor: field(&self.actor, ("Pelaku", "Actor"))?,
            action: field(&self.action, ("Tindakan", "Action"))?,
            outcome: field(&self.outcome, ("Hasil", "Outcome"))?,
            subject: field(&self.subject, ("Subjek", "Subject"))?,
            from: day(&self.from, ("Dari", "From"))?,
            to: day(&self.to, ("Sampai", "To"))?,
        };
        if let (Some(from), Some(to)) = (&filter.from, &filter.to)
            && from > to
        {
            return Err(Text::new(
                "Tanggal awal sesudah tanggal akhir.",
                "The first day is after the last.",
            ));
        }
        let page = self.page.unwrap_or(1);
        if !(1..=PAGE_MAX).contains(&page) {
            return Err(Text::new(
                format!("Halaman 1 sampai {PAGE_MAX}."),
                format!("Pages 1 to {PAGE_MAX}."),
            ));
        }
        Ok((filter, page))
    }
}

/// An entry with any NIK-like digit run masked (subjects hold masked identifiers by rule;
/// this holds even for an entry that broke it).
pub fn line(entry: AuditEntry) -> AuditLine {
    AuditLine {
        at: entry.at,
        actor: mask_digits_in(&entry.actor),
        action: entry.action,
        subject: mask_digits_in(&entry.subject),
        outcome: mask_digits_in(&entry.outcome),
    }
}

/// One CSV cell: quoted, quotes doubled, a formula's first character defused.
pub fn csv_cell(value: &str) -> String {
    let defused = match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    };
    format!("\"{}\"", defused.replace('"', "\"\""))
}

/// The header row of the export.
pub const CSV_HEADER: &str = "at,actor,action,subject,outcome\r\n";

/// One CSV row.
pub fn csv_row(line: &AuditLine) -> String {
    let cells = [&line.at, &line.actor, &line.action, &line.subject, &line.outcome];
    let mut row = cells.map(|cell| csv_cell(cell)).join(",");
    row.push_str("\r\n");
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_quotes_doubled() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for start in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_cell(start).starts_with("\"'"), "{start}");
        }
        assert_eq!(csv_cell("kiosk:BWI-01"), "\"kiosk:BWI-01\"");
    }

    #[test]
    fn filters_are_checked() {
        let query = |from: &str, to: &str| AuditQuery {
            from: from.into(),
            to: to.into(),
            ..AuditQuery::default()
        };
        assert!(query("2026-12-01", "2026-12-07").clean().is_ok());
        assert!(query("2026-12-08", "2026-12-07").clean().is_err());
        assert!(query("07-12-2026", "").clean().is_err());
        let long = AuditQuery { subject: "x".repeat(65), ..AuditQuery::default() };
        assert!(long.clean().is_err());
        let far = AuditQuery { page: Some(0), ..AuditQuery::default() };
        assert!(far.clean().is_err());
    }

    #[test]
    fn digits_that_look_like_a_nik_are_masked() {
        let entry = AuditEntry {
            at: "t".into(),
            actor: "a".into(),
            action: "x".into(),
            subject: "nik 3510011203850001".into(),
            outcome: "ok".into(),
        };
        assert_eq!(line(entry).subject, "nik 3510********0001");
    }
}
