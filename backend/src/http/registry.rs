//! The staff API's registry loads: a kabupaten operator posts a population or desil file
//! and gets the counts and the per-row report back. Desa staff may not: a desa's account
//! loading the kabupaten's registry could overwrite every other desa's residents.
//!
//! The body is streamed to a temporary file (a kabupaten's file is hundreds of megabytes,
//! and the workbook reader needs a file it can seek in), then imported exactly as `backend registry import` does.
//! One import runs at a time; a second is refused while it runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use protocol::Text;
use protocol::api::{ApiError, ErrorCode};
use protocol::registry::{
    DESIL_PATH, POPULATION_PATH, REPORT_ROWS_IN_JSON, RegistryImportResponse, RegistryReportRow,
};
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use super::staff::Staff;
use super::{AppError, AppState};
use crate::checks::known_desa;
use crate::registry_import::{self, ImportError, ImportRequest};
use crate::store::AuditEntry;

/// Largest file accepted: a kabupaten of 1.7 M residents is about 450 MB as OpenSID CSV.
pub const REGISTRY_BODY_LIMIT: usize = 1024 * 1024 * 1024;

/// Held while an import runs.
pub type ImportLock = Arc<tokio::sync::Mutex<()>>;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PopulationQuery {
    /// Ten-digit desa code of every row, for a file without a desa column.
    pub desa: Option<u64>,
    /// Four-digit kabupaten code the rows must lie in.
    pub regency: Option<u32>,
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DesilQuery {
    #[serde(default)]
    pub dry_run: bool,
}

/// Loads a population file (OpenSID or SIAK layout; CSV, XLSX or XLS).
#[utoipa::path(
    post,
    path = POPULATION_PATH,
    params(PopulationQuery),
    request_body(content = Vec<u8>, description = "the file: CSV, XLSX or XLS", content_type = "application/octet-stream"),
    security(("staff_session" = [])),
    responses(
        (status = 200, body = RegistryImportResponse, description = "imported (or checked, with dry_run); `Accept: text/csv` answers the whole report"),
        (status = 400, body = ApiError, description = "not a population file, or an unknown desa"),
        (status = 403, body = ApiError, description = "a desa account"),
        (status = 409, body = ApiError, description = "another import is running"),
        (status = 413, body = ApiError),
    )
)]
pub async fn population(
    State(state): State<AppState>,
    axum::Extension(Staff(staff)): axum::Extension<Staff>,
    Query(query): Query<PopulationQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    if let Some(desa) = query.desa {
        known_desa(desa).map_err(|_| {
            AppError::bad_request(
                ErrorCode::BadRequest,
                Text::new(
                    format!("Kode desa {desa} tidak dikenal."),
                    format!("Unknown desa code {desa}."),
                ),
            )
        })?;
    }
    let options = (query.desa, query.regency, query.dry_run);
    run(state, staff, headers, body, Kind::Population, options).await
}

/// Sets families' DTSEN desil from a file with No KK, NIK and Desil columns.
#[utoipa::path(
    post,
    path = DESIL_PATH,
    params(DesilQuery),
    request_body(content = Vec<u8>, description = "the file: CSV, XLSX or XLS", content_type = "application/octet-stream"),
    security(("staff_session" = [])),
    responses(
        (status = 200, body = RegistryImportResponse),
        (status = 400, body = ApiError),
        (status = 403, body = ApiError),
        (status = 409, body = ApiError),
        (status = 413, body = ApiError),
    )
)]
pub async fn desil(
    State(state): State<AppState>,
    axum::Extension(Staff(staff)): axum::Extension<Staff>,
    Query(query): Query<DesilQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    run(state, staff, headers, body, Kind::Desil, (None, None, query.dry_run)).await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Population,
    Desil,
}

