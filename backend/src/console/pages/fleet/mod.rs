//! The fleet: `/console/fleet` lists the kiosks the account sees (a desa its own, the
//! kabupaten and auditors every one) with version, last heartbeat, printer, paper, door,
//! outbox and open alerts; `/console/fleet/{kiosk}` shows one with its recent heartbeats,
//! alerts and configuration, and, to the accounts that may change it
//! (`fleet_admin::may_configure`: kabupaten operators, and a desa's signers for its own
//! kiosks), the configuration and staff PIN forms ([`actions`]), a PIN's withdrawal and
//! the desa-wide PINs ([`pins`]). Another desa's kiosk answers 404 by URL and by form
//! alike.

mod actions;
mod pins;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use protocol::Text;
use protocol::fleet::{IDLE_TIMEOUT_RANGE, MAX_PIN, MIN_PIN, SERVICES, TEXT_MAX};
use serde::{Deserialize, Serialize};

use super::dashboard::{KioskView, kiosk_view};
use crate::console::layout::{self, Page, local_time};
use crate::console::reply::{self, Said};
use crate::console::session::ConsoleUser;
use crate::fleet_admin::{self, FleetError, FleetKioskDetail};
use crate::http::AppState;
pub(crate) use actions::{configure, set_pin};
pub(crate) use pins::{remove_desa_pin, remove_pin, set_desa_pin};

const LIST: Page = Page { template: "fleet.html", title: ("Kios", "Fleet"), nav: "fleet" };
const ONE: Page = Page { template: "kiosk.html", title: ("Kios", "Kiosk"), nav: "fleet" };

/// The page of one kiosk.
pub(crate) fn kiosk_href(id: &str) -> String {
    format!("/console/fleet/{id}")
}

#[derive(Serialize)]
struct Row {
    href: String,
    kiosk: KioskView,
    alerts: u64,
}

#[derive(Serialize)]
struct ListView {
    all: bool,
    kiosks: Vec<Row>,
    /// Open alerts over the listed kiosks, and where they are listed.
    open_alerts: u64,
    alerts_href: &'static str,
    desa_pins: pins::DesaPinsView,
    done: Option<Said>,
    error: Option<Said>,
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// A [`FleetError`] as the console answers it.
pub(crate) fn refusal(state: &AppState, user: &ConsoleUser, error: FleetError) -> Response {
    match error {
        FleetError::NotFound => reply::not_found(state, Some(user)),
        FleetError::Forbidden => reply::error_page(
            state,
            Some(user),
            StatusCode::FORBIDDEN,
            FleetError::forbidden_text(),
        ),
        FleetError::Invalid(why) => {
            reply::error_page(state, Some(user), StatusCode::BAD_REQUEST, why)
        }
        FleetError::Store(error) => reply::failure(state, Some(user), error.into()),
    }
}

/// `GET /console/fleet`.
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    done: Result<Query<Done>, QueryRejection>,
) -> Response {
    let done = done.ok().and_then(|Query(done)| done.done);
    list_page(&state, &user, done.as_deref().and_then(done_text), None).await
}

