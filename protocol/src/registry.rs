//! Loading the population registry over the staff API: a kabupaten operator posts a
//! population file (OpenSID or SIAK layout) or a DTSEN desil file, as CSV or XLSX, and gets
//! the import's counts and its per-row report back.

use serde::{Deserialize, Serialize};

/// `POST` a population file as the body (`?desa=&regency=&dry_run=`).
pub const POPULATION_PATH: &str = "/api/v1/staff/registry/population";
/// `POST` a desil file as the body (`?dry_run=`).
pub const DESIL_PATH: &str = "/api/v1/staff/registry/desil";

/// Report rows answered in JSON at most; the whole report comes as CSV with
/// `Accept: text/csv`.
pub const REPORT_ROWS_IN_JSON: usize = 5_000;

/// One line of an import's report: a rejected row, a desil row matching no family, or one
/// change the import made. NIK, KK and names are masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistryReportRow {
    /// Line (CSV, the header is 1) or row (spreadsheet) of the file; absent for a change
    /// the file's row did not cause alone (a family's move).
    pub line: Option<u64>,
    pub nik: String,
    pub kk: String,
    /// `rejected`, `unmatched` or `changed`.
    pub outcome: String,
    /// The rejection's reason code, or the changed field.
    pub code: String,
    pub before: String,
    pub after: String,
    pub reason: crate::Text,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistryImportResponse {
    /// The import's identifier, as in the audit log and the registry's history.
    pub id: String,
    /// `opensid` or `siak` (population), `desil`.
    pub layout: String,
    pub rows: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// Changes recorded as history (fields of residents and families).
    pub changed: u64,
    /// Population: residents inserted and updated, families new, memberships ended.
    /// Desil: families matched (`updated` = families whose desil changed).
    pub inserted: u64,
    pub updated: u64,
    pub families_new: u64,
    pub memberships_ended: u64,
    /// Rows of the desil file that matched no family.
    pub unmatched: u64,
    /// Rolled back: what would happen, with nothing changed.
    pub dry_run: bool,
    pub report: Vec<RegistryReportRow>,
    /// The report had more rows than [`REPORT_ROWS_IN_JSON`].
    pub report_truncated: bool,
}
