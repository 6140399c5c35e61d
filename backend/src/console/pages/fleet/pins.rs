//! Withdrawing a staff PIN from a kiosk's page, and the desa-wide PINs of the fleet page
//! (set, withdraw). A removal asks for its box "Ya, hapus" to be ticked, so a stray click
//! removes nothing (the browser insists before sending; the server checks again). The
//! desa in a form is input like any other: another desa's answers 404, a desa the account
//! sees but may not change 403. Audited with the label, never the PIN.

use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use protocol::Text;
use protocol::fleet::{MAX_PIN, MIN_PIN};
use serde::Serialize;

use super::actions::{Fields, unreadable};
use super::{kiosk_href, list_page, read_kiosk, refusal, show};
use crate::console::pages::dashboard::village;
use crate::console::reply;
use crate::console::session::ConsoleUser;
use crate::fleet_admin::{self, DesaPinInput, DesaPinLabel, FleetError, may_configure};
use crate::http::AppState;
use crate::store::{StaffRecord, StaffRole, Store};

const SET_PATH: &str = "/console/fleet-pins";
const REMOVE_PATH: &str = "/console/fleet-pins/remove";

#[derive(Serialize)]
pub(super) struct DesaPinRow {
    desa_code: u64,
    desa: String,
    label: String,
}

/// The desa PIN section of the fleet page.
#[derive(Serialize)]
pub(super) struct DesaPinsView {
    /// Whether the account may set and withdraw desa PINs (of its desa, or of any).
    may_change: bool,
    /// A desa account's own desa, sent by the form without a choice.
    own_desa: Option<u64>,
    pins: Vec<DesaPinRow>,
    set_action: &'static str,
    remove_action: &'static str,
    pin_min: usize,
    pin_max: usize,
}

/// Whether `staff` may change some desa's PINs: kabupaten operators any, a signer its own.
fn may_change(staff: &StaffRecord) -> bool {
    match staff.desa_code {
        None => staff.role == StaffRole::Kabupaten,
        Some(desa) => may_configure(staff, Some(desa)),
    }
}

pub(super) fn desa_pins_view(
    store: &Store,
    staff: &StaffRecord,
) -> Result<DesaPinsView, FleetError> {
    let pins = fleet_admin::desa_pins(store, staff)?;
    Ok(DesaPinsView {
        may_change: may_change(staff),
        own_desa: staff.desa_code,
        pins: pins
            .pins
            .into_iter()
            .map(|pin| DesaPinRow {
                desa: village(pin.desa_code),
                desa_code: pin.desa_code,
                label: pin.label,
            })
            .collect(),
        set_action: SET_PATH,
        remove_action: REMOVE_PATH,
        pin_min: MIN_PIN,
        pin_max: MAX_PIN,
    })
}

fn value(fields: &Fields, name: &str) -> String {
    fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone()).unwrap_or_default()
}

fn confirmed(fields: &Fields) -> bool {
    value(fields, "confirm") == "yes"
}

/// A label as the audit may hold it.
fn label_of(label: &str) -> String {
    label.trim().chars().filter(|c| !c.is_control()).take(32).collect()
}

/// `POST /console/fleet/{kiosk}/pin/remove`: `label`, and `confirm=yes`.
pub(crate) async fn remove_pin(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(id): Path<String>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    const ACTION: &str = "console_kiosk_pin_remove";
    let read = match read_kiosk(&state, &user, &id).await {
        Ok(read) => read,
        Err(error) => {
            reply::audit(&state, &user.actor(), ACTION, "kiosk", "not_found");
            return refusal(&state, &user, error);
        }
    };
    let kiosk = read.0.kiosk.id.clone();
    let Ok(Form(fields)) = form else {
        reply::audit(&state, &user.actor(), ACTION, &format!("kiosk:{kiosk}"), "invalid");
        return show(
            &state,
            &user,
            read,
            None,
            Some((StatusCode::BAD_REQUEST, unreadable())),
            None,
        );
    };
    let label = value(&fields, "label");
    let subject = format!("kiosk:{kiosk} pin:{}", label_of(&label));
    if !read.0.may_configure {
        reply::audit(&state, &user.actor(), ACTION, &subject, "forbidden");
        let why = Some((StatusCode::FORBIDDEN, FleetError::forbidden_text()));
        return show(&state, &user, read, None, why, None);
    }
    if !confirmed(&fields) {
        reply::audit(&state, &user.actor(), ACTION, &subject, "unconfirmed");
        let why = Some((StatusCode::BAD_REQUEST, fleet_admin::unconfirmed()));
        return show(&state, &user, read, None, why, None);
    }
    let (store, staff, target) = (state.store.clone(), user.staff.clone(), kiosk.clone());
    let letters = state.letters.for_kiosks();
    let removed = tokio::task::spawn_blocking(move || {
        fleet_admin::remove_pin(&store, &staff, &target, &label, &letters)
    })
    .await
    .unwrap_or(Err(FleetError::NotFound));
    match removed {
        Ok(changed) => {
            let subject = format!("{subject} version={}", changed.config_version);
            reply::audit(&state, &user.actor(), ACTION, &subject, "done");
            reply::redirect(&format!("{}?done=pin_removed", kiosk_href(&kiosk)))
        }
        Err(FleetError::Invalid(why)) => {
            reply::audit(&state, &user.actor(), ACTION, &subject, "invalid");
            show(&state, &user, read, None, Some((StatusCode::BAD_REQUEST, why)), None)
        }
        Err(error) => {
            reply::audit(&state, &user.actor(), ACTION, &subject, "refused");
            refusal(&state, &user, error)
        }
    }
}

