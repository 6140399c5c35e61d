//! Charts: `/console/charts` shows recipients per program and per desa, reports per day
//! and kiosk uptime, each an SVG image drawn on the server (`console::svg`) at
//! `/console/charts/{name}.svg` with its numbers in a table under it. Limited to the
//! account's desa (every desa for kabupaten-wide accounts); each view is audited.

use axum::extract::{Extension, Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::chart_data::{self, Charts};
use crate::console::layout::{self, Page};
use crate::console::reply;
use crate::console::session::ConsoleUser;
use crate::console::svg;
use crate::http::AppState;

const PAGE: Page = Page { template: "charts.html", title: ("Grafik", "Charts"), nav: "charts" };

/// The charts, by the name of their image.
const NAMES: [&str; 4] = ["programs.svg", "desas.svg", "reports.svg", "uptime.svg"];

async fn read(state: &AppState, user: &ConsoleUser) -> Result<Charts, Response> {
    let (store, staff) = (state.store.clone(), user.staff.clone());
    match tokio::task::spawn_blocking(move || chart_data::charts(&store, &staff)).await {
        Ok(Ok(charts)) => Ok(charts),
        Ok(Err(error)) => Err(super::fleet::refusal(state, user, error)),
        Err(_) => Err(reply::not_found(state, Some(user))),
    }
}

#[derive(Serialize)]
struct UptimeRow {
    kiosk: String,
    cells: Vec<String>,
}

#[derive(Serialize)]
struct ChartsView {
    /// Whether any day of the reports chart has one.
    any_reports: bool,
    charts: Charts,
    uptime_rows: Vec<UptimeRow>,
    uptime_days: Vec<String>,
}

/// `GET /console/charts`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
) -> Response {
    let charts = match read(&state, &user).await {
        Ok(charts) => charts,
        Err(response) => return response,
    };
    reply::audit(&state, &user.actor(), "console_charts", "charts", "viewed");
    let uptime_rows = charts
        .uptime
        .iter()
        .map(|kiosk| UptimeRow {
            kiosk: kiosk.kiosk.clone(),
            cells: kiosk.percent.iter().map(|p| format!("{p}%")).collect(),
        })
        .collect();
    // The table's header: day and month only.
    let uptime_days = charts.uptime_days.iter().map(|day| short_day(day)).collect();
    let any_reports = charts.reports.iter().any(|day| day.count > 0);
    let view = ChartsView { any_reports, charts, uptime_rows, uptime_days };
    layout::render(&state, Some(&user), &PAGE, &view)
}

/// `2026-12-07` as `07-12`.
fn short_day(day: &str) -> String {
    match (day.get(5..7), day.get(8..10)) {
        (Some(month), Some(d)) => format!("{d}-{month}"),
        _ => day.to_owned(),
    }
}

/// The SVG of chart `name`.
pub(crate) fn draw(charts: &Charts, name: &str) -> Option<String> {
    Some(match name {
        "programs.svg" => svg::bars(
            "Penerima aktif per program · Active recipients per program",
            &charts.programs.iter().map(|b| (b.label.clone(), b.value)).collect::<Vec<_>>(),
        ),
        "desas.svg" => svg::bars(
            "Penerima aktif per desa · Active recipients per desa",
            &charts.desas.iter().map(|b| (b.label.clone(), b.value)).collect::<Vec<_>>(),
        ),
        "reports.svg" => svg::lines(
            "Laporan per hari · Reports per day",
            &charts.reports.iter().map(|d| short_day(&d.day)).collect::<Vec<_>>(),
            &[(
                "Laporan · Reports".to_owned(),
                charts.reports.iter().map(|d| d.count as f64).collect(),
            )],
            None,
            "",
        ),
        "uptime.svg" => svg::lines(
            "Waktu aktif anjungan · Kiosk uptime",
            &charts.uptime_days.iter().map(|d| short_day(d)).collect::<Vec<_>>(),
            &charts.uptime.iter().map(|k| (k.kiosk.clone(), k.percent.clone())).collect::<Vec<_>>(),
            Some(100.0),
            "%",
        ),
        _ => return None,
    })
}

/// `GET /console/charts/{name}`: one chart as `image/svg+xml`.
pub(crate) async fn image(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(name): Path<String>,
) -> Response {
    if !NAMES.contains(&name.as_str()) {
        return reply::not_found(&state, Some(&user));
    }
    let charts = match read(&state, &user).await {
        Ok(charts) => charts,
        Err(response) => return response,
    };
    let Some(drawn) = draw(&charts, &name) else { return reply::not_found(&state, Some(&user)) };
    reply::audit(&state, &user.actor(), "console_chart", &name, "viewed");
    let mut response = drawn.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    response
}
