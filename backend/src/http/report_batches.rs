//! The distribution batches of the report queue (`GET /api/v1/staff/reports/batches`): per
//! day the scheduled and delivered reports, masked, by dusun, RW and RT, for the account's
//! desa or, for a kabupaten account, one desa (`?desa=`) or every desa. Split from
//! `report_queue`, whose scope and audit it shares.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::response::{IntoResponse, Response};
use protocol::Text;
use protocol::api::{ApiError, ErrorCode};
use protocol::staff::{
    BATCH_DEFAULT_DAYS, BATCH_RANGE_MAX_DAYS, REPORT_BATCHES_PATH, ReportBatches,
};
use serde::Deserialize;
use time::Date;

use super::report_queue::{bad_query, day, desa_param, entry};
use super::staff::Staff;
use super::{AppError, AppState};

/// Query of the batch view.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct BatchQuery {
    /// First day, `YYYY-MM-DD`; absent: today in the desa.
    #[serde(default)]
    from: Option<String>,
    /// Last day, `YYYY-MM-DD`, at most 31 days on; absent: a week after `from`.
    #[serde(default)]
    to: Option<String>,
    /// A desa code or `all`, as the queue's.
    #[serde(default)]
    desa: Option<String>,
}

/// The days a batch view covers: `from` (absent: today in `desa`) to `to` (absent: a week
/// on), forward and at most [`BATCH_RANGE_MAX_DAYS`] days, or 400. The console asks the same.
pub(crate) fn batch_range(
    desa: Option<u64>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(Date, Date), AppError> {
    let today =
        crate::letters::number::desa_today(desa.unwrap_or(0), time::OffsetDateTime::now_utc());
    let from = from.map(day).transpose()?.unwrap_or(today);
    let last = i64::from(BATCH_DEFAULT_DAYS - 1);
    let to = match to {
        Some(text) => day(text)?,
        None => from.checked_add(time::Duration::days(last)).unwrap_or(from),
    };
    let span = (to - from).whole_days();
    if !(0..i64::from(BATCH_RANGE_MAX_DAYS)).contains(&span) {
        return Err(AppError::bad_request(
            ErrorCode::InvalidBatchDate,
            Text::new(
                format!("Rentang tanggal harus maju dan paling lama {BATCH_RANGE_MAX_DAYS} hari."),
                format!(
                    "The range of dates must run forward and cover at most {BATCH_RANGE_MAX_DAYS} days."
                ),
            ),
        ));
    }
    Ok((from, to))
}

/// The distribution batches of the account's desa (a kabupaten account: every desa) between
/// two dates: per date the scheduled and delivered reports, masked, by dusun, RW and RT.
#[utoipa::path(get, path = REPORT_BATCHES_PATH, security(("staff_session" = [])), params(BatchQuery),
    responses((status = 200, body = ReportBatches), (status = 400, body = ApiError, description = "invalid_batch_date: a date unreadable, or a range backwards or over 31 days"), (status = 401, body = ApiError)))]
pub async fn batches(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    query: Result<Query<BatchQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(query) = query.map_err(|rejection| bad_query(&rejection))?;
    let desa = desa_param(&staff, query.desa.as_deref())?;
    let (from, to) = batch_range(desa, query.from.as_deref(), query.to.as_deref())?;
    let (store, program) = (state.store.clone(), state.catalogue.report_program().code.clone());
    let (first, last) = (from.to_string(), to.to_string());
    let batches =
        tokio::task::spawn_blocking(move || store.delivery_batches(desa, &first, &last, &program))
            .await??;
    let listed: u32 = batches.batches.iter().map(|batch| batch.scheduled + batch.delivered).sum();
    let scope = desa.map_or_else(|| "all".to_owned(), |desa| desa.to_string());
    state.store.audit_read(entry(
        &staff,
        "report_batches",
        format!("desa:{scope} {from}..{to}"),
        &format!("{listed} listed"),
    ))?;
    Ok(Json(batches).into_response())
}
