//! Staff PINs over the staff API: withdrawing one of a kiosk's own PINs, and the desa-wide
//! PINs every kiosk of a desa accepts (listed by label, set, withdrawn). The rules are
//! `fleet_admin`'s, shared with the console; every request is audited as
//! `staff:<username>` with the PIN's label, never the PIN.

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};
use protocol::api::ApiError;

use super::error::{ApiJson, JsonBody};
use super::fleet_staff::{audit, blocking, outcome_of};
use super::staff::Staff;
use super::{AppError, AppState};
use crate::fleet_admin::{self, ConfigChanged, DesaPinInput, DesaPinLabel, DesaPins, PinLabel};

pub const FLEET_PIN_REMOVE_PATH: &str = "/api/v1/staff/fleet/{kiosk}/pin/remove";
pub const DESA_PINS_PATH: &str = "/api/v1/staff/desa-pins";
pub const DESA_PIN_REMOVE_PATH: &str = "/api/v1/staff/desa-pins/remove";

impl JsonBody for PinLabel {
    const NAME_ID: &'static str = "PIN";
    const NAME_EN: &'static str = "The PIN";
}

impl JsonBody for DesaPinInput {
    const NAME_ID: &'static str = "PIN desa";
    const NAME_EN: &'static str = "The desa PIN";
}

impl JsonBody for DesaPinLabel {
    const NAME_ID: &'static str = "PIN desa";
    const NAME_EN: &'static str = "The desa PIN";
}

/// A label as the audit may hold it.
fn label_of(label: &str) -> String {
    label.trim().chars().filter(|c| !c.is_control()).take(32).collect()
}

/// Withdraws one of a kiosk's own staff PINs; its next configuration no longer carries it.
#[utoipa::path(post, path = FLEET_PIN_REMOVE_PATH, security(("staff_session" = [])),
    params(("kiosk" = String, Path)), request_body = PinLabel,
    responses((status = 200, body = ConfigChanged), (status = 400, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn remove_pin(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PinLabel>,
) -> Result<Response, AppError> {
    let subject =
        if protocol::auth::valid_kiosk_id(&id) { format!("kiosk:{id}") } else { "kiosk".into() };
    let subject = format!("{subject} pin:{}", label_of(&input.label));
    let (store, who) = (state.store.clone(), staff.clone());
    let letters = state.letters.for_kiosks();
    let changed =
        blocking(move || fleet_admin::remove_pin(&store, &who, &id, &input.label, &letters)).await;
    match changed {
        Ok(changed) => {
            audit(&state, &staff, "fleet_pin_remove", subject, "done");
            Ok(Json(changed).into_response())
        }
        Err(error) => {
            audit(&state, &staff, "fleet_pin_remove", subject, outcome_of(&error));
            Err(error.into())
        }
    }
}

/// The desa-wide PINs the account sees, by desa and label (a desa account its own desa's).
#[utoipa::path(get, path = DESA_PINS_PATH, security(("staff_session" = [])),
    responses((status = 200, body = DesaPins), (status = 401, body = ApiError)))]
pub async fn desa_pins(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
) -> Result<Response, AppError> {
    let (store, who) = (state.store.clone(), staff.clone());
    let pins = blocking(move || fleet_admin::desa_pins(&store, &who)).await?;
    audit(&state, &staff, "desa_pins", format!("{} pins", pins.pins.len()), "listed");
    Ok(Json(pins).into_response())
}

/// Sets (or resets) a PIN every kiosk of the desa accepts (kabupaten operators; the desa's
/// signers for their own desa). Another desa is 404.
#[utoipa::path(post, path = DESA_PINS_PATH, security(("staff_session" = [])),
    request_body = DesaPinInput,
    responses((status = 200, body = DesaPins), (status = 400, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn set_desa_pin(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    ApiJson(input): ApiJson<DesaPinInput>,
) -> Result<Response, AppError> {
    let subject = format!("desa:{} pin:{}", input.desa_code, label_of(&input.label));
    let (store, who) = (state.store.clone(), staff.clone());
    let changed = blocking(move || fleet_admin::set_desa_pin(&store, &who, &input)).await;
    match changed {
        Ok(pins) => {
            audit(&state, &staff, "desa_pin", subject, "done");
            Ok(Json(pins).into_response())
        }
        Err(error) => {
            audit(&state, &staff, "desa_pin", subject, outcome_of(&error));
            Err(error.into())
        }
    }
}

/// Withdraws a desa-wide PIN; every kiosk of the desa stops accepting it at its next pull.
#[utoipa::path(post, path = DESA_PIN_REMOVE_PATH, security(("staff_session" = [])),
    request_body = DesaPinLabel,
    responses((status = 200, body = DesaPins), (status = 400, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn remove_desa_pin(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    ApiJson(input): ApiJson<DesaPinLabel>,
) -> Result<Response, AppError> {
    let subject = format!("desa:{} pin:{}", input.desa_code, label_of(&input.label));
    let (store, who) = (state.store.clone(), staff.clone());
    let changed = blocking(move || fleet_admin::remove_desa_pin(&store, &who, &input)).await;
    match changed {
        Ok(pins) => {
            audit(&state, &staff, "desa_pin_remove", subject, "done");
            Ok(Json(pins).into_response())
        }
        Err(error) => {
            audit(&state, &staff, "desa_pin_remove", subject, outcome_of(&error));
            Err(error.into())
        }
    }
}