async fn run(
    state: AppState,
    staff: crate::store::StaffRecord,
    headers: HeaderMap,
    body: Body,
    kind: Kind,
    (desa, regency, dry_run): (Option<u64>, Option<u32>, bool),
) -> Result<Response, AppError> {
    let action = match kind {
        Kind::Population => "registry_import",
        Kind::Desil => "desil_import",
    };
    if staff.desa_code.is_some() {
        refuse_audited(&state, &staff.username, action, "forbidden");
        return Err(AppError::forbidden(Text::new(
            "Hanya operator kabupaten yang dapat memuat data penduduk.",
            "Only kabupaten operators may load population data.",
        )));
    }
    let Ok(_running) = state.registry_lock.clone().try_lock_owned() else {
        refuse_audited(&state, &staff.username, action, "busy");
        return Err(AppError::conflict(
            ErrorCode::ImportRunning,
            Text::new(
                "Impor lain sedang berjalan. Coba lagi setelah selesai.",
                "Another import is running. Try again when it has finished.",
            ),
        ));
    };
    let upload = Upload::receive(body).await?;
    let request = ImportRequest {
        file: upload.path.clone(),
        file_name: format!("upload.{}", upload.extension),
        report: upload.path.with_extension("report.csv"),
        actor: format!("staff:{}", staff.username),
        desa,
        regency,
        dry_run,
    };
    let store = state.store.clone();
    let imported = {
        let request = request.clone();
        tokio::task::spawn_blocking(move || match kind {
            Kind::Population => registry_import::import_population(&store, &request, &|_| {}),
            Kind::Desil => registry_import::import_desil(&store, &request, &|_| {}),
        })
        .await?
    };
    let report = match imported {
        Ok(report) => report,
        Err(ImportError::Read(error)) => {
            return Err(AppError::bad_request(ErrorCode::InvalidPopulationFile, error.message()));
        }
        Err(ImportError::Store(error)) => return Err(error.into()),
        Err(error) => {
            tracing::error!(%error, "registry import failed");
            return Err(AppError::internal());
        }
    };
    let _report_file = Removed(report.report.clone());
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/csv"));
    if wants_csv {
        let csv = tokio::fs::read(&report.report).await.map_err(|error| {
            tracing::error!(%error, "import report unreadable");
            AppError::internal()
        })?;
        return Ok((StatusCode::OK, [(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv)
            .into_response());
    }
    let path = report.report.clone();
    let rows = tokio::task::spawn_blocking(move || report_rows(&path)).await?.map_err(|error| {
        tracing::error!(%error, "import report unreadable");
        AppError::internal()
    })?;
    let (rows, truncated) = rows;
    Ok(axum::Json(report.response(rows, truncated)).into_response())
}

fn refuse_audited(state: &AppState, username: &str, action: &str, outcome: &str) {
    state.store.audit(AuditEntry {
        at: super::now(),
        actor: format!("staff:{username}"),
        action: action.into(),
        subject: String::new(),
        outcome: outcome.into(),
    });
}

/// The report's first rows, as the CSV holds them.
fn report_rows(path: &Path) -> Result<(Vec<RegistryReportRow>, bool), csv::Error> {
    let mut reader = csv::Reader::from_path(path)?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record?;
        if rows.len() == REPORT_ROWS_IN_JSON {
            return Ok((rows, true));
        }
        let cell = |i: usize| record.get(i).unwrap_or("").to_owned();
        rows.push(RegistryReportRow {
            line: record.get(1).and_then(|line| line.parse().ok()),
            nik: cell(2),
            kk: cell(3),
            outcome: cell(4),
            code: cell(5),
            before: cell(7),
            after: cell(8),
            reason: Text::new(cell(9), cell(10)),
        });
    }
    Ok((rows, false))
}

/// An uploaded file in the temporary directory, removed when dropped.
struct Upload {
    path: PathBuf,
    extension: &'static str,
}

impl Upload {
    /// Streams the body to disk. The extension follows the content, not what the client
    /// claims: spreadsheets start with their container's magic bytes.
    async fn receive(body: Body) -> Result<Upload, AppError> {
        let path = std::env::temp_dir().join(format!(
            "anjungan-upload-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        let mut file = tokio::fs::File::create(&path).await.map_err(|error| {
            tracing::error!(%error, "upload file not created");
            AppError::internal()
        })?;
        let guard = Removed(path.clone());
        let mut head = Vec::new();
        let mut received: usize = 0;
        let mut body = body;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| {
                AppError::bad_request(
                    ErrorCode::BadRequest,
                    Text::new("Unggahan terputus.", "The upload was interrupted."),
                )
            })?;
            let Ok(chunk) = frame.into_data() else { continue };
            // A raw body is not limited by the router's body limit: count here.
            received += chunk.len();
            if received > REGISTRY_BODY_LIMIT {
                return Err(AppError::payload_too_large());
            }
            if head.len() < 8 {
                head.extend(chunk.iter().take(8 - head.len()));
            }
            file.write_all(&chunk).await.map_err(|error| {
                tracing::error!(%error, "upload file not written");
                AppError::internal()
            })?;
        }
        file.flush().await.map_err(|_| AppError::internal())?;
        let extension = if head.starts_with(b"PK\x03\x04") {
            "xlsx"
        } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            "xls"
        } else {
            "csv"
        };
        let named = path.with_extension(extension);
        tokio::fs::rename(&path, &named).await.map_err(|_| AppError::internal())?;
        std::mem::forget(guard);
        Ok(Upload { path: named, extension })
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Removes a file when dropped.
struct Removed(PathBuf);

impl Drop for Removed {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