/// The fleet list, with what a desa PIN form just did or why it was refused.
pub(crate) async fn list_page(
    state: &AppState,
    user: &ConsoleUser,
    done: Option<Said>,
    error: Option<(StatusCode, Text)>,
) -> Response {
    let (store, staff) = (state.store.clone(), user.staff.clone());
    let read = tokio::task::spawn_blocking(move || {
        let kiosks = fleet_admin::fleet_states(&store, &staff)?;
        Ok::<_, FleetError>((kiosks, pins::desa_pins_view(&store, &staff)?))
    })
    .await;
    let (kiosks, desa_pins) = match read {
        Ok(Ok(read)) => read,
        Ok(Err(error)) => return refusal(state, user, error),
        Err(_) => return refusal(state, user, FleetError::NotFound),
    };
    reply::audit(
        state,
        &user.actor(),
        "console_fleet",
        &format!("{} kiosks", kiosks.len()),
        "listed",
    );
    let now = now();
    let view = ListView {
        all: user.staff.desa_code.is_none(),
        open_alerts: kiosks.iter().map(|(_, alerts)| alerts).sum(),
        alerts_href: super::alerts::PATH,
        kiosks: kiosks
            .iter()
            .map(|(kiosk, alerts)| Row {
                href: kiosk_href(&kiosk.id),
                kiosk: kiosk_view(kiosk, now),
                alerts: *alerts,
            })
            .collect(),
        desa_pins,
        done,
        error: error.as_ref().map(|(_, why)| Said::from(why.clone())),
    };
    let mut response = layout::render(state, Some(user), &LIST, &view);
    if let Some((status, _)) = error {
        *response.status_mut() = status;
    }
    response
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Done {
    done: Option<String>,
}

#[derive(Serialize)]
struct ServiceBox {
    code: &'static str,
    name: Said,
    on: bool,
}

#[derive(Serialize)]
struct LineView {
    at: String,
    summary: String,
    state: String,
}

#[derive(Serialize)]
struct AlertView {
    kind: String,
    detail: String,
    last_at: String,
    count: u64,
    open: bool,
    acknowledge: String,
    acknowledged: String,
    note: String,
}

#[derive(Serialize)]
struct DetailView {
    id: String,
    kiosk: KioskView,
    config_version: String,
    services: Vec<ServiceBox>,
    notice_id: String,
    notice_en: String,
    idle_timeout: u32,
    idle_min: u32,
    idle_max: u32,
    text_max: usize,
    pin_min: usize,
    pin_max: usize,
    pin_labels: Vec<String>,
    kiosk_pins: Vec<String>,
    desa_pins: Vec<String>,
    pin_remove_action: String,
    may_acknowledge: bool,
    heartbeats: Vec<LineView>,
    alerts: Vec<AlertView>,
    may_configure: bool,
    config_action: String,
    pin_action: String,
    done: Option<Said>,
    error: Option<Said>,
}

fn service_name(code: &str) -> Said {
    let (id, en) = match code {
        "status" => ("Cek status bantuan", "Aid status"),
        "report" => ("Laporan", "Reports"),
        "letter" => ("Surat", "Letters"),
        "track" => ("Lacak tiket", "Track a ticket"),
        "help" => ("Bantuan", "Help"),
        other => (other, other),
    };
    Said { id: id.into(), en: en.into() }
}

pub(crate) fn done_text(done: &str) -> Option<Said> {
    let (id, en) = match done {
        "config" => (
            "Konfigurasi disimpan; anjungan mengambilnya pada detak berikutnya.",
            "Configuration saved; the kiosk pulls it at its next heartbeat.",
        ),
        "pin" => (
            "PIN disimpan (hanya hash-nya); anjungan mengambilnya pada detak berikutnya.",
            "PIN saved (its hash only); the kiosk pulls it at its next heartbeat.",
        ),
        "pin_removed" => (
            "PIN dihapus; anjungan tidak menerimanya lagi sejak detak berikutnya.",
            "PIN removed; the kiosk stops accepting it from its next heartbeat.",
        ),
        "desa_pin" => (
            "PIN desa disimpan (hanya hash-nya); setiap anjungan desa itu mengambilnya.",
            "Desa PIN saved (its hash only); every kiosk of the desa pulls it.",
        ),
        "desa_pin_removed" => (
            "PIN desa dihapus dari setiap anjungan desa itu.",
            "Desa PIN removed from every kiosk of the desa.",
        ),
        "ack" => ("Peringatan ditandai sudah dilihat.", "Alert acknowledged."),
        _ => return None,
    };
    Some(Said { id: id.into(), en: en.into() })
}

/// The kiosk `id` as the account sees it, read on the blocking pool.
pub(crate) async fn read_kiosk(
    state: &AppState,
    user: &ConsoleUser,
    id: &str,
) -> Result<(FleetKioskDetail, crate::store::KioskState), FleetError> {
    let (store, staff, id) = (state.store.clone(), user.staff.clone(), id.to_owned());
    let letters = state.letters.for_kiosks();
    tokio::task::spawn_blocking(move || {
        fleet_admin::kiosk_with_state(&store, &staff, &id, &letters)
    })
    .await
    .map_err(|_| FleetError::NotFound)?
}

/// The page of one kiosk, with what a form just did or why it was refused; the form's
/// own input is shown again when it was refused.
pub(crate) fn show(
    state: &AppState,
    user: &ConsoleUser,
    read: (FleetKioskDetail, crate::store::KioskState),
    done: Option<Said>,
    error: Option<(StatusCode, Text)>,
    typed: Option<&fleet_admin::SettingsInput>,
) -> Response {
    let (detail, kiosk_state) = read;
    let desa = detail.kiosk.desa_code;
    let services = match typed {
        Some(input) => input.services.clone(),
        None => detail.services.clone(),
    };
    let view = DetailView {
        id: detail.kiosk.id.clone(),
        kiosk: kiosk_view(&kiosk_state, now()),
        config_version: detail.config_version.clone(),
        services: SERVICES
            .iter()
            .map(|code| ServiceBox {
                code,
                name: service_name(code),
                on: services.iter().any(|s| s == code),
            })
            .collect(),
        notice_id: typed
            .map(|input| input.notice_id.clone())
            .or(detail.notice_id.clone())
            .unwrap_or_default(),
        notice_en: typed
            .map(|input| input.notice_en.clone())
            .or(detail.notice_en.clone())
            .unwrap_or_default(),
        idle_timeout: typed.map_or(detail.idle_timeout_seconds, |input| input.idle_timeout_seconds),
        idle_min: *IDLE_TIMEOUT_RANGE.start(),
        idle_max: *IDLE_TIMEOUT_RANGE.end(),
        text_max: TEXT_MAX,
        pin_min: MIN_PIN,
        pin_max: MAX_PIN,
        pin_labels: detail.pin_labels.clone(),
        kiosk_pins: detail.kiosk_pin_labels.clone(),
        desa_pins: detail.desa_pin_labels.clone(),
        pin_remove_action: format!("{}/pin/remove", kiosk_href(&detail.kiosk.id)),
        may_acknowledge: fleet_admin::alerts::may_acknowledge(&user.staff),
        heartbeats: detail
            .heartbeats
            .iter()
            .map(|line| LineView {
                at: local_time(&line.at, desa),
                summary: line.summary.clone(),
                state: line.state.clone(),
            })
            .collect(),
        alerts: detail
            .alerts
            .iter()
            .map(|alert| AlertView {
                kind: alert.kind.clone(),
                detail: alert.detail.clone(),
                last_at: local_time(&alert.last_at, desa),
                count: alert.count,
                open: alert.open,
                acknowledge: super::alerts::acknowledge_href(&alert.id),
                acknowledged: match (&alert.acknowledged_by, &alert.acknowledged_at) {
                    (Some(by), Some(at)) => format!("{by}, {}", local_time(at, desa)),
                    _ => String::new(),
                },
                note: alert.note.clone().unwrap_or_default(),
            })
            .collect(),
        may_configure: detail.may_configure,
        config_action: format!("{}/config", kiosk_href(&detail.kiosk.id)),
        pin_action: format!("{}/pin", kiosk_href(&detail.kiosk.id)),
        done,
        error: error.as_ref().map(|(_, why)| Said::from(why.clone())),
    };
    let mut response = layout::render(state, Some(user), &ONE, &view);
    if let Some((status, _)) = error {
        *response.status_mut() = status;
    }
    response
}

/// `GET /console/fleet/{kiosk}`.
pub(crate) async fn detail(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(id): Path<String>,
    done: Result<Query<Done>, QueryRejection>,
) -> Response {
    let read = match read_kiosk(&state, &user, &id).await {
        Ok(read) => read,
        Err(error) => {
            let outcome = if matches!(error, FleetError::NotFound) { "not_found" } else { "error" };
            reply::audit(&state, &user.actor(), "console_kiosk", "kiosk", outcome);
            return refusal(&state, &user, error);
        }
    };
    reply::audit(
        &state,
        &user.actor(),
        "console_kiosk",
        &format!("kiosk:{}", read.0.kiosk.id),
        "viewed",
    );
    let done = done.ok().and_then(|Query(done)| done.done);
    let done = done.as_deref().and_then(done_text);
    show(&state, &user, read, done, None, None)
}
