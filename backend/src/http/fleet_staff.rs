//! The fleet, the audit log and the charts for staff over the API: what the console's
//! pages show and do, with the same rules (`fleet_admin`, `audit_view`, `chart_data`).
//! Every read and change is audited as `staff:<username>`.

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::response::{IntoResponse, Response};
use protocol::Text;
use protocol::api::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiJson, JsonBody};
use super::staff::Staff;
use super::{AppError, AppState, now};
use crate::audit_view::{self, AuditPage, AuditQuery, PAGE_SIZE};
use crate::chart_data::{self, Charts};
use crate::fleet_admin::{
    self, ConfigChanged, FleetError, FleetKiosk, FleetKioskDetail, PinInput, SettingsInput,
};
use crate::store::{AuditEntry, StaffRecord};

pub const FLEET_PATH: &str = "/api/v1/staff/fleet";
pub const FLEET_KIOSK_PATH: &str = "/api/v1/staff/fleet/{kiosk}";
pub const FLEET_CONFIG_PATH: &str = "/api/v1/staff/fleet/{kiosk}/config";
pub const FLEET_PIN_PATH: &str = "/api/v1/staff/fleet/{kiosk}/pin";
pub const AUDIT_PATH: &str = "/api/v1/staff/audit";
pub const AUDIT_CSV_PATH: &str = "/api/v1/staff/audit.csv";
pub const CHARTS_PATH: &str = "/api/v1/staff/charts";

impl JsonBody for SettingsInput {
    const NAME_ID: &'static str = "Konfigurasi";
    const NAME_EN: &'static str = "The configuration";
}

impl JsonBody for PinInput {
    const NAME_ID: &'static str = "PIN";
    const NAME_EN: &'static str = "The PIN";
}

/// The kiosks the account sees.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FleetList {
    pub kiosks: Vec<FleetKiosk>,
}

pub(super) fn audit(
    state: &AppState,
    staff: &StaffRecord,
    action: &str,
    subject: String,
    outcome: &str,
) {
    state.store.audit(AuditEntry {
        at: now(),
        actor: format!("staff:{}", staff.username),
        action: action.into(),
        subject,
        outcome: outcome.into(),
    });
}

impl From<FleetError> for AppError {
    fn from(error: FleetError) -> AppError {
        match error {
            FleetError::NotFound => AppError::not_found(
                ErrorCode::NotFound,
                Text::new("Anjungan tidak ditemukan.", "No such kiosk."),
            ),
            FleetError::Forbidden => AppError::forbidden(FleetError::forbidden_text()),
            FleetError::Invalid(why) => AppError::bad_request(ErrorCode::BadRequest, why),
            FleetError::Store(error) => error.into(),
        }
    }
}

pub(super) fn outcome_of(error: &FleetError) -> &'static str {
    match error {
        FleetError::NotFound => "not_found",
        FleetError::Forbidden => "forbidden",
        FleetError::Invalid(_) => "invalid",
        FleetError::Store(_) => "error",
    }
}

pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, FleetError> + Send + 'static,
) -> Result<T, FleetError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| FleetError::Store(crate::store::StoreError::Corrupt("task failed".into())))?
}

/// The kiosks the account sees: a desa account its desa's, kabupaten-wide accounts all.
#[utoipa::path(get, path = FLEET_PATH, security(("staff_session" = [])),
    responses((status = 200, body = FleetList), (status = 401, body = ApiError)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
) -> Result<Response, AppError> {
    let (store, who) = (state.store.clone(), staff.clone());
    let kiosks = blocking(move || fleet_admin::fleet(&store, &who)).await?;
    audit(&state, &staff, "fleet_list", format!("{} kiosks", kiosks.len()), "listed");
    Ok(Json(FleetList { kiosks }).into_response())
}

/// One kiosk: state, configuration, PIN labels, recent heartbeats, alerts. Another desa's
/// kiosk is 404.
#[utoipa::path(get, path = FLEET_KIOSK_PATH, security(("staff_session" = [])),
    params(("kiosk" = String, Path)),
    responses((status = 200, body = FleetKioskDetail), (status = 404, body = ApiError)))]
pub async fn detail(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (store, who, kiosk) = (state.store.clone(), staff.clone(), id.clone());
    let letters = state.letters.for_kiosks();
    let read = blocking(move || fleet_admin::kiosk(&store, &who, &kiosk, &letters)).await;
    match read {
        Ok(detail) => {
            audit(&state, &staff, "fleet_kiosk", format!("kiosk:{}", detail.kiosk.id), "viewed");
            Ok(Json(detail).into_response())
        }
        Err(error) => {
            audit(&state, &staff, "fleet_kiosk", "kiosk".into(), outcome_of(&error));
            Err(error.into())
        }
    }
}

