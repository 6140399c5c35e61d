//! Alerts over the staff API: the list by state (open, acknowledged, all) and the
//! acknowledgement, with the console's rules (`fleet_admin::alerts`): a desa account sees
//! and acknowledges its own kiosks' alerts, and another desa's alert is 404. Audited as
//! `staff:<username>`; the note is kept with the alert, not in the audit.

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::response::{IntoResponse, Response};
use protocol::Text;
use protocol::api::{ApiError, ErrorCode};

use super::error::{ApiJson, JsonBody};
use super::fleet_staff::{audit, blocking, outcome_of};
use super::staff::Staff;
use super::{AppError, AppState};
use crate::fleet_admin::FleetError;
use crate::fleet_admin::alerts::{self, AcknowledgeInput, AlertList, AlertQuery, AlertView};

pub const ALERTS_PATH: &str = "/api/v1/staff/alerts";
pub const ALERT_ACKNOWLEDGE_PATH: &str = "/api/v1/staff/alerts/{id}/acknowledge";

impl JsonBody for AcknowledgeInput {
    const NAME_ID: &'static str = "Tanda dilihat";
    const NAME_EN: &'static str = "The acknowledgement";
}

fn refused(error: FleetError) -> AppError {
    match error {
        FleetError::NotFound => AppError::not_found(
            ErrorCode::NotFound,
            Text::new("Peringatan tidak ditemukan.", "No such alert."),
        ),
        FleetError::Forbidden => AppError::forbidden(Text::new(
            "Auditor hanya dapat membaca peringatan.",
            "Auditors may only read alerts.",
        )),
        other => other.into(),
    }
}

/// The alerts the account sees in a state: `open` (the default), `acknowledged` (the
/// history, with who, when and the note) or `all`; newest first.
#[utoipa::path(get, path = ALERTS_PATH, security(("staff_session" = [])), params(AlertQuery),
    responses((status = 200, body = AlertList), (status = 400, body = ApiError),
        (status = 401, body = ApiError)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Query(query): Query<AlertQuery>,
) -> Result<Response, AppError> {
    let wanted = query.clean().map_err(refused)?;
    let (store, who) = (state.store.clone(), staff.clone());
    let list = blocking(move || alerts::alerts(&store, &who, wanted)).await.map_err(refused)?;
    let subject = format!("state={} {} alerts", wanted.as_str(), list.len());
    audit(&state, &staff, "alerts", subject, "listed");
    Ok(Json(AlertList { alerts: list }).into_response())
}

/// Acknowledges an open alert with an optional note (at most 200 characters): it leaves
/// the open list and stays in the history. Staff of the kiosk's desa or the kabupaten;
/// auditors read only.
#[utoipa::path(post, path = ALERT_ACKNOWLEDGE_PATH, security(("staff_session" = [])),
    params(("id" = String, Path)), request_body = AcknowledgeInput,
    responses((status = 200, body = AlertView), (status = 400, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn acknowledge(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AcknowledgeInput>,
) -> Result<Response, AppError> {
    let subject: String = id.chars().filter(char::is_ascii_hexdigit).take(64).collect();
    let subject = format!("alert:{subject}");
    let (store, who) = (state.store.clone(), staff.clone());
    let by = format!("staff:{}", staff.username);
    let done = blocking(move || alerts::acknowledge(&store, &who, &id, &by, &input.note)).await;
    match done {
        Ok(alert) => {
            audit(&state, &staff, "alert_acknowledge", subject, "done");
            Ok(Json(alert).into_response())
        }
        Err(error) => {
            audit(&state, &staff, "alert_acknowledge", subject, outcome_of(&error));
            Err(refused(error))
        }
    }
}
