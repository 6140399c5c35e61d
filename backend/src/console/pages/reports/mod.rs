//! The citizen reports' queue: `/console/reports` lists the reports of the account's desa
//! (a kabupaten account: every desa), oldest first, filtered by state and paged, with the
//! reported person and family masked; `/console/reports/{ticket}` shows one with the
//! engine's decision, the family, the history and the steps the account may take
//! ([`actions`]); `/console/reports/batches` lists what goes out on which day ([`batches`]).
//!
//! Everything is read and written through the store and `workflow::advance_in`, the
//! functions the JSON API calls, and decided by the same rules (`http::report_queue`'s role
//! check, reason and date checks and refusal messages), so the console and the API never
//! disagree. Another desa's ticket, by URL or in a tampered form, answers 404 like a ticket
//! that does not exist; every view and every step is audited.

mod actions;
mod batches;
mod desa_picker;
mod detail;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use protocol::Text;
use protocol::api::{ReportReason, ReportState};
use protocol::staff::{QueuedReport, REPORT_PAGE_MAX, REPORT_PAGE_SIZE, ReportDetail};
use protocol::ticket::Ticket;
use serde::{Deserialize, Serialize};

use crate::console::layout::{self, Page, desa_text, local_time};
use crate::console::reply::{self, Said};
use crate::console::session::ConsoleUser;
use crate::http::AppState;
use crate::http::report_desa::desa_filter;
use crate::http::report_queue::covers;
use crate::store::{AuditEntry, ReportFilter};
pub(crate) use actions::{deliver, reject, schedule, verify};
pub(crate) use batches::batches;
pub(crate) use detail::detail;

const PAGE: Page = Page { template: "reports.html", title: ("Laporan", "Reports"), nav: "reports" };

/// The queue of reports.
pub(crate) const LIST_PATH: &str = "/console/reports";
/// The distribution batches.
pub(crate) const BATCHES_PATH: &str = "/console/reports/batches";

/// The page of one report.
pub(crate) fn detail_href(ticket: &str) -> String {
    format!("{LIST_PATH}/{ticket}")
}

pub(crate) fn said(id: impl Into<String>, en: impl Into<String>) -> Said {
    Said { id: id.into(), en: en.into() }
}

/// Why the citizen asked, as the kiosk offered it.
pub(crate) fn reason_text(reason: ReportReason) -> Said {
    match reason {
        ReportReason::LostJob => said("Kehilangan pekerjaan", "Lost their job"),
        ReportReason::IncomeStopped => said("Penghasilan berhenti", "Income stopped"),
        ReportReason::Illness => said("Sakit atau disabilitas", "Ill or disabled"),
        ReportReason::ElderlyAlone => said("Lansia tanpa penopang", "Elderly, no one to help"),
        ReportReason::Other => said("Lainnya", "Other"),
    }
}

/// How a state is coloured: `warn` waits for the staff, `ok` moves on, `bad` ended.
pub(crate) fn state_class(state: ReportState) -> &'static str {
    match state {
        ReportState::Verification => "warn",
        ReportState::Verified | ReportState::Scheduled | ReportState::Delivered => "ok",
        ReportState::Rejected | ReportState::RejectedAfterVerification => "bad",
    }
}

/// An audit entry of a read by the console's account.
pub(crate) fn read_entry(
    user: &ConsoleUser,
    action: &str,
    subject: String,
    outcome: &str,
) -> AuditEntry {
    AuditEntry {
        at: crate::http::now(),
        actor: user.actor(),
        action: action.into(),
        subject,
        outcome: outcome.into(),
    }
}

/// The report `raw` names, if the account reads its desa; `None` for a malformed ticket, an
/// unknown one and another desa's alike.
pub(crate) async fn report_of(
    state: &AppState,
    user: &ConsoleUser,
    raw: &str,
) -> Result<Option<ReportDetail>, Response> {
    let Ok(ticket) = Ticket::parse(raw.trim()) else { return Ok(None) };
    let (store, program) = (state.store.clone(), state.catalogue.report_program().code.clone());
    match reply::blocking(move || store.report_detail(&ticket, &program)).await {
        Ok(found) => Ok(found.filter(|detail| covers(&user.staff, detail.report.desa_code))),
        Err(error) => Err(reply::failure(state, Some(user), error)),
    }
}

/// The states the filter offers; the empty one is the default (waiting for a step).
const FILTERS: &[(&str, &str, &str)] = &[
    ("", "Menunggu petugas", "Waiting for the staff"),
    ("verification", "Dalam verifikasi", "Being verified"),
    ("verified", "Terverifikasi", "Verified"),
    ("scheduled", "Dijadwalkan", "Scheduled"),
    ("delivered", "Sudah diterima", "Delivered"),
    ("rejected", "Ditolak saat diajukan", "Rejected at filing"),
    (
        "rejected_after_verification",
        "Ditolak petugas/pemeriksaan ulang",
        "Rejected by staff or re-check",
    ),
];

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    page: Option<String>,
    /// A desa code or `all` (a kabupaten account's picker).
    #[serde(default)]
    desa: Option<String>,
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: Said,
    selected: bool,
}