/// Sets a kiosk's services, notice and idle timeout (kabupaten operators; a desa's signers
/// for its own kiosks). Answers the configuration version the kiosk will pull.
#[utoipa::path(post, path = FLEET_CONFIG_PATH, security(("staff_session" = [])),
    params(("kiosk" = String, Path)), request_body = SettingsInput,
    responses((status = 200, body = ConfigChanged), (status = 400, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn configure(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SettingsInput>,
) -> Result<Response, AppError> {
    let (store, who, kiosk) = (state.store.clone(), staff.clone(), id.clone());
    let letters = state.letters.for_kiosks();
    let changed =
        blocking(move || fleet_admin::configure(&store, &who, &kiosk, &input, &letters)).await;
    let subject =
        if protocol::auth::valid_kiosk_id(&id) { format!("kiosk:{id}") } else { "kiosk".into() };
    match changed {
        Ok(changed) => {
            let subject = format!("{subject} version={}", changed.config_version);
            audit(&state, &staff, "fleet_config", subject, "done");
            Ok(Json(changed).into_response())
        }
        Err(error) => {
            audit(&state, &staff, "fleet_config", subject, outcome_of(&error));
            Err(error.into())
        }
    }
}

/// Sets or resets a staff PIN (6 to 8 digits, kept only as its Argon2id hash) on a kiosk.
#[utoipa::path(post, path = FLEET_PIN_PATH, security(("staff_session" = [])),
    params(("kiosk" = String, Path)), request_body = PinInput,
    responses((status = 200, body = ConfigChanged), (status = 400, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn set_pin(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PinInput>,
) -> Result<Response, AppError> {
    let label: String = input.label.trim().chars().filter(|c| !c.is_control()).take(32).collect();
    let (store, who, kiosk) = (state.store.clone(), staff.clone(), id.clone());
    let letters = state.letters.for_kiosks();
    let changed =
        blocking(move || fleet_admin::set_pin(&store, &who, &kiosk, &input, &letters)).await;
    let subject =
        if protocol::auth::valid_kiosk_id(&id) { format!("kiosk:{id}") } else { "kiosk".into() };
    let subject = format!("{subject} pin:{label}");
    match changed {
        Ok(changed) => {
            audit(&state, &staff, "fleet_pin", subject, "done");
            Ok(Json(changed).into_response())
        }
        Err(error) => {
            audit(&state, &staff, "fleet_pin", subject, outcome_of(&error));
            Err(error.into())
        }
    }
}

fn audit_forbidden() -> AppError {
    AppError::forbidden(Text::new(
        "Log audit hanya untuk operator kabupaten dan auditor.",
        "The audit log is for kabupaten operators and auditors only.",
    ))
}

/// A page of the audit log, newest first (kabupaten-wide operators and auditors).
#[utoipa::path(get, path = AUDIT_PATH, security(("staff_session" = [])), params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = ApiError),
        (status = 403, body = ApiError)))]
pub async fn audit_page(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Query(query): Query<AuditQuery>,
) -> Result<Response, AppError> {
    if !audit_view::may_read(&staff) {
        audit(&state, &staff, "audit_query", "audit".into(), "forbidden");
        return Err(audit_forbidden());
    }
    let (filter, page) =
        query.clean().map_err(|why| AppError::bad_request(ErrorCode::BadRequest, why))?;
    let store = state.store.clone();
    let mut entries = tokio::task::spawn_blocking(move || {
        store.search_audit(&filter, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
    })
    .await??;
    let more = entries.len() > PAGE_SIZE;
    entries.truncate(PAGE_SIZE);
    audit(&state, &staff, "audit_query", format!("page={page}"), "viewed");
    let entries = entries.into_iter().map(audit_view::line).collect();
    Ok(Json(AuditPage { page, entries, more }).into_response())
}

/// Everything the filter selects as CSV, newest first, streamed (chunked) a page at a
/// time: masked, formula cells defused; the export is audited with its filter.
#[utoipa::path(get, path = AUDIT_CSV_PATH, security(("staff_session" = [])), params(AuditQuery),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 400, body = ApiError), (status = 403, body = ApiError)))]
pub async fn audit_csv(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Query(query): Query<AuditQuery>,
) -> Result<Response, AppError> {
    if !audit_view::may_read(&staff) {
        audit(&state, &staff, "audit_export", "audit".into(), "forbidden");
        return Err(audit_forbidden());
    }
    let (filter, _) =
        query.clean().map_err(|why| AppError::bad_request(ErrorCode::BadRequest, why))?;
    let actor = format!("staff:{}", staff.username);
    Ok(crate::audit_export::export(state.store.clone(), filter, &actor, "audit_export")?)
}

/// The numbers of the console's charts, for the account's desa (kabupaten-wide: all).
#[utoipa::path(get, path = CHARTS_PATH, security(("staff_session" = [])),
    responses((status = 200, body = Charts), (status = 401, body = ApiError)))]
pub async fn charts(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
) -> Result<Response, AppError> {
    let (store, who) = (state.store.clone(), staff.clone());
    let charts = blocking(move || chart_data::charts(&store, &who)).await?;
    audit(&state, &staff, "charts", "charts".into(), "viewed");
    Ok(Json(charts).into_response())
}
