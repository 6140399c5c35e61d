//! Alerts: `/console/alerts` lists the alerts the account sees (a desa its own kiosks', the
//! kabupaten every one), open by default, the history (`?state=acknowledged`) with who
//! acknowledged each, when and their note; an open alert is acknowledged with a form, here
//! or on its kiosk's page. The rules are `fleet_admin::alerts`, shared with the staff API:
//! another desa's alert answers 404, by URL and by form alike; auditors read only.

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Extension, Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use protocol::Text;
use serde::{Deserialize, Serialize};

use super::fleet::{done_text, kiosk_href};
use crate::console::layout::{self, Page, local_time};
use crate::console::reply::{self, Said};
use crate::console::session::ConsoleUser;
use crate::fleet_admin::FleetError;
use crate::fleet_admin::alerts::{self, AlertQuery, AlertView, NOTE_MAX};
use crate::http::AppState;
use crate::store::AlertState;

pub(crate) const PATH: &str = "/console/alerts";
const PAGE: Page = Page { template: "alerts.html", title: ("Peringatan", "Alerts"), nav: "fleet" };

/// Where alert `id`'s acknowledgement form posts.
pub(crate) fn acknowledge_href(id: &str) -> String {
    format!("{PATH}/{id}/acknowledge")
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Asked {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

#[derive(Serialize)]
struct Row {
    kind: String,
    kiosk: Option<String>,
    kiosk_href: Option<String>,
    subject: String,
    desa: String,
    detail: String,
    last_at: String,
    count: u64,
    open: bool,
    acknowledge: String,
    acknowledged: String,
    note: String,
}

#[derive(Serialize)]
struct Tab {
    href: String,
    name: Said,
    current: bool,
}

#[derive(Serialize)]
struct AlertsView {
    state: &'static str,
    tabs: Vec<Tab>,
    alerts: Vec<Row>,
    may_acknowledge: bool,
    note_max: usize,
    done: Option<Said>,
    error: Option<Said>,
}

fn row(alert: AlertView) -> Row {
    let desa = alert.desa_code;
    Row {
        kiosk_href: alert.kiosk.as_deref().map(kiosk_href),
        kiosk: alert.kiosk,
        subject: alert.subject,
        desa: desa.map(super::dashboard::village).unwrap_or_else(|| "-".into()),
        detail: alert.detail,
        last_at: local_time(&alert.last_at, desa),
        count: alert.count,
        open: alert.open,
        acknowledge: acknowledge_href(&alert.id),
        acknowledged: match (alert.acknowledged_by, alert.acknowledged_at) {
            (Some(by), Some(at)) => format!("{by}, {}", local_time(&at, desa)),
            _ => String::new(),
        },
        note: alert.note.unwrap_or_default(),
        kind: alert.kind,
    }
}

fn tabs(current: AlertState) -> Vec<Tab> {
    [
        (AlertState::Open, "Terbuka", "Open"),
        (AlertState::Acknowledged, "Riwayat", "History"),
        (AlertState::All, "Semua", "All"),
    ]
    .into_iter()
    .map(|(state, id, en)| Tab {
        href: format!("{PATH}?state={}", state.as_str()),
        name: Said { id: id.into(), en: en.into() },
        current: state == current,
    })
    .collect()
}

/// The list in `wanted`, with what a form just did or why it was refused.
async fn render(
    state: &AppState,
    user: &ConsoleUser,
    wanted: AlertState,
    done: Option<Said>,
    error: Option<(StatusCode, Text)>,
) -> Response {
    let (store, staff) = (state.store.clone(), user.staff.clone());
    let read = reply::blocking(move || {
        alerts::alerts(&store, &staff, wanted).map_err(|error| match error {
            FleetError::Store(error) => error,
            other => crate::store::StoreError::Invalid(other.to_string()),
        })
    })
    .await;
    let list = match read {
        Ok(list) => list,
        Err(error) => return reply::failure(state, Some(user), error),
    };
    let subject = format!("state={} {} alerts", wanted.as_str(), list.len());
    reply::audit(state, &user.actor(), "console_alerts", &subject, "listed");
    let view = AlertsView {
        state: wanted.as_str(),
        tabs: tabs(wanted),
        alerts: list.into_iter().map(row).collect(),
        may_acknowledge: alerts::may_acknowledge(&user.staff),
        note_max: NOTE_MAX,
        done,
        error: error.as_ref().map(|(_, why)| Said::from(why.clone())),
    };
    let mut response = layout::render(state, Some(user), &PAGE, &view);
    if let Some((status, _)) = error {
        *response.status_mut() = status;
    }
    response
}

/// `GET /console/alerts?state=open|acknowledged|all`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    asked: Result<Query<Asked>, QueryRejection>,
) -> Response {
    let asked = asked.map(|Query(asked)| asked).unwrap_or_default();
    let wanted = match (AlertQuery { state: asked.state }).clean() {
        Ok(wanted) => wanted,
        Err(FleetError::Invalid(why)) => {
            reply::audit(&state, &user.actor(), "console_alerts", "alerts", "invalid");
            return render(
                &state,
                &user,
                AlertState::Open,
                None,
                Some((StatusCode::BAD_REQUEST, why)),
            )
            .await;
        }
        Err(error) => return super::fleet::refusal(&state, &user, error),
    };
    let done = asked.done.as_deref().and_then(done_text);
    render(&state, &user, wanted, done, None).await
}

/// `POST /console/alerts/{id}/acknowledge`: `note` (optional), and `back=kiosk` to return
/// to the alert's kiosk page rather than the list.
pub(crate) async fn acknowledge(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    const ACTION: &str = "console_alert_acknowledge";
    let subject: String = id.chars().filter(char::is_ascii_hexdigit).take(64).collect();
    let subject = format!("alert:{subject}");
    let Ok(Form(fields)) = form else {
        reply::audit(&state, &user.actor(), ACTION, &subject, "invalid");
        let why = Text::new("Isian tidak dapat dibaca.", "The form could not be read.");
        return render(&state, &user, AlertState::Open, None, Some((StatusCode::BAD_REQUEST, why)))
            .await;
    };
    let value = |name: &str| {
        fields.iter().find(|(key, _)| key == name).map(|(_, v)| v.clone()).unwrap_or_default()
    };
    let (note, back) = (value("note"), value("back"));
    let (store, staff, by) = (state.store.clone(), user.staff.clone(), user.actor());
    let done =
        tokio::task::spawn_blocking(move || alerts::acknowledge(&store, &staff, &id, &by, &note))
            .await
            .unwrap_or(Err(FleetError::NotFound));
    match done {
        Ok(alert) => {
            reply::audit(&state, &user.actor(), ACTION, &subject, "done");
            match alert.kiosk.as_deref() {
                Some(kiosk) if back == "kiosk" => {
                    reply::redirect(&format!("{}?done=ack", kiosk_href(kiosk)))
                }
                _ => reply::redirect(&format!("{PATH}?done=ack")),
            }
        }
        Err(FleetError::Invalid(why)) => {
            reply::audit(&state, &user.actor(), ACTION, &subject, "invalid");
            render(&state, &user, AlertState::Open, None, Some((StatusCode::BAD_REQUEST, why)))
                .await
        }
        Err(FleetError::Forbidden) => {
            reply::audit(&state, &user.actor(), ACTION, &subject, "forbidden");
            let why = Text::new(
                "Auditor hanya dapat membaca peringatan.",
                "Auditors may only read alerts.",
            );
            render(&state, &user, AlertState::Open, None, Some((StatusCode::FORBIDDEN, why))).await
        }
        Err(error) => {
            let outcome = if matches!(error, FleetError::NotFound) { "not_found" } else { "error" };
            reply::audit(&state, &user.actor(), ACTION, &subject, outcome);
            super::fleet::refusal(&state, &user, error)
        }
    }
}