/// A desa PIN form's desa, its label, and the audit subject naming both (the label, never
/// the PIN).
fn desa_pin_form(user: &ConsoleUser, fields: &Fields) -> (Result<u64, FleetError>, String, String) {
    let label = value(fields, "label");
    let desa = desa_of(user, fields);
    let subject = match &desa {
        Ok(desa) => format!("desa:{desa} pin:{}", label_of(&label)),
        Err(_) => format!("desa pin:{}", label_of(&label)),
    };
    (desa, label, subject)
}

/// The desa a form names: a desa account's own when it names none.
fn desa_of(user: &ConsoleUser, fields: &Fields) -> Result<u64, FleetError> {
    let typed = value(fields, "desa");
    match (typed.trim(), user.staff.desa_code) {
        ("", Some(own)) => Ok(own),
        (text, _) => text.parse().map_err(|_| {
            FleetError::Invalid(Text::new(
                "Kode desa harus 10 angka.",
                "The desa code must be 10 digits.",
            ))
        }),
    }
}

/// What a desa PIN form's change answered, as the fleet page shows it.
async fn answered(
    state: &AppState,
    user: &ConsoleUser,
    action: &str,
    subject: &str,
    done: &str,
    result: Result<(), FleetError>,
) -> Response {
    match result {
        Ok(()) => {
            reply::audit(state, &user.actor(), action, subject, "done");
            reply::redirect(&format!("/console/fleet?done={done}"))
        }
        Err(FleetError::Invalid(why)) => {
            reply::audit(state, &user.actor(), action, subject, "invalid");
            list_page(state, user, None, Some((StatusCode::BAD_REQUEST, why))).await
        }
        Err(FleetError::Forbidden) => {
            reply::audit(state, &user.actor(), action, subject, "forbidden");
            let why = (StatusCode::FORBIDDEN, FleetError::forbidden_text());
            list_page(state, user, None, Some(why)).await
        }
        Err(error) => {
            let outcome = if matches!(error, FleetError::NotFound) { "not_found" } else { "error" };
            reply::audit(state, &user.actor(), action, subject, outcome);
            refusal(state, user, error)
        }
    }
}

/// `POST /console/fleet-pins`: `desa` (a desa account may leave it out), `label`, `pin`.
pub(crate) async fn set_desa_pin(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    const ACTION: &str = "console_desa_pin";
    let Ok(Form(fields)) = form else {
        reply::audit(&state, &user.actor(), ACTION, "desa", "invalid");
        return list_page(&state, &user, None, Some((StatusCode::BAD_REQUEST, unreadable()))).await;
    };
    let (desa, label, subject) = desa_pin_form(&user, &fields);
    let result = match desa {
        Ok(desa_code) => {
            let input = DesaPinInput { desa_code, label, pin: value(&fields, "pin") };
            let (store, staff) = (state.store.clone(), user.staff.clone());
            tokio::task::spawn_blocking(move || {
                fleet_admin::set_desa_pin(&store, &staff, &input).map(|_| ())
            })
            .await
            .unwrap_or(Err(FleetError::NotFound))
        }
        Err(error) => Err(error),
    };
    answered(&state, &user, ACTION, &subject, "desa_pin", result).await
}

/// `POST /console/fleet-pins/remove`: `desa`, `label`, and `confirm=yes`.
pub(crate) async fn remove_desa_pin(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    const ACTION: &str = "console_desa_pin_remove";
    let Ok(Form(fields)) = form else {
        reply::audit(&state, &user.actor(), ACTION, "desa", "invalid");
        return list_page(&state, &user, None, Some((StatusCode::BAD_REQUEST, unreadable()))).await;
    };
    let (desa, label, subject) = desa_pin_form(&user, &fields);
    let result = match desa {
        Ok(desa_code) => {
            if let Err(error) = fleet_admin::desa_changeable(&user.staff, desa_code) {
                return answered(&state, &user, ACTION, &subject, "", Err(error)).await;
            }
            if !confirmed(&fields) {
                let why = FleetError::Invalid(fleet_admin::unconfirmed());
                return answered(&state, &user, ACTION, &subject, "", Err(why)).await;
            }
            let input = DesaPinLabel { desa_code, label };
            let (store, staff) = (state.store.clone(), user.staff.clone());
            tokio::task::spawn_blocking(move || {
                fleet_admin::remove_desa_pin(&store, &staff, &input).map(|_| ())
            })
            .await
            .unwrap_or(Err(FleetError::NotFound))
        }
        Err(error) => Err(error),
    };
    answered(&state, &user, ACTION, &subject, "desa_pin_removed", result).await
}
