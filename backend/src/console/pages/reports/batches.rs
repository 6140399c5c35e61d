//! `/console/reports/batches`: what goes out on which day. Per batch date the reports
//! scheduled and delivered, masked, in the order of a round through the desa (dusun, RW,
//! RT), with the counts; a form picks the days (the API's range rule: forward, at most 31
//! days; without dates, today and the week after), and a kabupaten account one desa or
//! every desa ([`super::desa_picker`]).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::response::Response;
use protocol::staff::ReportBatches;
use serde::{Deserialize, Serialize};
use time::Date;

use super::desa_picker::{DesaChoice, desa_choices, desa_param};
use super::{BATCHES_PATH, LIST_PATH, detail_href, read_entry, said, state_class};
use crate::console::layout::{self, Page, desa_text};
use crate::console::reply::{self, Said};
use crate::console::session::ConsoleUser;
use crate::http::AppState;
use crate::http::report_batches::batch_range;
use crate::http::report_desa::desa_filter;

const PAGE: Page = Page {
    template: "report_batches.html",
    title: ("Jadwal penyaluran", "Delivery batches"),
    nav: "reports",
};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RangeQuery {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    desa: Option<String>,
}

#[derive(Serialize)]
struct ReportRow {
    href: String,
    ticket: String,
    desa: String,
    name: String,
    nik: String,
    place: String,
    program: Said,
    state: Said,
    class: &'static str,
}

#[derive(Serialize)]
struct BatchView {
    day: Said,
    date: String,
    scheduled: u32,
    delivered: u32,
    reports: Vec<ReportRow>,
}

#[derive(Serialize)]
struct BatchesView {
    all: bool,
    action: &'static str,
    list: &'static str,
    from: String,
    to: String,
    batches: Vec<BatchView>,
    scheduled: u32,
    delivered: u32,
    truncated: bool,
    error: Option<Said>,
    desas: Option<Vec<DesaChoice>>,
    /// The queue's link, keeping the desa picked.
    list_href: String,
}

/// `2026-12-14` as `Senin, 14-12-2026` / `Monday, 14-12-2026`.
fn day_text(date: &str) -> Said {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let Ok(day) = Date::parse(date, &format) else { return said(date, date) };
    use time::Weekday::*;
    let (id, en) = match day.weekday() {
        Monday => ("Senin", "Monday"),
        Tuesday => ("Selasa", "Tuesday"),
        Wednesday => ("Rabu", "Wednesday"),
        Thursday => ("Kamis", "Thursday"),
        Friday => ("Jumat", "Friday"),
        Saturday => ("Sabtu", "Saturday"),
        Sunday => ("Minggu", "Sunday"),
    };
    let shown = format!("{:02}-{:02}-{}", day.day(), u8::from(day.month()), day.year());
    said(format!("{id}, {shown}"), format!("{en}, {shown}"))
}

/// `Dusun Krajan · RT 002/RW 001`, or `-` when the registry has no address.
fn place(dusun: &str, rt: &str, rw: &str) -> String {
    let mut parts = Vec::new();
    if !dusun.is_empty() {
        parts.push(format!("Dusun {dusun}"));
    }
    if !rt.is_empty() || !rw.is_empty() {
        parts.push(format!("RT {rt}/RW {rw}"));
    }
    if parts.is_empty() { "-".to_owned() } else { parts.join(" · ") }
}

fn view(all: bool, found: ReportBatches) -> BatchesView {
    let batches: Vec<BatchView> = found
        .batches
        .into_iter()
        .map(|batch| BatchView {
            day: day_text(&batch.date),
            date: batch.date,
            scheduled: batch.scheduled,
            delivered: batch.delivered,
            reports: batch
                .reports
                .into_iter()
                .map(|report| ReportRow {
                    href: detail_href(&report.ticket),
                    desa: desa_text(report.desa_code).id,
                    place: place(&report.dusun, &report.rt, &report.rw),
                    program: report.program_name.into(),
                    state: report.state.text().into(),
                    class: state_class(report.state),
                    ticket: report.ticket,
                    name: report.name,
                    nik: report.nik,
                })
                .collect(),
        })
        .collect();
    BatchesView {
        all,
        action: BATCHES_PATH,
        list: LIST_PATH,
        scheduled: batches.iter().map(|b| b.scheduled).sum(),
        delivered: batches.iter().map(|b| b.delivered).sum(),
        from: found.from,
        to: found.to,
        batches,
        truncated: found.truncated,
        error: None,
        desas: None,
        list_href: LIST_PATH.to_owned(),
    }
}

/// `GET /console/reports/batches?from=&to=&desa=`.
pub(crate) async fn batches(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let given = |text: &Option<String>| text.clone().filter(|t| !t.trim().is_empty());
    let (from, to) = (given(&query.from), given(&query.to));
    let picked = desa_filter(&user.staff, query.desa.as_deref());
    let desa = picked.clone().unwrap_or(user.staff.desa_code);
    let all = desa.is_none();
    let desas = match desa_choices(&state, &user, desa).await {
        Ok(desas) => desas,
        Err(response) => return response,
    };
    let list_href = match desa_param(desa, user.staff.desa_code).strip_prefix('&') {
        Some(param) => format!("{LIST_PATH}?{param}"),
        None => LIST_PATH.to_owned(),
    };
    let range = match picked {
        Ok(_) => batch_range(desa, from.as_deref(), to.as_deref()),
        Err(why) => Err(crate::http::error::AppError::bad_request(
            protocol::api::ErrorCode::BadRequest,
            why,
        )),
    };
    let (first, last) = match range {
        Ok(range) => range,
        Err(error) => {
            let (status, message) = error.parts();
            let mut view = view(
                all,
                ReportBatches {
                    from: from.unwrap_or_default(),
                    to: to.unwrap_or_default(),
                    batches: Vec::new(),
                    truncated: false,
                },
            );
            view.error = Some(message.into());
            view.desas = desas;
            view.list_href = list_href;
            let mut response = layout::render(&state, Some(&user), &PAGE, &view);
            *response.status_mut() = status;
            return response;
        }
    };
    let (store, program) = (state.store.clone(), state.catalogue.report_program().code.clone());
    let scope = desa.map_or_else(|| "all".to_owned(), |desa| desa.to_string());
    let subject = format!("desa:{scope} {first}..{last}");
    let reader = user.clone();
    let read = reply::blocking(move || {
        let found =
            store.delivery_batches(desa, &first.to_string(), &last.to_string(), &program)?;
        let listed: u32 = found.batches.iter().map(|b| b.scheduled + b.delivered).sum();
        store.audit_read(read_entry(
            &reader,
            "report_batches",
            subject,
            &format!("{listed} listed"),
        ))?;
        Ok(found)
    })
    .await;
    match read {
        Ok(found) => {
            let mut view = view(all, found);
            view.desas = desas;
            view.list_href = list_href;
            layout::render(&state, Some(&user), &PAGE, &view)
        }
        Err(error) => reply::failure(&state, Some(&user), error),
    }
}