#[derive(Serialize)]
struct Row {
    href: String,
    ticket: String,
    desa: String,
    filed_at: String,
    name: String,
    nik: String,
    reason: Said,
    family: String,
    programs: Vec<String>,
    state: Said,
    class: &'static str,
    filed_rejected: bool,
    scheduled_for: Option<String>,
}

#[derive(Serialize)]
struct ListView {
    all: bool,
    choices: Vec<Choice>,
    rows: Vec<Row>,
    total: u64,
    page: u32,
    pages: u64,
    previous: Option<String>,
    next: Option<String>,
    batches: String,
    /// The desa picker (a kabupaten account's), and the desa shown.
    desas: Option<Vec<desa_picker::DesaChoice>>,
    desa: String,
}

/// A family in a cell: `desil 2 · 4 orang`.
pub(crate) fn family_line(report: &QueuedReport) -> String {
    match &report.family {
        Some(family) => {
            let desil = family.desil.map_or_else(|| "desil -".to_owned(), |d| format!("desil {d}"));
            format!("{desil} · {} orang/people", family.members)
        }
        None => "-".to_owned(),
    }
}

fn row(report: &QueuedReport) -> Row {
    Row {
        href: detail_href(&report.ticket),
        ticket: report.ticket.clone(),
        desa: desa_text(report.desa_code).id,
        filed_at: local_time(&report.filed_at, report.desa_code),
        name: report.family.as_ref().map_or_else(|| "-".to_owned(), |f| f.name.clone()),
        nik: report.subject.clone(),
        reason: reason_text(report.reason),
        family: family_line(report),
        programs: report
            .family
            .iter()
            .flat_map(|f| f.programs.iter().map(|p| p.code.clone()))
            .collect(),
        state: report.state.text().into(),
        class: state_class(report.state),
        filed_rejected: report.filed_state == ReportState::Rejected,
        scheduled_for: report.scheduled_for.clone(),
    }
}

fn query_href(state: &str, desa: &str, page: u32) -> String {
    if state.is_empty() {
        format!("{LIST_PATH}?page={page}{desa}")
    } else {
        format!("{LIST_PATH}?state={state}&page={page}{desa}")
    }
}

/// `GET /console/reports?state=&page=&desa=`.
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let raw_state = query.state.unwrap_or_default();
    let wanted = match raw_state.as_str() {
        "" => Ok(None),
        text => ReportState::parse(text)
            .map(Some)
            .ok_or_else(|| Text::new("Status laporan tidak dikenal.", "Unknown report state.")),
    };
    let page = match query.page.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(1),
        Some(text) => {
            text.parse::<u32>().ok().filter(|p| (1..=REPORT_PAGE_MAX).contains(p)).ok_or_else(
                || {
                    Text::new(
                        format!("Halaman 1 sampai {REPORT_PAGE_MAX}."),
                        format!("Pages are 1 to {REPORT_PAGE_MAX}."),
                    )
                },
            )
        }
    };
    let desa = desa_filter(&user.staff, query.desa.as_deref());
    let (wanted, page, desa) = match (wanted, page, desa) {
        (Ok(wanted), Ok(page), Ok(desa)) => (wanted, page, desa),
        (Err(why), _, _) | (_, Err(why), _) | (_, _, Err(why)) => {
            return reply::error_page(&state, Some(&user), StatusCode::BAD_REQUEST, why);
        }
    };
    let desas = match desa_picker::desa_choices(&state, &user, desa).await {
        Ok(desas) => desas,
        Err(response) => return response,
    };
    let shown = wanted.map_or("", ReportState::as_str);
    let filter = ReportFilter { desa, state: wanted, page };
    let scope = desa.map_or_else(|| "all".to_owned(), |desa| desa.to_string());
    let subject =
        format!("desa:{scope} state:{} page:{page}", wanted.map_or("waiting", ReportState::as_str));
    let (store, program) = (state.store.clone(), state.catalogue.report_program().code.clone());
    let audit = {
        let user = user.clone();
        move |listed: usize| read_entry(&user, "report_queue", subject, &format!("{listed} listed"))
    };
    let read = reply::blocking(move || {
        let (reports, total) = store.reports_waiting(&filter, &program)?;
        store.audit_read(audit(reports.len()))?;
        Ok((reports, total))
    })
    .await;
    let (reports, total) = match read {
        Ok(read) => read,
        Err(error) => return reply::failure(&state, Some(&user), error),
    };
    let pages = total.div_ceil(u64::from(REPORT_PAGE_SIZE)).max(1);
    let keep = desa_picker::desa_param(desa, user.staff.desa_code);
    let view = ListView {
        all: desa.is_none(),
        choices: FILTERS
            .iter()
            .map(|(value, id, en)| Choice {
                value,
                label: said(*id, *en),
                selected: *value == shown,
            })
            .collect(),
        rows: reports.iter().map(row).collect(),
        total,
        page,
        pages,
        previous: (page > 1).then(|| query_href(shown, &keep, page - 1)),
        next: (u64::from(page) < pages).then(|| query_href(shown, &keep, page + 1)),
        batches: match keep.strip_prefix('&') {
            Some(param) => format!("{BATCHES_PATH}?{param}"),
            None => BATCHES_PATH.to_owned(),
        },
        desas,
        desa: desa.map(|code| code.to_string()).unwrap_or_default(),
    };
    layout::render(&state, Some(&user), &PAGE, &view)
}
