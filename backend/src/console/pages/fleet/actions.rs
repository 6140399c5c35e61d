//! The forms of a kiosk's page: its configuration (services, the notice in both languages,
//! the idle timeout) and a staff PIN set or reset. The kiosk in the path is input like any
//! other: one the account does not see answers 404, one it may only look at 403. The rules
//! and checks are `fleet_admin`'s, shared with the staff API; a change makes a new
//! configuration version, which the kiosk pulls, signed, after its next heartbeat. A PIN is
//! never shown again, nor written to the audit: only its label is.

use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use protocol::Text;

use super::{kiosk_href, read_kiosk, refusal, show};
use crate::console::reply;
use crate::console::session::ConsoleUser;
use crate::fleet_admin::{self, FleetError, PinInput, SettingsInput};
use crate::http::AppState;

pub(super) type Fields = Vec<(String, String)>;

pub(super) fn unreadable() -> Text {
    Text::new("Isian tidak dapat dibaca.", "The form could not be read.")
}

/// The configuration form: `services` once per ticked box.
fn settings_of(fields: &Fields) -> Result<SettingsInput, Text> {
    let value = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_default()
    };
    let idle = value("idle_timeout");
    let idle_timeout_seconds = idle.trim().parse::<u32>().map_err(|_| {
        Text::new(
            "Batas diam harus berupa angka detik.",
            "The idle timeout must be a number of seconds.",
        )
    })?;
    Ok(SettingsInput {
        services: fields
            .iter()
            .filter(|(key, _)| key == "services")
            .map(|(_, value)| value.clone())
            .collect(),
        notice_id: value("notice_id"),
        notice_en: value("notice_en"),
        idle_timeout_seconds,
    })
}

/// `POST /console/fleet/{kiosk}/config`.
pub(crate) async fn configure(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(id): Path<String>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    const ACTION: &str = "console_kiosk_config";
    let read = match read_kiosk(&state, &user, &id).await {
        Ok(read) => read,
        Err(error) => {
            reply::audit(&state, &user.actor(), ACTION, "kiosk", "not_found");
            return refusal(&state, &user, error);
        }
    };
    let subject = format!("kiosk:{}", read.0.kiosk.id);
    if !read.0.may_configure {
        reply::audit(&state, &user.actor(), ACTION, &subject, "forbidden");
        let why = Some((StatusCode::FORBIDDEN, FleetError::forbidden_text()));
        return show(&state, &user, read, None, why, None);
    }
    let Ok(Form(fields)) = form else {
        reply::audit(&state, &user.actor(), ACTION, &subject, "invalid");
        return show(
            &state,
            &user,
            read,
            None,
            Some((StatusCode::BAD_REQUEST, unreadable())),
            None,
        );
    };
    let input = match settings_of(&fields) {
        Ok(input) => input,
        Err(why) => {
            reply::audit(&state, &user.actor(), ACTION, &subject, "invalid");
            return show(&state, &user, read, None, Some((StatusCode::BAD_REQUEST, why)), None);
        }
    };
    let (store, staff, kiosk) = (state.store.clone(), user.staff.clone(), read.0.kiosk.id.clone());
    let letters = state.letters.for_kiosks();
    let typed = input.clone();
    let changed = tokio::task::spawn_blocking(move || {
        fleet_admin::configure(&store, &staff, &kiosk, &typed, &letters)
    })
    .await
    .unwrap_or(Err(FleetError::NotFound));
    match changed {
        Ok(changed) => {
            let subject = format!("{subject} version={}", changed.config_version);
            reply::audit(&state, &user.actor(), ACTION, &subject, "done");
            reply::redirect(&format!("{}?done=config", kiosk_href(&read.0.kiosk.id)))
        }
        Err(FleetError::Invalid(why)) => {
            reply::audit(&state, &user.actor(), ACTION, &subject, "invalid");
            show(&state, &user, read, None, Some((StatusCode::BAD_REQUEST, why)), Some(&input))
        }
        Err(error) => {
            reply::audit(&state, &user.actor(), ACTION, &subject, "refused");
            refusal(&state, &user, error)
        }
    }
}

/// `POST /console/fleet/{kiosk}/pin`.
pub(crate) async fn set_pin(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(id): Path<String>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    const ACTION: &str = "console_kiosk_pin";
    let read = match read_kiosk(&state, &user, &id).await {
        Ok(read) => read,
        Err(error) => {
            reply::audit(&state, &user.actor(), ACTION, "kiosk", "not_found");
            return refusal(&state, &user, error);
        }
    };
    let subject = format!("kiosk:{}", read.0.kiosk.id);
    if !read.0.may_configure {
        reply::audit(&state, &user.actor(), ACTION, &subject, "forbidden");
        let why = Some((StatusCode::FORBIDDEN, FleetError::forbidden_text()));
        return show(&state, &user, read, None, why, None);
    }
    let Ok(Form(fields)) = form else {
        reply::audit(&state, &user.actor(), ACTION, &subject, "invalid");
        return show(
            &state,
            &user,
            read,
            None,
            Some((StatusCode::BAD_REQUEST, unreadable())),
            None,
        );
    };
    let value = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_default()
    };
    let input = PinInput { label: value("label"), pin: value("pin") };
    let label: String = input.label.trim().chars().take(32).collect();
    let (store, staff, kiosk) = (state.store.clone(), user.staff.clone(), read.0.kiosk.id.clone());
    let letters = state.letters.for_kiosks();
    let changed = tokio::task::spawn_blocking(move || {
        fleet_admin::set_pin(&store, &staff, &kiosk, &input, &letters)
    })
    .await
    .unwrap_or(Err(FleetError::NotFound));
    let subject = format!("{subject} pin:{}", label.replace(char::is_control, " "));
    match changed {
        Ok(_) => {
            reply::audit(&state, &user.actor(), ACTION, &subject, "done");
            reply::redirect(&format!("{}?done=pin", kiosk_href(&read.0.kiosk.id)))
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
